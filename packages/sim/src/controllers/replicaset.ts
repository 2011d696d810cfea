// ReplicaSet controller (kube-sim-spec §12.5): creates and deletes pods to match spec.replicas,
// reports status, records SuccessfulCreate/SuccessfulDelete and, when pod creation is refused
// (Pod Security admission, a terminating namespace...), FailedCreate plus a ReplicaFailure condition.

import { ApiError } from '../api/errors.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { matchesLabels } from '../store/selectors.ts';
import { arr, clone, isObject, num, obj, text } from '../util/json.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { controllerRef, getCondition, isPodActive, isPodReady, ownerRefTo, removeCondition, setCondition, splitKey } from './util.ts';

/** Ranks pods for deletion when scaling down: unscheduled, pending, not ready, then newest. */
function deletionRank(p: KubeObject): number[] {
  const scheduled = obj(p.spec).nodeName ? 1 : 0;
  const phase = obj(p.status).phase;
  const phaseRank = phase === 'Pending' ? 0 : phase === 'Running' ? 2 : 1;
  const ready = isPodReady(p) ? 1 : 0;
  const restarts = arr(obj(p.status).containerStatuses).reduce<number>((n, c) => n + (num(obj(c).restartCount) ?? 0), 0);
  const created = Date.parse(text(p.metadata.creationTimestamp ?? '')) || 0;
  return [scheduled, phaseRank, ready, -restarts, -created];
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function ownedPods(ctx: ControllerContext, owner: KubeObject): KubeObject[] {
  const podsRt = ctx.rt('/pods');
  const out: KubeObject[] = [];
  for (const ref of ctx.store.dependents(owner.metadata.uid)) {
    const [key, ns, name] = ref.split('|');
    if (key !== podsRt.key) continue;
    const p = ctx.store.get(podsRt, ns ?? '', name ?? '');
    if (p && controllerRef(p)?.uid === owner.metadata.uid) out.push(p);
  }
  return out;
}

export function replicaSetController(ctx: ControllerContext): Controller {
  const rsRt = (): ReturnType<typeof ctx.rt> => ctx.rt('apps/replicasets');
  const podsRt = (): ReturnType<typeof ctx.rt> => ctx.rt('/pods');
  const failures = new Map<string, number>();

  return {
    name: 'replicaset',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.key === 'apps/replicasets') {
        if (e.type !== 'DELETED') queue.add(`${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`);
        return;
      }
      if (e.rt.key === '/pods') {
        const ref = controllerRef(e.object) ?? (e.old ? controllerRef(e.old) : undefined);
        if (ref?.kind === 'ReplicaSet') queue.add(`${e.object.metadata.namespace ?? ''}/${String(ref.name)}`);
      }
    },
    resync(queue) {
      for (const rs of ctx.store.iterate(rsRt())) queue.add(`${rs.metadata.namespace ?? ''}/${rs.metadata.name}`);
    },
    reconcile(key) {
      const [ns, name] = splitKey(key);
      const rs = ctx.store.get(rsRt(), ns, name);
      if (!rs) {
        failures.delete(key);
        return undefined;
      }
      const spec = obj(rs.spec);
      const desired = num(spec.replicas) ?? 1;
      const owned = ownedPods(ctx, rs);
      const active = owned.filter(isPodActive);
      let createError: ApiError | undefined;
      if (!rs.metadata.deletionTimestamp) {
        if (active.length < desired) {
          const tpl = obj(spec.template);
          const tplMeta = obj(tpl.metadata);
          for (let i = active.length; i < desired; i++) {
            const body = {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: {
                generateName: `${name}-`,
                namespace: ns,
                ...(isObject(tplMeta.labels) ? { labels: clone(tplMeta.labels) } : {}),
                ...(isObject(tplMeta.annotations) ? { annotations: clone(tplMeta.annotations) } : {}),
                ownerReferences: [ownerRefTo(rs)],
              },
              spec: clone(obj(tpl.spec)),
            };
            try {
              const pod = ctx.storage.create(podsRt(), ns, body, { internal: true, fieldManager: 'kube-controller-manager' });
              active.push(pod);
              ctx.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, 'replicaset-controller');
            } catch (err) {
              if (!(err instanceof ApiError)) throw err;
              createError = err;
              ctx.events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${err.message}`, 'replicaset-controller');
              break;
            }
          }
        } else if (active.length > desired) {
          const victims = [...active].sort((a, b) => compareRank(deletionRank(a), deletionRank(b))).slice(0, active.length - desired);
          for (const p of victims) {
            try {
              ctx.storage.delete(podsRt(), ns, p.metadata.name, {});
              ctx.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'replicaset-controller');
            } catch (err) {
              if (!(err instanceof ApiError && err.code === 404)) throw err;
            }
          }
        }
      }
      const live = ownedPods(ctx, rs).filter(isPodActive);
      const now = ctx.now();
      const minReady = (num(spec.minReadySeconds) ?? 0) * 1000;
      let available = 0;
      let ready = 0;
      let nextAvailable: number | undefined;
      const tplLabels = obj(obj(obj(spec.template).metadata).labels);
      let fullyLabeled = 0;
      for (const p of live) {
        if (matchesLabels(Object.entries(tplLabels).map(([k, v]) => ({ op: 'eq' as const, key: k, value: String(v) })), p.metadata.labels)) fullyLabeled++;
        if (!isPodReady(p)) continue;
        ready++;
        const since = Date.parse(String(getCondition(p, 'Ready')?.lastTransitionTime ?? '')) || now;
        if (minReady === 0 || since + minReady <= now) available++;
        else nextAvailable = Math.min(nextAvailable ?? Infinity, since + minReady);
      }
      const prevStatus = obj(rs.status);
      let conditions = prevStatus.conditions;
      if (createError) {
        conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: createError.message }, now);
      } else if (live.length >= desired) {
        conditions = removeCondition(conditions, 'ReplicaFailure');
      }
      const status: Record<string, unknown> = {
        replicas: live.length,
        fullyLabeledReplicas: fullyLabeled,
        ...(ready > 0 ? { readyReplicas: ready } : {}),
        ...(available > 0 ? { availableReplicas: available } : {}),
        observedGeneration: rs.metadata.generation,
      };
      if (arr(conditions).length > 0) status.conditions = conditions;
      ctx.storage.writeStatus(rsRt(), ns, name, status, { fieldManager: 'kube-controller-manager' });
      if (createError) {
        const n = (failures.get(key) ?? 0) + 1;
        failures.set(key, n);
        return Math.min(1000 * 2 ** (n - 1), 60_000);
      }
      failures.delete(key);
      if (nextAvailable !== undefined) return Math.max(1, nextAvailable - now);
      return undefined;
    },
  };
}
