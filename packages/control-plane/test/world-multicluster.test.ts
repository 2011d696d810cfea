import type { AppEvent, AppStatus } from '@satusky/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers.ts';
import { startWorldHarness, type WorldHarness } from './world-harness.ts';

const A = 'sim-mc-a';
const B = 'sim-mc-b';
const PROBE_MS = 300;
const THRESHOLD = 3;
/** The promise: traffic moves within probe interval × threshold + 2 s (+ the DNS TTL of 1 s). */
const FAILOVER_BOUND_MS = PROBE_MS * THRESHOLD + 2_000 + 1_000;

let h: WorldHarness;
const hostOf = new Map<string, string>();
const edge = (zone: string) => h.world.zone(zone).edgeAddress;

async function deploy(app: string, multicluster: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const response = await h.api<{ hostname: string }>('PUT', `/v1/orgs/${h.org}/apps/${app}`, { image: `ghcr.io/acme/${app}:1`, health_path: '/healthz', multicluster, ...extra });
  expect(response.status, response.text).toBe(202);
  hostOf.set(app, response.body.hostname);
}

const events = async (app: string) => (await h.api<{ items: AppEvent[] }>('GET', `/v1/orgs/${h.org}/apps/${app}/events?limit=500`)).body.items;

/** Waits until the app's hostname resolves (through the world DNS) to exactly these zones' edges. */
async function waitForDns(app: string, zones: string[], timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  const want = zones.map(edge).sort();
  await waitFor(async () => JSON.stringify(await h.resolve(hostOf.get(app)!)) === JSON.stringify(want), {
    timeoutMs,
    intervalMs: 50,
    message: `${hostOf.get(app)} resolves to ${want.join(', ')}`,
  });
  return Date.now() - started;
}

