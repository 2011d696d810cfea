import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_CLASS, startSimCluster, type SimCluster } from '@satusky/sim';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { waitFor } from '../helpers.ts';
import { FAST_PODS } from '../sim-harness.ts';
import { scratchSchema, startPrivatePostgres, type PrivatePostgres } from './postgres.ts';
import { ControlPlaneProcess, freePort, waitReady } from './processes.ts';
import { reportFigures, round, sized } from './suite.ts';

/**
 * Two `satusky serve` processes on one PostgreSQL. The controller lease (a row with a fencing epoch)
 * lets exactly one of them run the controllers; SIGKILL the holder and the other takes over within
 * the lease time; SIGSTOP the holder past its lease, let the other take over, SIGCONT it: every write
 * the woken stale leader attempts is refused. Who wrote what is taken from PostgreSQL itself: each
 * process connects with its own application_name, and triggers on the controllers' tables log every
 * changed row and every attempted UPDATE by application. Runs on DATABASE_URL's server when set, else
 * on a private PostgreSQL (the lease needs PostgreSQL: PGlite is one process). Short: 1 handover and
 * 1 pause; full: 5 of each.
 */
const ROUNDS = sized(1, 5);
const LEASE_TTL_MS = 2_000;
const TICK_MS = Math.max(200, Math.floor(LEASE_TTL_MS / 3));
/** Lease expiry, the follower's next tick, and a second of scheduling on a loaded 2-core machine. */
const TAKEOVER_BAR_MS = LEASE_TTL_MS + TICK_MS + 1_000;
/** Tables the controllers write (and the API writes only on requests, which the stale leader never gets). */
const CONTROLLER_TABLES = [
  'clusters',
  'deployment_targets',
  'deployment_observations',
  'deployment_events',
  'deployments',
  'operations',
  'leases',
  'dns_records',
  'dns_zone',
  'edge_probes',
  'failover_states',
  'domains',
  'dns_observations',
  'backup_restores',
];

let privatePg: PrivatePostgres | null = null;
let unavailable = '';
let scratch: { url: string; drop(): Promise<void> } | null = null;
let db: Database | null = null;
let sim: SimCluster | undefined;
const processes: ControlPlaneProcess[] = [];
const masterKeys = randomBytes(32).toString('base64');

beforeAll(async () => {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const started = await startPrivatePostgres();
    if ('unavailable' in started) {
      unavailable = started.unavailable;
      return;
    }
    privatePg = started;
    serverUrl = started.url;
  }
  scratch = await scratchSchema(serverUrl, 'lease');
  db = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2 });
  await migrate(db);
  // Row changes and attempted updates, by the application_name each process connects with.
  await db.withScriptClient(async (client) => {
    await client.exec(`
      create table fence_log (id bigserial primary key, at timestamptz not null default clock_timestamp(), app text not null, tbl text not null, kind text not null);
      create function fence_row() returns trigger language plpgsql as $$
        begin insert into fence_log (app, tbl, kind) values (current_setting('application_name'), tg_table_name, 'row:' || lower(tg_op)); return null; end $$;
      create function fence_stmt() returns trigger language plpgsql as $$
        begin insert into fence_log (app, tbl, kind) values (current_setting('application_name'), tg_table_name, 'attempt:' || lower(tg_op)); return null; end $$;
      ${CONTROLLER_TABLES.map(
        (t) => `create trigger ${t}_fence_row after insert or update or delete on ${t} for each row execute function fence_row();
                create trigger ${t}_fence_stmt after insert or update or delete on ${t} for each statement execute function fence_stmt();`,
      ).join('\n')}
    `);
  });
  sim = await startSimCluster({ name: 'lease-zone', nodes: 2, podTimings: FAST_PODS });
}, 120_000);

afterAll(async () => {
  for (const p of processes) {
    p.signal('SIGCONT');
    await p.kill();
  }
  await sim?.stop();
  await db?.close();
  await scratch?.drop();
  await privatePg?.destroy();
});

