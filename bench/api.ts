// bench/api.ts — API throughput and latency, `npm run bench:api`.
//
// Measures, in one run and on the same machine: a bare Fastify handler (the baseline), an
// authenticated GET (/v1/me: token lookup + membership join) and a mutation (POST a token: one
// transaction with the insert and its audit entry), on PGlite and, when reachable, on PostgreSQL.
// Each server runs in its own process; autocannon drives it from this one. Ratios are against the
// baseline measured in the same run, so they survive a busy or slower machine.
//
// Then, with the controllers running against 3 simulated clusters (each in a process of its own:
// the control plane, the clusters, this driver), 30 apps running in all three: the same requests
// (plus an app's status) under 16 and 64 connections, with every cluster healthy and with one
// cluster blackholed (connections accepted, never answered) while every app is being redeployed, so
// the controllers have requests hanging on it (the healthy phase redeploys every app too). The two
// phases alternate BENCH_ROUNDS times (default 3) and the medians are compared, so that a real cost
// can be told from the noise of one short measurement on a shared machine. The bar: no more than
// 20 % worse than the healthy figures.
//
// Options (environment): BENCH_DURATION seconds per measurement (default 5), BENCH_CONNECTIONS
// (default 16), BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch
// schema is created and dropped), BENCH_SKIP_POSTGRES=1, BENCH_FLEET=0 (skip the blackhole part),
// BENCH_FLEET_CONNECTIONS (default "16,64"), BENCH_ROUNDS (default 3).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';
import { Api, machineNote, registerClusters, sleep, sourceNote, startControlPlaneChild, startSims, table, waitClustersHealthy, waitUntil } from './support/common.ts';
import type { Convergence } from './support/control-plane-child.ts';

