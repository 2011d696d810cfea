// The Kubernetes API over HTTP: routing, authentication, content negotiation and the verbs, on top
// of ApiStorage. One instance per simulated cluster; the listener hands it every request.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { PodLogs } from '../pod-logs.ts';
import type { KubeObject } from '../store/store.ts';
import { PATCH_TYPES, type ApiStorage, type DeleteOptions, type WriteOptions } from '../store/storage.ts';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../store/patch.ts';
import { builtinSchema } from '../store/schema.ts';
import { evalJsonPath } from '../util/jsonpath.ts';
import { isObject, obj, type JsonObject } from '../util/json.ts';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import {
  ApiError,
  badRequest,
  conflict,
  forbidden,
  isApiError,
  methodNotAllowed,
  notFound,
  pathNotFound,
  unauthorized,
  unsupportedMediaType,
} from './errors.ts';
import { commonHeaders, jsonOf, negotiate, parseAccept, parseJson, readBody, sendError, sendJson, sendRaw, type Negotiated } from './http.ts';
import { openApiDocument, openApiIndex } from './openapi.ts';
import { decodeProtobufObject, ProtobufError } from './protobuf.ts';
import { apiVersionOf, type Registry, type ResourceType } from './registry.ts';
import { table, type IncludeObject } from './table.ts';
import { WatchHub } from './watch.ts';
import { formatSelector, selectorFromObject } from '../store/selectors.ts';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

export interface VirtualResources {
  list(rt: ResourceType, namespace: string | undefined, labelSelector: string | undefined): KubeObject[];
  get(rt: ResourceType, namespace: string, name: string): KubeObject | undefined;
}

export interface RequestRecord {
  time: string;
  method: string;
  path: string;
  query: string;
  status: number;
  durationMs: number;
  userAgent: string;
  kubectlCommand?: string;
  fieldManager?: string;
  contentType?: string;
}

export interface ApiHandlerOptions {
  storage: ApiStorage;
  registry: Registry;
  token: string;
  version: VersionInfo;
  podLogs: PodLogs;
  virtual: VirtualResources;
  serverAddress: () => string;
  onRequest: (r: RequestRecord) => void;
  now: () => number;
  bookmarkIntervalMs: number;
}

interface ResourcePath {
  rt: ResourceType;
  version: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

export class ApiHandler {
  readonly watches = new WatchHub();
  readonly #o: ApiHandlerOptions;
  #token: string;

  constructor(options: ApiHandlerOptions) {
    this.#o = options;
    this.#token = options.token;
  }

  setToken(token: string): void {
    this.#token = token;
  }

