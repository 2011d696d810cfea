import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, DeployAccepted } from '@satusky/contracts';
import { waitFor } from '../helpers.ts';
import { startHarness, type Harness } from '../sim-harness.ts';
import { FULL, percentile, reportFigures, round, sized } from './suite.ts';

/**
 * One of three clusters blackholed (connections accepted, never answered) in the middle of a
 * fan-out. Bars: the two healthy clusters keep converging within their normal bound (the baseline
 * measured in the same test, at least P2 = 2 s); the API's latency stays within 20 % of its baseline;
 * the dead cluster turns Unknown within its stale timeout (never ready); when it answers again it
 * converges to the newest generation only. Short: 2 alternations of 3 s phases, 3 apps; full: 5 of
 * 10 s, 6 apps.
 */
/** Healthy and blackholed phases alternate this many times, each running one fan-out round a second. */
const PAIRS = sized(2, 5);
const PHASE_MS = sized(3_000, 10_000);
const ROUND_EVERY_MS = 1_000;
const APPS = Array.from({ length: sized(3, 6) }, (_, i) => `fan-${i}`);
const ZONES = ['bh-a', 'bh-b', 'bh-c'];
/** P2: from the API's 202 to the apply on every healthy cluster. */
const P2_MS = 2_000;

let h: Harness;

