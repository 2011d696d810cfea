// In-process access to a simulated cluster's objects, for the simulated world (edges route by
// HTTPRoutes, Ingresses, Services, EndpointSlices, Pods and Secrets without going through HTTP).
// Reads return the stored objects themselves: they are immutable by contract, never mutate them.
// Writes go through the same storage path as the HTTP API (resourceVersion, managedFields,
// admission, watch events).

import { ApiError, badRequest } from './api/errors.ts';
import type { Registry, ResourceType } from './api/registry.ts';
import { selectorFromMap, parseLabelSelector, matchesLabels, type LabelSelector } from './store/selectors.ts';
import type { ApiStorage, DeleteOptions } from './store/storage.ts';
import { PATCH_TYPES } from './store/storage.ts';
import type { EventType, KubeObject } from './store/store.ts';
import { splitApiVersion } from './api/registry.ts';
import { isObject, type JsonObject } from './util/json.ts';

/** `apiVersion` + `kind`, e.g. `{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' }`. */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

/** A kind plus the object's name (and namespace for namespaced kinds). */
export interface ObjectRef extends KindRef {
  name: string;
  namespace?: string;
}

export interface ListQuery {
  namespace?: string;
  /** `app=web,tier in (a,b)` or `{ app: 'web' }`. */
  labelSelector?: string | Record<string, string>;
  /** `metadata.name=x`, `spec.nodeName=n` (the apiserver's field selectors). */
  fieldSelector?: string;
}

export interface ObjectEvent {
  type: EventType;
  object: KubeObject;
  /** Previous state for MODIFIED (and DELETED) events. */
  oldObject?: KubeObject;
}

export interface WatchQuery {
  namespace?: string;
  labelSelector?: string | Record<string, string>;
  /** Deliver ADDED for existing objects first (default true). */
  initial?: boolean;
}

export interface WriteQuery {
  /** Default `satusky-sim`. */
  fieldManager?: string;
}

export interface SimObjects {
  /** The object, typed as `T` (the caller's view of the kind). */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined;
  list<T extends KubeObject = KubeObject>(kind: KindRef, query?: ListQuery): T[];
  /**
   * Calls `handler` for every change of a kind, in order, asynchronously (never inside the write
   * that caused it). Returns the function that stops the watch.
   */
  watch(kind: KindRef, handler: (event: ObjectEvent) => void, query?: WatchQuery): () => void;
  create(object: JsonObject, query?: WriteQuery): KubeObject;
  /** Server-side apply (creates when absent). */
  apply(object: JsonObject, query?: WriteQuery & { force?: boolean }): KubeObject;
  update(object: JsonObject, query?: WriteQuery): KubeObject;
  patch(ref: ObjectRef, patch: unknown, type?: 'merge' | 'json' | 'strategic', query?: WriteQuery): KubeObject;
  /** Writes `.status` (through the status subresource when the kind has one). */
  /** `status` is the new status, or a function of the current object returning it. */
  updateStatus(ref: ObjectRef, status: unknown, query?: WriteQuery): KubeObject;
  delete(ref: ObjectRef, options?: DeleteOptions): void;
  /** The registered resource type of a kind, if served. */
  resourceType(kind: KindRef): ResourceType | undefined;
}

function selector(s: string | Record<string, string> | undefined): LabelSelector {
  if (s === undefined) return [];
  return typeof s === 'string' ? parseLabelSelector(s) : selectorFromMap(s);
}

