import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, createTestApp, type Tenant, type TestApp } from '../helpers.ts';
import { FULL, percentile, reportFigures, round, sized } from '../reliability/suite.ts';

/**
 * Fairness under abuse, over real sockets. The per-token budget is 120 requests a minute (short) or
 * the production default, 600 (full). An abusive tenant spends its budget, then keeps sending at 10× its limit
 * from a process of its own;
 * well-behaved tenants (20 short, 10 full) each send at half of theirs. Baseline phases (the abuser quiet) and abuse
 * phases alternate second by second, so both see the same machine. Bars: the abuser gets 429 with Retry-After for
 * everything past its budget; the well-behaved tenants get 0 errors and their median latency stays
 * within 20 % of the baseline's, plus 2 ms of scheduling noise (the tail is reported; on a shared
 * 2-core machine it is held to 2×).
 * Short: 8 phases of 1 s; full: 20 phases of 2 s (all within the abuser's one-minute window).
 */
/** Short runs use a lower budget so that 10× of it is a flood the shared 2-core machine can generate without starving itself. */
const LIMIT_PER_MINUTE = sized(120, 600);
const PHASES = sized(8, 20);
const PHASE_MS = sized(1_000, 2_000);
const GOOD_TENANTS = sized(20, 10);

let t: TestApp;
let base: string;
let abuserTenant: Tenant;
const good: Tenant[] = [];

beforeAll(async () => {
  t = await createTestApp({ rateLimitPerMinute: LIMIT_PER_MINUTE });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  abuserTenant = await createTenant(t.database, 'abuser');
  for (let i = 0; i < GOOD_TENANTS; i += 1) good.push(await createTenant(t.database, `polite${i}`));
});
afterAll(async () => {
  await t?.close();
});

const get = async (token: string, url: string) => {
  const started = performance.now();
  const response = await fetch(base + url, { headers: { 'x-satusky-api-key': token } });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
};

/**
 * The abuser, in a process of its own (as an attacker would be): from `startAt`, during every odd
 * phase, one request every `everyMs` without waiting for answers; prints the tally at the end.
 */
const FLOOD = `
const [base, token, url, everyMs, startAt, phaseMs, phases] = process.argv.slice(1).map((v, i) => (i < 3 ? v : Number(v)));
const tally = { sent: 0, limited: 0, ok: 0, other: 0, withoutRetryAfter: 0 };
const pending = [];
const timer = setInterval(() => {
  const phase = Math.floor((Date.now() - startAt) / phaseMs);
  if (phase < 0 || phase % 2 === 0) return;
  tally.sent += 1;
  pending.push(fetch(base + url, { headers: { 'x-satusky-api-key': token } }).then(async (r) => {
    await r.arrayBuffer();
    if (r.status === 429) tally.limited += 1; else if (r.status === 200) tally.ok += 1; else tally.other += 1;
    if (r.status === 429 && !r.headers.get('retry-after')) tally.withoutRetryAfter += 1;
  }, () => { tally.other += 1; }));
}, everyMs);
setTimeout(async () => { clearInterval(timer); await Promise.all(pending); process.stdout.write(JSON.stringify(tally)); }, startAt + phaseMs * phases - Date.now());
`;

interface Tally {
  sent: number;
  limited: number;
  ok: number;
  other: number;
  withoutRetryAfter: number;
}

function flood(token: string, url: string, everyMs: number, startAt: number): { done: Promise<Tally> } {
  const child = spawn(process.execPath, ['-e', FLOOD, base, token, url, String(everyMs), String(startAt), String(PHASE_MS), String(PHASES)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), startAt - Date.now() + PHASE_MS * PHASES + 30_000);
  return {
    done: new Promise<number | null>((resolve) => child.once('exit', resolve)).then((code) => {
      clearTimeout(timer);
      if (code !== 0) throw new Error(`the flooding process exited with ${code}: ${out}`);
      return JSON.parse(out) as Tally;
    }),
  };
}

