// Deployment controller (kube-sim-spec §12.6): template-hash ReplicaSets, RollingUpdate within
// maxSurge/maxUnavailable (the upstream algorithm), Recreate, revision annotations, history
// cleanup, and the exact status/conditions `kubectl rollout status` and `kubectl wait` read.

import { ApiError } from '../api/errors.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, clone, isObject, num, obj, stableStringify, str, text, type JsonObject } from '../util/json.ts';
import { safeHash } from '../util/names.ts';
import { rfc3339 } from '../util/time.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { ownedPods } from './replicaset.ts';
import { controllerRef, getCondition, intOrPercent, ownerRefTo, setCondition, splitKey, type Condition } from './util.ts';

const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
const HASH = 'pod-template-hash';

export function templateHash(template: unknown, collisionCount = 0): string {
  const t = clone(obj(template));
  const meta = obj(t.metadata);
  if (isObject(meta.labels)) delete meta.labels[HASH];
  return safeHash(`${stableStringify(t)}#${collisionCount}`, 10);
}

function revisionOf(rs: KubeObject): number {
  return Number(obj(rs.metadata.annotations)[REVISION] ?? 0) || 0;
}

function specReplicas(o: KubeObject): number {
  return num(obj(o.spec).replicas) ?? 0;
}

function statusNum(o: KubeObject, field: string): number {
  return num(obj(o.status)[field]) ?? 0;
}

