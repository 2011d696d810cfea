// metrics.k8s.io/v1beta1, as metrics-server serves it: PodMetrics for running pods and NodeMetrics
// for nodes, with plausible simulated usage (a stable per-container baseline from the container's
// requests, plus a slow wobble over time). Computed on every read; nothing is stored.

import type { VirtualResources } from './api/handler.ts';
import type { Registry, ResourceType } from './api/registry.ts';
import type { KubeObject, Store } from './store/store.ts';
import { matchesLabels, parseLabelSelector } from './store/selectors.ts';
import { arr, isObject, obj, str } from './util/json.ts';
import { seededUnit } from './util/names.ts';
import { formatCpu, formatMemory, parseQuantity } from './util/quantity.ts';
import { rfc3339 } from './util/time.ts';

function containerUsage(pod: KubeObject, c: Record<string, unknown>, now: number): { cpu: number; memory: number } {
  const req = obj(obj(c.resources).requests);
  const seed = `${pod.metadata.uid}/${String(c.name)}`;
  const base = seededUnit(seed);
  const wobble = 0.85 + 0.3 * (0.5 + 0.5 * Math.sin(now / 60_000 + base * 10));
  const cpuReq = parseQuantity(req.cpu);
  const memReq = parseQuantity(req.memory);
  const cpu = (Number.isFinite(cpuReq) && cpuReq > 0 ? cpuReq * (0.1 + 0.5 * base) : 0.002 + 0.02 * base) * wobble;
  const memory = (Number.isFinite(memReq) && memReq > 0 ? memReq * (0.3 + 0.5 * base) : (16 + 112 * base) * 1024 * 1024) * (0.95 + 0.1 * (wobble - 0.85));
  return { cpu, memory };
}

export function metricsProvider(store: Store, registry: Registry, now: () => number): VirtualResources {
  const pods = (): ResourceType => registry.get('/pods') as ResourceType;
  const nodes = (): ResourceType => registry.get('/nodes') as ResourceType;

  const podMetrics = (pod: KubeObject, t: number): KubeObject | undefined => {
    if (obj(pod.status).phase !== 'Running' || pod.metadata.deletionTimestamp) return undefined;
    const running = new Set(
      arr(obj(pod.status).containerStatuses)
        .filter(isObject)
        .filter((c) => isObject(obj(c.state).running))
        .map((c) => String(c.name)),
    );
    const containers = arr(obj(pod.spec).containers)
      .filter(isObject)
      .filter((c) => running.has(String(c.name)))
      .map((c) => {
        const u = containerUsage(pod, c, t);
        return { name: String(c.name), usage: { cpu: formatCpu(u.cpu), memory: formatMemory(u.memory) } };
      });
    return {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        uid: pod.metadata.uid,
        resourceVersion: '',
        creationTimestamp: rfc3339(t),
        ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
      },
      timestamp: rfc3339(t - 5000),
      window: '15.021s',
      containers,
    };
  };

  const nodeMetrics = (node: KubeObject, t: number): KubeObject => {
    let cpu = 0.08 + 0.05 * seededUnit(node.metadata.name);
    let memory = (600 + 200 * seededUnit(node.metadata.name)) * 1024 * 1024;
    for (const p of store.iterate(pods())) {
      if (obj(p.spec).nodeName !== node.metadata.name || obj(p.status).phase !== 'Running') continue;
      for (const c of arr(obj(p.spec).containers).filter(isObject)) {
        const u = containerUsage(p, c, t);
        cpu += u.cpu;
        memory += u.memory;
      }
    }
    return {
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: node.metadata.name, uid: node.metadata.uid, resourceVersion: '', creationTimestamp: rfc3339(t), ...(node.metadata.labels ? { labels: node.metadata.labels } : {}) },
      timestamp: rfc3339(t - 5000),
      window: '20.05s',
      usage: { cpu: formatCpu(cpu), memory: formatMemory(memory) },
    };
  };

  return {
    list(rt, namespace, labelSelector) {
      const t = now();
      const sel = parseLabelSelector(labelSelector);
      if (rt.kind === 'NodeMetrics') {
        return [...store.list(nodes())].filter((n) => matchesLabels(sel, n.metadata.labels)).map((n) => nodeMetrics(n, t));
      }
      return store
        .list(pods(), namespace)
        .filter((p) => matchesLabels(sel, p.metadata.labels))
        .map((p) => podMetrics(p, t))
        .filter((m): m is KubeObject => m !== undefined);
    },
    get(rt, namespace, name) {
      const t = now();
      if (rt.kind === 'NodeMetrics') {
        const n = store.get(nodes(), '', name);
        return n ? nodeMetrics(n, t) : undefined;
      }
      const p = store.get(pods(), namespace, name);
      return p ? podMetrics(p, t) : undefined;
    },
  };
}

export { str };
