// bench/fanout.ts — deploy fan-out and idle writes, `npm run bench:fanout` (issue 5).
//
// Measures, in one run and on the same machine:
//   - fan-out latency: time from a deploy's 202 to Applied on every cluster and to WorkloadReady on
//     every cluster, for an app placed on 1, 2 and 3 simulated clusters (zero pod delays), over
//     BENCH_DEPLOYS sequential deploys each (a new image every time). The moments come from the
//     app's own timeline (the Applied and WorkloadReady events the controllers record when they
//     happen); completion is detected by polling the status API.
//   - baseline, interleaved with those deploys: `kubectl apply --server-side` of the same manifests
//     (rendered by the control plane's own renderApp, moved to a namespace the control plane does not
//     manage) to each cluster in turn, then `kubectl rollout status` on each; the real kubectl binary
//     with a temporary cache directory. Without kubectl, the same applies go through
//     @kubernetes/client-node (the control plane's KubeClient), and the output says so.
//   - idle writes: with BENCH_IDLE_APPS deployments converged and nothing changing, the number of
//     non-GET requests the clusters receive per minute over BENCH_IDLE_SECONDS (target 0), counted
//     by the simulated API servers themselves, across several controller resyncs.
// The control plane (with its controllers) and the simulated clusters each run in their own process;
// this one drives the API over HTTP. The control plane runs on PostgreSQL when reachable
// (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; a scratch schema is
// created and dropped), else on PGlite; BENCH_SKIP_POSTGRES=1 forces PGlite (which, at the time of
// writing, stalls long before 1,000 apps converge: use --idle-apps 150 with it).
//
// Options (environment or flags): BENCH_DEPLOYS / --deploys (default 30), BENCH_IDLE_APPS /
// --idle-apps (default 1000; 0 skips the idle part), BENCH_IDLE_SECONDS / --idle-seconds (default
// 60), BENCH_RESYNC_MS (controller resync period, default 30000, so the window spans two resyncs),
// BENCH_POLL_MS (status polling, default 50). The default run takes about 10 minutes, most of it
// the convergence of the 1,000 idle apps; `npm run bench` runs it with 150.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { AppStatus } from '@satusky/contracts';
import { KubeClient } from '../packages/control-plane/src/controllers/kube-client.ts';
import { APP_KINDS, LABELS, type KubeObject } from '../packages/control-plane/src/core/render.ts';
import { Api, condition as cond, deployAndWait, machineNote, sourceNote, ms, numberOption, percentile, ratio, submitApps, type Sample, registerClusters, scratchPostgres, seconds, sleep, startControlPlaneChild, startSims, table, waitClustersHealthy, waitUntil } from './support/common.ts';
import { coreShare, type Usage } from './support/ipc.ts';
import type { Convergence } from './support/control-plane-child.ts';
import type { Counters } from './support/sims-child.ts';

const deploys = numberOption('deploys', 'BENCH_DEPLOYS', 30);
const idleApps = numberOption('idle-apps', 'BENCH_IDLE_APPS', 1000);
const idleSeconds = numberOption('idle-seconds', 'BENCH_IDLE_SECONDS', 60);
const resyncMs = numberOption('resync-ms', 'BENCH_RESYNC_MS', 30_000);
const pollMs = numberOption('poll-ms', 'BENCH_POLL_MS', 50);
const APPS_PER_ORG = 50;
const ZONES = ['fan-a', 'fan-b', 'fan-c'];
const BASELINE_NS = 'kubectl-bench';

const startedAt = new Date();
console.log(`bench/fanout.ts — ${startedAt.toISOString()}`);
console.log(`at start: ${machineNote()}`);
console.log(sourceNote());
console.log(`deploys per cluster count ${deploys}, idle apps ${idleApps}, idle window ${idleSeconds} s, controller resync ${resyncMs} ms, status polled every ${pollMs} ms\n`);

const tmp = await mkdtemp(path.join(tmpdir(), 'satusky-bench-fanout-'));
const postgres = process.env.BENCH_SKIP_POSTGRES === '1' ? null : await scratchPostgres(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const sims = await startSims({ clusters: ZONES.map((z) => ({ name: z, zone: z })) });
const cp = await startControlPlaneChild({
  ...(postgres ? { databaseUrl: postgres.url } : {}),
  controllers: { resyncIntervalMs: resyncMs },
  orgs: Math.ceil(idleApps / APPS_PER_ORG),
});

// ---------------------------------------------------------------- baseline: kubectl (or client-node)

const kubectlPath = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
const cacheDir = path.join(tmp, 'kube-cache');
const kubeconfigs = new Map<string, string>();
for (const c of sims.ready.clusters) {
  const file = path.join(tmp, `kubeconfig-${c.name}.yaml`);
  await writeFile(file, c.kubeconfig, { mode: 0o600 });
  kubeconfigs.set(c.name, file);
}
const clients = new Map<string, KubeClient>();
for (const c of sims.ready.clusters) {
  const kc = new KubeConfig();
  kc.loadFromString(c.kubeconfig);
  clients.set(c.name, new KubeClient(kc, { timeoutMs: 30_000 }));
}

function kubectl(cluster: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath, ['--kubeconfig', kubeconfigs.get(cluster)!, '--cache-dir', cacheDir, ...args], {
      env: { ...process.env, KUBECACHEDIR: cacheDir, KUBECONFIG: kubeconfigs.get(cluster)! },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`kubectl ${args.join(' ')} on ${cluster} exited ${String(code)}: ${stderr.trim()}`));
    });
  });
}