const duration = Number(process.env.BENCH_DURATION ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const pgBase = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const nodeBin = process.execPath;
const fleet = process.env.BENCH_FLEET !== '0';
const fleetConnections = (process.env.BENCH_FLEET_CONNECTIONS ?? '16,64').split(',').map(Number).filter((n) => n > 0);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const startedAt = new Date();
console.log(`bench/api.ts — ${startedAt.toISOString()}`);
console.log(`at start: ${machineNote()}`);

interface Served {
  url: string;
  token?: string;
  orgId?: string;
  database?: string;
}

async function startServer(args: string[]): Promise<{ served: Served; child: ChildProcess }> {
  const child = spawn(nodeBin, ['bench/support/api-server.ts', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { served: JSON.parse(line) as Served, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

interface Measurement {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function measure(name: string, options: autocannon.Options, conns = connections): Promise<Measurement> {
  // A short warm-up so JIT and connection setup are not part of the figure.
  await autocannon({ ...options, duration: 1, connections: conns });
  const result = await autocannon({ ...options, duration, connections: conns });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function benchControlPlane(label: string, args: string[]): Promise<Measurement[]> {
  const { served, child } = await startServer(args);
  try {
    const headers = { 'x-satusky-api-key': served.token!, 'content-type': 'application/json' };
    const get = await measure(`${label}: GET /v1/me (authenticated)`, { url: `${served.url}/v1/me`, headers });
    let n = 0;
    const mutation = await measure(`${label}: POST /v1/orgs/:org/tokens (mutation + audit)`, {
      url: `${served.url}/v1/orgs/${served.orgId}/tokens`,
      method: 'POST',
      headers,
      setupClient: (client) => {
        client.setBody(JSON.stringify({ name: `bench-${(n += 1)}` }));
      },
    });
    return [get, mutation];
  } finally {
    await stop(child);
  }
}

async function postgresUrl(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  if (process.env.BENCH_SKIP_POSTGRES === '1') return null;
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: pgBase, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`create schema ${schema}`);
  } catch (error) {
    console.error(`PostgreSQL at ${pgBase} unavailable (${(error as Error).message}); skipping it`);
    return null;
  } finally {
    await client.end().catch(() => {});
  }
  const url = new URL(pgBase);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: pgBase });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}


// ---------------------------------------------------------------- one cluster blackholed

const FLEET_ZONES = ['bh-a', 'bh-b', 'bh-c'];
const FLEET_APPS = 30;

interface FleetRow {
  database: string;
  endpoint: string;
  connections: number;
  /** One measurement per round, in the order taken. */
  healthy: Measurement[];
  blackholed: Measurement[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function benchFleet(label: string, databaseUrl?: string): Promise<FleetRow[]> {
  const sims = await startSims({ clusters: FLEET_ZONES.map((z) => ({ name: z, zone: z })) });
  const cp = await startControlPlaneChild({ ...(databaseUrl ? { databaseUrl } : {}) });
  const rows: FleetRow[] = [];
  try {
    const url = cp.ready.url;
    const org = cp.ready.admin.orgId;
    const admin = new Api(url, cp.ready.admin.token);
    await registerClusters(admin, sims.ready);
    await waitClustersHealthy(admin, FLEET_ZONES.length);
    const deployAll = async (tag: string) => {
      for (let i = 0; i < FLEET_APPS; i++) {
        const r = await admin.call('PUT', `/v1/orgs/${org}/apps/api-${i}`, { image: `ghcr.io/acme/api:${tag}`, multicluster: { enabled: true, mode: 'active-active', zones: FLEET_ZONES } });
        if (r.status !== 202) throw new Error(`deploy api-${i}: ${r.status} ${r.text}`);
      }
    };
    const converged = (what: string) =>
      waitUntil(async () => {
        const c = await cp.call<Convergence>('converged');
        return c.targets === FLEET_APPS * FLEET_ZONES.length && c.ready === c.targets;
      }, 180_000, what, 500);
    await deployAll('1');
    await converged(`${FLEET_APPS} apps ready in ${FLEET_ZONES.length} clusters`);
    const headers = { authorization: `Bearer ${cp.ready.admin.token}`, 'content-type': 'application/json' };
    let n = 0;
    const endpoints: [string, autocannon.Options][] = [
      ['GET /v1/me', { url: `${url}/v1/me`, headers }],
      ['GET /v1/orgs/:org/apps/:app/status', { url: `${url}/v1/orgs/${org}/apps/api-0/status`, headers }],
      [
        'POST /v1/orgs/:org/tokens',
        { url: `${url}/v1/orgs/${org}/tokens`, method: 'POST', headers, setupClient: (client) => client.setBody(JSON.stringify({ name: `fleet-${(n += 1)}` })) },
      ],
    ];
    let generation = 1;
    for (const conns of fleetConnections) {
      const cell = endpoints.map(([name]) => ({ database: label, endpoint: name, connections: conns, healthy: [] as Measurement[], blackholed: [] as Measurement[] }));
      for (let round = 1; round <= rounds; round++) {
        // Both phases measure while every app is being redeployed, so the only difference between
        // them is the blackholed cluster (not an idle control plane against a busy one).
        await deployAll(String((generation += 1)));
        for (const [i, [name, options]] of endpoints.entries()) cell[i]!.healthy.push(await measure(`${label} + controllers, 3 clusters healthy: ${name} (${conns} conn, round ${round})`, options, conns));
        await converged('healthy redeploy');
        // One cluster blackholed, every app redeployed: the controllers' requests to it hang.
        await sims.call('fault', { cluster: 'bh-c', api: 'blackhole' });
        await deployAll(String((generation += 1)));
        await waitUntil(async () => {
          const r = await admin.call<{ items: { name: string; health: { state: string } }[] }>('GET', '/v1/clusters');
          return r.body.items.find((c) => c.name === 'bh-c')?.health.state !== 'healthy';
        }, 30_000, 'bh-c seen unhealthy', 200);
        for (const [i, [name, options]] of endpoints.entries()) cell[i]!.blackholed.push(await measure(`${label} + controllers, bh-c blackholed: ${name} (${conns} conn, round ${round})`, options, conns));
        await sims.call('fault', { cluster: 'bh-c', api: 'ok' });
        await converged('recovery after the blackhole');
        await sleep(1000);
      }
      rows.push(...cell);
    }
  } finally {
    await cp.stop();
    await sims.stop();
  }
  return rows;
}

const results: Measurement[] = [];
const bare = await startServer(['--mode', 'bare']);
try {
  results.push(await measure('baseline: bare Fastify GET', { url: `${bare.served.url}/bare` }));
} finally {
  await stop(bare.child);
}
results.push(...(await benchControlPlane('PGlite', ['--mode', 'control-plane'])));
const postgres = await postgresUrl();
const fleetRows: FleetRow[] = [];
if (fleet) fleetRows.push(...(await benchFleet('PGlite')));
if (postgres) {
  try {
    results.push(...(await benchControlPlane('PostgreSQL', ['--mode', 'control-plane', '--database-url', postgres.url])));
  } finally {
    await postgres.drop();
  }
  if (fleet) {
    const scratch = await postgresUrl();
    if (scratch) {
      try {
        fleetRows.push(...(await benchFleet('PostgreSQL', scratch.url)));
      } finally {
        await scratch.drop();
      }
    }
  }
}

const baseline = results[0]!;
console.log(`\nbench/api.ts — ${duration}s per measurement, ${connections} connections, ${startedAt.toISOString()}`);
console.log(`at end: ${machineNote()}`);
console.log(sourceNote());
console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);
const rows = results.map((r) => [
  r.name,
  r.rps.toFixed(0),
  `${r.p50.toFixed(1)} ms`,
  `${r.p99.toFixed(1)} ms`,
  (r.rps / baseline.rps).toFixed(3),
  String(r.errors + r.non2xx),
]);
console.log(table(['measurement', 'req/s', 'p50', 'p99', 'req/s vs baseline', 'errors'], rows));
const all = [...results, ...fleetRows.flatMap((r) => [...r.healthy, ...r.blackholed])];
if (fleetRows.length > 0) {
  console.log(`\nOne of 3 clusters blackholed while ${FLEET_APPS} apps are redeployed to all three, against the same with every cluster healthy (controllers running in the API's process; ${duration} s per measurement; the phases alternate ${rounds} times; medians, with the range over the rounds in brackets):\n`);
  const range = (xs: number[], digits = 0) => (xs.length > 1 ? ` [${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}]` : '');
  let met = 0;
  console.log(
    table(
      ['database', 'request', 'conn', 'healthy req/s', 'blackholed req/s', 'ratio', 'healthy p99 (ms)', 'blackholed p99 (ms)', 'ratio', 'not worse than 20 %'],
      fleetRows.map((r) => {
        const hRps = median(r.healthy.map((m) => m.rps));
        const bRps = median(r.blackholed.map((m) => m.rps));
        const hP99 = median(r.healthy.map((m) => m.p99));
        const bP99 = median(r.blackholed.map((m) => m.p99));
        // One-sided: the blackhole must not make the API slower; faster is within the bar too.
        const ok = bRps / hRps >= 0.8 && (bP99 <= hP99 * 1.2 || bP99 - hP99 <= 2);
        if (ok) met++;
        return [
          r.database,
          r.endpoint,
          String(r.connections),
          `${hRps.toFixed(0)}${range(r.healthy.map((m) => m.rps))}`,
          `${bRps.toFixed(0)}${range(r.blackholed.map((m) => m.rps))}`,
          (bRps / hRps).toFixed(2),
          `${hP99.toFixed(0)}${range(r.healthy.map((m) => m.p99))}`,
          `${bP99.toFixed(0)}${range(r.blackholed.map((m) => m.p99))}`,
          (bP99 / Math.max(1, hP99)).toFixed(2),
          ok ? 'yes' : 'NO',
        ];
      }),
    ),
  );
  console.log(`\nBar P1 (API no more than 20 % worse while one cluster is blackholed): median req/s at least 0.8× and median p99 at most 1.2× (or within 2 ms) of the healthy phase's; both phases redeploy every app. Met in ${met} of ${fleetRows.length} cells.`);
}
if (all.some((r) => r.errors + r.non2xx > 0)) {
  console.error('\nsome requests failed; the figures above are not trustworthy');
  process.exitCode = 1;
}
