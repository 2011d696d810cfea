// Driver-side helpers shared by the control-plane benchmarks: the API over real HTTP, the child
// processes (control plane, simulated clusters), percentiles, tables and the machine note.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { AppEvent, AppStatus } from '@satusky/contracts';
import { DEFAULT_GATEWAY_CLASS, DEFAULT_INGRESS_CLASS } from '../../packages/sim/src/options.ts';
import type { ControlPlaneConfig, ControlPlaneReady } from './control-plane-child.ts';
import { ChildHandle, type Usage } from './ipc.ts';
import type { SimsConfig, SimsReady } from './sims-child.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const SUPPORT = {
  sims: fileURLToPath(new URL('./sims-child.ts', import.meta.url)),
  controlPlane: fileURLToPath(new URL('./control-plane-child.ts', import.meta.url)),
  world: fileURLToPath(new URL('./world-child.ts', import.meta.url)),
};

/** The simulated clusters of a benchmark, one process per cluster, driven as one. */
export interface SimsHandle {
  readonly ready: SimsReady;
  /** The processes' ids, comma-separated. */
  readonly pid: string;
  call<T>(name: string, payload?: unknown): Promise<T>;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts every simulated cluster in a process of its own: on a small machine one process serving
 * three busy clusters became the bottleneck of the control plane's benchmarks (one event loop for
 * thousands of pods), while a cluster per process uses every core as real API servers would.
 * Calls naming a cluster go to its process; the others go to all and their answers are merged.
 */
export async function startSims(config: SimsConfig): Promise<SimsHandle> {
  const children = await Promise.all(config.clusters.map((cluster) => ChildHandle.start<SimsReady>(SUPPORT.sims, [JSON.stringify({ ...config, clusters: [cluster] })])));
  const owner = (cluster: string) => {
    const found = children.find((c) => c.ready.clusters.some((x) => x.name === cluster));
    if (!found) throw new Error(`no simulated cluster ${cluster}`);
    return found;
  };
  return {
    ready: { clusters: children.flatMap((c) => c.ready.clusters) },
    pid: children.map((c) => c.pid).join(','),
    async call<T>(name: string, payload?: unknown): Promise<T> {
      const cluster = (payload as { cluster?: string } | undefined)?.cluster;
      if (cluster) return owner(cluster).call<T>(name, payload);
      const answers = await Promise.all(children.map((c) => c.call<unknown>(name, payload)));
      if (name === 'usage') {
        // Resident memory and CPU add up; event-loop delay is the worst of the processes.
        const all = answers as Usage[];
        return all.reduce((sum, u) => ({
          ...sum,
          cpuUserUs: sum.cpuUserUs + u.cpuUserUs,
          cpuSystemUs: sum.cpuSystemUs + u.cpuSystemUs,
          rss: sum.rss + u.rss,
          heapUsed: sum.heapUsed + u.heapUsed,
          loopDelayP99Ms: Math.max(sum.loopDelayP99Ms, u.loopDelayP99Ms),
          loopDelayMaxMs: Math.max(sum.loopDelayMaxMs, u.loopDelayMaxMs),
        })) as T;
      }
      return Object.assign({}, ...(answers as object[])) as T;
    },
    async stop(timeoutMs?: number) {
      await Promise.all(children.map((c) => c.stop(timeoutMs)));
    },
  };
}

export function startControlPlaneChild(config: ControlPlaneConfig): Promise<ChildHandle<ControlPlaneReady>> {
  return ChildHandle.start<ControlPlaneReady>(SUPPORT.controlPlane, [JSON.stringify(config)], { timeoutMs: 300_000 });
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  text: string;
}

/** The REST API over real HTTP (keep-alive), as one tenant's token. */
export class Api {
  readonly base: string;
  readonly token: string;
  constructor(base: string, token: string) {
    this.base = base;
    this.token = token;
  }

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T, text };
  }
}

export interface SubmitResult {
  submitted: number;
  failed: number;
  /** 422 SATUSKY_ZONE_UNAVAILABLE answers that were retried (the zone's health looked stale). */
  zoneUnavailableRetries: number;
  firstFailure: string;
  ms: number;
}

