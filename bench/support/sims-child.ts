// Simulated Kubernetes clusters in a process of their own, for the control-plane benchmarks: the
// control plane (another child) reaches them over HTTPS with their kubeconfigs, exactly as it would
// reach real clusters, and their CPU never mixes with the control plane's.
//
// Argument: JSON { clusters: [{ name, zone }], nodes?, capacity? }. Handlers:
//   counters { reset? }  API requests per cluster since the last reset (GETs, writes by method, a sample of writes)
//   fault { cluster, api?, latencyMs? }   sim fault settings
//   available { namespacePrefix? }  Deployments and how many are rolled out and available, per cluster
//   usage   CPU and memory of this process
import { startSimCluster, type SimCluster, type KubeObject, type NodeCapacity } from '../../packages/sim/src/index.ts';
import type { ApiMode } from '../../packages/sim/src/index.ts';
import { serveChild, usage } from './ipc.ts';

export interface SimsConfig {
  clusters: { name: string; zone: string }[];
  nodes?: number;
  capacity?: NodeCapacity;
  /** Record Kubernetes Events (default true, like a real cluster). */
  events?: boolean;
}

export interface SimsReady {
  clusters: { name: string; zone: string; kubeconfig: string; url: string }[];
}

export interface WriteSample {
  time: string;
  method: string;
  path: string;
  fieldManager?: string;
  userAgent: string;
  status: number;
}

export interface ClusterCounters {
  total: number;
  gets: number;
  writes: number;
  byMethod: Record<string, number>;
  /** Reads by path shape (names replaced by *; `?watch` marks watches). */
  getPaths: Record<string, number>;
  sample: WriteSample[];
  sinceMs: number;
}

export type Counters = Record<string, ClusterCounters>;

export type Availability = Record<string, { deployments: number; available: number }>;

const config = JSON.parse(process.argv[2] ?? '{}') as SimsConfig;
const clusters: SimCluster[] = [];
for (const c of config.clusters) {
  clusters.push(
    await startSimCluster({
      name: c.name,
      zone: c.zone,
      nodes: config.nodes ?? 3,
      nodeCapacity: config.capacity ?? { cpu: '1000', memory: '4Ti', pods: '20000' },
      events: config.events ?? true,
    }),
  );
}

const fresh = (): ClusterCounters => ({ total: 0, gets: 0, writes: 0, byMethod: {}, getPaths: {}, sample: [], sinceMs: Date.now() });

// /api/v1/namespaces/org-x/configmaps/web → /api/v1/namespaces/(*)/configmaps/(*)
function shape(path: string, query: string): string {
  const parts = path.split('/');
  const out = parts.map((p, i) => {
    const prev = parts[i - 1];
    if (prev === 'namespaces') return '*';
    // A name follows the resource (plural) segment: /api/v1/<plural>/<name>, /apis/<g>/<v>/<plural>/<name>.
    const base = parts[1] === 'api' ? 3 : 4;
    const ns = parts[base] === 'namespaces' ? 2 : 0;
    return i === base + ns + 1 ? '*' : p;
  });
  return `${out.join('/')}${/[?&]watch=(1|true)/.test(query) ? '?watch' : ''}`;
}
const counters = new Map<string, ClusterCounters>(clusters.map((c) => [c.name, fresh()]));

// The sims keep a bounded request log; drain it often so no request goes uncounted.
function drain(): void {
  for (const cluster of clusters) {
    const records = cluster.requests();
    cluster.clearRequests();
    const c = counters.get(cluster.name)!;
    for (const r of records) {
      c.total += 1;
      c.byMethod[r.method] = (c.byMethod[r.method] ?? 0) + 1;
      if (r.method === 'GET' || r.method === 'HEAD' || r.method === 'OPTIONS') {
        c.gets += 1;
        const key = shape(r.path, r.query);
        c.getPaths[key] = (c.getPaths[key] ?? 0) + 1;
      } else {
        c.writes += 1;
        if (c.sample.length < 40) c.sample.push({ time: r.time, method: r.method, path: r.path, ...(r.fieldManager ? { fieldManager: r.fieldManager } : {}), userAgent: r.userAgent, status: r.status });
      }
    }
  }
}
const drainTimer = setInterval(drain, 100);

function available(namespacePrefix?: string): Availability {
  const out: Availability = {};
  for (const cluster of clusters) {
    type Dep = KubeObject & { spec?: { replicas?: number }; status?: { observedGeneration?: number; availableReplicas?: number; updatedReplicas?: number; replicas?: number } };
    let deployments = 0;
    let ready = 0;
    for (const d of cluster.objects.list<Dep>({ apiVersion: 'apps/v1', kind: 'Deployment' })) {
      if (namespacePrefix && !(d.metadata.namespace ?? '').startsWith(namespacePrefix)) continue;
      deployments += 1;
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      if ((s.observedGeneration ?? 0) >= Number(d.metadata.generation ?? 0) && (s.availableReplicas ?? 0) >= want && (s.updatedReplicas ?? 0) >= want && (s.replicas ?? 0) <= want) ready += 1;
    }
    out[cluster.name] = { deployments, available: ready };
  }
  return out;
}

const byName = (name: string) => {
  const found = clusters.find((c) => c.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
};

serveChild<SimsReady>(
  { clusters: clusters.map((c) => ({ name: c.name, zone: c.zone, kubeconfig: c.kubeconfig(), url: c.url })) },
  {
    counters: (payload: { reset?: boolean } | undefined): Counters => {
      drain();
      const out: Counters = {};
      for (const [name, c] of counters) out[name] = { ...c, byMethod: { ...c.byMethod }, getPaths: { ...c.getPaths }, sample: [...c.sample] };
      if (payload?.reset) for (const name of counters.keys()) counters.set(name, fresh());
      return out;
    },
    fault: async (payload: { cluster: string; api?: ApiMode; latencyMs?: number }) =>
      byName(payload.cluster).faults.set({ ...(payload.api ? { api: payload.api } : {}), ...(payload.latencyMs !== undefined ? { latencyMs: payload.latencyMs } : {}) }),
    available: (payload: { namespacePrefix?: string } | undefined) => available(payload?.namespacePrefix),
    objectCounts: () => Object.fromEntries(clusters.map((c) => [c.name, c.objectCounts()])),
    usage: () => usage(),
  },
  async () => {
    clearInterval(drainTimer);
    await Promise.all(clusters.map((c) => c.stop()));
  },
);