beforeAll(async () => {
  h = await startWorldHarness({ zones: [A, B], probeIntervalMs: PROBE_MS });
  await deploy('both', { enabled: true, mode: 'active-active', zones: [A, B] });
  await deploy('ap', { enabled: true, mode: 'active-passive', zones: [A, B], primary: A, failback: 'auto', failback_after_seconds: 5, failure_threshold: THRESHOLD });
  await deploy('apm', { enabled: true, mode: 'active-passive', zones: [A, B], primary: A, failback: 'manual', failback_after_seconds: 5, failure_threshold: THRESHOLD });
  for (const app of ['both', 'ap', 'apm']) await h.waitForStatus(app, (s) => s.status === 'ready', { timeoutMs: 60_000, message: `${app} ready in both zones` });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('multi-cluster traffic in the simulated world', { timeout: 60_000 }, () => {
  it('active-active answers from both edges, and a zone whose edge goes down leaves DNS', async () => {
    await waitForDns('both', [A, B]);
    const host = hostOf.get('both')!;
    const fromA = await h.fetchHttps(host, '/healthz', { address: edge(A) });
    const fromB = await h.fetchHttps(host, '/healthz', { address: edge(B) });
    expect([fromA.status, fromA.zone]).toEqual([200, A]);
    expect([fromB.status, fromB.zone]).toEqual([200, B]);

    await h.world.faults.edgeDown(A);
    try {
      const took = await waitForDns('both', [B]);
      expect(took).toBeLessThan(FAILOVER_BOUND_MS);
      const answered = await h.fetchHttps(host, '/healthz');
      expect(answered.zone).toBe(B);
      const status = await h.status('both');
      expect(status.clusters.find((c) => c.zone === A)!.conditions.find((c) => c.type === 'Reachable')).toMatchObject({ status: 'False' });
      expect(status.status).toBe('degraded');
    } finally {
      await h.world.faults.restore(A);
    }
    await waitForDns('both', [A, B]);
  });

  it('refuses active-active with a cluster-local volume, and says why', async () => {
    const refused = await h.api<{ error: { code: string; message: string } }>('PUT', `/v1/orgs/${h.org}/apps/db`, {
      image: 'ghcr.io/acme/db:1',
      volumes: [{ name: 'data', size: '1Gi', mount_path: '/data', storage_type: 'cluster-local' }],
      multicluster: { enabled: true, mode: 'active-active', zones: [A, B] },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body.error.message).toMatch(/cluster-local/);
    expect((await h.api('GET', `/v1/orgs/${h.org}/apps/db`)).status).toBe(404);
  });

  it('active-passive: a blackholed API of the primary moves nothing, and status says so', async () => {
    await waitForDns('ap', [A]);
    await h.world.faults.apiBlackhole(A);
    try {
      const status = await h.waitForStatus('ap', (s) => s.clusters.find((c) => c.zone === A)?.stale === true && (s.traffic?.failover?.reason ?? '').includes('API is unreachable'), {
        timeoutMs: 20_000,
        message: 'primary API stale while its edge serves',
      });
      expect(status.traffic?.failover).toMatchObject({ phase: 'primary-serving', serving: A });
      expect(status.clusters.find((c) => c.zone === A)!.status).toBe('unknown');
      expect(await h.resolve(hostOf.get('ap')!)).toEqual([edge(A)]);
      expect((await h.fetchHttps(hostOf.get('ap')!, '/healthz')).zone).toBe(A);
      expect((await events('ap')).map((e) => e.type)).toContain('ServingWithoutControl');
    } finally {
      await h.world.faults.restore(A);
    }
    await h.waitForStatus('ap', (s) => s.status === 'ready', { message: 'ap recovers after the API returns' });
  });

  it('active-passive: the primary zone going down moves DNS to the secondary within the bound; HTTPS reaches it; auto failback waits for the healthy period', async () => {
    const host = hostOf.get('ap')!;
    const faultAt = Date.now();
    await h.world.faults.zoneDown(A);
    let restoredAt: number;
    try {
      const took = await waitForDns('ap', [B]);
      expect(took).toBeLessThan(FAILOVER_BOUND_MS);
      const answered = await waitFor(async () => {
        try {
          const r = await h.fetchHttps(host, '/healthz');
          return r.status === 200 ? r : null;
        } catch {
          return null;
        }
      }, { timeoutMs: 5_000, message: 'HTTPS through the world DNS reaches the secondary' });
      expect(answered.zone).toBe(B);
      expect(answered.issuer).toBe('Satusky World Root CA');
      const status = await h.waitForStatus('ap', (s) => s.traffic?.failover?.phase === 'secondary-serving');
      const f = status.traffic!.failover!;
      expect(f).toMatchObject({ serving: B, primary: A, from: A });
      expect(Date.parse(f.detected_at!)).toBeGreaterThanOrEqual(faultAt - 1_000);
      expect(Date.parse(f.switched_at!)).toBeGreaterThanOrEqual(Date.parse(f.detected_at!));
      expect(Date.parse(f.first_healthy_at!)).toBeGreaterThanOrEqual(Date.parse(f.switched_at!));
      const types = (await events('ap')).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['FailoverDetecting', 'FailoverStarted', 'FailoverCompleted', 'DnsPublished']));
    } finally {
      await h.world.faults.restore(A);
      restoredAt = Date.now();
    }
    // Back only after the primary has been healthy for failback_after_seconds (5 s).
    await waitForDns('ap', [A], 30_000);
    expect(Date.now() - restoredAt).toBeGreaterThanOrEqual(5_000);
    const status = await h.waitForStatus('ap', (s) => s.traffic?.failover?.phase === 'primary-serving');
    expect(status.traffic!.failover!.serving).toBe(A);
    expect((await events('ap')).map((e) => e.type)).toEqual(expect.arrayContaining(['FailbackStarted', 'FailbackCompleted']));
  });

  it('manual failback: traffic stays on the secondary until an operator fails back; a drill works the same way', async () => {
    await h.world.faults.zoneDown(A);
    try {
      await waitForDns('apm', [B]);
    } finally {
      await h.world.faults.restore(A);
    }
    const available = await h.waitForStatus('apm', (s) => (s.traffic?.failover?.reason ?? '').startsWith('failback available'), { timeoutMs: 30_000, message: 'failback available' });
    expect(available.traffic!.failover!.serving).toBe(B);
    expect(await h.resolve(hostOf.get('apm')!)).toEqual([edge(B)]);
    const back = await h.api<{ target: string }>('POST', `/v1/orgs/${h.org}/apps/apm/failback`, {});
    expect(back.status).toBe(202);
    expect(back.body.target).toBe(A);
    await waitForDns('apm', [A]);
    // A drill to the secondary and back.
    expect((await h.api('POST', `/v1/orgs/${h.org}/apps/apm/failover`, { to: B })).status).toBe(202);
    await waitForDns('apm', [B]);
    expect((await h.api('POST', `/v1/orgs/${h.org}/apps/apm/failback`, {})).status).toBe(202);
    await waitForDns('apm', [A]);
  });

  it('a flapping primary causes no flapping traffic', async () => {
    await waitForDns('ap', [A]);
    const before = (await events('ap')).filter((e) => e.type === 'FailoverStarted').length;
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.add((await h.resolve(hostOf.get('ap')!)).join(','));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // Down for less than the threshold, up again, ten times.
    for (let i = 0; i < 10; i += 1) {
      await h.world.faults.edgeDown(A);
      await new Promise((resolve) => setTimeout(resolve, PROBE_MS));
      await h.world.faults.restore(A);
      await new Promise((resolve) => setTimeout(resolve, PROBE_MS * 3));
    }
    watching = false;
    await watcher;
    expect([...seen]).toEqual([edge(A)]);
    expect((await events('ap')).filter((e) => e.type === 'FailoverStarted').length).toBe(before);
  });

  it('never makes a secondary that is not ready the serving zone, and explains why', async () => {
    await h.world.faults.loseNodes(B, 3);
    try {
      await h.waitForStatus('ap', (s) => s.clusters.find((c) => c.zone === B)?.conditions.find((c) => c.type === 'WorkloadReady')?.status === 'False', {
        message: 'the secondary is not ready',
      });
      await h.world.faults.zoneDown(A);
      const status: AppStatus = await h.waitForStatus('ap', (s) => (s.traffic?.failover?.reason ?? '').startsWith('no ready zone'), { timeoutMs: 15_000, message: 'failover blocked' });
      expect(status.traffic!.failover!.serving).toBe(A);
      expect(status.traffic!.failover!.reason).toContain(B);
      expect(await h.resolve(hostOf.get('ap')!)).toEqual([edge(A)]);
      expect((await events('ap')).map((e) => e.type)).toContain('FailoverBlocked');
    } finally {
      await h.world.faults.restore(A);
      await h.world.faults.restore(B);
    }
  });

  it('backs up a cluster-local volume with Velero and restores it into the new primary on failover', async () => {
    // The zones the earlier tests took down must be back before a new app can be placed there.
    await waitFor(async () => {
      const zones = (await h.api<{ items: { zone: string; status: string }[] }>('GET', `/v1/orgs/${h.org}/zones`)).body.items;
      return [A, B].every((z) => zones.find((x) => x.zone === z)?.status === 'available') ? true : null;
    }, { timeoutMs: 15_000, message: 'both zones available' });
    await deploy(
      'vault',
      { enabled: true, mode: 'active-passive', zones: [A, B], primary: A, failback: 'manual', failure_threshold: THRESHOLD, backup: { enabled: true, schedule: 'hourly', retention: '72h' }, restore_on_failover: true },
      { volumes: [{ name: 'data', size: '1Gi', mount_path: '/data', storage_type: 'cluster-local' }] },
    );
    let status = await h.waitForStatus('vault', (s) => s.status === 'ready' && s.backups?.configured === true, { timeoutMs: 60_000, message: 'vault ready with its schedule' });
    expect(status.backups).toMatchObject({ zone: A, cron: '0 * * * *', retention: '72h', state: 'waiting for the first backup', recovery_point: null });
    expect(Date.parse(status.backups!.next_run_at!)).toBeGreaterThan(Date.now());
    // Run the schedule now (as `velero backup create --from-schedule` would).
    h.world.zone(A).cluster.runVeleroSchedule('velero', status.backups!.schedule);
    status = await h.waitForStatus('vault', (s) => s.backups?.state === 'ok', { message: 'first backup completed' });
    const recoveryPoint = status.backups!.recovery_point!;
    expect(recoveryPoint).not.toBeNull();
    expect(status.backups!.note).toMatch(/not kept in sync/);

    await h.world.faults.zoneDown(A);
    try {
      await waitForDns('vault', [B]);
      status = await h.waitForStatus('vault', (s) => s.backups?.restores.some((r) => r.zone === B && r.phase === 'Completed') === true, { timeoutMs: 20_000, message: 'restore completed in the new primary' });
      const restore = status.backups!.restores.find((r) => r.zone === B)!;
      expect(restore.backup).toMatch(new RegExp(`^${status.backups!.schedule}-`));
      const types = (await events('vault')).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['BackupCompleted', 'RestoreRequested', 'RestoreCompleted']));
      const requested = (await events('vault')).find((e) => e.type === 'RestoreRequested')!;
      expect(requested.message).toContain('data written after it is not in it');
    } finally {
      await h.world.faults.restore(A);
    }
  });
});
