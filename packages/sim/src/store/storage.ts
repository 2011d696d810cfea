// The apiserver's verbs over the store (kube-sim-spec §6–§7): create, update, patch (four content
// types), server-side apply, delete with finalizers/propagation/grace, list with selectors and
// paging. HTTP handlers and simulated controllers both write through here, so resourceVersions,
// generation, managedFields and watch events stay consistent whoever writes.

import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  gone,
  invalid,
  notFound,
  unsupportedMediaType,
  type StatusCause,
} from '../api/errors.ts';
import { apiVersionOf, type Registry, type ResourceType } from '../api/registry.ts';
import { clone, deepEqual, isObject, obj, text, type JsonObject } from '../util/json.ts';
import { randomSuffix, uid } from '../util/names.ts';
import { rfc3339 } from '../util/time.ts';
import type { Allocators } from './allocators.ts';
import {
  encodeManagedFields,
  parseManagedFields,
  recordUpdate,
  serverSideApply,
  type Scope,
} from './managed-fields.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';
import { applySchemaDefaults, builtinSchema, crdSchema, type SchemaNode } from './schema.ts';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type FieldRequirement,
  type LabelSelector,
} from './selectors.ts';
import type { KubeObject, Store } from './store.ts';
import { strategyFor, validateName, type ClusterServices, type WriteContext } from './strategies.ts';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type PatchType = (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES];

export interface WriteOptions {
  /** Field manager; defaults to the User-Agent's product name, as the apiserver does. */
  fieldManager?: string;
  userAgent?: string;
  dryRun?: boolean;
  /** Written by a simulated controller. */
  internal?: boolean;
  subresource?: 'status';
  /** Served version the client used (managedFields apiVersion, response conversion). */
  version?: string;
  /** Collects `Warning` response headers. */
  warnings?: string[];
}

export interface PatchOptions extends WriteOptions {
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  object: KubeObject;
  /** True when the object is gone; false when finalizers or grace keep it (terminating). */
  removed: boolean;
}

export interface ListOptions {
  labelSelector?: string | LabelSelector;
  fieldSelector?: string | FieldRequirement[];
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

const MAX_ANNOTATIONS_BYTES = 262_144;

export class ApiStorage implements ClusterServices {
  readonly store: Store;
  readonly registry: Registry;
  readonly allocators: Allocators;
  readonly #now: () => number;

  constructor(store: Store, registry: Registry, allocators: Allocators, now: () => number = Date.now) {
    this.store = store;
    this.registry = registry;
    this.allocators = allocators;
    this.#now = now;
  }

  now(): number {
    return this.#now();
  }

  // ---------------------------------------------------------------- reads

  get(rt: ResourceType, namespace: string, name: string): KubeObject {
    const o = this.store.get(rt, rt.namespaced ? namespace : '', name);
    if (!o) throw notFound(rt.resource, rt.group, name);
    return o;
  }

  find(rt: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.store.get(rt, rt.namespaced ? namespace : '', name);
  }

  list(rt: ResourceType, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const labels = typeof options.labelSelector === 'string' || options.labelSelector === undefined ? parseLabelSelector(options.labelSelector) : options.labelSelector;
    const fields =
      typeof options.fieldSelector === 'string' || options.fieldSelector === undefined
        ? parseFieldSelector(options.fieldSelector, rt.kind, rt.builtin)
        : options.fieldSelector;
    const currentRv = this.store.resourceVersion;
    if (options.resourceVersionMatch === 'Exact' && options.resourceVersion && Number(options.resourceVersion) !== currentRv) {
      throw gone(`too old resource version: ${options.resourceVersion} (${currentRv})`);
    }
    // A name-only field selector is answered from the index, as kubectl's wait/delete use it.
    const nameReq = fields.find((f) => f.field === 'metadata.name' && f.op === 'eq');
    let candidates: KubeObject[];
    if (nameReq && (namespace !== undefined || !rt.namespaced)) {
      const o = this.store.get(rt, rt.namespaced ? (namespace ?? '') : '', nameReq.value);
      candidates = o ? [o] : [];
    } else {
      candidates = this.store.list(rt, rt.namespaced ? namespace : undefined);
    }
    let start = 0;
    let listRv = String(currentRv);
    if (options.continue) {
      const token = decodeContinue(options.continue);
      listRv = token.rv;
      start = lowerBound(candidates, token.key);
    }
    const items: KubeObject[] = [];
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    let i = start;
    for (; i < candidates.length && items.length < limit; i++) {
      const o = candidates[i] as KubeObject;
      if (labels.length > 0 && !matchesLabels(labels, o.metadata.labels)) continue;
      if (fields.length > 0 && !matchesFields(fields, o)) continue;
      items.push(o);
    }
    const result: ListResult = { items, resourceVersion: listRv };
    if (i < candidates.length && items.length >= limit) {
      let remaining = 0;
      for (let j = i; j < candidates.length; j++) {
        const o = candidates[j] as KubeObject;
        if ((labels.length === 0 || matchesLabels(labels, o.metadata.labels)) && (fields.length === 0 || matchesFields(fields, o))) remaining++;
      }
      if (remaining > 0) {
        const last = items[items.length - 1] as KubeObject;
        result.continue = encodeContinue(listRv, sortKey(last));
        result.remainingItemCount = remaining;
      }
    }
    return result;
  }