beforeAll(async () => {
  // Probes time out after 2 s (the production default), not the harness's 600 ms: on a loaded
  // 2-core machine a healthy simulated cluster can take longer than 600 ms to answer.
  h = await startHarness({ zones: ZONES, listen: true, controllers: { probeTimeoutMs: 2_000 } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** Milliseconds from now until every (app, zone) has applied generation `generations[app]`. */
async function convergence(generations: Map<string, number>, zones: string[], timeoutMs: number): Promise<Map<string, number>> {
  const start = Date.now();
  const clusterIds = new Map(h.zones.map((z) => [z.clusterId, z.zone]));
  const done = new Map<string, number>();
  const ids = new Map<string, string>();
  await waitFor(
    async () => {
      const rows = await h.cp.database.db
        .selectFrom('deployment_targets as t')
        .innerJoin('deployments as d', 'd.id', 't.deployment_id')
        .select(['d.name', 'd.id', 't.cluster_id', 't.applied_generation'])
        .where('d.organization_id', '=', h.tenant.orgId)
        .execute();
      for (const row of rows) {
        const zone = clusterIds.get(row.cluster_id)!;
        ids.set(row.name, row.id);
        const key = `${row.name}@${zone}`;
        if (!done.has(key) && zones.includes(zone) && row.applied_generation >= (generations.get(row.name) ?? Infinity)) done.set(key, Date.now() - start);
      }
      return done.size === generations.size * zones.length;
    },
    { timeoutMs, intervalMs: 10, message: `fan-out to ${zones.join(', ')}` },
  );
  return done;
}

async function deployAll(round: string): Promise<Map<string, number>> {
  const generations = new Map<string, number>();
  await Promise.all(
    APPS.map(async (app) => {
      const response = await h.api<DeployAccepted>('PUT', `/v1/orgs/${h.tenant.orgId}/apps/${app}`, { image: `ghcr.io/acme/${app}:${round}` });
      expect(response.status, response.text).toBe(202);
      generations.set(app, response.body.generation);
    }),
  );
  return generations;
}

const until = (t: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - Date.now())));

/** Reads the API over HTTP in a loop (status, app, list) and keeps each request's latency. */
function sampleLatency(): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const urls = APPS.flatMap((app) => [`/v1/orgs/${h.tenant.orgId}/apps/${app}/status`, `/v1/orgs/${h.tenant.orgId}/apps/${app}`]).concat(`/v1/orgs/${h.tenant.orgId}/apps`);
  const loop = (async () => {
    for (let i = 0; running; i += 1) {
      const started = performance.now();
      const response = await fetch(h.cp.url! + urls[i % urls.length]!, { headers: { 'x-satusky-api-key': h.tenant.token } });
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

describe('a blackholed cluster in the middle of a fan-out', () => {
  it('keeps the healthy clusters converging and the API fast, and turns the dead one Unknown', async () => {
    const started = Date.now();
    const [a, b, c] = h.zones as [(typeof h.zones)[0], (typeof h.zones)[0], (typeof h.zones)[0]];
    // Every zone probed healthy first.
    await waitFor(
      async () => {
        const zones = await h.api<{ items: { zone: string; status: string }[] }>('GET', `/v1/orgs/${h.tenant.orgId}/zones`);
        return ZONES.every((zone) => zones.body.items.find((z) => z.zone === zone)?.status === 'available');
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'every zone available' },
    );
    for (const app of APPS) {
      const response = await h.api('PUT', `/v1/orgs/${h.tenant.orgId}/apps/${app}`, {
        image: `ghcr.io/acme/${app}:0`,
        multicluster: { enabled: true, mode: 'active-active', zones: ZONES },
      });
      expect(response.status, response.text).toBe(202);
    }
    for (const app of APPS) await h.waitForStatus(app, (s) => s.status === 'ready' && s.clusters.length === 3, { timeoutMs: 30_000 });

    let rounds = 0;
    /** Fan-out rounds, one a second, for a phase; the healthy clusters' convergence times. */
    const phase = async (zones: string[], onFirstRound?: () => Promise<void>) => {
      const times: number[] = [];
      for (const phaseEnd = Date.now() + PHASE_MS; Date.now() < phaseEnd; ) {
        rounds += 1;
        const next = Date.now() + ROUND_EVERY_MS;
        const deploying = deployAll(`r${rounds}`);
        if (onFirstRound && times.length === 0) await onFirstRound();
        const converged = await convergence(await deploying, zones, 30_000);
        times.push(...[...converged].filter(([key]) => !key.endsWith(`@${c.zone}`)).map(([, ms]) => ms));
        await until(next);
      }
      return times;
    };
    const newest = async () => new Map((await h.cp.database.db.selectFrom('deployments').select(['name', 'generation']).where('organization_id', '=', h.tenant.orgId).execute()).map((d) => [d.name, d.generation]));

    // Healthy and blackholed phases alternate (so both see the same machine and the same load on the
    // shared PostgreSQL); C is blackholed right after a fan-out starts, and recovers in between.
    const baseline: number[] = [];
    const during: number[] = [];
    const baselineLatency: number[] = [];
    const faultLatency: number[] = [];
    const recoveries: number[] = [];
    let unknownAfterMs = 0;
    let staleAfterBlackholeMs = 0;
    const staleAfterMs = h.cp.deps.staleAfterMs;
    for (let pair = 0; pair < PAIRS; pair += 1) {
      const healthySampler = sampleLatency();
      baseline.push(...(await phase([a.zone, b.zone, c.zone])));
      baselineLatency.push(...(await healthySampler.stop()));

      const darkSampler = sampleLatency();
      let blackholedAt = 0;
      during.push(
        ...(await phase([a.zone, b.zone], async () => {
          await c.sim.faults.set({ api: 'blackhole' });
          blackholedAt = Date.now();
        })),
      );
      faultLatency.push(...(await darkSampler.stop()));

      if (pair === 0) {
        // C turns Unknown (never ready) within its stale timeout; the rollup is not ready either.
        let unknownStatus: AppStatus | null = null;
        await waitFor(
          async () => {
            const statuses = await Promise.all(APPS.map((app) => h.status(app)));
            const ok = statuses.every((s) => s.clusters.find((x) => x.zone === c.zone)?.status === 'unknown');
            if (ok) unknownStatus = statuses[0]!;
            return ok;
          },
          { timeoutMs: staleAfterMs + 10_000, intervalMs: 50, message: `${c.zone} Unknown` },
        );
        unknownAfterMs = Date.now() - blackholedAt;
        expect(unknownStatus!.status).not.toBe('ready');
        // Unknown first because its probes fail (ClusterReachable False), then stale: nothing it last
        // reported is current any more.
        await waitFor(
          async () => {
            const cStatus = (await h.status(APPS[0]!)).clusters.find((x) => x.zone === c.zone)!;
            return cStatus.status === 'unknown' && cStatus.stale && cStatus.conditions.some((x) => x.type === 'WorkloadReady' && x.status === 'Unknown' && x.reason === 'ClusterStale');
          },
          { timeoutMs: staleAfterMs + 5_000, intervalMs: 50, message: `${c.zone} stale` },
        );
        staleAfterBlackholeMs = Date.now() - blackholedAt;
        // The platform view agrees: the cluster is offline (its probe times out), not merely degraded.
        let health: unknown = null;
        await waitFor(
          async () => {
            const clusters = await h.api<{ items: { zone: string; health: { state: string } }[] }>('GET', '/v1/clusters');
            health = clusters.body.items.find((x) => x.zone === c.zone)!.health;
            return (health as { state: string }).state === 'offline';
          },
          { timeoutMs: 10_000, intervalMs: 100, message: `${c.zone} offline` },
        ).catch((error: unknown) => {
          throw new Error(`${(error as Error).message}: ${JSON.stringify(health)}`, { cause: error });
        });
      }

      // C answers again: it converges to the newest generation of every app.
      const wanted = await newest();
      await c.sim.faults.set({ api: 'ok' });
      const recoveredAt = Date.now();
      await convergence(wanted, [c.zone], 60_000);
      recoveries.push(Date.now() - recoveredAt);
      for (const app of APPS) {
        const live = c.sim.objects.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `org-${h.tenant.slug}`, name: app }) as unknown as {
          spec: { template: { spec: { containers: { image: string }[] } } };
        };
        expect(live.spec.template.spec.containers[0]!.image).toBe(`ghcr.io/acme/${app}:r${rounds}`);
      }
      for (const app of APPS) await h.waitForStatus(app, (s) => s.status === 'ready', { timeoutMs: 30_000 });
    }

    const figure = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)), max: round(Math.max(...xs)), n: xs.length });
    const convergenceBar = Math.max(P2_MS, percentile(baseline, 95) * 1.5);
    const base50 = percentile(baselineLatency, 50);
    const base95 = percentile(baselineLatency, 95);
    const dark50 = percentile(faultLatency, 50);
    const dark95 = percentile(faultLatency, 95);
    const unknownBar = staleAfterMs + 2_000 + 3_000;
    reportFigures('cluster-blackhole', {
      pairs: PAIRS,
      phase_ms: PHASE_MS,
      fan_out_rounds: rounds,
      apps: APPS.length,
      healthy_convergence_ms_baseline: figure(baseline),
      healthy_convergence_ms_with_blackhole: figure(during),
      convergence_bar_ms: round(convergenceBar),
      api_latency_ms_baseline: figure(baselineLatency),
      api_latency_ms_with_blackhole: figure(faultLatency),
      api_latency_ratio_p50: round(dark50 / base50, 2),
      api_latency_ratio_p95: round(dark95 / base95, 2),
      unknown_after_ms: unknownAfterMs,
      stale_after_blackhole_ms: staleAfterBlackholeMs,
      stale_after_ms: staleAfterMs,
      unknown_bar_ms: unknownBar,
      recovered_cluster_converged_ms: recoveries,
      duration_s: round((Date.now() - started) / 1000),
    });
    // The healthy clusters converge within the normal bound, p95 and worst case.
    expect(percentile(during, 95)).toBeLessThanOrEqual(convergenceBar);
    expect(Math.max(...during)).toBeLessThanOrEqual(Math.max(convergenceBar, Math.max(...baseline) * 1.5));
    // API latency: the median within 20 % of its baseline (plus 2 ms of scheduling noise). The tail
    // of a shared 2-core machine is too noisy for 20 %: p95 is reported and only held to 2×.
    // Held in the full run (`npm run chaos`); in CI other test files share the cores, so the short
    // run reports these figures only.
    if (FULL) {
      expect(dark50).toBeLessThanOrEqual(base50 * 1.2 + 2);
      expect(dark95).toBeLessThanOrEqual(base95 * 2 + 10);
    }
    // Unknown and stale within the stale timeout, plus one probe timeout and some scheduling slack.
    expect(unknownAfterMs).toBeLessThanOrEqual(unknownBar);
    expect(staleAfterBlackholeMs).toBeLessThanOrEqual(unknownBar);
  }, sized(150, 400) * 1_000);
});
