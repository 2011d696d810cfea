import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployAccepted } from '@satusky/contracts';
import { startHarness, type Harness } from '../sim-harness.ts';
import { reportFigures, round, sized } from './suite.ts';

/**
 * A cluster whose API answers errors for a while (a share of requests failing with 500, 503 or 429 —
 * an overloaded or upgrading API server, not an unreachable one: the cluster never goes offline)
 * while new releases are deployed and every watch is ended (410 Expired, as when an API server
 * restarts), so that informers list and watch again while requests keep failing. Bar: once
 * the API answers again, every app converges to its newest release and is observed ready within the
 * informers' longest backoff (30 s) plus a resync — never stuck "not observed". Short: one 3 s
 * window of 50 % 500s; full: five windows (500, 503, 429; 30–80 %).
 */
const WINDOWS = sized([{ status: 500, rate: 0.5 }], [
  { status: 500, rate: 0.5 },
  { status: 503, rate: 0.8 },
  { status: 429, rate: 0.3 },
  { status: 500, rate: 0.8 },
  { status: 503, rate: 0.5 },
]);
const WINDOW_MS = 3_000;
const RESYNC_MS = 3_000;
const BAR_MS = 30_000 + RESYNC_MS;
const APPS = ['err-a', 'err-b'];

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ zones: ['errors-1'], controllers: { probeTimeoutMs: 2_000, resyncIntervalMs: RESYNC_MS } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('a cluster API answering errors for a while', () => {
  it('converges and is observed again once the errors stop', async () => {
    const started = Date.now();
    const sim = h.zones[0]!.sim;
    for (const app of APPS) expect((await h.api('PUT', `/v1/orgs/${h.tenant.orgId}/apps/${app}`, { image: `ghcr.io/acme/${app}:0` })).status).toBe(202);
    for (const app of APPS) await h.waitForStatus(app, (s) => s.status === 'ready', { timeoutMs: 30_000 });

    const recoveries: number[] = [];
    let version = 0;
    for (const window of WINDOWS) {
      await sim.faults.set({ errorRate: window.rate, errorStatus: window.status });
      const generations = new Map<string, number>();
      for (const end = Date.now() + WINDOW_MS; Date.now() < end; ) {
        version += 1;
        for (const app of APPS) {
          const response = await h.api<DeployAccepted>('PUT', `/v1/orgs/${h.tenant.orgId}/apps/${app}`, { image: `ghcr.io/acme/${app}:${version}` });
          expect(response.status, response.text).toBe(202);
          generations.set(app, response.body.generation);
        }
        // Watches end (410 Expired, as after an API server restart), so every informer lists and
        // watches again while requests keep failing.
        sim.expireWatches();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await sim.faults.set({ errorRate: 0 });
      const healed = Date.now();
      for (const app of APPS) {
        await h.waitForStatus(app, (s) => s.status === 'ready' && s.generation === generations.get(app), { timeoutMs: BAR_MS + 10_000 });
      }
      recoveries.push(Date.now() - healed);
      for (const app of APPS) {
        const live = sim.objects.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `org-${h.tenant.slug}`, name: app }) as unknown as {
          spec: { template: { spec: { containers: { image: string }[] } } };
        };
        expect(live.spec.template.spec.containers[0]!.image).toBe(`ghcr.io/acme/${app}:${version}`);
      }
    }
    reportFigures('api-errors', {
      windows: WINDOWS,
      window_ms: WINDOW_MS,
      releases_per_app: version,
      ready_after_errors_stop_ms: recoveries,
      bar_ms: BAR_MS,
      duration_s: round((Date.now() - started) / 1000),
    });
    expect(Math.max(...recoveries)).toBeLessThanOrEqual(BAR_MS);
  }, sized(120_000, 600_000));
});
