import http from 'node:http';
import https from 'node:https';
import type {
  KubeConfig} from '@kubernetes/client-node';
import {
  ApiException,
  CoreV1Api,
  createConfiguration,
  Health,
  KubernetesObjectApi,
  PatchStrategy,
  ServerConfiguration,
  setHeaderMiddleware,
  type KubernetesListObject,
  type KubernetesObject,
  type ObservableMiddleware,
  type RequestContext,
  type SecurityAuthentication,
} from '@kubernetes/client-node';
// Deep imports: client-node's serializer is what its loadYaml/dumpYaml use, but it is not re-exported.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { getSerializationType } from '@kubernetes/client-node/dist/util.js';
import { FIELD_MANAGER } from '../core/render.ts';

/**
 * client-node's typed API (de)serialises known kinds through generated models whose reserved-word
 * fields are renamed (`from` → `_from`, `default` → `_default`): plain JSON handed straight to it
 * silently loses those fields, and models read back carry the renamed keys and Dates. We speak plain
 * JSON everywhere and convert at this boundary with client-node's own serializer (what its
 * loadYaml/dumpYaml use, without the YAML text in between: at thousands of objects per informer
 * list, writing and parsing YAML was most of the control plane's CPU).
 */
function toModel<T extends KubernetesObject>(object: T): T {
  return ObjectSerializer.deserialize(JSON.parse(JSON.stringify(object)), getSerializationType(object.apiVersion, object.kind)) as T;
}
export function toPlain<T>(model: T): T {
  const typed = model as { apiVersion?: string; kind?: string };
  return JSON.parse(JSON.stringify(ObjectSerializer.serialize(model, getSerializationType(typed.apiVersion, typed.kind)))) as T;
}

/** Why a cluster call failed, in the terms the controllers act on. */
export type KubeFailure =
  | 'unreachable' // connection refused, DNS, TLS: the cluster did not answer
  | 'timeout' // it did not answer in time (blackholed, overloaded)
  | 'rejected' // 4xx other than 404/409/429: the object itself is refused; retrying will not help
  | 'conflict' // 409: someone else owns the field or the object changed
  | 'not-found'
  | 'throttled' // 429
  | 'server'; // 5xx

export class KubeError extends Error {
  readonly failure: KubeFailure;
  readonly status: number | null;
  constructor(failure: KubeFailure, message: string, status: number | null, cause?: unknown) {
    super(message, { cause });
    this.name = 'KubeError';
    this.failure = failure;
    this.status = status;
  }
  /** Worth retrying later: the cluster or the network, not the request. */
  get retryable(): boolean {
    return this.failure !== 'rejected' && this.failure !== 'not-found';
  }
}

function messageOf(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
    } catch {
      return body.slice(0, 300);
    }
  }
  return (body as { message?: string } | null)?.message ?? '';
}

export function classify(error: unknown, what: string): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof ApiException) {
    const status = error.code;
    const message = `${what}: ${status} ${messageOf(error.body)}`.trim();
    if (status === 404) return new KubeError('not-found', message, status, error);
    if (status === 409) return new KubeError('conflict', message, status, error);
    if (status === 429) return new KubeError('throttled', message, status, error);
    if (status >= 500) return new KubeError('server', message, status, error);
    return new KubeError('rejected', message, status, error);
  }
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.cause?.code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new KubeError('timeout', `${what}: the cluster did not answer in time`, null, error);
  }
  const code = e.cause?.code ?? e.code;
  return new KubeError('unreachable', `${what}: ${code ?? ''} ${e.cause?.message ?? e.message ?? 'request failed'}`.trim(), null, error);
}

/** A middleware that aborts the request after `timeoutMs` (client-node's header middleware builds the observable). */
function deadline(timeoutMs: number): ObservableMiddleware {
  const userAgent = setHeaderMiddleware('User-Agent', 'satusky-control-plane/0.1');
  return {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return userAgent.pre(context);
    },
    post: (response) => userAgent.post(response),
  };
}

/**
 * The kubeconfig's authentication with one connection pool per cluster. client-node builds a new
 * undici Agent for every request, so no connection is ever reused: each call paid a TCP and TLS
 * handshake (and a fresh TLS context from the CA), which at thousands of apps was most of the cost
 * on both ends. Headers (tokens, which may rotate) are still applied per request; the first
 * request's dispatcher, carrying the kubeconfig's CA and client certificate, serves them all.
 */