const APP_KIND_NAMES = new Set<string>(APP_KINDS.map((k) => k.kind));

/** The control plane's manifests for one app, moved to a namespace (and identity) it does not manage. */
function rehome(objects: KubeObject[], replace: Map<string, string>): KubeObject[] {
  const walk = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') {
      if (key === LABELS.managedBy) return 'kubectl-bench';
      return replace.get(value) ?? value;
    }
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  return objects.filter((o) => APP_KIND_NAMES.has(o.kind)).map((o) => walk(o) as KubeObject);
}

function withImage(objects: KubeObject[], image: string): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Deployment') return o;
    const copy = structuredClone(o) as KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
    copy.spec.template.spec.containers[0]!.image = image;
    return copy;
  });
}

interface Baseline {
  clusters: string[];
  name: string;
  manifests: Map<string, KubeObject[]>;
}

async function baselineApply(b: Baseline, image: string): Promise<void> {
  for (const cluster of b.clusters) {
    const objects = withImage(b.manifests.get(cluster)!, image);
    if (kubectlPath) {
      // A stream of JSON documents (kubectl reads them one after the other): the simulator cannot
      // validate a `kind: List`.
      const file = path.join(tmp, `${b.name}-${cluster}.json`);
      await writeFile(file, objects.map((o) => JSON.stringify(o)).join('\n'));
      await kubectl(cluster, ['apply', '--server-side', '--force-conflicts', '--field-manager', 'kubectl-bench', '-f', file]);
    } else {
      for (const o of objects) await clients.get(cluster)!.apply(o);
    }
  }
}

async function baselineRolledOut(b: Baseline): Promise<void> {
  for (const cluster of b.clusters) {
    if (kubectlPath) {
      await kubectl(cluster, ['rollout', 'status', `deployment/${b.name}`, '-n', BASELINE_NS, '--timeout=60s']);
    } else {
      const client = clients.get(cluster)!;
      await waitUntil(async () => {
        const d = await client.get<KubeObject & { spec: { replicas?: number }; status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number } }>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: BASELINE_NS, name: b.name });
        const want = d?.spec.replicas ?? 1;
        const s = d?.status ?? {};
        return !!d && (s.observedGeneration ?? 0) >= ((d.metadata as { generation?: number }).generation ?? 0) && (s.updatedReplicas ?? 0) >= want && (s.availableReplicas ?? 0) >= want && (s.replicas ?? 0) <= want;
      }, 60_000, `rollout of ${b.name} in ${cluster}`, 10);
    }
  }
}

// ---------------------------------------------------------------- the control plane's fan-out

interface Level {
  clusters: number;
  cp: Sample[];
  base: { applied: number; ready: number }[];
}