/**
 * Deploys `count` single-zone apps through the API, `concurrency` at a time, spread over the
 * tenants (`perOrg` apps each) and zones round-robin. A deploy refused because its zone looked
 * unavailable (the control plane had not heard from the cluster recently) is retried after a second,
 * as a CLI user would, and counted.
 */
export async function submitApps(
  tenants: { orgId: string; token: string }[],
  base: string,
  options: { count: number; perOrg: number; zones: string[]; concurrency: number; prefix: string },
): Promise<SubmitResult> {
  const apis = tenants.map((t) => ({ id: t.orgId, api: new Api(base, t.token) }));
  const result: SubmitResult = { submitted: 0, failed: 0, zoneUnavailableRetries: 0, firstFailure: '', ms: 0 };
  const t0 = performance.now();
  await pool(options.count, options.concurrency, async (j) => {
    const tenant = apis[Math.floor(j / options.perOrg) % apis.length]!;
    for (let attempt = 0; ; attempt++) {
      const r = await tenant.api.call<{ error?: { code: string } }>('PUT', `/v1/orgs/${tenant.id}/apps/${options.prefix}-${j}`, {
        image: `ghcr.io/acme/${options.prefix}:${j}`,
        zone: options.zones[j % options.zones.length],
      });
      if (r.status === 202) {
        result.submitted++;
        return;
      }
      if (r.status === 422 && r.body.error?.code === 'SATUSKY_ZONE_UNAVAILABLE' && attempt < 60) {
        result.zoneUnavailableRetries++;
        await sleep(1000);
        continue;
      }
      result.failed++;
      result.firstFailure ||= `${r.status} ${r.text.slice(0, 300)}`;
      return;
    }
  });
  result.ms = performance.now() - t0;
  return result;
}

/** Registers every simulated cluster through the API, as an operator registers a real one. */
export async function registerClusters(api: Api, sims: SimsReady): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const [i, c] of sims.clusters.entries()) {
    const r = await api.call<{ id: string }>('POST', '/v1/clusters', {
      name: c.name,
      zone: c.zone,
      display_name: c.zone,
      priority: (i + 1) * 10,
      is_default: i === 0,
      kubeconfig: c.kubeconfig,
      gateway_class: DEFAULT_GATEWAY_CLASS,
      ingress_class: DEFAULT_INGRESS_CLASS,
    });
    if (r.status !== 201) throw new Error(`registering ${c.name}: ${r.status} ${r.text}`);
    ids.set(c.name, r.body.id);
  }
  return ids;
}

/** Waits until every registered cluster was probed healthy (the controllers see them). */
export async function waitClustersHealthy(api: Api, count: number, timeoutMs = 60_000): Promise<void> {
  await waitUntil(async () => {
    const r = await api.call<{ items: { health: { state: string } }[] }>('GET', '/v1/clusters');
    return r.body.items.filter((c) => c.health.state === 'healthy').length >= count;
  }, timeoutMs, 'clusters healthy');
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 100): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        await fn(i);
      }
    }),
  );
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const ms = (v: number) => (Number.isFinite(v) ? `${v >= 100 ? Math.round(v) : v.toFixed(1)} ms` : 'n/a');
export const seconds = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(v >= 100_000 ? 0 : 1)} s` : 'n/a');
export const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
export const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

/** A Markdown table (the form docs/benchmarks.md records). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** One line about the machine and its load, printed at the start and the end of every run. */
export function machineNote(): string {
  const [l1, l5, l15] = loadavg();
  return `node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB; load average ${l1!.toFixed(2)} / ${l5!.toFixed(2)} / ${l15!.toFixed(2)} (1/5/15 min)`;
}

/** The commit measured, and whether the working tree differed from it. */
export function sourceNote(): string {
  const git = (args: string[]) => spawnSync('git', args, { encoding: 'utf8' }).stdout.trim();
  const head = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--', 'packages']).split('\n').filter(Boolean).length;
  return `source: commit ${head}${dirty ? ` with ${dirty} uncommitted change(s) under packages/` : ''}`;
}

/** A scratch schema in the PostgreSQL at `base` (dropped by `drop`), or null when it is unreachable. */
export async function scratchPostgres(base: string): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`create schema ${schema}`);
  } catch (error) {
    console.error(`PostgreSQL at ${base} unavailable (${(error as Error).message})`);
    return null;
  } finally {
    await client.end().catch(() => {});
  }
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

/** Reads `--name=value` / `--name value` / `--flag` from argv. */
export function flag(name: string): string | boolean | undefined {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) {
      const next = args[i + 1];
      return next !== undefined && !next.startsWith('--') ? next : true;
    }
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** A number from a flag, then the environment, then the default. */
export function numberOption(flagName: string, envName: string, fallback: number): number {
  const f = flag(flagName);
  const raw = typeof f === 'string' ? f : process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${flagName}/${envName} must be a non-negative number, got ${raw}`);
  return n;
}

