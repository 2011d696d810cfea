// The storage layer: objects per resource type and namespace, one global resourceVersion counter,
// a bounded per-resource event history for watches that resume from a resourceVersion, and indexes
// by uid and by owner uid (garbage collection). Stored objects are never mutated; each write stores
// a new object. Everything here is synchronous.

import type { ResourceType } from '../api/registry.ts';
import { isObject, type JsonObject } from '../util/json.ts';

export interface ObjectMeta extends JsonObject {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
}

export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  readonly rt: ResourceType;
  readonly object: KubeObject;
  readonly old: KubeObject | undefined;
  readonly rv: number;
  /** Serialized watch frames per apiVersion, built on first use and shared by every watcher. */
  frames?: Map<string, string>;
}

export interface StoreWatcher {
  readonly namespace: string | undefined;
  match(object: KubeObject): boolean;
  deliver(type: EventType, object: KubeObject, event: StoreEvent): void;
}

export interface ObjectRef {
  rt: ResourceType;
  namespace: string;
  name: string;
}

class Bucket {
  readonly objects = new Map<string, Map<string, KubeObject>>();
  size = 0;
  history: StoreEvent[] = [];
  /** Events with rv <= compactedRv may be missing from `history`. */
  compactedRv: number;
  readonly watchers = new Set<StoreWatcher>();
  rt: ResourceType;

  constructor(rt: ResourceType, compactedRv: number) {
    this.rt = rt;
    this.compactedRv = compactedRv;
  }
}

export interface StoreOptions {
  /** Events kept per resource type for watches resuming from a resourceVersion. */
  historySize?: number;
  /** Deep-freeze stored objects, so any accidental mutation throws (tests). */
  freeze?: boolean;
}

function deepFreeze(o: unknown): void {
  if (typeof o !== 'object' || o === null || Object.isFrozen(o)) return;
  Object.freeze(o);
  for (const v of Object.values(o)) deepFreeze(v);
}

export class Store {
  #rv = 0;
  #startRv = 0;
  readonly #buckets = new Map<string, Bucket>();
  readonly #byUid = new Map<string, { key: string; namespace: string; name: string }>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #listeners = new Set<(e: StoreEvent) => void>();
  readonly #historySize: number;
  readonly #freeze: boolean;