export function createSimObjects(storage: ApiStorage, registry: Registry): SimObjects {
  const resolve = (kind: KindRef): ResourceType => {
    const rt = registry.byApiVersionKind(kind.apiVersion, kind.kind);
    if (!rt) throw new ApiError(404, 'NotFound', `no matches for kind "${kind.kind}" in version "${kind.apiVersion}"`);
    return rt;
  };
  const refOf = (o: JsonObject): ObjectRef => {
    const meta = isObject(o.metadata) ? o.metadata : {};
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof meta.name !== 'string') {
      throw badRequest('objects need apiVersion, kind and metadata.name');
    }
    return { apiVersion: o.apiVersion, kind: o.kind, name: meta.name, ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}) };
  };
  const version = (kind: KindRef): string => splitApiVersion(kind.apiVersion).version;
  const ns = (rt: ResourceType, namespace: string | undefined): string => (rt.namespaced ? (namespace ?? 'default') : '');

  return {
    resourceType(kind) {
      return registry.byApiVersionKind(kind.apiVersion, kind.kind);
    },
    get<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined {
      const rt = registry.byApiVersionKind(ref.apiVersion, ref.kind);
      if (!rt) return undefined;
      const o = storage.find(rt, ns(rt, ref.namespace), ref.name);
      return o ? (storage.convert(rt, o, version(ref)) as T) : undefined;
    },
    list<T extends KubeObject = KubeObject>(kind: KindRef, query: ListQuery = {}): T[] {
      const rt = registry.byApiVersionKind(kind.apiVersion, kind.kind);
      if (!rt) return [];
      return storage
        .list(rt, rt.namespaced ? query.namespace : undefined, {
          labelSelector: selector(query.labelSelector),
          ...(query.fieldSelector ? { fieldSelector: query.fieldSelector } : {}),
        })
        .items.map((o) => storage.convert(rt, o, version(kind)) as T);
    },
    watch(kind, handler, query = {}) {
      const rt = resolve(kind);
      const sel = selector(query.labelSelector);
      const v = version(kind);
      const pending: ObjectEvent[] = [];
      let scheduled = false;
      let stopped = false;
      const flush = (): void => {
        scheduled = false;
        const batch = pending.splice(0);
        for (const e of batch) {
          if (stopped) return;
          handler(e);
        }
      };
      const push = (e: ObjectEvent): void => {
        pending.push(e);
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(flush);
        }
      };
      const watcher = {
        namespace: rt.namespaced ? query.namespace : undefined,
        match: (o: KubeObject) => sel.length === 0 || matchesLabels(sel, o.metadata.labels),
        deliver: (type: EventType, object: KubeObject, event: { old: KubeObject | undefined }) =>
          push({ type, object: storage.convert(rt, object, v), ...(event.old ? { oldObject: storage.convert(rt, event.old, v) } : {}) }),
      };
      storage.store.watch(rt, watcher, undefined);
      if (query.initial !== false) {
        for (const o of storage.store.list(rt, rt.namespaced ? query.namespace : undefined)) {
          if (watcher.match(o)) push({ type: 'ADDED', object: storage.convert(rt, o, v) });
        }
      }
      return () => {
        stopped = true;
        storage.store.unwatch(rt, watcher);
      };
    },
    create(object, query = {}) {
      const ref = refOf({ ...object, metadata: { name: '', ...(isObject(object.metadata) ? object.metadata : {}) } });
      const rt = resolve(ref);
      return storage.create(rt, ns(rt, ref.namespace), object, { fieldManager: query.fieldManager ?? 'satusky-sim', version: version(ref) });
    },
    apply(object, query = {}) {
      const ref = refOf(object);
      const rt = resolve(ref);
      return storage.apply(rt, ns(rt, ref.namespace), ref.name, object, { fieldManager: query.fieldManager ?? 'satusky-sim', force: query.force ?? false, version: version(ref) }).object;
    },
    update(object, query = {}) {
      const ref = refOf(object);
      const rt = resolve(ref);
      return storage.update(rt, ns(rt, ref.namespace), ref.name, object, { fieldManager: query.fieldManager ?? 'satusky-sim', version: version(ref) });
    },
    patch(ref, patch, type = 'merge', query = {}) {
      const rt = resolve(ref);
      const ct = type === 'json' ? PATCH_TYPES.json : type === 'strategic' ? PATCH_TYPES.strategic : PATCH_TYPES.merge;
      return storage.patch(rt, ns(rt, ref.namespace), ref.name, ct, patch, { fieldManager: query.fieldManager ?? 'satusky-sim', version: version(ref) }).object;
    },
    updateStatus(ref, status, query = {}) {
      const rt = resolve(ref);
      const current = storage.get(rt, ns(rt, ref.namespace), ref.name);
      const next = typeof status === 'function' ? (status as (c: KubeObject) => unknown)(current) : status;
      const written = storage.writeStatus(rt, ns(rt, ref.namespace), ref.name, next, { fieldManager: query.fieldManager ?? 'satusky-sim', internal: true });
      if (!written) throw new ApiError(404, 'NotFound', `${rt.resource} "${ref.name}" not found`);
      return written;
    },
    delete(ref, options = {}) {
      const rt = resolve(ref);
      storage.delete(rt, ns(rt, ref.namespace), ref.name, options);
    },
  };
}