export const condition = (c: AppStatus['clusters'][number], type: string) => c.conditions.find((x) => x.type === type)?.status;
const cond = condition;

export interface Sample {
  applied: number;
  ready: number;
  /** The same, as a client polling the status API saw them. */
  seenApplied: number;
  seenReady: number;
}

/**
 * Deploys and waits until the new generation is Applied and WorkloadReady in every one of `zones`
 * (status polled every `pollMs`). The times are taken from the app's timeline (the Applied and
 * WorkloadReady events the controllers record as they happen), relative to the 202; the polling
 * client's own view is returned beside them.
 */
export async function deployAndWait(api: Api, org: string, app: string, body: Record<string, unknown>, zones: string[], cursor: { after: number }, pollMs: number, timeoutMs = 60_000): Promise<Sample> {
  const r = await api.call<{ generation: number }>('PUT', `/v1/orgs/${org}/apps/${app}`, body);
  const accepted = Date.now();
  if (r.status !== 202) throw new Error(`deploy ${app}: ${r.status} ${r.text}`);
  const generation = r.body.generation;
  let seenApplied = Number.NaN;
  for (;;) {
    const s = (await api.call<AppStatus>('GET', `/v1/orgs/${org}/apps/${app}/status`)).body;
    const mine = s.clusters.filter((c) => zones.includes(c.zone));
    const now = Date.now();
    if (Number.isNaN(seenApplied) && mine.length === zones.length && mine.every((c) => c.applied_generation >= generation && cond(c, 'Applied') === 'True')) seenApplied = now - accepted;
    if (!Number.isNaN(seenApplied) && mine.every((c) => (c.observed_generation ?? 0) >= generation && cond(c, 'WorkloadReady') === 'True')) {
      const seenReady = now - accepted;
      const events = (await api.call<{ items: AppEvent[]; cursor: number }>('GET', `/v1/orgs/${org}/apps/${app}/events?after=${cursor.after}&limit=1000`)).body;
      cursor.after = Math.max(cursor.after, events.cursor, ...events.items.map((e) => e.id));
      const stamp = (type: string) => {
        const at = zones.map((z) => events.items.find((e) => e.type === type && e.zone === z && e.generation === generation)?.at);
        return at.every(Boolean) ? Math.max(...at.map((a) => Date.parse(a!))) - accepted : Number.NaN;
      };
      const applied = stamp('Applied');
      const ready = stamp('WorkloadReady');
      return {
        applied: Number.isNaN(applied) ? seenApplied : Math.max(0, applied),
        ready: Number.isNaN(ready) ? seenReady : Math.max(0, ready),
        seenApplied,
        seenReady,
      };
    }
    if (now - accepted > timeoutMs) throw new Error(`${app} generation ${generation} not ready on ${zones.join(', ')} after ${timeoutMs} ms: ${JSON.stringify(mine.map((c) => ({ zone: c.zone, applied: c.applied_generation, observed: c.observed_generation, conditions: c.conditions.map((x) => `${x.type}=${x.status}`) })))}`);
    await sleep(pollMs);
  }
}