  constructor(options: StoreOptions = {}) {
    this.#historySize = options.historySize ?? 10_000;
    this.#freeze = options.freeze === true;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  #bucket(rt: ResourceType): Bucket {
    let b = this.#buckets.get(rt.key);
    if (!b) {
      b = new Bucket(rt, this.#startRv);
      this.#buckets.set(rt.key, b);
    } else if (b.rt !== rt) {
      b.rt = rt;
    }
    return b;
  }

  get(rt: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.#buckets.get(rt.key)?.objects.get(namespace)?.get(name);
  }

  /** Objects of a type, optionally in one namespace, sorted by namespace then name. */
  list(rt: ResourceType, namespace?: string): KubeObject[] {
    const b = this.#buckets.get(rt.key);
    if (!b) return [];
    if (namespace !== undefined) {
      const m = b.objects.get(namespace);
      if (!m) return [];
      return [...m.keys()].sort().map((n) => m.get(n) as KubeObject);
    }
    const out: KubeObject[] = [];
    for (const ns of [...b.objects.keys()].sort()) {
      const m = b.objects.get(ns) as Map<string, KubeObject>;
      for (const n of [...m.keys()].sort()) out.push(m.get(n) as KubeObject);
    }
    return out;
  }

  /** Unsorted iteration, for controllers that do not care about order. */
  *iterate(rt: ResourceType, namespace?: string): Generator<KubeObject> {
    const b = this.#buckets.get(rt.key);
    if (!b) return;
    if (namespace !== undefined) {
      const m = b.objects.get(namespace);
      if (m) yield* m.values();
      return;
    }
    for (const m of b.objects.values()) yield* m.values();
  }

  count(rt: ResourceType, namespace?: string): number {
    const b = this.#buckets.get(rt.key);
    if (!b) return 0;
    return namespace === undefined ? b.size : (b.objects.get(namespace)?.size ?? 0);
  }

  namespacesWith(rt: ResourceType): string[] {
    const b = this.#buckets.get(rt.key);
    return b ? [...b.objects.keys()] : [];
  }

  byUid(uid: string): { key: string; namespace: string; name: string } | undefined {
    return this.#byUid.get(uid);
  }

  /** Keys (`rt.key|namespace|name`) of objects that list `ownerUid` in their ownerReferences. */
  dependents(ownerUid: string): string[] {
    const s = this.#byOwner.get(ownerUid);
    return s ? [...s] : [];
  }

  /**
   * Stores a new version of an object (or removes it for DELETED), assigning the next
   * resourceVersion. `object` must be a fresh object the caller will not mutate afterwards.
   */
  commit(rt: ResourceType, type: EventType, object: KubeObject, old: KubeObject | undefined): KubeObject {
    const rv = ++this.#rv;
    const stored: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    if (this.#freeze) deepFreeze(stored);
    const b = this.#bucket(rt);
    const ns = stored.metadata.namespace ?? '';
    const name = stored.metadata.name;
    const refKey = `${rt.key}|${ns}|${name}`;
    if (old) this.#unindexOwners(old, refKey);
    if (type === 'DELETED') {
      const m = b.objects.get(ns);
      if (m?.delete(name)) b.size--;
      if (m && m.size === 0) b.objects.delete(ns);
      this.#byUid.delete(stored.metadata.uid);
    } else {
      let m = b.objects.get(ns);
      if (!m) b.objects.set(ns, (m = new Map()));
      if (!m.has(name)) b.size++;
      m.set(name, stored);
      this.#byUid.set(stored.metadata.uid, { key: rt.key, namespace: ns, name });
      this.#indexOwners(stored, refKey);
    }
    const event: StoreEvent = { type, rt, object: stored, old, rv };
    b.history.push(event);
    if (b.history.length > this.#historySize * 1.25) {
      const drop = b.history.length - this.#historySize;
      b.compactedRv = (b.history[drop - 1] as StoreEvent).rv;
      b.history = b.history.slice(drop);
    }
    for (const w of b.watchers) dispatch(w, event);
    // Serialized frames are shared by the watchers of this event only; history keeps the object.
    event.frames = undefined;
    for (const l of this.#listeners) l(event);
    return stored;
  }

  #indexOwners(o: KubeObject, refKey: string): void {
    const refs = o.metadata.ownerReferences;
    if (!Array.isArray(refs)) return;
    for (const r of refs) {
      if (!isObject(r) || typeof r.uid !== 'string') continue;
      let s = this.#byOwner.get(r.uid);
      if (!s) this.#byOwner.set(r.uid, (s = new Set()));
      s.add(refKey);
    }
  }

  #unindexOwners(o: KubeObject, refKey: string): void {
    const refs = o.metadata.ownerReferences;
    if (!Array.isArray(refs)) return;
    for (const r of refs) {
      if (!isObject(r) || typeof r.uid !== 'string') continue;
      const s = this.#byOwner.get(r.uid);
      if (!s) continue;
      s.delete(refKey);
      if (s.size === 0) this.#byOwner.delete(r.uid);
    }
  }

  /** Listens to every committed event (controllers). */
  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Registers a watcher. With `fromRv` set, returns the events to replay (rv > fromRv), or
   * `tooOld` when that history is gone. The watcher receives live events after registration.
   */
  watch(rt: ResourceType, watcher: StoreWatcher, fromRv: number | undefined): { replay: StoreEvent[] } | { tooOld: number } {
    const b = this.#bucket(rt);
    let replay: StoreEvent[] = [];
    if (fromRv !== undefined) {
      if (fromRv < b.compactedRv) return { tooOld: b.compactedRv + 1 };
      replay = eventsAfter(b.history, fromRv);
    }
    b.watchers.add(watcher);
    return { replay };
  }

  unwatch(rt: ResourceType, watcher: StoreWatcher): void {
    this.#buckets.get(rt.key)?.watchers.delete(watcher);
  }

  /** Drops every retained event: later watches from an older resourceVersion get 410 Gone. */
  compactHistory(): void {
    this.#startRv = this.#rv;
    for (const b of this.#buckets.values()) {
      b.history = [];
      b.compactedRv = this.#rv;
    }
  }

  /** Every stored object (persistence snapshots). */
  *all(): Generator<{ rt: ResourceType; object: KubeObject }> {
    for (const b of this.#buckets.values()) {
      for (const m of b.objects.values()) for (const o of m.values()) yield { rt: b.rt, object: o };
    }
  }

  /** Restores objects from a snapshot without events; history starts empty at `rv`. */
  load(entries: { rt: ResourceType; object: KubeObject }[], rv: number): void {
    for (const { rt, object } of entries) {
      const b = this.#bucket(rt);
      const ns = object.metadata.namespace ?? '';
      let m = b.objects.get(ns);
      if (!m) b.objects.set(ns, (m = new Map()));
      if (!m.has(object.metadata.name)) b.size++;
      m.set(object.metadata.name, object);
      this.#byUid.set(object.metadata.uid, { key: rt.key, namespace: ns, name: object.metadata.name });
      this.#indexOwners(object, `${rt.key}|${ns}|${object.metadata.name}`);
    }
    this.#rv = Math.max(this.#rv, rv);
    this.compactHistory();
  }

  /** Re-points a bucket at a new ResourceType object (CRD updates) or drops it (CRD deletion). */
  retype(rt: ResourceType): void {
    this.#bucket(rt);
  }

  dropType(key: string): void {
    const b = this.#buckets.get(key);
    if (!b) return;
    for (const m of b.objects.values()) for (const o of m.values()) this.#byUid.delete(o.metadata.uid);
    this.#buckets.delete(key);
  }
}

function eventsAfter(history: StoreEvent[], rv: number): StoreEvent[] {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((history[mid] as StoreEvent).rv <= rv) lo = mid + 1;
    else hi = mid;
  }
  return history.slice(lo);
}

/** Sends an event to a watcher, turning MODIFIED into ADDED/DELETED when selector membership changes. */
export function dispatch(w: StoreWatcher, e: StoreEvent): void {
  const ns = e.object.metadata.namespace ?? '';
  if (w.namespace !== undefined && w.namespace !== ns) return;
  if (e.type === 'MODIFIED') {
    const now = w.match(e.object);
    const before = e.old ? w.match(e.old) : false;
    if (now && before) w.deliver('MODIFIED', e.object, e);
    else if (now) w.deliver('ADDED', e.object, e);
    else if (before) w.deliver('DELETED', e.object, e);
    return;
  }
  if (w.match(e.object)) w.deliver(e.type, e.object, e);
}