async function spawn(name: string): Promise<{ proc: ControlPlaneProcess; base: string; name: string }> {
  const port = await freePort();
  const url = new URL(scratch!.url);
  url.searchParams.set('application_name', name);
  const proc = new ControlPlaneProcess(['serve', '--port', String(port)], {
    DATABASE_URL: url.toString(),
    SATUSKY_MASTER_KEYS: masterKeys,
    SATUSKY_LEASE_TTL_MS: String(LEASE_TTL_MS),
    SATUSKY_PROBE_INTERVAL_MS: '300',
    SATUSKY_RESYNC_INTERVAL_MS: '3000',
    SATUSKY_DNS_PORT: '0',
    SATUSKY_DNS_CHECKS: 'off',
    SATUSKY_LOG_LEVEL: 'info',
  });
  processes.push(proc);
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base);
  return { proc, base, name };
}

interface Lease {
  holder: string;
  epoch: number;
}
const lease = async (): Promise<Lease> => db!.db.selectFrom('leases').select(['holder', 'epoch']).where('name', '=', 'controllers').executeTakeFirstOrThrow();
const pidOf = (holder: string) => Number(holder.split(':')[1]);
const maxLogId = async () => Number((await sql<{ m: number | null }>`select max(id) as m from fence_log`.execute(db!.db)).rows[0]?.m ?? 0);
const logSince = async (id: number) => (await sql<{ id: number; app: string; tbl: string; kind: string }>`select id, app, tbl, kind from fence_log where id > ${id} order by id`.execute(db!.db)).rows;