export function deploymentController(ctx: ControllerContext): Controller {
  const depRt = (): ReturnType<typeof ctx.rt> => ctx.rt('apps/deployments');
  const rsRt = (): ReturnType<typeof ctx.rt> => ctx.rt('apps/replicasets');

  return {
    name: 'deployment',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.key === 'apps/deployments') {
        if (e.type !== 'DELETED') queue.add(`${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`);
        return;
      }
      if (e.rt.key === 'apps/replicasets') {
        const ref = controllerRef(e.object);
        if (ref?.kind === 'Deployment') queue.add(`${e.object.metadata.namespace ?? ''}/${String(ref.name)}`);
        return;
      }
      // Recreate waits for old pods to be gone, which changes no ReplicaSet status.
      if (e.rt.key === '/pods' && e.type === 'DELETED') {
        const ref = controllerRef(e.object);
        if (ref?.kind !== 'ReplicaSet') return;
        const ns = e.object.metadata.namespace ?? '';
        const rs = ctx.store.get(rsRt(), ns, String(ref.name));
        const owner = rs ? controllerRef(rs) : undefined;
        if (owner?.kind === 'Deployment') queue.add(`${ns}/${String(owner.name)}`);
      }
    },
    resync(queue) {
      for (const d of ctx.store.iterate(depRt())) queue.add(`${d.metadata.namespace ?? ''}/${d.metadata.name}`);
    },
    reconcile(key) {
      const [ns, name] = splitKey(key);
      const d = ctx.store.get(depRt(), ns, name);
      if (!d || d.metadata.deletionTimestamp) return undefined;
      return sync(d);
    },
  };

  function ownedReplicaSets(d: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const ref of ctx.store.dependents(d.metadata.uid)) {
      const [k, ns, n] = ref.split('|');
      if (k !== rsRt().key) continue;
      const rs = ctx.store.get(rsRt(), ns ?? '', n ?? '');
      if (rs && controllerRef(rs)?.uid === d.metadata.uid) out.push(rs);
    }
    return out.sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) || a.metadata.name.localeCompare(b.metadata.name));
  }

  function scaleRs(d: KubeObject, rs: KubeObject, replicas: number, maxSurge: number): KubeObject {
    const desired = specReplicas(d);
    const annotations = obj(rs.metadata.annotations);
    if (specReplicas(rs) === replicas && annotations[DESIRED] === String(desired) && annotations[MAX] === String(desired + maxSurge)) return rs;
    const before = specReplicas(rs);
    const updated = ctx.storage.mutate(
      rsRt(),
      rs.metadata.namespace ?? '',
      rs.metadata.name,
      (draft) => {
        draft.spec = { ...obj(draft.spec), replicas };
        draft.metadata.annotations = { ...obj(draft.metadata.annotations), [DESIRED]: String(desired), [MAX]: String(desired + maxSurge) };
      },
      { fieldManager: 'kube-controller-manager' },
    );
    if (before !== replicas) {
      const verb = replicas > before ? 'up' : 'down';
      ctx.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata.name} to ${replicas} from ${before}`, 'deployment-controller');
    }
    return updated ?? rs;
  }

  function sync(d: KubeObject): number | undefined {
    const ns = d.metadata.namespace ?? '';
    const spec = obj(d.spec);
    const replicas = num(spec.replicas) ?? 1;
    const strategy = obj(spec.strategy);
    const recreate = strategy.type === 'Recreate';
    const ru = obj(strategy.rollingUpdate);
    let maxSurge = recreate ? 0 : intOrPercent(ru.maxSurge ?? '25%', replicas, true);
    let maxUnavailable = recreate ? 0 : intOrPercent(ru.maxUnavailable ?? '25%', replicas, false);
    if (!recreate && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    if (maxUnavailable > replicas) maxUnavailable = replicas;
    if (recreate) maxSurge = 0;

    let all = ownedReplicaSets(d);
    const collision = num(obj(d.status).collisionCount) ?? 0;
    const hash = templateHash(spec.template, collision);
    let newRs = all.find((rs) => obj(rs.metadata.labels)[HASH] === hash);
    let old = all.filter((rs) => rs !== newRs);
    let createdNew = false;
    const maxRevision = all.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    const paused = spec.paused === true;

    if (!paused) {
      if (!newRs) {
        const oldPods = old.reduce((n, rs) => n + specReplicas(rs) + statusNum(rs, 'replicas'), 0);
        let initial: number;
        if (recreate) initial = 0;
        else if (oldPods === 0) initial = replicas;
        else {
          const current = old.reduce((n, rs) => n + specReplicas(rs), 0);
          initial = Math.max(0, Math.min(replicas + maxSurge - current, replicas));
        }
        newRs = createReplicaSet(d, hash, maxRevision + 1, initial, maxSurge);
        if (!newRs) return 1000;
        createdNew = true;
        if (initial > 0) ctx.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRs.metadata.name} to ${initial} from 0`, 'deployment-controller');
        all = [...old, newRs];
      } else if (revisionOf(newRs) < maxRevision || obj(newRs.metadata.annotations)[REVISION] === undefined) {
        // A rollback to an older template: the old ReplicaSet becomes the newest revision.
        const rev = revisionOf(newRs) < maxRevision ? maxRevision + 1 : Math.max(1, maxRevision);
        newRs =
          ctx.storage.mutate(rsRt(), ns, newRs.metadata.name, (draft) => {
            draft.metadata.annotations = { ...obj(draft.metadata.annotations), [REVISION]: String(rev) };
          }, { fieldManager: 'kube-controller-manager' }) ?? newRs;
      }
      if (recreate) {
        const oldActive = old.filter((rs) => specReplicas(rs) > 0);
        for (const rs of oldActive) scaleRs(d, rs, 0, maxSurge);
        const oldPodsLeft = old.some((rs) => ownedPods(ctx, rs).length > 0);
        if (!oldPodsLeft) newRs = scaleRs(d, newRs, replicas, maxSurge);
      } else {
        // reconcileNewReplicaSet
        const newReplicas = specReplicas(newRs);
        if (newReplicas > replicas) newRs = scaleRs(d, newRs, replicas, maxSurge);
        else if (newReplicas < replicas) {
          const current = all.reduce((n, rs) => n + specReplicas(rs), 0);
          const maxTotal = replicas + maxSurge;
          if (current < maxTotal) {
            const up = Math.min(maxTotal - current, replicas - newReplicas);
            newRs = scaleRs(d, newRs, newReplicas + up, maxSurge);
          }
        } else newRs = scaleRs(d, newRs, replicas, maxSurge);
        all = [...old, newRs];
        // reconcileOldReplicaSets
        const oldTotal = old.reduce((n, rs) => n + specReplicas(rs), 0);
        if (oldTotal > 0) {
          const allPods = all.reduce((n, rs) => n + specReplicas(rs), 0);
          const minAvailable = replicas - maxUnavailable;
          const newUnavailable = specReplicas(newRs) - statusNum(newRs, 'availableReplicas');
          let maxScaledDown = allPods - minAvailable - newUnavailable;
          if (maxScaledDown > 0) {
            // Clean up unhealthy old replicas first.
            old = old.map((rs) => {
              if (maxScaledDown <= 0) return rs;
              const unhealthy = specReplicas(rs) - statusNum(rs, 'availableReplicas');
              if (unhealthy <= 0 || specReplicas(rs) === 0) return rs;
              const down = Math.min(maxScaledDown, unhealthy);
              maxScaledDown -= down;
              return scaleRs(d, rs, specReplicas(rs) - down, maxSurge);
            });
            all = [...old, newRs];
            const available = all.reduce((n, rs) => n + statusNum(rs, 'availableReplicas'), 0);
            let total = available - minAvailable;
            if (total > 0) {
              old = old.map((rs) => {
                if (total <= 0 || specReplicas(rs) === 0) return rs;
                const down = Math.min(specReplicas(rs), total);
                total -= down;
                return scaleRs(d, rs, specReplicas(rs) - down, maxSurge);
              });
            }
          }
        }
      }
      all = [...old, newRs];
    } else if (newRs && specReplicas(newRs) !== replicas && old.every((rs) => specReplicas(rs) === 0)) {
      newRs = scaleRs(d, newRs, replicas, maxSurge);
      all = [...old, newRs];
    }

    // Revision annotation on the Deployment and history cleanup.
    if (newRs) {
      const rev = obj(newRs.metadata.annotations)[REVISION];
      if (rev !== undefined && obj(d.metadata.annotations)[REVISION] !== rev) {
        ctx.storage.mutate(depRt(), ns, d.metadata.name, (draft) => {
          draft.metadata.annotations = { ...obj(draft.metadata.annotations), [REVISION]: text(rev) };
        }, { fieldManager: 'kube-controller-manager' });
      }
    }
    const limit = num(spec.revisionHistoryLimit) ?? 10;
    const idleOld = old.filter((rs) => specReplicas(rs) === 0 && statusNum(rs, 'replicas') === 0 && !rs.metadata.deletionTimestamp);
    if (idleOld.length > limit) {
      const excess = [...idleOld].sort((a, b) => revisionOf(a) - revisionOf(b)).slice(0, idleOld.length - limit);
      for (const rs of excess) {
        try {
          ctx.storage.delete(rsRt(), ns, rs.metadata.name, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
    }
    return writeStatus(d, all, newRs, createdNew, maxUnavailable, paused);
  }

  function createReplicaSet(d: KubeObject, hash: string, revision: number, replicas: number, maxSurge: number): KubeObject | undefined {
    const ns = d.metadata.namespace ?? '';
    const spec = obj(d.spec);
    const tpl = clone(obj(spec.template));
    const tplMeta = obj(tpl.metadata);
    tplMeta.labels = { ...obj(tplMeta.labels), [HASH]: hash };
    tpl.metadata = tplMeta;
    const selector = clone(obj(spec.selector));
    selector.matchLabels = { ...obj(selector.matchLabels), [HASH]: hash };
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(d.metadata.annotations))) {
      if (k === 'kubectl.kubernetes.io/last-applied-configuration' || k === REVISION) continue;
      annotations[k] = String(v);
    }
    annotations[DESIRED] = String(num(spec.replicas) ?? 1);
    annotations[MAX] = String((num(spec.replicas) ?? 1) + maxSurge);
    annotations[REVISION] = String(revision);
    const body: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...obj(tplMeta.labels) },
        annotations,
        ownerReferences: [ownerRefTo(d)],
      },
      spec: {
        replicas,
        ...(spec.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
        selector,
        template: tpl,
      },
    };
    try {
      return ctx.storage.create(rsRt(), ns, body, { internal: true, fieldManager: 'kube-controller-manager' });
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) {
        // Hash collision with a ReplicaSet we do not own: bump collisionCount, as upstream does.
        ctx.storage.writeStatus(depRt(), ns, d.metadata.name, { ...obj(d.status), collisionCount: (num(obj(d.status).collisionCount) ?? 0) + 1 }, { fieldManager: 'kube-controller-manager' });
        return undefined;
      }
      throw err;
    }
  }

  function writeStatus(d: KubeObject, all: KubeObject[], newRs: KubeObject | undefined, createdNew: boolean, maxUnavailable: number, paused: boolean): number | undefined {
    const ns = d.metadata.namespace ?? '';
    const spec = obj(d.spec);
    const desired = num(spec.replicas) ?? 1;
    const now = ctx.now();
    const fresh = all.map((rs) => ctx.store.get(rsRt(), ns, rs.metadata.name) ?? rs);
    const freshNew = newRs ? (ctx.store.get(rsRt(), ns, newRs.metadata.name) ?? newRs) : undefined;
    const replicas = fresh.reduce((n, rs) => n + statusNum(rs, 'replicas'), 0);
    const updated = freshNew ? statusNum(freshNew, 'replicas') : 0;
    const ready = fresh.reduce((n, rs) => n + statusNum(rs, 'readyReplicas'), 0);
    const available = fresh.reduce((n, rs) => n + statusNum(rs, 'availableReplicas'), 0);
    const unavailable = Math.max(0, desired - available);
    const prev = obj(d.status);
    let conditions: Condition[] = arr(prev.conditions).filter(isObject) as Condition[];

    const availableOk = available >= desired - maxUnavailable;
    conditions = setCondition(
      conditions,
      availableOk
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      now,
      { lastUpdateTime: true },
    );
    const rsName = freshNew?.metadata.name ?? '';
    const complete = freshNew !== undefined && updated === desired && replicas === desired && available === desired && specReplicas(freshNew) === desired && fresh.every((rs) => rs === freshNew || specReplicas(rs) === 0);
    const prevProgressing = getCondition(d, 'Progressing');
    const deadline = (num(spec.progressDeadlineSeconds) ?? 600) * 1000;
    const progressed =
      createdNew ||
      prev.updatedReplicas !== (updated || undefined) ||
      prev.readyReplicas !== (ready || undefined) ||
      prev.availableReplicas !== (available || undefined) ||
      prev.replicas !== (replicas || undefined) ||
      prev.observedGeneration !== d.metadata.generation;
    let requeue: number | undefined;
    if (paused) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, now, { lastUpdateTime: true });
    } else if (createdNew) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }, now, { lastUpdateTime: true });
      requeue = deadline;
    } else if (complete) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, now, { lastUpdateTime: true });
    } else if (progressed) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, now, { lastUpdateTime: true });
      conditions = conditions.map((c) => (c.type === 'Progressing' ? { ...c, lastUpdateTime: rfc3339(now) } : c));
      requeue = deadline;
    } else if (prevProgressing?.reason !== 'ProgressDeadlineExceeded' && prevProgressing?.reason !== 'NewReplicaSetAvailable') {
      const last = Date.parse(text(prevProgressing?.lastUpdateTime ?? prevProgressing?.lastTransitionTime ?? d.metadata.creationTimestamp ?? '')) || now;
      if (now >= last + deadline) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, now, { lastUpdateTime: true });
        ctx.events.record(d, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${d.metadata.name}" has timed out progressing.`, 'deployment-controller');
      } else requeue = last + deadline - now;
    }
    // Surface the new ReplicaSet's ReplicaFailure (e.g. Pod Security admission) on the Deployment.
    const failure = freshNew ? getCondition(freshNew, 'ReplicaFailure') : undefined;
    if (failure?.status === 'True') {
      conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason: String(failure.reason ?? 'FailedCreate'), message: String(failure.message ?? '') }, now, { lastUpdateTime: true });
    } else conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
    const order = ['Available', 'Progressing', 'ReplicaFailure'];
    conditions.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));

    const status: JsonObject = {
      observedGeneration: d.metadata.generation,
      ...(replicas > 0 ? { replicas } : {}),
      ...(updated > 0 ? { updatedReplicas: updated } : {}),
      ...(ready > 0 ? { readyReplicas: ready } : {}),
      ...(available > 0 ? { availableReplicas: available } : {}),
      ...(unavailable > 0 ? { unavailableReplicas: unavailable } : {}),
      conditions,
      ...(prev.collisionCount !== undefined ? { collisionCount: prev.collisionCount } : {}),
    };
    ctx.storage.writeStatus(depRt(), ns, d.metadata.name, status, { fieldManager: 'kube-controller-manager' });
    void str;
    return requeue;
  }
}
