// bench/scale.ts — many deployments across three simulated clusters, `npm run bench:scale` (issue 9).
//
// Measures, in one run and on the same machine:
//   - convergence from empty: BENCH_APPS single-zone apps (spread round-robin over 3 simulated
//     clusters and over organizations of BENCH_APPS_PER_ORG apps each) submitted through the API,
//     until every one is Applied and WorkloadReady (counted from the database the control plane
//     keeps, the same facts the status API reports);
//   - one change landing while the rest is idle: a new image for one app, 202 → Applied and
//     → WorkloadReady (from the app's timeline), BENCH_CHANGES times; and the same on the nearly
//     empty control plane at the start of the run, for comparison;
//   - the control plane while idle: CPU (process.cpuUsage of its process over BENCH_IDLE_SECONDS),
//     event-loop delay, resident memory, and writes the clusters receive;
//   - baseline, in the same run: the same objects (rendered by the control plane's renderApp from its
//     own database) server-side applied straight to fresh simulated clusters with the control plane's
//     KubeClient and its per-cluster concurrency (4), until every Deployment is available; and one
//     changed Deployment applied directly, until it is rolled out.
// The control plane (with its controllers) runs in a process of its own, like `satusky serve`, on
// PostgreSQL when reachable (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres;
// a scratch schema is created and dropped; BENCH_SKIP_POSTGRES=1 for PGlite); the simulated
// clusters run in another; this process drives the API over HTTP.
//
// Options (environment or flags): BENCH_APPS / --apps (default 10000), --quick (500 apps, 30 s idle
// window), BENCH_APPS_PER_ORG (default 50), BENCH_IDLE_SECONDS (default 60), BENCH_CHANGES
// (default 5), BENCH_TIMEOUT_S (convergence deadline, default 1800), BENCH_RESYNC_MS (controller
// resync, default 60000, the production default).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../packages/control-plane/src/controllers/kube-client.ts';
import { LABELS, type KubeObject } from '../packages/control-plane/src/core/render.ts';
import {
  Api,
  deployAndWait,
  flag,
  machineNote,
  mib,
  ms,
  numberOption,
  percentile,
  pool,
  ratio,
  registerClusters,
  scratchPostgres,
  seconds,
  sleep,
  sourceNote,
  startControlPlaneChild,
  startSims,
  submitApps,
  table,
  waitClustersHealthy,
  waitUntil,
  type Sample,
} from './support/common.ts';
import type { Convergence } from './support/control-plane-child.ts';
import type { ResyncStats } from '../packages/control-plane/src/controllers/manager.ts';
import { coreShare, type Usage } from './support/ipc.ts';
import type { Availability, Counters } from './support/sims-child.ts';

const quick = flag('quick') === true || process.env.BENCH_QUICK === '1';
const apps = numberOption('apps', 'BENCH_APPS', quick ? 500 : 10_000);
const perOrg = numberOption('apps-per-org', 'BENCH_APPS_PER_ORG', 50);
const idleSeconds = numberOption('idle-seconds', 'BENCH_IDLE_SECONDS', quick ? 30 : 60);
const changes = numberOption('changes', 'BENCH_CHANGES', 5);
const timeoutS = numberOption('timeout-s', 'BENCH_TIMEOUT_S', 1800);
const resyncMs = numberOption('resync-ms', 'BENCH_RESYNC_MS', 60_000);
const ZONES = ['scale-a', 'scale-b', 'scale-c'];
const SIM = { clusters: ZONES.map((z) => ({ name: z, zone: z })) };

const startedAt = new Date();
console.log(`bench/scale.ts — ${startedAt.toISOString()}`);
console.log(`at start: ${machineNote()}`);
console.log(sourceNote());
console.log(`${apps} apps over ${ZONES.length} clusters, ${perOrg} per organization; idle window ${idleSeconds} s; ${changes} single changes; controller resync ${resyncMs} ms; convergence deadline ${timeoutS} s\n`);

