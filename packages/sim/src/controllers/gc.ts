// Garbage collector (kube-sim-spec §12.7, §7.7): background deletion of dependents whose owners
// are gone, foreground deletion (the `foregroundDeletion` finalizer waits for blocking
// dependents) and orphaning (the `orphan` finalizer strips ownerReferences first).

import { ApiError } from '../api/errors.ts';
import type { ResourceType } from '../api/registry.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, isObject, obj } from '../util/json.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';

export function gcController(ctx: ControllerContext): Controller {
  const resolve = (ref: string): { rt: ResourceType; object: KubeObject } | undefined => {
    const [key, ns, name] = ref.split('|');
    const rt = ctx.registry.get(key ?? '');
    if (!rt) return undefined;
    const object = ctx.store.get(rt, ns ?? '', name ?? '');
    return object ? { rt, object } : undefined;
  };
  const ownerExists = (uid: string): boolean => ctx.store.byUid(uid) !== undefined;

  return {
    name: 'garbage-collector',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.type === 'DELETED') {
        if (ctx.store.dependents(e.object.metadata.uid).length > 0) queue.add(`gone:${e.object.metadata.uid}`);
        // A dependent went away: its terminating owners may now finish foreground deletion.
        for (const r of arr(e.object.metadata.ownerReferences).filter(isObject)) queue.add(`owner:${String(r.uid)}`);
        return;
      }
      const fin = arr(e.object.metadata.finalizers);
      if (e.object.metadata.deletionTimestamp && (fin.includes('foregroundDeletion') || fin.includes('orphan'))) queue.add(`owner:${e.object.metadata.uid}`);
      if (e.object.metadata.deletionTimestamp) {
        for (const r of arr(e.object.metadata.ownerReferences).filter(isObject)) queue.add(`owner:${String(r.uid)}`);
      }
    },
    resync(queue) {
      // Dependents whose owners vanished while the controllers were stopped.
      for (const rt of ctx.registry.all()) {
        if (rt.virtual) continue;
        for (const o of ctx.store.iterate(rt)) {
          for (const r of arr(o.metadata.ownerReferences).filter(isObject)) {
            if (typeof r.uid === 'string' && !ownerExists(r.uid)) queue.add(`gone:${r.uid}`);
          }
          const fin = arr(o.metadata.finalizers);
          if (o.metadata.deletionTimestamp && (fin.includes('foregroundDeletion') || fin.includes('orphan'))) queue.add(`owner:${o.metadata.uid}`);
        }
      }
    },
    reconcile(key) {
      const [kind, uid = ''] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      if (kind === 'gone') {
        if (ownerExists(uid)) return;
        for (const ref of ctx.store.dependents(uid)) {
          const dep = resolve(ref);
          if (!dep) continue;
          const refs = arr(dep.object.metadata.ownerReferences).filter(isObject);
          const others = refs.filter((r) => r.uid !== uid && typeof r.uid === 'string' && ownerExists(r.uid));
          if (others.length > 0) {
            ctx.storage.mutate(dep.rt, dep.object.metadata.namespace ?? '', dep.object.metadata.name, (draft) => {
              draft.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
            }, { fieldManager: 'generic-garbage-collector' });
            continue;
          }
          if (dep.object.metadata.deletionTimestamp) continue;
          try {
            ctx.storage.delete(dep.rt, dep.object.metadata.namespace ?? '', dep.object.metadata.name, { propagationPolicy: 'Background' });
          } catch (err) {
            if (!(err instanceof ApiError && err.code === 404)) throw err;
          }
        }
        return;
      }
      // owner:<uid>: a terminating owner with foregroundDeletion or orphan finalizers.
      const where = ctx.store.byUid(uid);
      if (!where) return;
      const rt = ctx.registry.get(where.key);
      if (!rt) return;
      const owner = ctx.store.get(rt, where.namespace, where.name);
      if (!owner?.metadata.deletionTimestamp) return;
      const fin = arr(owner.metadata.finalizers).map(String);
      const deps = ctx.store.dependents(uid).map(resolve).filter((d): d is { rt: ResourceType; object: KubeObject } => d !== undefined);
      if (fin.includes('orphan')) {
        for (const d of deps) {
          ctx.storage.mutate(d.rt, d.object.metadata.namespace ?? '', d.object.metadata.name, (draft) => {
            draft.metadata.ownerReferences = arr(draft.metadata.ownerReferences).filter((r) => obj(r).uid !== uid);
            if (arr(draft.metadata.ownerReferences).length === 0) delete draft.metadata.ownerReferences;
          }, { fieldManager: 'generic-garbage-collector' });
        }
        removeFinalizer(rt, owner, 'orphan');
        return;
      }
      if (fin.includes('foregroundDeletion')) {
        let blocking = 0;
        for (const d of deps) {
          const ref = arr(d.object.metadata.ownerReferences).map(obj).find((r) => r.uid === uid);
          if (ref?.blockOwnerDeletion === true) blocking++;
          if (!d.object.metadata.deletionTimestamp) {
            try {
              ctx.storage.delete(d.rt, d.object.metadata.namespace ?? '', d.object.metadata.name, { propagationPolicy: 'Foreground' });
            } catch (err) {
              if (!(err instanceof ApiError && err.code === 404)) throw err;
            }
          }
        }
        const still = ctx.store.dependents(uid).map(resolve).filter((d) => d && arr(d.object.metadata.ownerReferences).map(obj).some((r) => r.uid === uid && r.blockOwnerDeletion === true));
        if (still.length === 0) removeFinalizer(rt, owner, 'foregroundDeletion');
        else if (blocking > 0) return 1000;
      }
      return undefined;
    },
  };

  function removeFinalizer(rt: ResourceType, owner: KubeObject, finalizer: string): void {
    ctx.storage.mutate(rt, owner.metadata.namespace ?? '', owner.metadata.name, (draft) => {
      draft.metadata.finalizers = arr(draft.metadata.finalizers).filter((f) => f !== finalizer);
      if (arr(draft.metadata.finalizers).length === 0) delete draft.metadata.finalizers;
    }, { fieldManager: 'generic-garbage-collector' });
  }
}