  // ---------------------------------------------------------------- create

  create(rt: ResourceType, namespace: string, body: unknown, options: WriteOptions = {}): KubeObject {
    const ctx = this.#ctx(options);
    const next = this.#prepareBody(rt, namespace, body, options);
    const meta = obj(next.metadata);
    if (!meta.name) {
      if (typeof meta.generateName === 'string' && meta.generateName !== '') {
        ctx.requestName = meta.generateName;
        meta.name = `${meta.generateName}${randomSuffix()}`;
      } else {
        throw invalid(rt.kind, rt.group, '', [{ type: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
      }
    }
    const name = String(meta.name);
    const ns = rt.namespaced ? String(meta.namespace) : '';
    if (this.store.get(rt, ns, name)) throw alreadyExists(rt.resource, rt.group, name);
    if (rt.namespaced) this.#checkNamespaceWritable(rt, ns, name);
    return this.#createPrepared(rt, next, options, ctx, undefined);
  }

  #createPrepared(rt: ResourceType, next: JsonObject, options: WriteOptions, ctx: WriteContext, managedOverride: unknown[] | undefined): KubeObject {
    const meta = obj(next.metadata);
    const name = String(meta.name);
    // Server-set metadata.
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink']) delete meta[k];
    if (rt.status) delete next.status;
    const strategy = strategyFor(rt);
    strategy.defaults?.(next, ctx);
    this.#schemaDefaults(rt, next);
    strategy.prepareForCreate?.(next, ctx);
    const causes = [...validateName(rt, name), ...this.#validateMeta(next), ...(strategy.validate?.(next, undefined, ctx) ?? [])];
    if (causes.length > 0) throw invalid(rt.kind, rt.group, name, causes);
    strategy.admit?.(next, undefined, rt, ctx);
    const nowIso = rfc3339(ctx.now);
    meta.uid = uid();
    meta.creationTimestamp = nowIso;
    if (rt.tracksGeneration) meta.generation = 1;
    const version = options.version ?? rt.storageVersion;
    if (managedOverride) {
      meta.managedFields = managedOverride;
    } else if (!options.internal || options.fieldManager) {
      const provided = meta.managedFields;
      if (Array.isArray(provided) && provided.length > 0 && !(provided.length === 1 && Object.keys(obj(provided[0])).length === 0)) {
        meta.managedFields = provided;
      } else {
        meta.managedFields = recordUpdate(
          {
            before: undefined,
            after: next,
            root: this.schemaFor(rt),
            manager: this.#manager(options),
            apiVersion: apiVersionOf(rt.group, version),
            subresource: undefined,
            scope: rt.status ? 'main' : 'all',
            now: nowIso,
          },
          [],
        );
      }
    }
    if (Array.isArray(meta.managedFields) && meta.managedFields.length === 0) delete meta.managedFields;
    next.metadata = orderMeta(meta);
    const object = next as KubeObject;
    if (ctx.dryRun) return object;
    return this.store.commit(rt, 'ADDED', object, undefined);
  }

  // ---------------------------------------------------------------- update

  update(rt: ResourceType, namespace: string, name: string, body: unknown, options: WriteOptions = {}): KubeObject {
    const ctx = this.#ctx(options);
    const existing = this.get(rt, namespace, name);
    const next = this.#prepareBody(rt, namespace, body, options);
    const meta = obj(next.metadata);
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${text(meta.name)}) does not match the name on the URL (${name})`);
    }
    meta.name = name;
    const rv = meta.resourceVersion;
    if (rv === undefined || rv === '') {
      if (!rt.builtin) {
        throw invalid(rt.kind, rt.group, name, [{ type: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
      }
    } else if (rv !== existing.metadata.resourceVersion) {
      throw conflict(rt.resource, rt.group, name);
    }
    return this.#updatePrepared(rt, existing, next, options, ctx, undefined, true);
  }

  #updatePrepared(
    rt: ResourceType,
    existing: KubeObject,
    incoming: JsonObject,
    options: WriteOptions,
    ctx: WriteContext,
    managedOverride: unknown[] | undefined,
    fresh = false,
  ): KubeObject {
    const name = existing.metadata.name;
    const sub = options.subresource;
    let next: JsonObject;
    if (sub === 'status') {
      // Only .status changes: everything else is shared with the (immutable) stored object.
      next = { ...existing, metadata: { ...existing.metadata }, status: clone(incoming.status) };
      if (incoming.status === undefined) delete next.status;
      const inMeta = obj(incoming.metadata);
      if (managedOverride === undefined && Array.isArray(inMeta.managedFields) && !deepEqual(inMeta.managedFields, existing.metadata.managedFields)) {
        obj(next.metadata).managedFields = inMeta.managedFields;
      }
    } else {
      // Patch results share unchanged subtrees with the stored object, which must never change;
      // `fresh` bodies (already copies) are used as they are.
      next = fresh ? incoming : clone(incoming);
      if (rt.status) {
        if (existing.status === undefined) delete next.status;
        else next.status = existing.status;
      }
    }
    const meta = obj(next.metadata);
    const oldMeta = existing.metadata;
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
      if (oldMeta[k] === undefined) delete meta[k];
      else meta[k] = oldMeta[k];
    }
    if (rt.namespaced) meta.namespace = oldMeta.namespace;
    else delete meta.namespace;
    meta.resourceVersion = oldMeta.resourceVersion;

    const strategy = strategyFor(rt);
    const main = sub !== 'status';
    if (main) {
      strategy.defaults?.(next, ctx);
      this.#schemaDefaults(rt, next);
      strategy.prepareForUpdate?.(next, existing, ctx);
    }
    const causes = main ? [...this.#validateMeta(next), ...(strategy.validate?.(next, existing, ctx) ?? [])] : [];
    if (oldMeta.deletionTimestamp) {
      const before = new Set((oldMeta.finalizers as string[] | undefined) ?? []);
      const added = ((meta.finalizers as string[] | undefined) ?? []).filter((f) => !before.has(f));
      if (added.length > 0) {
        causes.push({
          type: 'FieldValueForbidden',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          field: 'metadata.finalizers',
        });
      }
    }
    if (causes.length > 0) throw invalid(rt.kind, rt.group, name, causes);
    if (main) strategy.admit?.(next, existing, rt, ctx);

    if (rt.tracksGeneration && main && specChanged(rt, existing, next)) {
      meta.generation = (Number(oldMeta.generation) || 0) + 1;
    }
    const nowIso = rfc3339(ctx.now);
    const version = options.version ?? rt.storageVersion;
    if (managedOverride !== undefined) {
      meta.managedFields = managedOverride;
    } else {
      const provided = meta.managedFields;
      const clientReset = provided !== undefined && !deepEqual(provided, oldMeta.managedFields);
      if (clientReset) {
        const entries = Array.isArray(provided) ? provided.filter((e) => isObject(e) && Object.keys(e).length > 0) : [];
        meta.managedFields = entries;
      } else if (!options.internal || options.fieldManager) {
        const managers = parseManagedFields(oldMeta.managedFields);
        const scope: Scope = sub === 'status' ? 'status' : rt.status ? 'main' : 'all';
        meta.managedFields = recordUpdate(
          {
            before: existing,
            after: next,
            root: this.schemaFor(rt),
            manager: this.#manager(options),
            apiVersion: apiVersionOf(rt.group, version),
            subresource: sub,
            scope,
            now: nowIso,
          },
          managers,
        );
      } else {
        meta.managedFields = oldMeta.managedFields;
      }
    }
    if (meta.managedFields === undefined || (Array.isArray(meta.managedFields) && meta.managedFields.length === 0)) delete meta.managedFields;
    next.metadata = orderMeta(meta);

    if (sameIgnoringManagedTimes(existing, next)) return existing;
    const object = next as KubeObject;
    if (ctx.dryRun) return object;

    // The last finalizer removed from a terminating object: it goes away now.
    if (oldMeta.deletionTimestamp && finalizersDone(rt, object) && !finalizersDone(rt, existing)) {
      const committed = this.store.commit(rt, 'MODIFIED', object, existing);
      return this.#remove(rt, committed);
    }
    return this.store.commit(rt, 'MODIFIED', object, existing);
  }

  // ---------------------------------------------------------------- patch / apply

  patch(
    rt: ResourceType,
    namespace: string,
    name: string,
    contentType: string,
    body: unknown,
    options: PatchOptions = {},
  ): { object: KubeObject; created: boolean } {
    const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    const accepted: string[] = [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply];
    if (rt.builtin) accepted.splice(2, 0, PATCH_TYPES.strategic);
    if (!accepted.includes(type)) throw unsupportedMediaType(accepted);
    if (type === PATCH_TYPES.apply) return this.apply(rt, namespace, name, body, options);
    if (options.force) throw badRequest('force: Forbidden: may not be specified for non-apply patch');
    const ctx = this.#ctx(options);
    const existing = this.get(rt, namespace, name);
    const current = this.convert(rt, existing, options.version) as JsonObject;
    let patched: JsonObject;
    if (type === PATCH_TYPES.json) patched = applyJsonPatch(current, body);
    else if (type === PATCH_TYPES.merge) {
      if (!isObject(body)) throw badRequest('merge patch must be a JSON object');
      patched = obj(applyMergePatch(current, body));
    } else patched = applyStrategicMergePatch(current, body, this.schemaFor(rt));
    const meta = obj(patched.metadata);
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(rt.resource, rt.group, name);
    }
    if (meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    patched.apiVersion = apiVersionOf(rt.group, rt.storageVersion);
    patched.kind = rt.kind;
    return { object: this.#updatePrepared(rt, existing, patched, options, ctx, undefined), created: false };
  }

  apply(rt: ResourceType, namespace: string, name: string, body: unknown, options: PatchOptions = {}): { object: KubeObject; created: boolean } {
    if (!options.fieldManager) {
      throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        kind: 'PatchOptions',
        group: 'meta.k8s.io',
        causes: [{ type: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      });
    }
    if (!isObject(body)) throw badRequest('error decoding YAML: the apply configuration must be an object');
    const applied = clone(body);
    if (typeof applied.apiVersion !== 'string' || applied.apiVersion === '') throw badRequest("error decoding YAML: Object 'apiVersion' is missing");
    if (typeof applied.kind !== 'string' || applied.kind === '') throw badRequest("error decoding YAML: Object 'Kind' is missing");
    if (applied.kind !== rt.kind) throw badRequest(`the kind of the object (${applied.kind}) does not match the kind on the URL (${rt.kind})`);
    const meta = obj(applied.metadata);
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${text(meta.name)}) does not match the name on the URL (${name})`);
    }
    meta.name = name;
    applied.metadata = meta;
    if (rt.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else delete meta.namespace;
    defaultListKeys(applied);
    const version = options.version ?? rt.storageVersion;
    const ctx = this.#ctx(options);
    const existing = this.store.get(rt, rt.namespaced ? namespace : '', name);
    const sub = options.subresource;
    const scope: Scope = sub === 'status' ? 'status' : rt.status ? 'main' : 'all';
    const root = this.schemaFor(rt);
    const nowIso = rfc3339(ctx.now);
    if (!existing) {
      if (sub === 'status') throw notFound(rt.resource, rt.group, name);
      if (rt.namespaced) this.#checkNamespaceWritable(rt, namespace, name);
      const merged = serverSideApply({
        live: undefined,
        applied,
        root,
        manager: options.fieldManager,
        apiVersion: apiVersionOf(rt.group, version),
        force: options.force === true,
        subresource: undefined,
        scope,
        now: nowIso,
      });
      const managed = obj(merged.metadata).managedFields as unknown[];
      merged.apiVersion = apiVersionOf(rt.group, rt.storageVersion);
      return { object: this.#createPrepared(rt, merged, options, ctx, managed), created: true };
    }
    const live = this.convert(rt, existing, version) as JsonObject;
    const merged = serverSideApply({
      live,
      applied,
      root,
      manager: options.fieldManager,
      apiVersion: apiVersionOf(rt.group, version),
      force: options.force === true,
      subresource: sub,
      scope,
      now: nowIso,
    });
    const managed = obj(merged.metadata).managedFields as unknown[];
    merged.apiVersion = apiVersionOf(rt.group, rt.storageVersion);
    return { object: this.#updatePrepared(rt, existing, merged, options, ctx, managed), created: false };
  }

  // ---------------------------------------------------------------- delete

  delete(rt: ResourceType, namespace: string, name: string, options: DeleteOptions = {}, writeOptions: WriteOptions = {}): DeleteResult {
    const existing = this.get(rt, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${rt.group ? `${rt.resource}.${rt.group}` : rt.resource} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`, {
        name,
        group: rt.group,
        kind: rt.resource,
      });
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${rt.group ? `${rt.resource}.${rt.group}` : rt.resource} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`, {
        name,
        group: rt.group,
        kind: rt.resource,
      });
    }
    const dryRun = options.dryRun === true || writeOptions.dryRun === true;
    const now = this.#now();
    const meta = existing.metadata;
    const finalizers = [...((meta.finalizers as string[] | undefined) ?? [])];
    const isPod = rt.key === '/pods';
    const grace = isPod ? (options.gracePeriodSeconds ?? (Number(obj(existing.spec).terminationGracePeriodSeconds) || 30)) : 0;

    if (meta.deletionTimestamp) {
      // Already terminating: a forced pod delete (grace 0) removes it; otherwise nothing changes.
      if (isPod && options.gracePeriodSeconds === 0 && finalizers.length === 0 && !dryRun) {
        return { object: this.#remove(rt, existing), removed: true };
      }
      return { object: existing, removed: false };
    }
    if (options.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion') && this.store.dependents(meta.uid).length > 0) {
      finalizers.push('foregroundDeletion');
    }
    if (options.propagationPolicy === 'Orphan' && !finalizers.includes('orphan') && this.store.dependents(meta.uid).length > 0) finalizers.push('orphan');

    const isNamespace = rt.key === '/namespaces';
    const podGraceful = isPod && grace > 0 && typeof obj(existing.spec).nodeName === 'string' && !isTerminalPod(existing);
    if (finalizers.length > 0 || isNamespace || podGraceful) {
      const nextMeta: JsonObject = { ...meta };
      const deletionMs = podGraceful ? now + grace * 1000 : now;
      nextMeta.deletionTimestamp = rfc3339(deletionMs);
      nextMeta.deletionGracePeriodSeconds = podGraceful ? grace : 0;
      if (finalizers.length > 0) nextMeta.finalizers = finalizers;
      if (rt.tracksGeneration) nextMeta.generation = (Number(meta.generation) || 0) + 1;
      const next: JsonObject = { ...existing, metadata: orderMeta(nextMeta) };
      if (isNamespace) next.status = { ...obj(existing.status), phase: 'Terminating' };
      if (dryRun) return { object: next as KubeObject, removed: false };
      const committed = this.store.commit(rt, 'MODIFIED', next as KubeObject, existing);
      if (isNamespace && finalizersDone(rt, committed)) return { object: this.#remove(rt, committed), removed: true };
      return { object: committed, removed: false };
    }
    if (dryRun) return { object: existing, removed: true };
    return { object: this.#remove(rt, existing), removed: true };
  }

  /** Removes an object for good (DELETED event), releasing what its strategy allocated. */
  #remove(rt: ResourceType, existing: KubeObject): KubeObject {
    const gone = this.store.commit(rt, 'DELETED', existing, existing);
    strategyFor(rt).released?.(gone, this);
    return gone;
  }

  deleteCollection(rt: ResourceType, namespace: string | undefined, listOptions: ListOptions, options: DeleteOptions = {}): KubeObject[] {
    const { items } = this.list(rt, namespace, { ...listOptions, limit: 0, continue: '' });
    const out: KubeObject[] = [];
    for (const o of items) {
      try {
        out.push(this.delete(rt, o.metadata.namespace ?? '', o.metadata.name, options).object);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- helpers for controllers

  /** Applies `mutate` to a copy of the current object and writes it back (no-op when unchanged). */
  mutate(
    rt: ResourceType,
    namespace: string,
    name: string,
    mutate: (draft: KubeObject) => void,
    options: WriteOptions = {},
  ): KubeObject | undefined {
    const existing = this.find(rt, namespace, name);
    if (!existing) return undefined;
    const draft = clone(existing);
    mutate(draft);
    if (deepEqual(draft, existing)) return existing;
    const ctx = this.#ctx({ internal: true, ...options });
    return this.#updatePrepared(rt, existing, draft, { internal: true, ...options }, ctx, undefined, true);
  }

  /** Replaces `.status` through the status subresource when the type has one. */
  writeStatus(rt: ResourceType, namespace: string, name: string, status: unknown, options: WriteOptions = {}): KubeObject | undefined {
    const existing = this.find(rt, namespace, name);
    if (!existing) return undefined;
    if (deepEqual(existing.status, status)) return existing;
    const ctx = this.#ctx({ internal: true, ...options });
    const next: JsonObject = { ...existing, status: clone(status) };
    return this.#updatePrepared(rt, existing, next, { internal: true, ...options, ...(rt.status ? { subresource: 'status' as const } : {}) }, ctx, undefined);
  }

  /** Converts a stored object to a served version (CRDs store one version; conversion None). */
  convert(rt: ResourceType, o: KubeObject, version: string | undefined): KubeObject {
    const v = version ?? rt.versions[0] ?? rt.storageVersion;
    const apiVersion = apiVersionOf(rt.group, v);
    return o.apiVersion === apiVersion ? o : { ...o, apiVersion };
  }

  schemaFor(rt: ResourceType): SchemaNode {
    if (rt.builtin) return builtinSchema(rt.kind);
    return crdSchema(rt.schemas?.[rt.storageVersion] ?? rt.schemas?.[rt.versions[0] ?? '']);
  }

  // ---------------------------------------------------------------- internals

  #ctx(options: WriteOptions): WriteContext & { requestName?: string } {
    return {
      now: this.#now(),
      internal: options.internal === true,
      warnings: options.warnings ?? [],
      services: this,
      dryRun: options.dryRun === true,
    };
  }

  #manager(options: WriteOptions): string {
    if (options.fieldManager) return options.fieldManager;
    const ua = options.userAgent ?? '';
    const product = ua.split('/')[0]?.trim();
    return product ? product : 'unknown';
  }

  #prepareBody(rt: ResourceType, namespace: string, body: unknown, options: WriteOptions): JsonObject {
    if (!isObject(body)) throw badRequest('the request body must be a JSON object');
    const next = clone(body);
    const version = options.version ?? rt.versions[0] ?? rt.storageVersion;
    const expected = apiVersionOf(rt.group, version);
    if (next.apiVersion !== undefined && next.apiVersion !== expected && !rt.versions.some((v) => apiVersionOf(rt.group, v) === next.apiVersion)) {
      throw badRequest(`the API version in the data (${text(next.apiVersion)}) does not match the expected API version (${expected})`);
    }
    if (next.kind !== undefined && next.kind !== rt.kind) {
      throw badRequest(`the kind in the data (${text(next.kind)}) does not match the expected kind (${rt.kind})`);
    }
    next.apiVersion = apiVersionOf(rt.group, rt.storageVersion);
    next.kind = rt.kind;
    const meta = obj(next.metadata);
    next.metadata = meta;
    if (rt.namespaced) {
      if (meta.namespace === undefined || meta.namespace === '') meta.namespace = namespace;
      else if (meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
    } else delete meta.namespace;
    // Reorder so apiVersion/kind/metadata come first, as the apiserver serializes.
    const { apiVersion, kind, metadata, ...rest } = next;
    return { apiVersion, kind, metadata, ...rest };
  }

  #checkNamespaceWritable(rt: ResourceType, namespace: string, name: string): void {
    const nsRt = this.registry.get('/namespaces') as ResourceType;
    const nsObj = this.store.get(nsRt, '', namespace);
    if (!nsObj) throw notFound('namespaces', '', namespace);
    if (nsObj.metadata.deletionTimestamp) {
      throw forbidden(rt.resource, rt.group, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  #validateMeta(o: JsonObject): StatusCause[] {
    const ann = obj(obj(o.metadata).annotations);
    let size = 0;
    for (const [k, v] of Object.entries(ann)) size += k.length + String(v).length;
    if (size > MAX_ANNOTATIONS_BYTES) {
      return [{ type: 'FieldValueTooLong', message: `Too long: may not be more than ${MAX_ANNOTATIONS_BYTES} bytes`, field: 'metadata.annotations' }];
    }
    return [];
  }

  #schemaDefaults(rt: ResourceType, o: JsonObject): void {
    if (rt.builtin) return;
    const schema = rt.schemas?.[rt.storageVersion];
    if (schema) applySchemaDefaults(o, schema);
  }
}

// ---------------------------------------------------------------- pure helpers

function specChanged(rt: ResourceType, before: KubeObject, after: JsonObject): boolean {
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    if (k === 'status' && rt.status) continue;
    if (!deepEqual(before[k], after[k])) return true;
  }
  return false;
}

function finalizersDone(rt: ResourceType, o: KubeObject): boolean {
  const metaFin = o.metadata.finalizers;
  if (Array.isArray(metaFin) && metaFin.length > 0) return false;
  if (rt.key === '/namespaces') {
    const specFin = obj(o.spec).finalizers;
    if (Array.isArray(specFin) && specFin.length > 0) return false;
  }
  return true;
}

function isTerminalPod(o: KubeObject): boolean {
  const phase = obj(o.status).phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function stripManagedTimes(o: JsonObject): JsonObject {
  const meta = obj(o.metadata);
  const mf = meta.managedFields;
  const rest: JsonObject = { ...meta };
  delete rest.resourceVersion;
  if (Array.isArray(mf)) rest.managedFields = mf.map((e) => ({ ...obj(e), time: undefined }));
  return { ...o, metadata: rest };
}

function sameIgnoringManagedTimes(a: KubeObject, b: JsonObject): boolean {
  return deepEqual(stripManagedTimes(a), stripManagedTimes(b));
}

const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

function orderMeta(meta: JsonObject): JsonObject & { name: string; uid: string; resourceVersion: string } {
  const out: JsonObject = {};
  for (const k of META_ORDER) if (meta[k] !== undefined) out[k] = meta[k];
  for (const [k, v] of Object.entries(meta)) if (out[k] === undefined && v !== undefined) out[k] = v;
  return out as JsonObject & { name: string; uid: string; resourceVersion: string };
}

/** Key fields that built-in defaulting fills, filled in applied configurations so list keys match. */
function defaultListKeys(o: unknown): void {
  if (Array.isArray(o)) {
    for (const v of o) defaultListKeys(v);
    return;
  }
  if (!isObject(o)) return;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'ports' && Array.isArray(v)) {
      for (const p of v) if (isObject(p) && (typeof p.containerPort === 'number' || typeof p.port === 'number') && p.protocol === undefined) p.protocol = 'TCP';
    }
    defaultListKeys(v);
  }
}

function sortKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}\u0000${o.metadata.name}`;
}

function lowerBound(items: KubeObject[], key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortKey(items[mid] as KubeObject) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function encodeContinue(rv: string, key: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: key }), 'utf8').toString('base64url');
}

function decodeContinue(token: string): { rv: string; key: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (isObject(parsed) && typeof parsed.rv === 'string' && typeof parsed.start === 'string') return { rv: parsed.rv, key: parsed.start };
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

export { encodeManagedFields };