const tmp = await mkdtemp(path.join(tmpdir(), 'satusky-bench-scale-'));
const postgres = process.env.BENCH_SKIP_POSTGRES === '1' ? null : await scratchPostgres(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

interface Result {
  database: string;
  submitMs: number;
  zoneRetries: number;
  appliedMs: number;
  convergeMs: number;
  converged: Convergence;
  timedOut: boolean;
  emptyChange: Sample[];
  idleChange: Sample[];
  idleCpu: number;
  idleLoopP99: number;
  idleLoopMax: number;
  idleWrites: number;
  idleGets: number;
  /** Idle reads by path shape, summed over the clusters. */
  idleGetPaths: Record<string, number>;
  rssConverged: number;
  rssIdle: number;
  heapIdle: number;
  simsRss: number;
  objects: number;
  /** CPU while converging, in cores: the control plane, and the simulated clusters' processes together. */
  convergeCpu: { controlPlane: number; sims: number };
  /** Resync passes before and after the idle window. */
  resyncBefore: ResyncStats[];
  resyncAfter: ResyncStats[];
}

async function measureControlPlane(): Promise<{ result: Result; files: Record<string, string> }> {
  const sims = await startSims(SIM);
  const cp = await startControlPlaneChild({ ...(postgres ? { databaseUrl: postgres.url } : {}), controllers: { resyncIntervalMs: resyncMs }, orgs: Math.ceil(apps / perOrg) });
  try {
    const admin = new Api(cp.ready.url, cp.ready.admin.token);
    await registerClusters(admin, sims.ready);
    await waitClustersHealthy(admin, ZONES.length);
    console.log(`control plane pid ${cp.pid} on ${cp.ready.database}, simulated clusters pid ${sims.pid}`);

    // One change on the (nearly) empty control plane, for comparison with the same later.
    const org = cp.ready.admin.orgId;
    const cursor = { after: 0 };
    const probeBody = (tag: string) => ({ image: `ghcr.io/acme/probe:${tag}`, zone: ZONES[0] });
    await deployAndWait(admin, org, 'probe', probeBody('warm'), [ZONES[0]!], cursor, 50, 120_000);
    const emptyChange: Sample[] = [];
    for (let i = 0; i < changes; i++) emptyChange.push(await deployAndWait(admin, org, 'probe', probeBody(`e${i}`), [ZONES[0]!], cursor, 50, 120_000));

    // Convergence from empty: submit everything, watch the database the status API reads.
    const t0 = performance.now();
    const [cpStart, simsStart] = [await cp.call<Usage>('usage'), await sims.call<Usage>('usage')];
    let appliedMs = Number.NaN;
    let last: Convergence = { targets: 0, applied: 0, ready: 0 };
    let submitted: Awaited<ReturnType<typeof submitApps>> | null = null;
    const submitting = submitApps(cp.ready.orgs, cp.ready.url, { count: apps, perOrg, zones: ZONES, concurrency: 8, prefix: 's' }).then((r) => (submitted = r));
    let lastLog = 0;
    let timedOut = false;
    for (;;) {
      await sleep(1000);
      last = await cp.call<Convergence>('converged', undefined, 300_000);
      const elapsed = performance.now() - t0;
      const want = apps + 1; // and the probe app
      if (Number.isNaN(appliedMs) && last.targets >= want && last.applied >= want) appliedMs = elapsed;
      if (last.targets >= want && last.ready >= want) break;
      if (elapsed - lastLog >= 15_000) {
        lastLog = elapsed;
        const u = await cp.call<Usage>('usage');
        console.log(`  ${seconds(elapsed)}: ${submitted ? `all ${apps} submitted` : 'submitting'}; targets ${last.targets}, applied ${last.applied}, ready ${last.ready}; control plane RSS ${mib(u.rss)}, event-loop delay p99 ${ms(u.loopDelayP99Ms)}`);
      }
      if (elapsed > timeoutS * 1000) {
        timedOut = true;
        break;
      }
    }
    const convergeMs = performance.now() - t0;
    const convergeCpu = { controlPlane: coreShare(cpStart, await cp.call<Usage>('usage')), sims: coreShare(simsStart, await sims.call<Usage>('usage')) };
    await submitting;
    const s = submitted as Awaited<ReturnType<typeof submitApps>> | null;
    if (s && s.failed) throw new Error(`${s.failed} deploys failed, the first: ${s.firstFailure}`);
    const rssConverged = (await cp.call<Usage>('usage')).rss;
    console.log(timedOut ? `  NOT converged within ${timeoutS} s: ${JSON.stringify(last)}` : `  converged in ${seconds(convergeMs)} (all applied after ${seconds(appliedMs)})`);

    let idle = { cpu: Number.NaN, loopP99: Number.NaN, loopMax: Number.NaN, writes: Number.NaN, gets: Number.NaN, rss: Number.NaN, heap: Number.NaN, getPaths: {} as Record<string, number> };
    const idleChange: Sample[] = [];
    let resyncBefore: ResyncStats[] = [];
    let resyncAfter: ResyncStats[] = [];
    if (!timedOut) {
      // Idle: let a full resync pass first (the resync re-checks every target), then measure a window.
      await sleep(Math.min(resyncMs, 60_000) + 5_000);
      await sims.call<Counters>('counters', { reset: true });
      resyncBefore = await cp.call<ResyncStats[]>('resync');
      const u0 = await cp.call<Usage>('usage');
      await sleep(idleSeconds * 1000);
      const u1 = await cp.call<Usage>('usage');
      resyncAfter = await cp.call<ResyncStats[]>('resync');
      const counters = await sims.call<Counters>('counters', { reset: true });
      idle = {
        cpu: coreShare(u0, u1),
        loopP99: u1.loopDelayP99Ms,
        loopMax: u1.loopDelayMaxMs,
        writes: Object.values(counters).reduce((n, c) => n + c.writes, 0),
        gets: Object.values(counters).reduce((n, c) => n + c.gets, 0),
        getPaths: Object.values(counters).reduce<Record<string, number>>((all, c) => {
          for (const [k, v] of Object.entries(c.getPaths)) all[k] = (all[k] ?? 0) + v;
          return all;
        }, {}),
        rss: u1.rss,
        heap: u1.heapUsed,
      };
      // One change while everything else is idle.
      for (let i = 0; i < changes; i++) idleChange.push(await deployAndWait(admin, org, 'probe', probeBody(`i${i}`), [ZONES[0]!], cursor, 50, 300_000));
    }
    const simsRss = (await sims.call<Usage>('usage')).rss;
    const counts = await sims.call<Record<string, Record<string, number>>>('objectCounts');
    const objects = Object.values(counts).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
    const files = await cp.call<Record<string, string>>('render', { dir: tmp }, 600_000);
    return {
      files,
      result: {
        database: cp.ready.database,
        submitMs: s?.ms ?? Number.NaN,
        zoneRetries: s?.zoneUnavailableRetries ?? 0,
        appliedMs,
        convergeMs,
        converged: last,
        timedOut,
        emptyChange,
        idleChange,
        idleCpu: idle.cpu,
        idleLoopP99: idle.loopP99,
        idleLoopMax: idle.loopMax,
        idleWrites: idle.writes,
        idleGets: idle.gets,
        idleGetPaths: idle.getPaths,
        rssConverged,
        rssIdle: idle.rss,
        heapIdle: idle.heap,
        simsRss,
        objects,
        convergeCpu,
        resyncBefore,
        resyncAfter,
      },
    };
  } finally {
    await cp.stop(60_000);
    await sims.stop(60_000);
  }
}

interface BaselineResult {
  objects: number;
  appliedMs: number;
  convergeMs: number;
  change: { applied: number; ready: number }[];
}

/** The same objects, straight to fresh simulated clusters: the work the clusters do, without the control plane. */
async function measureBaseline(files: Record<string, string>): Promise<BaselineResult> {
  const sims = await startSims(SIM);
  try {
    const clients = new Map<string, KubeClient>();
    for (const c of sims.ready.clusters) {
      const kc = new KubeConfig();
      kc.loadFromString(c.kubeconfig);
      clients.set(c.name, new KubeClient(kc, { timeoutMs: 30_000 }));
    }
    const perCluster = new Map<string, KubeObject[]>();
    for (const [cluster, file] of Object.entries(files)) perCluster.set(cluster, JSON.parse(await readFile(file, 'utf8')) as KubeObject[]);
    const objects = [...perCluster.values()].reduce((n, o) => n + o.length, 0);
    const deployments = [...perCluster.values()].reduce((n, o) => n + o.filter((x) => x.kind === 'Deployment').length, 0);
    const t0 = performance.now();
    await Promise.all(
      [...perCluster].map(async ([cluster, list]) => {
        const client = clients.get(cluster)!;
        // Cluster-wide and namespace objects first (they carry no app label), in order; then the
        // apps, 4 at a time like the controllers.
        const appOf = (o: KubeObject) => o.metadata.labels?.[LABELS.deploymentId] ?? '';
        const head = list.filter((o) => !appOf(o));
        const rest = list.filter((o) => appOf(o));
        for (const o of head) await client.apply(o);
        // Group by app (consecutive objects of one app share its deployment-id label): one app per task.
        const groups: KubeObject[][] = [];
        let key = '';
        for (const o of rest) {
          const id = appOf(o);
          if (id !== key || groups.length === 0) groups.push([]);
          key = id;
          groups.at(-1)!.push(o);
        }
        await pool(groups.length, 4, async (i) => {
          for (const o of groups[i]!) await client.apply(o);
        });
      }),
    );
    const appliedMs = performance.now() - t0;
    await waitUntil(async () => {
      const a = await sims.call<Availability>('available');
      return Object.values(a).reduce((n, c) => n + c.available, 0) >= deployments;
    }, timeoutS * 1000, `${deployments} Deployments available`, 1000);
    const convergeMs = performance.now() - t0;

    // One changed Deployment, applied directly, until rolled out.
    const probe = perCluster.get(ZONES[0]!)!.find((o) => o.kind === 'Deployment' && o.metadata.name === 'probe')!;
    const client = clients.get(ZONES[0]!)!;
    const change: { applied: number; ready: number }[] = [];
    for (let i = 0; i < changes; i++) {
      const next = structuredClone(probe) as KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
      next.spec.template.spec.containers[0]!.image = `ghcr.io/acme/probe:b${i}`;
      const t = performance.now();
      await client.apply(next);
      const applied = performance.now() - t;
      await waitUntil(async () => {
        type Dep = KubeObject & { metadata: { generation?: number }; status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number } };
        const d = await client.get<Dep>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: probe.metadata.namespace!, name: 'probe' });
        const st = d?.status ?? {};
        return !!d && (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && (st.updatedReplicas ?? 0) >= 1 && (st.availableReplicas ?? 0) >= 1 && (st.replicas ?? 0) <= 1;
      }, 60_000, 'probe rolled out', 5);
      change.push({ applied, ready: performance.now() - t });
    }
    return { objects, appliedMs, convergeMs, change };
  } finally {
    await sims.stop(60_000);
  }
}

