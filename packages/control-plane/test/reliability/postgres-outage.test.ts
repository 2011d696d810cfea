import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_CLASS, startSimCluster, type SimCluster } from '@satusky/sim';
import { loadConfig } from '../../src/config.ts';
import { startControlPlane, type ControlPlane } from '../../src/server.ts';
import { captureLogs, createTenant, waitFor, type Tenant } from '../helpers.ts';
import { FAST_PODS } from '../sim-harness.ts';
import { startPrivatePostgres, type PrivatePostgres } from './postgres.ts';
import { percentile, reportFigures, round, sized } from './suite.ts';

/**
 * PostgreSQL stopped (a crash, `pg_ctl -m immediate`, or a clean `-m fast` stop) and started again
 * while clients deploy and read. The control plane runs in-process, configured like `satusky serve`
 * (DATABASE_URL) against a private PostgreSQL of this test: the shared server on :5432 serves other
 * test files and is never stopped. Bars: while the database is down every API answer is a 503 with
 * Retry-After (never a 500); after it is back the API answers within 5 s; every accepted deploy is
 * kept and the cluster converges to the newest one. Short: 2 outages; full: 10.
 */
const OUTAGES = sized(2, 10);
const RECOVERY_BAR_MS = 5_000;
const APPS = ['pg-alpha', 'pg-bravo', 'pg-charlie'];

let pg: PrivatePostgres | null = null;
let unavailable = '';
let sim: SimCluster | undefined;
let cp: ControlPlane | undefined;
let tenant: Tenant;
let base = '';
const logs = captureLogs();

beforeAll(async () => {
  const started = await startPrivatePostgres();
  if ('unavailable' in started) {
    unavailable = started.unavailable;
    return;
  }
  pg = started;
  sim = await startSimCluster({ name: 'pg-zone', nodes: 2, podTimings: FAST_PODS });
  // The configuration `satusky serve` would build from its environment.
  const config = await loadConfig(
    'serve',
    { host: '127.0.0.1', port: 0 },
    {
      DATABASE_URL: pg.url,
      SATUSKY_MASTER_KEYS: randomBytes(32).toString('base64'),
      SATUSKY_DNS_PORT: '0',
      SATUSKY_PROBE_INTERVAL_MS: '300',
      SATUSKY_RESYNC_INTERVAL_MS: '3000',
      SATUSKY_LEASE_TTL_MS: '3000',
      SATUSKY_DNS_CHECKS: 'off',
      SATUSKY_RATE_LIMIT_PER_MINUTE: '100000',
    },
  );
  cp = await startControlPlane(config, { logger: logs.logger, dashboardDir: null });
  base = cp.url!;
  tenant = await createTenant(cp.database, 'pgdown');
  await cp.database.db.updateTable('users').set({ is_platform_admin: true }).where('id', '=', tenant.userId).execute();
  const registered = await fetch(`${base}/v1/clusters`, {
    method: 'POST',
    headers: { 'x-satusky-api-key': tenant.token, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'pg-zone', zone: 'pg-zone', kubeconfig: sim.kubeconfig(), gateway_class: DEFAULT_GATEWAY_CLASS }),
  });
  expect(registered.status).toBe(201);
}, 120_000);

afterAll(async () => {
  // The database may be down if the test failed mid-outage: bring it back so close() is quick.
  if (pg && !pg.running) await pg.start().catch(() => {});
  await cp?.close();
  await sim?.stop();
  await pg?.destroy();
});

interface Answer {
  at: number;
  status: number;
  retryAfter: string | null;
  code: string | null;
  stack: boolean;
}

