// bench/failover.ts — DNS failover timing in the simulated world, `npm run bench:failover` (issue 7).
//
// An active-passive app across two world zones (`satusky dev` under test: simulated clusters behind
// edges on 127.0.N.1, the world DNS forwarding the platform zone to the control plane's DNS, the
// world CA). Per trial: the serving zone goes down entirely (`zoneDown`: API refused, edge closed);
// this process measures, from the fault, the time until the app's hostname resolves (through the
// world DNS, polled every 20 ms) to the other zone's edge, and until the first HTTPS request through
// the world DNS succeeds there; then restores the zone and fails back by command (manual failback),
// ready for the next trial. A random pause of up to one probe interval before each fault spreads the
// fault over the probe cycle.
//
// Printed beside the figures: the detection bound (probe interval × failure threshold), the same
// with the DNS TTL (what a caching resolver may add; the world DNS does not cache, so these
// measurements do not include it), and the target (probe interval × threshold + 2 s). Baselines,
// measured in the same run, through the same DNS path and the same poller:
//   - the instrument floor: a record changed at the world registrar → visible through the world DNS;
//   - the switching pipeline without detection: an operator's `failover --to` command → DNS
//     switched (traffic loop, fenced write, platform DNS refresh, world DNS forwarding).
// (fault → DNS) − (command → DNS) is then what detection costs, to compare with the bound.
//
// Options (environment or flags): BENCH_TRIALS / --trials (default 20), BENCH_PROBE_MS (the
// controllers' probe interval, default 500), BENCH_THRESHOLD (failure threshold, default 3),
// BENCH_DNS_TTL (seconds, default 1).
import { Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AppStatus } from '@satusky/contracts';
import { machineNote, ms, numberOption, percentile, ratio, sleep, SUPPORT, table } from './support/common.ts';
import { ChildHandle, coreShare, type Usage } from './support/ipc.ts';
import type { WorldConfig, WorldReady } from './support/world-child.ts';

const trials = numberOption('trials', 'BENCH_TRIALS', 20);
const probeMs = numberOption('probe-ms', 'BENCH_PROBE_MS', 500);
const threshold = numberOption('threshold', 'BENCH_THRESHOLD', 3);
const dnsTtl = numberOption('dns-ttl', 'BENCH_DNS_TTL', 1);
const POLL_MS = 20;
const A = 'fo-a';
const B = 'fo-b';

const startedAt = new Date();
console.log(`bench/failover.ts — ${startedAt.toISOString()}`);
console.log(`at start: ${machineNote()}`);
console.log(`${trials} trials, probe interval ${probeMs} ms, failure threshold ${threshold}, platform DNS TTL ${dnsTtl} s, DNS polled every ${POLL_MS} ms\n`);

const world = await ChildHandle.start<WorldReady>(SUPPORT.world, [JSON.stringify({ zones: [A, B], probeIntervalMs: probeMs, dnsTtl } satisfies WorldConfig)], { timeoutMs: 300_000 });
const w = world.ready;
const edgeA = w.edges[A]!;
const edgeB = w.edges[B]!;
const ca = await readFile(w.caPath, 'utf8');
const resolver = new Resolver({ timeout: 500, tries: 1 });
resolver.setServers([`${w.dns.host}:${w.dns.port}`]);

async function api<T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T; text: string }> {
  return world.call('api', { method, url, ...(body === undefined ? {} : { body }) });
}

/** The addresses the world DNS answers now ([] for no answer, ['SERVFAIL'] and the like for errors). */
async function resolve(name: string): Promise<string[]> {
  try {
    return (await resolver.resolve4(name)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
    return code === 'ENOTFOUND' || code === 'ENODATA' ? [] : [code];
  }
}

/** Polls the world DNS every 20 ms until `name` answers exactly `want`; the answers seen on the way. */
async function waitDns(name: string, want: string[], timeoutMs: number): Promise<{ at: number; seen: Set<string> }> {
  const target = JSON.stringify([...want].sort());
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await resolve(name);
    const now = Date.now();
    seen.add(answer.join(',') || '(none)');
    if (JSON.stringify(answer) === target) return { at: now, seen };
    if (now > deadline) throw new Error(`${name} did not resolve to ${want.join(', ')} within ${timeoutMs} ms (seen: ${[...seen].join(' | ')})`);
    await sleep(POLL_MS);
  }
}