describe('one controller leader on one PostgreSQL', () => {
  it('runs the controllers in exactly one process, hands over after SIGKILL, and fences a paused stale leader', async (context) => {
    if (!db) {
      context.skip(`no PostgreSQL for the lease test: ${unavailable}`);
      return;
    }
    const started = Date.now();
    let a = await spawn('cp-a');
    const token = (await a.proc.line(/Bootstrap admin token \(shown once\): (\S+)/))[1]!;
    let b = await spawn('cp-b');
    const api = async (base: string, method: string, url: string, body?: unknown) => {
      const response = await fetch(base + url, {
        method,
        headers: { 'x-satusky-api-key': token, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    // An edge address nobody listens on: the traffic controller probes it and records the failures.
    const registered = await api(a.base, 'POST', '/v1/clusters', { name: 'lease-zone', zone: 'lease-zone', kubeconfig: sim!.kubeconfig(), gateway_class: DEFAULT_GATEWAY_CLASS, edge_address: '127.0.0.77' });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const me = (await (await fetch(`${a.base}/v1/me`, { headers: { 'x-satusky-api-key': token } })).json()) as { organization: { organization_id: string } };
    const org = me.organization.organization_id;
    let version = 0;
    const deploy = async (base: string) => {
      version += 1;
      const response = await api(base, 'PUT', `/v1/orgs/${org}/apps/leased`, { image: `ghcr.io/acme/leased:${version}` });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      return response.body.generation as number;
    };
    // Rolled out: applied and the workload ready at that generation (the edge probes fail on purpose,
    // so the app as a whole is not reachable: that is not what this test is about).
    let last: unknown = null;
    const converged = async (base: string, generation: number, timeoutMs = 20_000) =>
      waitFor(async () => {
        const status = (await api(base, 'GET', `/v1/orgs/${org}/apps/leased/status`)).body as {
          generation: number;
          clusters: { applied_generation: number; observed_generation: number | null; conditions: { type: string; status: string }[] }[];
        };
        last = status;
        const c = status.clusters[0];
        return status.generation === generation && c?.applied_generation === generation && c.observed_generation === generation && c.conditions.some((x) => x.type === 'WorkloadReady' && x.status === 'True');
      }, { timeoutMs, intervalMs: 100, message: `generation ${generation} rolled out` }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; last status ${JSON.stringify(last)}`, { cause: error });
      });
    await converged(a.base, await deploy(a.base));

    const byPid = () => new Map([a, b].map((p) => [p.proc.pid, p]));
    const leader = async () => byPid().get(pidOf((await lease()).holder))!;

    // 1. Exactly one runs the controllers: over a few seconds every controller row change (health
    // probes, observations, reconciles) comes from the lease holder, and the holder does not move.
    const samplesFrom = await maxLogId();
    const first = await leader();
    const holders = new Set<string>();
    for (const end = Date.now() + sized(3_000, 10_000); Date.now() < end; ) {
      holders.add((await lease()).holder);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const sampled = (await logSince(samplesFrom)).filter((r) => r.kind.startsWith('row:'));
    const writers = new Set(sampled.map((r) => r.app));
    expect(holders.size).toBe(1);
    expect([...writers]).toEqual([first.name]);
    expect(sampled.filter((r) => r.tbl === 'clusters').length).toBeGreaterThan(3);

    const handovers: number[] = [];
    const lostAfterCont: number[] = [];
    const staleRowChanges: { app: string; tbl: string; kind: string }[] = [];
    let staleAttempts = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      // 2. SIGKILL the leader: the other takes over within the lease time, at a higher epoch.
      const victim = await leader();
      const survivor = victim === a ? b : a;
      const before = await lease();
      const killedAt = Date.now();
      await victim.proc.kill('SIGKILL');
      const after = await waitFor(async () => {
        const now = await lease();
        return pidOf(now.holder) === survivor.proc.pid ? now : null;
      }, { timeoutMs: TAKEOVER_BAR_MS * 3, intervalMs: 20, message: 'takeover after SIGKILL' });
      handovers.push(Date.now() - killedAt);
      expect(after.epoch).toBeGreaterThan(before.epoch);
      // The survivor now runs the controllers: a new deploy through it converges.
      await converged(survivor.base, await deploy(survivor.base));
      // A fresh process takes the dead one's place, as a follower.
      const fresh = await spawn(victim.name);
      if (victim === a) a = fresh;
      else b = fresh;
      expect(pidOf((await lease()).holder)).toBe(survivor.proc.pid);

      // 3. SIGSTOP the leader past its lease; the other takes over and works; SIGCONT the stale one.
      const paused = survivor;
      const other = paused === a ? b : a;
      const epochBefore = (await lease()).epoch;
      paused.proc.signal('SIGSTOP');
      await waitFor(async () => pidOf((await lease()).holder) === other.proc.pid, { timeoutMs: TAKEOVER_BAR_MS * 3, intervalMs: 20, message: 'takeover from a paused leader' });
      expect((await lease()).epoch).toBeGreaterThan(epochBefore);
      await converged(other.base, await deploy(other.base));
      // Long enough that the stale leader's timers (probes, resync, edge probes) are all overdue.
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const boundary = await maxLogId(); // the paused process cannot have written anything since
      const lostLine = paused.proc.lines.length;
      const continuedAt = Date.now();
      paused.proc.signal('SIGCONT');
      await waitFor(() => paused.proc.lines.slice(lostLine).some((l) => l.includes('controller lease lost')), {
        timeoutMs: 10_000,
        message: 'the stale leader notices it lost the lease',
      });
      lostAfterCont.push(Date.now() - continuedAt);
      // A few more seconds of the woken process running alongside the leader.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const since = (await logSince(boundary)).filter((r) => r.app === paused.name);
      staleRowChanges.push(...since.filter((r) => r.kind.startsWith('row:')).map(({ app, tbl, kind }) => ({ app, tbl, kind })));
      staleAttempts += since.filter((r) => r.kind.startsWith('attempt:')).length;
      expect(pidOf((await lease()).holder)).toBe(other.proc.pid);
      await converged(other.base, await deploy(other.base));
    }

    reportFigures('lease', {
      database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'private PostgreSQL',
      lease_ttl_ms: LEASE_TTL_MS,
      rounds: ROUNDS,
      controller_writers_while_sampling: [...writers],
      takeover_after_sigkill_ms: handovers,
      takeover_bar_ms: TAKEOVER_BAR_MS,
      stale_leader_noticed_loss_ms: lostAfterCont,
      stale_leader_write_attempts: staleAttempts,
      stale_leader_rows_changed: staleRowChanges.length,
      stale_leader_rows_changed_detail: staleRowChanges.slice(0, 20),
      duration_s: round((Date.now() - started) / 1000),
    });
    expect(Math.max(...handovers)).toBeLessThanOrEqual(TAKEOVER_BAR_MS);
    expect(staleRowChanges).toEqual([]);
  }, sized(120_000, 400_000));
});
