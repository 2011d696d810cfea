// The simulated kube-scheduler (kube-sim-spec §12.3): binds pending pods to Ready nodes that fit
// their nodeSelector, required node affinity, taints and resource requests, spreading by pod count.
// Reports Unschedulable with the scheduler's message shape when nothing fits.

import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, isObject, obj, str, type JsonObject } from '../util/json.ts';
import { parseQuantity } from '../util/quantity.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { getCondition, isPodActive, setCondition, splitKey } from './util.ts';

interface Usage {
  cpu: number;
  memory: number;
  pods: number;
}

export function podRequests(pod: KubeObject): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of arr(obj(pod.spec).containers)) {
    const req = obj(obj(obj(c).resources).requests);
    cpu += Number.isFinite(parseQuantity(req.cpu)) ? parseQuantity(req.cpu) : 0;
    memory += Number.isFinite(parseQuantity(req.memory)) ? parseQuantity(req.memory) : 0;
  }
  return { cpu, memory };
}

function tolerates(pod: KubeObject, taint: JsonObject): boolean {
  for (const t of arr(obj(pod.spec).tolerations).filter(isObject)) {
    if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) continue;
    if (t.operator === 'Exists') {
      if (t.key === undefined || t.key === '' || t.key === taint.key) return true;
    } else if (t.key === taint.key && (t.value ?? '') === (taint.value ?? '')) return true;
  }
  return false;
}