  /** Handles one request; never throws (errors become Status responses). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://sim');
    let path = url.pathname;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const auditId = randomUUID();
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      this.#o.onRequest({
        time: new Date(this.#o.now()).toISOString(),
        method: req.method ?? 'GET',
        path,
        query: url.search,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        userAgent: String(req.headers['user-agent'] ?? ''),
        ...(req.headers['kubectl-command'] ? { kubectlCommand: String(req.headers['kubectl-command']) } : {}),
        ...(url.searchParams.get('fieldManager') ? { fieldManager: url.searchParams.get('fieldManager') as string } : {}),
        ...(req.headers['content-type'] ? { contentType: String(req.headers['content-type']) } : {}),
      });
    };
    res.on('finish', record);
    // Long-lived responses (watches, followed logs) are logged once their headers are out.
    res.once('sim:streaming', record);
    try {
      const anonymous = this.#authenticate(req);
      commonHeaders(res, auditId);
      await this.#route(req, res, url, path, anonymous, auditId);
    } catch (e) {
      const err = toApiError(e);
      if (!res.headersSent) sendError(res, err);
      else res.end();
    }
  }

  #authenticate(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (header === undefined || header === '') return true;
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || m[1] !== this.#token) throw unauthorized();
    return false;
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL, path: string, anonymous: boolean, auditId: string): Promise<void> {
    const method = req.method ?? 'GET';
    const accept = parseAccept(req.headers.accept);
    if (path === '/version') {
      if (method !== 'GET') throw methodNotAllowed();
      sendJson(res, 200, {
        ...this.#o.version,
        gitCommit: '4cb5f07e9f1d7d1c1cc3f8e1d0a3c4c0b1f9d1e2',
        gitTreeState: 'clean',
        buildDate: '2025-04-22T16:03:40Z',
        goVersion: 'go1.23.8',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) {
      sendRaw(res, 200, 'text/plain; charset=utf-8', 'ok');
      return;
    }
    if (anonymous) {
      throw new ApiError(403, 'Forbidden', `forbidden: User "system:anonymous" cannot ${method.toLowerCase()} path "${path}"`, {});
    }
    if (path === '/api' || path === '/apis') {
      const n = negotiate(accept, { discovery: true });
      if (n.format === 'discovery') {
        const body = JSON.stringify(aggregatedDiscovery(this.#o.registry, path === '/api', n.version));
        sendRaw(res, 200, `application/json;g=apidiscovery.k8s.io;v=${n.version};as=APIGroupDiscoveryList`, body);
      } else {
        sendJson(res, 200, path === '/api' ? apiVersions(this.#o.serverAddress()) : apiGroupList(this.#o.registry));
      }
      return;
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, openApiIndex(this.#o.registry));
      return;
    }
    if (path.startsWith('/openapi/v3/')) {
      const rest = path.slice('/openapi/v3/'.length).split('/');
      const doc = rest[0] === 'api' ? openApiDocument(this.#o.registry, '', rest[1] ?? '') : openApiDocument(this.#o.registry, rest[1] ?? '', rest[2] ?? '');
      if (!doc) throw pathNotFound();
      res.setHeader('Cache-Control', 'public, immutable');
      sendJson(res, 200, doc);
      return;
    }
    const segments = path.split('/').slice(1).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 2) {
      group = '';
      version = segments[1] ?? '';
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 2) {
      group = segments[1] ?? '';
      if (segments.length === 2) {
        const g = apiGroup(this.#o.registry, group);
        if (!g) throw pathNotFound();
        sendJson(res, 200, g);
        return;
      }
      version = segments[2] ?? '';
      rest = segments.slice(3);
    } else {
      throw pathNotFound();
    }
    if (rest.length === 0) {
      const list = apiResourceList(this.#o.registry, group, version);
      if (!list) throw pathNotFound();
      sendJson(res, 200, list);
      return;
    }
    const rp = this.#resolve(group, version, rest);
    await this.#serveResource(req, res, url, rp, accept, auditId);
  }

  #resolve(group: string, version: string, rest: string[]): ResourcePath {
    let namespace: string | undefined;
    let parts = rest;
    const isNsSub = group === '' && parts[0] === 'namespaces' && parts.length === 3 && (parts[2] === 'status' || parts[2] === 'finalize');
    if (parts[0] === 'namespaces' && parts.length >= 3 && !isNsSub) {
      namespace = parts[1];
      parts = parts.slice(2);
    }
    const [resource = '', name, subresource, ...extra] = parts;
    if (extra.length > 0) throw pathNotFound();
    const rt = this.#o.registry.byGroupVersionResource(group, version, resource);
    if (!rt) throw pathNotFound();
    if (namespace !== undefined && !rt.namespaced) throw pathNotFound();
    return { rt, version, namespace, name, subresource };
  }

  async #serveResource(req: IncomingMessage, res: ServerResponse, url: URL, rp: ResourcePath, accept: ReturnType<typeof parseAccept>, auditId: string): Promise<void> {
    const { rt, version, name, subresource } = rp;
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    const namespace = rp.namespace;
    const ns = namespace ?? '';
    const warnings: string[] = [];
    const write: WriteOptions = {
      userAgent: String(req.headers['user-agent'] ?? ''),
      dryRun: q.getAll('dryRun').includes('All'),
      version,
      warnings,
    };
    const fm = q.get('fieldManager');
    if (fm) write.fieldManager = fm;
    const storage = this.#o.storage;
    const negotiated = (): Negotiated => negotiate(accept, { table: method === 'GET' });

    if (rt.virtual) {
      if (method !== 'GET') throw methodNotAllowed();
      this.#serveVirtual(res, rp, q, negotiated());
      return;
    }
    if (rt.key === 'authorization.k8s.io/selfsubjectaccessreviews') {
      if (method !== 'POST' || name) throw methodNotAllowed();
      const body = obj(await this.#body(req, rt));
      sendJson(res, 201, { ...body, apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, status: { allowed: true, reason: 'satusky-sim allows every request' } });
      return;
    }
    if (!rt.namespaced && namespace !== undefined) throw pathNotFound();

    // Collections
    if (name === undefined) {
      if (method === 'GET') {
        const n = negotiated();
        if (q.get('watch') === 'true' || q.get('watch') === '1') {
          const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '') || 1800 + Math.floor(Math.random() * 1800);
          const labels = parseLabelSelector(q.get('labelSelector'));
          const fields = parseFieldSelector(q.get('fieldSelector'), rt.kind, rt.builtin);
          this.watches.serve(
            storage,
            {
              rt,
              version,
              namespace: rt.namespaced ? namespace : undefined,
              labels,
              fields,
              resourceVersion: q.get('resourceVersion') ?? undefined,
              allowBookmarks: q.get('allowWatchBookmarks') === 'true',
              sendInitialEvents: q.get('sendInitialEvents') === 'true',
              timeoutSeconds,
              table: n.format === 'table' ? { include: includeObject(q) } : undefined,
              bookmarkIntervalMs: this.#o.bookmarkIntervalMs,
            },
            res,
            auditId,
            this.#o.now,
          );
          res.emit('sim:streaming');
          return;
        }
        const limit = Number(q.get('limit') ?? '0');
        const result = storage.list(rt, rt.namespaced ? namespace : undefined, {
          labelSelector: q.get('labelSelector') ?? undefined,
          fieldSelector: q.get('fieldSelector') ?? undefined,
          limit: Number.isFinite(limit) ? limit : 0,
          continue: q.get('continue') ?? undefined,
          resourceVersion: q.get('resourceVersion') ?? undefined,
          resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
        });
        const listMeta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continue) {
          listMeta.continue = result.continue;
          listMeta.remainingItemCount = result.remainingItemCount;
        }
        if (n.format === 'table') {
          sendRaw(res, 200, 'application/json;as=Table;v=v1;g=meta.k8s.io', JSON.stringify(table(rt, version, result.items.map((o) => storage.convert(rt, o, version)), includeObject(q), this.#o.now(), listMeta)));
          return;
        }
        const apiVersion = apiVersionOf(rt.group, version);
        if (n.format === 'yaml') {
          sendJson(res, 200, { apiVersion, kind: rt.listKind, metadata: listMeta, items: result.items.map((o) => storage.convert(rt, o, version)) }, 'yaml');
          return;
        }
        const items = result.items.map((o) => {
          const c = storage.convert(rt, o, version);
          return c === o ? jsonOf(o) : JSON.stringify(c);
        });
        sendRaw(res, 200, 'application/json', `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(listMeta)},"items":[${items.join(',')}]}`);
        return;
      }
      if (method === 'POST') {
        if (!rt.verbs.includes('create')) throw methodNotAllowed();
        if (rt.namespaced && namespace === undefined) throw pathNotFound();
        const body = await this.#body(req, rt);
        const created = storage.create(rt, ns, body, write);
        this.#respondObject(res, 201, rt, version, created, warnings);
        return;
      }
      if (method === 'DELETE') {
        if (!rt.verbs.includes('deletecollection')) throw methodNotAllowed();
        const opts = await this.#deleteOptions(req, q);
        const deleted = storage.deleteCollection(
          rt,
          rt.namespaced ? namespace : undefined,
          { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined },
          opts,
        );
        const apiVersion = apiVersionOf(rt.group, version);
        sendJson(res, 200, { kind: rt.listKind, apiVersion, metadata: { resourceVersion: String(storage.store.resourceVersion) }, items: deleted.map((o) => storage.convert(rt, o, version)) });
        return;
      }
      throw methodNotAllowed();
    }

    if (rt.namespaced && namespace === undefined) throw pathNotFound();

    // Subresources
    if (subresource === 'scale' && rt.scale) {
      await this.#serveScale(req, res, rp, write);
      return;
    }
    if (subresource === 'log' && rt.key === '/pods') {
      if (method !== 'GET') throw methodNotAllowed();
      this.#o.podLogs.serve(storage.get(rt, ns, name), q, res);
      if (!res.writableEnded) res.emit('sim:streaming');
      return;
    }
    if (subresource === 'eviction' && rt.key === '/pods') {
      // The Eviction API without PodDisruptionBudget checks: the pod is deleted gracefully.
      if (method !== 'POST') throw methodNotAllowed();
      const body = obj(await this.#body(req, rt));
      const deleteOptions = obj(body.deleteOptions);
      storage.get(rt, ns, name);
      storage.delete(rt, ns, name, typeof deleteOptions.gracePeriodSeconds === 'number' ? { gracePeriodSeconds: deleteOptions.gracePeriodSeconds } : {}, write);
      sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      return;
    }
    if (subresource === 'finalize' && rt.key === '/namespaces') {
      if (method !== 'PUT') throw methodNotAllowed();
      const body = obj(await this.#body(req, rt));
      const current = storage.get(rt, '', name);
      const next = { ...current, spec: { ...obj(current.spec), finalizers: obj(body.spec).finalizers ?? [] } };
      const updated = storage.update(rt, '', name, { ...next, metadata: { ...current.metadata } }, { ...write, internal: true });
      this.#respondObject(res, 200, rt, version, updated, warnings);
      return;
    }
    if (subresource !== undefined && !(subresource === 'status' && rt.status)) {
      if (['exec', 'attach', 'portforward', 'proxy'].includes(subresource) && rt.key === '/pods') {
        throw new ApiError(400, 'BadRequest', `satusky-sim does not support pods/${subresource} (simulated pods run no processes)`);
      }
      throw pathNotFound();
    }
    const sub = subresource === 'status' ? ('status' as const) : undefined;
    if (sub) write.subresource = sub;

    switch (method) {
      case 'GET': {
        const o = storage.convert(rt, storage.get(rt, ns, name), version);
        const n = negotiated();
        if (n.format === 'table') {
          sendRaw(res, 200, 'application/json;as=Table;v=v1;g=meta.k8s.io', JSON.stringify(table(rt, version, [o], includeObject(q), this.#o.now(), { resourceVersion: o.metadata.resourceVersion })));
          return;
        }
        if (n.format === 'yaml') sendJson(res, 200, o, 'yaml');
        else sendRaw(res, 200, 'application/json', jsonOf(o));
        return;
      }
      case 'PUT': {
        if (!rt.verbs.includes('update')) throw methodNotAllowed();
        const body = await this.#body(req, rt);
        const updated = storage.update(rt, ns, name, body, write);
        this.#respondObject(res, 200, rt, version, updated, warnings);
        return;
      }
      case 'PATCH': {
        if (!rt.verbs.includes('patch')) throw methodNotAllowed();
        const contentType = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        const raw = await readBody(req);
        let body: unknown;
        if (contentType === PATCH_TYPES.apply) {
          try {
            body = parseYaml(raw.toString('utf8')) as unknown;
          } catch (e) {
            throw badRequest(`error decoding YAML: ${(e as Error).message}`);
          }
        } else {
          body = parseJson(raw);
        }
        const force = q.get('force');
        const { object, created } = storage.patch(rt, ns, name, contentType, body, { ...write, ...(force === 'true' ? { force: true } : {}) });
        this.#respondObject(res, created ? 201 : 200, rt, version, object, warnings);
        return;
      }
      case 'DELETE': {
        if (!rt.verbs.includes('delete')) throw methodNotAllowed();
        if (sub) throw methodNotAllowed();
        const opts = await this.#deleteOptions(req, q);
        const { object, removed } = storage.delete(rt, ns, name, opts, write);
        if (removed && !rt.returnsDeletedObject) {
          commonHeaders(res, res.getHeader('Audit-Id') as string, warnings);
          sendJson(res, 200, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name: object.metadata.name, group: rt.group, kind: rt.resource, uid: object.metadata.uid },
          });
          return;
        }
        this.#respondObject(res, 200, rt, version, object, warnings);
        return;
      }
      default:
        throw methodNotAllowed();
    }
  }

  #respondObject(res: ServerResponse, status: number, rt: ResourceType, version: string, o: KubeObject, warnings: string[]): void {
    if (warnings.length > 0) commonHeaders(res, res.getHeader('Audit-Id') as string, warnings);
    const c = this.#o.storage.convert(rt, o, version);
    sendRaw(res, status, 'application/json', c === o ? jsonOf(o) : JSON.stringify(c));
  }

  async #body(req: IncomingMessage, rt: ResourceType): Promise<unknown> {
    const raw = await readBody(req);
    const ct = String(req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
    if (ct === 'application/vnd.kubernetes.protobuf') {
      try {
        return decodeProtobufObject(raw);
      } catch (e) {
        if (e instanceof ProtobufError) throw unsupportedMediaType(['application/json', 'application/yaml']);
        throw badRequest(`unable to decode protobuf body: ${(e as Error).message}`);
      }
    }
    if (ct === 'application/yaml') {
      try {
        return parseYaml(raw.toString('utf8')) as unknown;
      } catch (e) {
        throw badRequest(`error decoding YAML: ${(e as Error).message}`);
      }
    }
    if (ct !== '' && ct !== 'application/json' && ct !== '*/*') {
      throw unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
    }
    void rt;
    return parseJson(raw);
  }

  async #deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
    const raw = await readBody(req);
    const body = raw.length > 0 ? obj(parseJson(raw)) : {};
    const opts: DeleteOptions = {};
    const policy = (body.propagationPolicy as string | undefined) ?? q.get('propagationPolicy') ?? undefined;
    if (policy === 'Background' || policy === 'Foreground' || policy === 'Orphan') opts.propagationPolicy = policy;
    else if (body.orphanDependents === true || q.get('orphanDependents') === 'true') opts.propagationPolicy = 'Orphan';
    const grace = body.gracePeriodSeconds ?? q.get('gracePeriodSeconds');
    if (grace !== undefined && grace !== null && grace !== '') opts.gracePeriodSeconds = Number(grace);
    if (isObject(body.preconditions)) {
      const p = body.preconditions;
      opts.preconditions = {
        ...(typeof p.uid === 'string' ? { uid: p.uid } : {}),
        ...(typeof p.resourceVersion === 'string' ? { resourceVersion: p.resourceVersion } : {}),
      };
    }
    if ((Array.isArray(body.dryRun) && body.dryRun.includes('All')) || q.getAll('dryRun').includes('All')) opts.dryRun = true;
    return opts;
  }

  async #serveScale(req: IncomingMessage, res: ServerResponse, rp: ResourcePath, write: WriteOptions): Promise<void> {
    const { rt } = rp;
    const ns = rp.namespace ?? '';
    const name = rp.name as string;
    const storage = this.#o.storage;
    const scale = rt.scale;
    if (!scale) throw pathNotFound();
    const toScale = (o: KubeObject): JsonObject => {
      const replicas = evalJsonPath(o, scale.specReplicasPath)[0];
      const statusReplicas = evalJsonPath(o, scale.statusReplicasPath)[0];
      let selector = '';
      if (scale.labelSelectorPath) {
        const v = evalJsonPath(o, scale.labelSelectorPath)[0];
        selector = typeof v === 'string' ? v : formatSelector(selectorFromObject(v) ?? []);
      }
      return {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name: o.metadata.name,
          ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
          uid: o.metadata.uid,
          resourceVersion: o.metadata.resourceVersion,
          creationTimestamp: o.metadata.creationTimestamp,
        },
        spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
        status: { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0, ...(selector ? { selector } : {}) },
      };
    };
    const current = storage.get(rt, ns, name);
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      sendJson(res, 200, toScale(current));
      return;
    }
    let next: JsonObject;
    const raw = await readBody(req);
    if (method === 'PUT') {
      next = obj(parseJson(raw));
    } else if (method === 'PATCH') {
      const ct = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const base = toScale(current);
      if (ct === PATCH_TYPES.merge) next = obj(applyMergePatch(base, parseJson(raw)));
      else if (ct === PATCH_TYPES.json) next = applyJsonPatch(base, parseJson(raw));
      else if (ct === PATCH_TYPES.strategic) next = applyStrategicMergePatch(base, parseJson(raw), builtinSchema('Scale'));
      else if (ct === PATCH_TYPES.apply) next = obj(mergeApply(base, parseYaml(raw.toString('utf8'))));
      else throw unsupportedMediaType([PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply]);
    } else throw methodNotAllowed();
    const rv = obj(next.metadata).resourceVersion;
    if (typeof rv === 'string' && rv !== '' && rv !== current.metadata.resourceVersion) throw conflict(rt.resource, rt.group, name);
    const replicas = obj(next.spec).replicas;
    if (typeof replicas !== 'number' || replicas < 0 || !Number.isInteger(replicas)) {
      throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
    }
    const path = scale.specReplicasPath.replace(/^\./, '').split('.');
    const updated = storage.mutate(
      rt,
      ns,
      name,
      (draft) => {
        let cur: JsonObject = draft;
        for (const p of path.slice(0, -1)) {
          if (!isObject(cur[p])) cur[p] = {};
          cur = cur[p] as JsonObject;
        }
        cur[path[path.length - 1] as string] = replicas;
      },
      { ...write, internal: false },
    );
    sendJson(res, 200, toScale(updated ?? current));
  }

  #serveVirtual(res: ServerResponse, rp: ResourcePath, q: URLSearchParams, n: Negotiated): void {
    const { rt, version } = rp;
    const apiVersion = apiVersionOf(rt.group, version);
    if (rp.name === undefined) {
      const items = this.#o.virtual.list(rt, rp.namespace, q.get('labelSelector') ?? undefined);
      if (n.format === 'table') {
        sendRaw(res, 200, 'application/json;as=Table;v=v1;g=meta.k8s.io', JSON.stringify(table(rt, version, items, includeObject(q), this.#o.now(), {})));
        return;
      }
      sendJson(res, 200, { kind: rt.listKind, apiVersion, metadata: {}, items });
      return;
    }
    const o = this.#o.virtual.get(rt, rp.namespace ?? '', rp.name);
    if (!o) throw notFound(rt.resource, rt.group, rp.name);
    sendJson(res, 200, o);
  }
}

function mergeApply(base: JsonObject, patch: unknown): unknown {
  return applyMergePatch(base, patch);
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'Object' || v === 'None' ? v : 'Metadata';
}

export function toApiError(e: unknown): ApiError {
  if (isApiError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export { forbidden };