function pooledAuthentication(kubeConfig: KubeConfig): SecurityAuthentication {
  let shared: ReturnType<RequestContext['getDispatcher']>;
  return {
    getName: () => 'kubeconfig authentication (pooled connections)',
    async applySecurityAuthentication(context: RequestContext): Promise<void> {
      await kubeConfig.applySecurityAuthentication(context);
      const fresh = context.getDispatcher();
      if (!fresh) return;
      if (shared) context.setDispatcher(shared);
      else shared = fresh;
    },
  };
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface KubeClientOptions {
  /** Every request is aborted after this long (a blackholed cluster must not hang a worker). */
  timeoutMs: number;
}

/**
 * One cluster, through @kubernetes/client-node and its kubeconfig, exactly as for a real cluster.
 * Every call is bounded by a timeout and fails with a classified KubeError.
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly #objects: KubernetesObjectApi;
  readonly #core: CoreV1Api;
  readonly #timeoutMs: number;

  constructor(kubeConfig: KubeConfig, options: KubeClientOptions) {
    this.kubeConfig = kubeConfig;
    this.#timeoutMs = options.timeoutMs;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = cluster.server;
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: pooledAuthentication(kubeConfig) },
      middleware: [deadline(options.timeoutMs)],
    });
    this.#objects = new KubernetesObjectApi(configuration);
    this.#core = new CoreV1Api(configuration);
  }

  /** Server-side apply with the `satusky` field manager; creates the object when it is missing. */
  async apply<T extends KubernetesObject>(object: T, options: { force?: boolean } = {}): Promise<T> {
    try {
      const applied = await this.#objects.patch(toModel(object), undefined, undefined, FIELD_MANAGER, options.force ?? true, PatchStrategy.ServerSideApply);
      return toPlain(applied);
    } catch (error) {
      throw classify(error, `apply ${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`);
    }
  }

  /**
   * A JSON merge patch of the whole object: maps are merged, lists are replaced wholesale. Restores
   * a list that server-side apply cannot: items another field manager added by hand stay after an
   * apply, because apply removes only what its own manager owned.
   */
  async mergePatch<T extends KubernetesObject>(object: T): Promise<T> {
    try {
      const patched = await this.#objects.patch(toModel(object), undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
      return toPlain(patched);
    } catch (error) {
      throw classify(error, `patch ${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`);
    }
  }

  async get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | null> {
    try {
      const model = await this.#objects.read<T>({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
      });
      return toPlain(model);
    } catch (error) {
      const classified = classify(error, `get ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`);
      if (classified.failure === 'not-found') return null;
      throw classified;
    }
  }

  async list<T extends KubernetesObject>(apiVersion: string, kind: string, options: { namespace?: string; labelSelector?: string } = {}): Promise<T[]> {
    try {
      const result = await this.#objects.list<T>(apiVersion, kind, options.namespace, undefined, undefined, undefined, undefined, options.labelSelector);
      return result.items.map((item) => toPlain(item));
    } catch (error) {
      throw classify(error, `list ${kind}`);
    }
  }

  /** A cluster-wide list with its resourceVersion, for informers. */
  async listWithMeta(apiVersion: string, kind: string, labelSelector?: string): Promise<KubernetesListObject<KubernetesObject>> {
    try {
      const list = await this.#objects.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, labelSelector);
      return { ...list, items: list.items.map((item) => toPlain(item)) };
    } catch (error) {
      throw classify(error, `list ${kind}`);
    }
  }

  /** Deletes an object; an object that is already gone counts as deleted. */
  async delete(ref: ObjectRef, options: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' } = {}): Promise<void> {
    try {
      await this.#objects.delete(
        { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } },
        undefined,
        undefined,
        undefined,
        undefined,
        options.propagationPolicy ?? 'Background',
      );
    } catch (error) {
      const classified = classify(error, `delete ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`);
      if (classified.failure !== 'not-found') throw classified;
    }
  }

  /** The API server's readiness endpoint and how long it took to answer. */
  async readyz(timeoutMs = this.#timeoutMs): Promise<{ ok: boolean; latencyMs: number }> {
    const started = performance.now();
    try {
      const ok = await new Health(this.kubeConfig).readyz({ signal: AbortSignal.timeout(timeoutMs) });
      return { ok, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      const e = error as { name?: string; cause?: unknown };
      throw classify(e.name === 'AbortError' || e.name === 'TimeoutError' ? error : (e.cause ?? error), 'readyz');
    }
  }

  async nodes(timeoutMs = this.#timeoutMs): Promise<{ ready: number; total: number; notReady: string[] }> {
    try {
      // Typed APIs honour per-call middleware; appended, this deadline replaces the default one.
      const list = await this.#core.listNode({}, { middleware: [deadline(timeoutMs)], middlewareMergeStrategy: 'append' });
      const notReady = list.items
        .filter((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True')
        .map((n) => n.metadata?.name ?? '?');
      return { ready: list.items.length - notReady.length, total: list.items.length, notReady };
    } catch (error) {
      throw classify(error, 'list nodes');
    }
  }

  /** The last `tailLines` lines of a container's log, with timestamps. */
  async podLog(namespace: string, pod: string, container: string, tailLines: number): Promise<string> {
    try {
      return await this.#core.readNamespacedPodLog({ name: pod, namespace, container, tailLines, timestamps: true });
    } catch (error) {
      throw classify(error, `log ${namespace}/${pod}`);
    }
  }

  /** Follows a container's log; lines arrive on `onLine` until the returned controller aborts. */
  /**
   * Follows a pod's log. Not client-node's `Log`: in 2.0.1 it pipes the response body without an
   * error listener (aborting a follow is an uncaught exception) and never reports the end. The
   * request is built from the same kubeconfig (`applyToHTTPSOptions`: server CA, client
   * certificates, bearer token) and read line by line; `onEnd` is called exactly once.
   */
  async followPodLog(
    namespace: string,
    pod: string,
    container: string,
    options: { tailLines?: number; sinceSeconds?: number; sinceTime?: string },
    onLine: (line: string) => void,
    onEnd: (error: unknown) => void,
  ): Promise<AbortController> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new KubeError('rejected', 'the kubeconfig has no current cluster', null);
    const url = new URL(`${cluster.server.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`);
    url.searchParams.set('container', container);
    url.searchParams.set('follow', 'true');
    url.searchParams.set('timestamps', 'true');
    if (options.tailLines !== undefined) url.searchParams.set('tailLines', String(options.tailLines));
    if (options.sinceSeconds !== undefined) url.searchParams.set('sinceSeconds', String(options.sinceSeconds));
    if (options.sinceTime !== undefined) url.searchParams.set('sinceTime', options.sinceTime);
    const requestOptions: https.RequestOptions = { method: 'GET', headers: {} };
    await this.kubeConfig.applyToHTTPSOptions(requestOptions);
    const controller = new AbortController();
    let ended = false;
    let started = false;
    const end = (error: unknown) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<AbortController>((resolve, reject) => {
      const request = client.request(url, { ...requestOptions, signal: controller.signal }, (response) => {
        if (response.statusCode !== 200) {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => {
            let message = `HTTP ${response.statusCode}`;
            try {
              message = (JSON.parse(body) as { message?: string }).message ?? message;
            } catch {
              // not a Status body
            }
            reject(classify(Object.assign(new Error(message), { code: response.statusCode }), `follow log ${namespace}/${pod}`));
          });
          response.on('error', () => {});
          return;
        }
        started = true;
        resolve(controller);
        let buffered = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            onLine(buffered.slice(0, newline));
            buffered = buffered.slice(newline + 1);
            newline = buffered.indexOf('\n');
          }
        });
        response.on('end', () => {
          if (buffered) onLine(buffered);
          end(null);
        });
        response.on('error', (error) => end(controller.signal.aborted ? null : error));
        response.on('close', () => end(null));
      });
      request.on('error', (error) => {
        // Before the response: the follow never started (the caller gets the error). After: it ended.
        if (!started) reject(classify(error, `follow log ${namespace}/${pod}`));
        else end(controller.signal.aborted ? null : error);
      });
      request.end();
    });
  }
}