let exitCode = 0;
try {
  const admin = new Api(cp.ready.url, cp.ready.admin.token);
  const org = cp.ready.admin.orgId;
  const clusterIds = await registerClusters(admin, sims.ready);
  await waitClustersHealthy(admin, ZONES.length);
  console.log(`control plane pid ${cp.pid} (${cp.ready.database}), simulated clusters pid ${sims.pid}: ${[...clusterIds.keys()].join(', ')}`);
  console.log(kubectlPath ? `baseline: ${kubectlPath} (${spawnSync(kubectlPath, ['version', '--client'], { encoding: 'utf8' }).stdout.split('\n')[0]}), cache ${cacheDir}` : 'baseline: NO kubectl on PATH — the baseline applies through @kubernetes/client-node (KubeClient) instead');

  // The baseline namespace, once per cluster (not timed).
  for (const zone of ZONES) {
    await clients.get(zone)!.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: BASELINE_NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
  }

  const levels: Level[] = [];
  for (const k of [1, 2, 3]) {
    const zones = ZONES.slice(0, k);
    const app = `fan${k}`;
    const bodyFor = (tag: string) =>
      k === 1 ? { image: `ghcr.io/acme/fan:${tag}`, zone: zones[0] } : { image: `ghcr.io/acme/fan:${tag}`, multicluster: { enabled: true, mode: 'active-active', zones } };
    // Warm-up (first deploy: namespace, edge Gateway; not timed).
    const cursor = { after: 0 };
    const first = await admin.call<{ deployment_id: string; hostname: string }>('PUT', `/v1/orgs/${org}/apps/${app}`, bodyFor('warm'));
    if (first.status !== 202) throw new Error(`deploy ${app}: ${first.status} ${first.text}`);
    await waitUntil(async () => {
      const s = (await admin.call<AppStatus>('GET', `/v1/orgs/${org}/apps/${app}/status`)).body;
      return s.clusters.length === k && s.clusters.every((c) => cond(c, 'WorkloadReady') === 'True');
    }, 120_000, `${app} ready`);
    cursor.after = (await admin.call<{ cursor: number }>('GET', `/v1/orgs/${org}/apps/${app}/events?limit=1000`)).body.cursor;

    // The same manifests for the baseline, in a namespace the control plane does not manage.
    const files = await cp.call<Record<string, string>>('render', { dir: tmp, deploymentIds: [first.body.deployment_id] });
    const replace = new Map<string, string>([[first.body.deployment_id, randomUUID()], [first.body.hostname, `kb-${first.body.hostname}`]]);
    const manifests = new Map<string, KubeObject[]>();
    for (const zone of zones) {
      const objects = JSON.parse(await readFile(files[zone]!, 'utf8')) as KubeObject[];
      const ns = objects.find((o) => o.kind === 'Deployment')!.metadata.namespace!;
      manifests.set(zone, rehome(objects, new Map([...replace, [ns, BASELINE_NS]])));
    }
    const baseline: Baseline = { clusters: zones, name: app, manifests };
    await baselineApply(baseline, 'ghcr.io/acme/fan:warm');
    await baselineRolledOut(baseline);

    const level: Level = { clusters: k, cp: [], base: [] };
    for (let i = 1; i <= deploys; i++) {
      level.cp.push(await deployAndWait(admin, org, app, bodyFor(String(i)), zones, cursor, pollMs));
      const t0 = performance.now();
      await baselineApply(baseline, `ghcr.io/acme/fan:b${i}`);
      const applied = performance.now() - t0;
      await baselineRolledOut(baseline);
      level.base.push({ applied, ready: performance.now() - t0 });
    }
    levels.push(level);
    console.log(`${k} cluster(s): done (${deploys} deploys each way)`);
  }

  // ---------------------------------------------------------------- idle
  let idle: { counters: Counters; seconds: number; cpu: number; rss: number; converge: number; submit: number } | null = null;
  let retries = 0;
  if (idleApps > 0 && idleSeconds > 0) {
    const submitted = await submitApps(cp.ready.orgs, cp.ready.url, { count: idleApps, perOrg: APPS_PER_ORG, zones: ZONES, concurrency: 8, prefix: 'idle' });
    if (submitted.failed) throw new Error(`${submitted.failed} idle deploys failed, the first: ${submitted.firstFailure}`);
    const submit = submitted.ms;
    retries = submitted.zoneUnavailableRetries;
    let last: Convergence = { targets: 0, applied: 0, ready: 0 };
    let lastLog = performance.now();
    const converge = await waitUntil(async () => {
      last = await cp.call<Convergence>('converged', undefined, 300_000);
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        console.log(`  idle apps: ${last.ready}/${last.targets} ready`);
      }
      return last.targets >= idleApps && last.ready === last.targets;
    }, 1_800_000, `${idleApps} idle apps converged`, 1000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: ${JSON.stringify(last)}`);
    });
    console.log(`idle: ${idleApps} apps submitted in ${seconds(submit)}, converged ${seconds(converge + submit)} after the first deploy; settling one resync`);
    // Let at least one full resync pass before counting, then count over the window.
    await sleep(resyncMs + 3_000);
    await sims.call<Counters>('counters', { reset: true });
    const u0 = await cp.call<Usage>('usage');
    await sleep(idleSeconds * 1000);
    const counters = await sims.call<Counters>('counters', { reset: true });
    const u1 = await cp.call<Usage>('usage');
    idle = { counters, seconds: idleSeconds, cpu: coreShare(u0, u1), rss: u1.rss, converge: converge + submit, submit };
  }

  // ---------------------------------------------------------------- report
  console.log(`\nbench/fanout.ts — run of ${startedAt.toISOString()}`);
  console.log(`at end: ${machineNote()}`);
  console.log(sourceNote());
  console.log(`control plane: ${cp.ready.database}, controllers: ${cp.ready.controllers.concurrencyPerCluster} workers per cluster, probe ${cp.ready.controllers.probeIntervalMs} ms, resync ${cp.ready.controllers.resyncIntervalMs} ms; simulated clusters with zero pod delays`);
  console.log(`baseline: ${kubectlPath ? '`kubectl apply --server-side` then `kubectl rollout status`, one cluster after the other (a new kubectl process per call)' : '@kubernetes/client-node server-side apply (no kubectl on PATH), then polling the Deployment, one cluster after the other'}\n`);
  const rows: string[][] = [];
  for (const l of levels) {
    const a = l.cp.map((s) => s.applied);
    const r = l.cp.map((s) => s.ready);
    const ba = l.base.map((s) => s.applied);
    const br = l.base.map((s) => s.ready);
    rows.push([`${l.clusters}`, 'control plane: 202 → Applied everywhere', ms(percentile(a, 50)), ms(percentile(a, 99)), ms(Math.max(...a)), ratio(percentile(a, 50), percentile(ba, 50))]);
    rows.push([`${l.clusters}`, 'control plane: 202 → WorkloadReady everywhere', ms(percentile(r, 50)), ms(percentile(r, 99)), ms(Math.max(...r)), ratio(percentile(r, 50), percentile(br, 50))]);
    rows.push([`${l.clusters}`, 'baseline: applied to every cluster', ms(percentile(ba, 50)), ms(percentile(ba, 99)), ms(Math.max(...ba)), '1.00×']);
    rows.push([`${l.clusters}`, 'baseline: rolled out on every cluster', ms(percentile(br, 50)), ms(percentile(br, 99)), ms(Math.max(...br)), '1.00×']);
  }
  console.log(table(['clusters', `measurement (${deploys} deploys)`, 'p50', 'p99', 'max', 'p50 vs baseline'], rows));
  const seen = levels.map((l) => `${l.clusters}: Applied p50 ${ms(percentile(l.cp.map((s) => s.seenApplied), 50))}, Ready p50 ${ms(percentile(l.cp.map((s) => s.seenReady), 50))}`);
  console.log(`\nAs a client polling the status API every ${pollMs} ms saw them (upper bounds of the above): ${seen.join('; ')}.`);
  const three = levels.find((l) => l.clusters === 3);
  if (three) {
    const p99 = percentile(three.cp.map((s) => s.applied), 99);
    console.log(`Bar P2 (accepted → applied on every healthy cluster, p99 ≤ 2 s with 3 clusters): ${ms(p99)} → ${p99 <= 2000 ? 'met' : 'NOT met'}.`);
  }
  if (idle) {
    const window = idle.seconds;
    const perMinute = (n: number) => (n * 60) / window;
    const idleRows = Object.entries(idle.counters).map(([name, c]) => [name, String(c.writes), perMinute(c.writes).toFixed(1), perMinute(c.gets).toFixed(1), Object.entries(c.byMethod).map(([m, n]) => `${m} ${n}`).join(', ')]);
    const writes = Object.values(idle.counters).reduce((s, c) => s + c.writes, 0);
    idleRows.push(['all', String(writes), perMinute(writes).toFixed(1), perMinute(Object.values(idle.counters).reduce((s, c) => s + c.gets, 0)).toFixed(1), '']);
    console.log(`\nIdle: ${idleApps} deployments (+3 fan-out apps) converged (${seconds(idle.converge)} from the first of them, submitted in ${seconds(idle.submit)}), nothing changing; window ${idle.seconds} s ≈ ${(idle.seconds * 1000 / resyncMs).toFixed(1)} resync periods`);
    if (retries) console.log(`While the idle apps were submitted, ${retries} deploy(s) were refused with 422 SATUSKY_ZONE_UNAVAILABLE (the control plane had not heard from a healthy cluster within its staleness window) and retried.`);
    console.log(table(['cluster', 'writes (non-GET)', 'writes/min', 'GETs/min', 'requests by method'], idleRows));
    console.log(`Bar R2 (steady state issues 0 mutating calls): ${writes === 0 ? 'met' : `NOT met (${writes} writes)`}. Control plane while idle: ${(idle.cpu * 100).toFixed(1)} % of one core, RSS ${Math.round(idle.rss / 2 ** 20)} MiB.`);
    const reads = new Map<string, number>();
    for (const c of Object.values(idle.counters)) for (const [k, n] of Object.entries(c.getPaths)) reads.set(k, (reads.get(k) ?? 0) + n);
    const top = [...reads].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(`Reads per minute, all clusters, by path: ${top.map(([k, n]) => `${k} ${perMinute(n).toFixed(0)}`).join('; ')}`);
    if (writes > 0) {
      console.log('Sample of the writes:');
      for (const c of Object.values(idle.counters)) for (const s of c.sample.slice(0, 10)) console.log(`  ${s.time} ${s.method} ${s.path} ${s.fieldManager ?? ''} ${s.userAgent} → ${s.status}`);
    }
  }
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cp.stop();
  await sims.stop();
  await postgres?.drop().catch(() => {});
  await rm(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