/** GET https://host/path through the world DNS, verified against the world CA. */
function fetchHttps(hostname: string, urlPath: string): Promise<{ status: number; zone: string | undefined; issuer: string }> {
  return new Promise((resolvePromise, reject) => {
    const request = https.request(
      {
        host: hostname,
        port: w.httpsPort,
        path: urlPath,
        ca,
        agent: false,
        timeout: 1_000,
        lookup: (name, opts, callback) => {
          const answer = (address: string) =>
            (opts as { all?: boolean }).all ? (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family: 4 }]) : callback(null, address, 4);
          resolver.resolve4(name).then(
            (addresses) => (addresses[0] ? answer(addresses[0]) : callback(Object.assign(new Error(`${name}: no address`), { code: 'ENOTFOUND' }), '', 4)),
            (error: Error) => callback(error as NodeJS.ErrnoException, '', 4),
          );
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          const zone = response.headers['x-satusky-zone'];
          resolvePromise({ status: response.statusCode ?? 0, zone: typeof zone === 'string' ? zone : undefined, issuer: String((response.socket as TLSSocket).getPeerCertificate?.()?.issuer?.CN ?? '') });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end();
  });
}

async function firstHttps(hostname: string, zone: string, timeoutMs: number): Promise<{ at: number; attempts: number; issuer: string }> {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  for (;;) {
    attempts++;
    const r = await fetchHttps(hostname, '/healthz').catch(() => null);
    const now = Date.now();
    if (r && r.status === 200 && r.zone === zone) return { at: now, attempts, issuer: r.issuer };
    if (now > deadline) throw new Error(`no HTTPS 200 from ${zone} for ${hostname} within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

const status = async (app: string) => (await api<AppStatus>('GET', `/v1/orgs/${w.org}/apps/${app}/status`)).body;

/** Both zones ready, A serving, and a fresh successful probe through A's edge since `since`. */
async function settledOnA(app: string, hostname: string, since: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(app);
    const probeA = s.traffic?.probes.find((p) => p.zone === A);
    const ok =
      s.traffic?.failover?.phase === 'primary-serving' &&
      s.clusters.every((c) => !c.stale && c.conditions.find((x) => x.type === 'WorkloadReady')?.status === 'True') &&
      probeA?.ok === true &&
      Date.parse(probeA.probed_at) > since &&
      s.traffic.probes.find((p) => p.zone === B)?.ok === true;
    if (ok && JSON.stringify(await resolve(hostname)) === JSON.stringify([edgeA])) return;
    if (Date.now() > deadline) throw new Error(`${app} did not settle on ${A}: ${JSON.stringify({ failover: s.traffic?.failover, probes: s.traffic?.probes })}`);
    await sleep(100);
  }
}

/** After A is restored: fail back by command once A is ready again (a refused command is retried). */
async function failBack(app: string, hostname: string, restoredAt: number): Promise<number> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const s = await status(app);
    const a = s.clusters.find((c) => c.zone === A);
    const probeA = s.traffic?.probes.find((p) => p.zone === A);
    if (a && !a.stale && a.conditions.find((x) => x.type === 'WorkloadReady')?.status === 'True' && probeA?.ok === true && Date.parse(probeA.probed_at) > restoredAt) {
      const r = await api('POST', `/v1/orgs/${w.org}/apps/${app}/failback`, {});
      if (r.status === 202) {
        const back = await waitDns(hostname, [edgeA], 3_000).catch(() => null);
        if (back) return back.at - restoredAt;
      }
    }
    if (Date.now() > deadline) throw new Error(`${app} could not fail back to ${A}: ${JSON.stringify(s.traffic?.failover)}`);
    await sleep(200);
  }
}

interface Trial {
  dns: number;
  https: number;
  detected: number;
  switched: number;
  failback: number;
  answers: string[];
  httpsAttempts: number;
}

let exitCode = 0;
try {
  // The app: active-passive, primary A, manual failback (so each trial ends by command, promptly).
  const app = 'fo';
  const deployed = await api<{ hostname: string }>('PUT', `/v1/orgs/${w.org}/apps/${app}`, {
    image: 'ghcr.io/acme/fo:1',
    health_path: '/healthz',
    multicluster: { enabled: true, mode: 'active-passive', zones: [A, B], primary: A, failback: 'manual', failback_after_seconds: 5, failure_threshold: threshold },
  });
  if (deployed.status !== 202) throw new Error(`deploy: ${deployed.status} ${deployed.text}`);
  const hostname = deployed.body.hostname;
  const deadline = Date.now() + 180_000;
  while ((await status(app)).status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`${app} not ready: ${JSON.stringify(await status(app))}`);
    await sleep(200);
  }
  await settledOnA(app, hostname, 0, 60_000);
  const issuer = (await firstHttps(hostname, A, 10_000)).issuer;
  console.log(`world pid ${world.pid}: ${A} edge ${edgeA}, ${B} edge ${edgeB}, DNS ${w.dns.host}:${w.dns.port}; ${hostname} serves from ${A} over HTTPS (certificate by ${issuer})`);

  // Baseline 1: the instrument floor (a registrar change → visible through the world DNS).
  const floor: number[] = [];
  const probeName = 'dns-floor.bench-world.example';
  await world.call('registrar', { name: probeName, values: ['192.0.2.1'] });
  await waitDns(probeName, ['192.0.2.1'], 5_000);
  for (let i = 0; i < trials; i++) {
    const value = i % 2 === 0 ? '192.0.2.2' : '192.0.2.1';
    const t0 = Date.now();
    await world.call('registrar', { name: probeName, values: [value] });
    floor.push((await waitDns(probeName, [value], 5_000)).at - t0);
  }

  // Baseline 2: the switching pipeline without detection (operator command → DNS), both directions.
  const command: number[] = [];
  for (let i = 0; i < trials; i++) {
    await settledOnA(app, hostname, 0, 60_000);
    let t0 = Date.now();
    const over = await api('POST', `/v1/orgs/${w.org}/apps/${app}/failover`, { to: B });
    if (over.status !== 202) throw new Error(`failover command: ${over.status} ${over.text}`);
    command.push((await waitDns(hostname, [edgeB], 10_000)).at - t0);
    // Let B's phase complete (its edge answered) before commanding back.
    while ((await status(app)).traffic?.failover?.phase !== 'secondary-serving') await sleep(50);
    t0 = Date.now();
    const back = await api('POST', `/v1/orgs/${w.org}/apps/${app}/failback`, {});
    if (back.status !== 202) throw new Error(`failback command: ${back.status} ${back.text}`);
    command.push((await waitDns(hostname, [edgeA], 10_000)).at - t0);
  }

  // The trials: the serving zone goes down.
  const results: Trial[] = [];
  const u0 = await world.call<Usage>('usage');
  let since = Date.now();
  for (let i = 0; i < trials; i++) {
    await settledOnA(app, hostname, since, 90_000);
    await sleep(Math.random() * probeMs);
    const t0 = Date.now();
    await world.call('fault', { kind: 'zoneDown', zone: A });
    const dns = await waitDns(hostname, [edgeB], 60_000);
    const first = await firstHttps(hostname, B, 30_000);
    const s = await status(app);
    const f = s.traffic?.failover;
    await world.call('fault', { kind: 'restore', zone: A });
    const restoredAt = Date.now();
    const failback = await failBack(app, hostname, restoredAt);
    since = Date.now();
    results.push({
      dns: dns.at - t0,
      https: first.at - t0,
      detected: f?.detected_at ? Date.parse(f.detected_at) - t0 : Number.NaN,
      switched: f?.switched_at ? Date.parse(f.switched_at) - t0 : Number.NaN,
      failback,
      answers: [...dns.seen],
      httpsAttempts: first.attempts,
    });
    process.stdout.write(`trial ${i + 1}/${trials}: DNS ${Math.round(dns.at - t0)} ms, HTTPS ${Math.round(first.at - t0)} ms\n`);
  }
  const u1 = await world.call<Usage>('usage');

  // ---------------------------------------------------------------- report
  const bound = probeMs * threshold;
  const target = bound + 2_000;
  const p = (xs: number[], q: number) => percentile(xs.filter(Number.isFinite), q);
  const dnsT = results.map((r) => r.dns);
  const httpsT = results.map((r) => r.https);
  const cmdP50 = p(command, 50);
  console.log(`\nbench/failover.ts — run of ${startedAt.toISOString()}`);
  console.log(`at end: ${machineNote()}`);
  console.log(`${trials} trials; probe interval ${probeMs} ms × failure threshold ${threshold}; platform DNS TTL ${dnsTtl} s; world (control plane + simulated zones) CPU during the trials ${(coreShare(u0, u1) * 100).toFixed(0)} % of one core\n`);
  const rows = [
    ['zone down → DNS answers the other zone (world DNS)', ms(p(dnsT, 50)), ms(p(dnsT, 99)), ms(Math.max(...dnsT)), ratio(p(dnsT, 99), target)],
    ['zone down → first HTTPS 200 from the other zone', ms(p(httpsT, 50)), ms(p(httpsT, 99)), ms(Math.max(...httpsT)), ratio(p(httpsT, 99), target)],
    ['  of which: zone down → first failed probe (status detected_at)', ms(p(results.map((r) => r.detected), 50)), ms(p(results.map((r) => r.detected), 99)), ms(Math.max(...results.map((r) => r.detected))), ''],
    ['  of which: zone down → switch decided (status switched_at)', ms(p(results.map((r) => r.switched), 50)), ms(p(results.map((r) => r.switched), 99)), ms(Math.max(...results.map((r) => r.switched))), ''],
    ['baseline: operator command → DNS switched (no detection)', ms(cmdP50), ms(p(command, 99)), ms(Math.max(...command)), ''],
    ['baseline: registrar change → visible (instrument floor)', ms(p(floor, 50)), ms(p(floor, 99)), ms(Math.max(...floor)), ''],
    ['restore → failed back by command (DNS on the primary again)', ms(p(results.map((r) => r.failback), 50)), ms(p(results.map((r) => r.failback), 99)), ms(Math.max(...results.map((r) => r.failback))), ''],
  ];
  console.log(table(['measurement', 'p50', 'p99', 'max', 'p99 vs target'], rows));
  console.log(`\nbound: probe interval × threshold = ${ms(bound)}; with the DNS TTL a caching resolver may add: ${ms(bound + dnsTtl * 1000)}`);
  console.log(`target: within probe interval × threshold + 2 s = ${ms(target)} → DNS p99 ${ms(p(dnsT, 99))} ${p(dnsT, 99) <= target ? 'met' : 'NOT met'}, HTTPS p99 ${ms(p(httpsT, 99))} ${p(httpsT, 99) <= target ? 'met' : 'NOT met'}`);
  console.log(`detection alone ≈ (fault → DNS) − (command → DNS) = ${ms(p(dnsT, 50) - cmdP50)} at the median, against a bound of ${ms(bound)} (threshold − 1 full intervals plus a random phase within one more, plus the probe's own time)`);
  const odd = results.filter((r) => r.answers.some((a) => a !== edgeA && a !== edgeB));
  console.log(`DNS answers seen while switching: ${odd.length === 0 ? `only ${edgeA} then ${edgeB} in every trial` : `${odd.length} trial(s) also saw ${[...new Set(odd.flatMap((r) => r.answers))].join(' | ')}`}; HTTPS attempts after the DNS switch until the first 200: median ${p(results.map((r) => r.httpsAttempts), 50)}`);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await world.stop(30_000);
}
process.exit(exitCode);