describe('per-token rate limits under abuse', () => {
  it('answers the abuser 429 and keeps the other tenants fast', async () => {
    const started = Date.now();
    // The abuser spends its whole budget first (within the minute, so the window does not roll over).
    const burst = await Promise.all(Array.from({ length: LIMIT_PER_MINUTE + 20 }, () => get(abuserTenant.token, '/v1/me')));
    const burstOk = burst.filter((r) => r.status === 200).length;

    // Quiet and abusive phases alternate on one schedule that the abuser's process follows too.
    const latencies: { baseline: number[]; abuse: number[] } = { baseline: [], abuse: [] };
    const politeErrors: number[] = [];
    let politeTotal = 0;
    const politeEvery = 60_000 / (LIMIT_PER_MINUTE / 2); // half the limit
    const startAt = Date.now() + 500;
    const end = startAt + PHASES * PHASE_MS;
    // 10× the limit.
    const abuser = flood(abuserTenant.token, `/v1/orgs/${abuserTenant.orgId}/apps`, 60_000 / LIMIT_PER_MINUTE / 10, startAt);
    await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()));
    await Promise.all(
      good.map(async (tenant, i) => {
        // Staggered so the polite requests do not arrive in lockstep.
        await new Promise((resolve) => setTimeout(resolve, (politeEvery / GOOD_TENANTS) * i));
        while (Date.now() < end) {
          const next = Date.now() + politeEvery;
          const into = (Date.now() - startAt) % PHASE_MS;
          const abusive = Math.floor((Date.now() - startAt) / PHASE_MS) % 2 === 1;
          const r = await get(tenant.token, `/v1/orgs/${tenant.orgId}/apps`);
          politeTotal += 1;
          if (r.status !== 200) politeErrors.push(r.status);
          // Requests at a phase boundary belong to neither.
          else if (into > 150 && into + r.ms < PHASE_MS - 50) (abusive ? latencies.abuse : latencies.baseline).push(r.ms);
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
        }
      }),
    );
    const abuse = await abuser.done;
    const b50 = percentile(latencies.baseline, 50);
    const a50 = percentile(latencies.abuse, 50);
    const b95 = percentile(latencies.baseline, 95);
    const a95 = percentile(latencies.abuse, 95);
    reportFigures('rate-limit', {
      limit_per_minute: LIMIT_PER_MINUTE,
      abuser_burst_ok: burstOk,
      abuser_rate_per_minute: LIMIT_PER_MINUTE * 10,
      abuser_requests: abuse.sent,
      abuser_429: abuse.limited,
      abuser_ok_after_budget: abuse.ok,
      abuser_429_without_retry_after: abuse.withoutRetryAfter,
      polite_tenants: GOOD_TENANTS,
      polite_requests: politeTotal,
      polite_errors: politeErrors.length,
      polite_latency_ms_baseline: { p50: round(b50, 2), p95: round(b95, 2), n: latencies.baseline.length },
      polite_latency_ms_abuse: { p50: round(a50, 2), p95: round(a95, 2), n: latencies.abuse.length },
      latency_ratio_p50: round(a50 / b50, 2),
      latency_ratio_p95: round(a95 / b95, 2),
      duration_s: round((Date.now() - started) / 1000),
    });
    expect(burstOk).toBe(LIMIT_PER_MINUTE);
    expect(abuse.ok).toBe(0);
    expect(abuse.other).toBe(0);
    expect(abuse.limited).toBe(abuse.sent);
    // It really sent at about 10× its limit during the abusive half of the time.
    expect(abuse.sent).toBeGreaterThan(0.7 * ((PHASES / 2) * PHASE_MS / 60_000) * LIMIT_PER_MINUTE * 10);
    expect(abuse.withoutRetryAfter).toBe(0);
    expect(politeErrors).toEqual([]);
    // The latency bars are held in the full run (`npm run chaos`), on a machine doing nothing else.
    // In CI other test files share the two cores, so the short run reports the figures only.
    if (FULL) {
      expect(a50).toBeLessThanOrEqual(b50 * 1.2 + 2);
      expect(a95).toBeLessThanOrEqual(b95 * 2 + 5);
    }
  }, sized(60_000, 120_000));
});