let exitCode = 0;
try {
  const { result: r, files } = await measureControlPlane();
  console.log(`baseline: applying the same ${Object.keys(files).length} clusters' objects directly…`);
  const b = await measureBaseline(files);

  console.log(`\nbench/scale.ts — run of ${startedAt.toISOString()}`);
  console.log(`at end: ${machineNote()}`);
  console.log(sourceNote());
  console.log(`${apps} apps (+1 probe app) over ${ZONES.length} simulated clusters (zero pod delays), ${Math.ceil(apps / perOrg)} organizations; control plane on ${r.database}, resync ${resyncMs} ms; ${b.objects} objects applied in all (${r.objects} objects in the clusters, pods, ReplicaSets and Events included)\n`);
  const p50 = (xs: number[]) => percentile(xs, 50);
  const rows = [
    ['converge from empty: all Applied', seconds(r.appliedMs), seconds(b.appliedMs), ratio(r.appliedMs, b.appliedMs)],
    ['converge from empty: all Applied + WorkloadReady', `${seconds(r.convergeMs)}${r.timedOut ? ` (NOT converged: ${r.converged.ready}/${r.converged.targets} ready)` : ''}`, seconds(b.convergeMs), ratio(r.convergeMs, b.convergeMs)],
    ['  apps per second to ready', (r.converged.ready / (r.convergeMs / 1000)).toFixed(1), ((apps + 1) / (b.convergeMs / 1000)).toFixed(1), ''],
    ['  CPU while converging: control plane / simulated clusters (3 processes)', `${(r.convergeCpu.controlPlane * 100).toFixed(0)} % / ${(r.convergeCpu.sims * 100).toFixed(0)} % of one core`, '', ''],
    ['  API: all deploys accepted (202)', `${seconds(r.submitMs)} (${(apps / (r.submitMs / 1000)).toFixed(0)}/s)`, '', ''],
    [`one change, empty control plane: 202 → Applied (p50 of ${changes})`, ms(p50(r.emptyChange.map((c) => c.applied))), ms(p50(b.change.map((c) => c.applied))), ratio(p50(r.emptyChange.map((c) => c.applied)), p50(b.change.map((c) => c.applied)))],
    [`one change, empty control plane: 202 → WorkloadReady`, ms(p50(r.emptyChange.map((c) => c.ready))), ms(p50(b.change.map((c) => c.ready))), ratio(p50(r.emptyChange.map((c) => c.ready)), p50(b.change.map((c) => c.ready)))],
    [`one change, ${apps} idle: 202 → Applied (p50 of ${changes})`, ms(p50(r.idleChange.map((c) => c.applied))), ms(p50(b.change.map((c) => c.applied))), ratio(p50(r.idleChange.map((c) => c.applied)), p50(b.change.map((c) => c.applied)))],
    [`one change, ${apps} idle: 202 → WorkloadReady`, ms(p50(r.idleChange.map((c) => c.ready))), ms(p50(b.change.map((c) => c.ready))), ratio(p50(r.idleChange.map((c) => c.ready)), p50(b.change.map((c) => c.ready)))],
    [`  max over the ${changes} changes (Applied / Ready)`, `${ms(Math.max(...r.idleChange.map((c) => c.applied)))} / ${ms(Math.max(...r.idleChange.map((c) => c.ready)))}`, '', ''],
    [`idle: control plane CPU over ${idleSeconds} s`, Number.isFinite(r.idleCpu) ? `${(r.idleCpu * 100).toFixed(1)} % of one core` : 'n/a', '', ''],
    ['idle: event-loop delay p99 / max', `${ms(r.idleLoopP99)} / ${ms(r.idleLoopMax)}`, '', ''],
    ['idle: writes to the clusters per minute', Number.isFinite(r.idleWrites) ? ((r.idleWrites * 60) / idleSeconds).toFixed(1) : 'n/a', '', ''],
    ['idle: reads (GET) from the clusters per minute', Number.isFinite(r.idleGets) ? ((r.idleGets * 60) / idleSeconds).toFixed(0) : 'n/a', '', ''],
    ['control plane resident memory (converged / after idle)', `${mib(r.rssConverged)} / ${Number.isFinite(r.rssIdle) ? mib(r.rssIdle) : 'n/a'}`, '', ''],
    ['control plane JS heap after idle', Number.isFinite(r.heapIdle) ? mib(r.heapIdle) : 'n/a', '', ''],
    ['simulated clusters process resident memory', mib(r.simsRss), '', ''],
  ];
  console.log(table(['measurement', 'control plane', 'baseline (direct SSA)', 'ratio'], rows));
  if (r.zoneRetries) console.log(`\nWhile submitting, ${r.zoneRetries} deploy(s) were refused with 422 SATUSKY_ZONE_UNAVAILABLE (a healthy cluster looked stale to the control plane) and retried after 1 s.`);
  if (r.resyncAfter.length > 0) {
    const during = r.resyncAfter.reduce((n, a) => n + a.passes - (r.resyncBefore.find((b) => b.zone === a.zone)?.passes ?? 0), 0);
    const passes = r.resyncAfter.map((a) => `${a.zone}: ${a.lastPassApps} apps in ${seconds(a.lastPassMs)} (${seconds(a.lastPassWorkMs)} of worker time)`).join('; ');
    console.log(`\nResync (every ${resyncMs / 1000} s at most, and no more than a quarter of the workers' time): last passes ${passes}; ${during} pass(es) finished during the idle window${r.resyncAfter.some((a) => a.inProgress) ? ', one still running at its end' : ''}.`);
  }
  const topReads = Object.entries(r.idleGetPaths).sort((x, y) => y[1] - x[1]).slice(0, 5);
  if (topReads.length > 0) console.log(`\nIdle reads by path (top ${topReads.length}, per minute): ${topReads.map(([p, n]) => `${p} ${((n * 60) / idleSeconds).toFixed(0)}`).join('; ')}`);
  if (postgres) console.log('PostgreSQL runs in its own server process: its CPU is not in the control plane figure.');
  if (r.timedOut) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await postgres?.drop().catch(() => {});
  await rm(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