describe('PostgreSQL outages under load', () => {
  it(`answers 503 with Retry-After while PostgreSQL is down, recovers within 5 s and loses nothing (${OUTAGES} outages)`, async (context) => {
    if (!pg || !cp) {
      context.skip(`no private PostgreSQL for this test: ${unavailable}`);
      return;
    }
    const started = Date.now();
    const answers: Answer[] = [];
    const accepted: { app: string; image: string; release: number; generation: number }[] = [];
    let transportErrors = 0;

    const call = async (method: string, url: string, body?: unknown, requestId?: string): Promise<Answer & { json: Record<string, unknown> }> => {
      for (;;) {
        try {
          const response = await fetch(base + url, {
            method,
            headers: {
              'x-satusky-api-key': tenant.token,
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(requestId ? { 'x-request-id': requestId } : {}),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            signal: AbortSignal.timeout(15_000),
          });
          const text = await response.text();
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: counted through `code: null`
          }
          const answer: Answer = {
            at: Date.now(),
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            code: (json.error as { code?: string } | undefined)?.code ?? null,
            stack: /\n\s+at |node_modules|\.ts:\d+/.test(text),
          };
          answers.push(answer);
          return { ...answer, json };
        } catch {
          // The API itself must stay up; a transport error is counted and retried (boundedly).
          transportErrors += 1;
          if (transportErrors > 200) throw new Error(`the API stopped answering ${method} ${url}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };

    let counter = 0;
    let stop = false;
    const deployLoop = async (app: string) => {
      while (!stop) {
        counter += 1;
        const image = `ghcr.io/acme/${app}:${counter}`;
        const requestId = `pg-${app}-${counter}`;
        // Retried with the same X-Request-ID until answered below 500, as 1ctl does.
        for (;;) {
          const answer = await call('PUT', `/v1/orgs/${tenant.orgId}/apps/${app}`, { image }, requestId);
          if (answer.status < 500) {
            expect(answer.status, JSON.stringify(answer.json)).toBe(202);
            accepted.push({ app, image, release: answer.json.release as number, generation: answer.json.generation as number });
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await call('GET', `/v1/orgs/${tenant.orgId}/apps/${app}/status`);
      }
    };
    const readLoop = async () => {
      while (!stop) {
        await call('GET', `/v1/orgs/${tenant.orgId}/apps`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const loops = [...APPS.map(deployLoop), readLoop()];

    const outages: { mode: string; downMs: number; answersWhileDown: number; recoveryMs: number }[] = [];
    try {
      for (let i = 0; i < OUTAGES; i += 1) {
        // Healthy load first; then the outage.
        await waitFor(() => accepted.length >= (i + 1) * 3, { timeoutMs: 20_000, message: 'deploys accepted before the outage' });
        const mode = i % 2 === 0 ? 'immediate' : 'fast';
        const before = answers.length;
        await pg.stop(mode);
        const downAt = Date.now();
        // Down long enough for every client to hit it several times.
        await waitFor(() => answers.slice(before).filter((a) => a.at > downAt && a.status === 503).length >= 10, {
          timeoutMs: 20_000,
          message: '503s while PostgreSQL is down',
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
        const answersWhileDown = answers.slice(before).filter((a) => a.at > downAt).length;
        await pg.start();
        const upAt = Date.now();
        // The first success of any client after PostgreSQL accepts connections again.
        const firstOk = await waitFor(() => answers.find((a) => a.at >= upAt && a.status < 300), {
          timeoutMs: RECOVERY_BAR_MS * 4,
          intervalMs: 10,
          message: 'an answer after PostgreSQL is back',
        });
        outages.push({ mode, downMs: upAt - downAt, answersWhileDown, recoveryMs: firstOk.at - upAt });
      }
      await waitFor(() => accepted.length >= (OUTAGES + 1) * 3, { timeoutMs: 20_000, message: 'deploys accepted after the last outage' });
    } finally {
      stop = true;
      await Promise.all(loops);
    }

    // Nothing lost, nothing twice: every accepted deploy is its app's release, numbered 1..n.
    let lost = 0;
    let duplicates = 0;
    for (const app of APPS) {
      const releases = await cp.database.db
        .selectFrom('releases as r')
        .innerJoin('deployments as d', 'd.id', 'r.deployment_id')
        .select(['r.version', 'r.spec'])
        .where('d.name', '=', app)
        .where('d.organization_id', '=', tenant.orgId)
        .execute();
      const mine = accepted.filter((a) => a.app === app);
      lost += mine.filter((a) => releases.find((r) => r.version === a.release)?.spec.image !== a.image).length;
      duplicates += Math.max(0, releases.length - mine.length);
    }
    // The controllers survived the outages too: every app converges to its newest deploy.
    const convergeFrom = Date.now();
    for (const app of APPS) {
      const newest = accepted.filter((a) => a.app === app).sort((a, b) => b.generation - a.generation)[0]!;
      await waitFor(
        async () => {
          const status = (await (await fetch(`${base}/v1/orgs/${tenant.orgId}/apps/${app}/status`, { headers: { 'x-satusky-api-key': tenant.token } })).json()) as {
            status: string;
            generation: number;
          };
          return status.status === 'ready' && status.generation === newest.generation;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: `${app} converges to generation ${newest.generation}` },
      );
    }
    const convergedMs = Date.now() - convergeFrom;

    const fiveHundreds = answers.filter((a) => a.status >= 500);
    const not503 = fiveHundreds.filter((a) => a.status !== 503 || a.code !== 'SATUSKY_UNAVAILABLE');
    const without = fiveHundreds.filter((a) => !a.retryAfter);
    const recoveries = outages.map((o) => o.recoveryMs);
    reportFigures('postgres-outage', {
      outages: OUTAGES,
      modes: outages.map((o) => o.mode),
      requests: answers.length,
      answers_503: fiveHundreds.length - not503.length,
      answers_5xx_other_than_503: not503.length,
      answers_503_without_retry_after: without.length,
      stack_traces_in_bodies: answers.filter((a) => a.stack).length,
      transport_errors: transportErrors,
      down_ms: outages.map((o) => o.downMs),
      recovery_ms: recoveries,
      recovery_ms_max: Math.max(...recoveries),
      recovery_ms_p50: percentile(recoveries, 50),
      accepted_deploys: accepted.length,
      lost,
      duplicates,
      convergence_s_after_last_outage: round(convergedMs / 1000),
      duration_s: round((Date.now() - started) / 1000),
    });
    expect(not503.map((a) => `${a.status} ${a.code}`)).toEqual([]);
    expect(without.length).toBe(0);
    expect(answers.filter((a) => a.stack).length).toBe(0);
    expect(outages.every((o) => o.answersWhileDown > 0)).toBe(true);
    expect(fiveHundreds.length).toBeGreaterThan(0);
    expect(Math.max(...recoveries)).toBeLessThanOrEqual(RECOVERY_BAR_MS);
    expect(transportErrors).toBe(0);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
  }, sized(120_000, 600_000));
});