function matchesNodeSelectorTerm(term: JsonObject, labels: JsonObject): boolean {
  for (const e of arr(term.matchExpressions).filter(isObject)) {
    const v = labels[String(e.key)];
    const values = arr(e.values).map(String);
    switch (e.operator) {
      case 'In':
        if (typeof v !== 'string' || !values.includes(v)) return false;
        break;
      case 'NotIn':
        if (typeof v === 'string' && values.includes(v)) return false;
        break;
      case 'Exists':
        if (typeof v !== 'string') return false;
        break;
      case 'DoesNotExist':
        if (typeof v === 'string') return false;
        break;
      case 'Gt':
        if (!(Number(v) > Number(values[0]))) return false;
        break;
      case 'Lt':
        if (!(Number(v) < Number(values[0]))) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function nodeMatches(pod: KubeObject, node: KubeObject): boolean {
  const labels = obj(node.metadata.labels);
  for (const [k, v] of Object.entries(obj(obj(pod.spec).nodeSelector))) if (labels[k] !== v) return false;
  const req = obj(obj(obj(obj(pod.spec).affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution);
  const terms = arr(req.nodeSelectorTerms).filter(isObject);
  if (terms.length > 0 && !terms.some((t) => matchesNodeSelectorTerm(t, labels))) return false;
  return true;
}

export function schedulerController(ctx: ControllerContext, scheduleMs: () => number): Controller {
  const usage = new Map<string, Usage>();
  const placed = new Map<string, { node: string; cpu: number; memory: number }>();
  const unschedulable = new Set<string>();
  const pods = (): ReturnType<typeof ctx.rt> => ctx.rt('/pods');
  const nodes = (): ReturnType<typeof ctx.rt> => ctx.rt('/nodes');

  const account = (key: string, pod: KubeObject | undefined): void => {
    const prev = placed.get(key);
    if (prev) {
      const u = usage.get(prev.node);
      if (u) {
        u.cpu -= prev.cpu;
        u.memory -= prev.memory;
        u.pods -= 1;
      }
      placed.delete(key);
    }
    const node = pod ? str(obj(pod.spec).nodeName) : undefined;
    if (pod && node && isPodActive(pod)) {
      const r = podRequests(pod);
      let u = usage.get(node);
      if (!u) usage.set(node, (u = { cpu: 0, memory: 0, pods: 0 }));
      u.cpu += r.cpu;
      u.memory += r.memory;
      u.pods += 1;
      placed.set(key, { node, ...r });
    }
  };

  return {
    name: 'scheduler',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.key === '/pods') {
        const key = `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`;
        account(key, e.type === 'DELETED' ? undefined : e.object);
        if (e.type === 'DELETED') {
          unschedulable.delete(key);
          if (unschedulable.size > 0) for (const k of unschedulable) queue.add(k);
          return;
        }
        if (!obj(e.object.spec).nodeName && isPodActive(e.object)) queue.add(key, scheduleMs());
        return;
      }
      if (e.rt.key === '/nodes' || e.rt.key === '/persistentvolumeclaims') {
        for (const k of unschedulable) queue.add(k);
      }
    },
    resync(queue) {
      usage.clear();
      placed.clear();
      for (const p of ctx.store.iterate(pods())) {
        const key = `${p.metadata.namespace ?? ''}/${p.metadata.name}`;
        account(key, p);
        if (!obj(p.spec).nodeName && isPodActive(p)) queue.add(key, scheduleMs());
      }
    },
    reconcile(key) {
      const [ns, name] = splitKey(key);
      const pod = ctx.store.get(pods(), ns, name);
      if (!pod || obj(pod.spec).nodeName || !isPodActive(pod)) {
        unschedulable.delete(key);
        return;
      }
      // Volumes: claims must exist and be bound (or bindable on first consumer).
      for (const v of arr(obj(pod.spec).volumes).filter(isObject)) {
        const claim = str(obj(v.persistentVolumeClaim).claimName);
        if (!claim) continue;
        const pvc = ctx.store.get(ctx.rt('/persistentvolumeclaims'), ns, claim);
        if (!pvc) return fail(pod, key, `0/${ctx.store.count(nodes())} nodes are available: persistentvolumeclaim "${claim}" not found. preemption: 0/${ctx.store.count(nodes())} nodes are available: ${ctx.store.count(nodes())} Preemption is not helpful for scheduling.`);
        if (obj(pvc.status).phase !== 'Bound' && !waitsForConsumer(ctx, pvc)) {
          return fail(pod, key, `0/${ctx.store.count(nodes())} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/${ctx.store.count(nodes())} nodes are available: ${ctx.store.count(nodes())} Preemption is not helpful for scheduling.`);
        }
      }
      const reasons = new Map<string, number>();
      const bump = (r: string): void => {
        reasons.set(r, (reasons.get(r) ?? 0) + 1);
      };
      const req = podRequests(pod);
      const candidates: { node: KubeObject; pods: number }[] = [];
      const all = [...ctx.store.iterate(nodes())];
      for (const node of all) {
        if (obj(node.spec).unschedulable === true) {
          bump('node(s) were unschedulable');
          continue;
        }
        const taint = arr(obj(node.spec).taints)
          .filter(isObject)
          .find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod, t));
        if (taint) {
          bump(`node(s) had untolerated taint {${String(taint.key)}: ${str(taint.value) ?? ''}}`);
          continue;
        }
        if (getCondition(node, 'Ready')?.status !== 'True') {
          bump('node(s) were not ready');
          continue;
        }
        if (!nodeMatches(pod, node)) {
          bump("node(s) didn't match Pod's node affinity/selector");
          continue;
        }
        const alloc = obj(obj(node.status).allocatable);
        const u = usage.get(node.metadata.name) ?? { cpu: 0, memory: 0, pods: 0 };
        const cap = { cpu: parseQuantity(alloc.cpu), memory: parseQuantity(alloc.memory), pods: parseQuantity(alloc.pods) };
        let fits = true;
        if (Number.isFinite(cap.pods) && u.pods + 1 > cap.pods) {
          bump('Too many pods');
          fits = false;
        }
        if (Number.isFinite(cap.cpu) && u.cpu + req.cpu > cap.cpu + 1e-9) {
          bump('Insufficient cpu');
          fits = false;
        }
        if (Number.isFinite(cap.memory) && u.memory + req.memory > cap.memory) {
          bump('Insufficient memory');
          fits = false;
        }
        if (fits) candidates.push({ node, pods: u.pods });
      }
      if (candidates.length === 0) {
        const parts = [...reasons.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([r, n]) => `${n} ${r}`);
        const n = all.length;
        const msg = `0/${n} nodes are available${parts.length > 0 ? `: ${parts.join(', ')}` : ''}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
        return fail(pod, key, msg);
      }
      candidates.sort((a, b) => a.pods - b.pods || a.node.metadata.name.localeCompare(b.node.metadata.name));
      const chosen = (candidates[0] as { node: KubeObject }).node.metadata.name;
      unschedulable.delete(key);
      const now = ctx.now();
      const bound = ctx.storage.mutate(
        pods(),
        ns,
        name,
        (draft) => {
          draft.spec = { ...obj(draft.spec), nodeName: chosen };
          const status = obj(draft.status);
          draft.status = { ...status, conditions: setCondition(status.conditions, { type: 'PodScheduled', status: 'True' }, now, { lastProbeTime: true }) };
        },
        { fieldManager: 'kube-scheduler' },
      );
      if (bound) ctx.events.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${chosen}`, 'default-scheduler');
      return undefined;
    },
  };

  function fail(pod: KubeObject, key: string, message: string): number {
    const [ns, name] = splitKey(key);
    const prev = getCondition(pod, 'PodScheduled');
    unschedulable.add(key);
    if (prev?.status !== 'False' || prev.message !== message) {
      const now = ctx.now();
      const status = obj(pod.status);
      ctx.storage.writeStatus(
        ctx.rt('/pods'),
        ns,
        name,
        { ...status, phase: 'Pending', conditions: setCondition(status.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }, now, { lastProbeTime: true }) },
        { fieldManager: 'kube-scheduler' },
      );
      ctx.events.record(pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
    }
    return 5000;
  }
}

function waitsForConsumer(ctx: ControllerContext, pvc: KubeObject): boolean {
  const scName = str(obj(pvc.spec).storageClassName);
  if (!scName) return false;
  const sc = ctx.store.get(ctx.rt('storage.k8s.io/storageclasses'), '', scName);
  return sc?.volumeBindingMode === 'WaitForFirstConsumer';
}
