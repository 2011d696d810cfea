import type { AppStatus } from '@satusky/contracts';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, deployWhenZonesAvailable, horizontalOverflow, launchBrowser, NO_CHROMIUM, openPage, signInWithToken, startWorldDashboard, type WorldDashboard } from './support.ts';

const suite = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) console.warn(NO_CHROMIUM);

const A = 'sim-a';
const B = 'sim-b';

/**
 * Against `satusky dev` itself: the simulated world gives each zone a cluster and a real edge (HTTP
 * and HTTPS on 127.0.N.1), a public DNS the control plane publishes into, and faults. Nothing is
 * faked: a zone going down stops its edge and its Kubernetes API.
 */
suite('dashboard on satusky dev: active-passive failover and backups', () => {
  let server: WorldDashboard;
  let browser: Browser;
  const hostOf = new Map<string, string>();
  const edge = (zone: string) => server.h.world.zone(zone).edgeAddress;

  async function deploy(app: string, body: Record<string, unknown>): Promise<void> {
    const deployed = await deployWhenZonesAvailable(server.h, server.h.org, app, { image: `ghcr.io/acme/${app}:1.0`, health_path: '/healthz', ...body });
    hostOf.set(app, deployed.hostname);
  }

  beforeAll(async () => {
    [server, browser] = await Promise.all([startWorldDashboard({ zones: [A, B] }), launchBrowser()]);
    await deploy('ha', { multicluster: { enabled: true, mode: 'active-passive', zones: [A, B], primary: A, failback: 'manual', failback_after_seconds: 5, failure_threshold: 3 } });
    await deploy('vault', {
      volumes: [{ name: 'data', size: '1Gi', mount_path: '/data', storage_type: 'cluster-local' }],
      multicluster: { enabled: true, mode: 'active-passive', zones: [A, B], primary: A, failback: 'manual', failure_threshold: 3, backup: { enabled: true, schedule: 'hourly' } },
    });
    const probedOk = (s: AppStatus, zone: string) => s.traffic?.probes.some((p) => p.zone === zone && p.ok) === true;
    await Promise.all(
      ['ha', 'vault'].map((app) =>
        server.h.waitForStatus(
          app,
          (s) => s.status === 'ready' && s.traffic?.failover?.phase === 'primary-serving' && s.traffic.addresses.join() === edge(A) && probedOk(s, A) && probedOk(s, B),
          { timeoutMs: 60_000, message: `${app} ready, serving from ${A}, both edges answering` },
        ),
      ),
    );
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The zone card's row for one layer (a condition type). */
  const layer = (page: Page, zone: string, type: string, status?: string) =>
    page.locator(`.zone-card[data-zone="${zone}"] tr[data-condition="${type}"]${status ? `[data-condition-status="${status}"]` : ''}`);

  it('shows the backups of a cluster-local volume: the schedule, then ok with a recovery point, then a restore on failover', { timeout: 60_000 }, async () => {
    const w = await openPage(browser, 'backups');
    const { page } = w;
    await signInWithToken(page, server.url, server.token, '/apps/vault');
    const panel = page.getByTestId('backups');
    await page.locator('[data-testid="backups"][data-configured="true"]').waitFor({ timeout: 30_000 });
    const before = (await server.h.status('vault')).backups!;
    expect(before).toMatchObject({ zone: A, cron: '0 * * * *', state: 'waiting for the first backup', recovery_point: null });
    await page.locator(`[data-testid="backups"][data-state="${before.state}"]`).waitFor();
    expect(await panel.locator('[data-field="schedule"] dd').textContent()).toContain('hourly');
    expect(await panel.locator('[data-field="schedule"] dd').textContent()).toContain('0 * * * *');
    expect(await panel.locator('[data-field="zone"] dd').textContent()).toBe(A);
    expect(await panel.locator('[data-field="next-run"] time').getAttribute('datetime')).toBe(before.next_run_at);
    expect(await panel.locator('[data-field="next-run"] time').textContent()).toMatch(/^in \d+ (s|min)$/);
    await panel.locator('[data-field="recovery-point"]').getByText('none yet').waitFor();
    expect(await panel.getByTestId('backup-note').textContent()).toBe(before.note);
    expect(before.note).toMatch(/one moment; other zones are not kept in sync/);
    await w.shot('01-waiting-for-first-backup');

    // Run the schedule now (`velero backup create --from-schedule`), in the zone that backs up.
    server.h.world.zone(A).cluster.runVeleroSchedule('velero', before.schedule);
    await page.locator('[data-testid="backups"][data-state="ok"]').waitFor({ timeout: 30_000 });
    await panel.locator('[data-field="recovery-point"] time').waitFor();
    const after = (await server.h.status('vault')).backups!;
    expect(after.state).toBe('ok');
    expect(after.recovery_point).not.toBeNull();
    expect(await panel.locator('[data-field="recovery-point"] time').getAttribute('datetime')).toBe(after.recovery_point);
    expect(await panel.locator('[data-field="last-success"] time').getAttribute('datetime')).toBe(after.last_success_at);
    expect(await panel.locator('[data-field="last-failure"] dd').textContent()).toBe('none');
    expect(await panel.getByTestId('backup-state').textContent()).toBe('ok');
    await w.shot('02-backup-ok');

    // A failover drill from the page: the new primary restores the recovery point (restore_on_failover).
    const failover = page.getByTestId('failover');
    await failover.getByRole('button', { name: `Fail over to ${B}` }).click();
    await failover.getByRole('button', { name: `Yes, move traffic to ${B}` }).click();
    await page.locator(`[data-testid="failover"][data-phase="secondary-serving"][data-serving="${B}"]`).waitFor({ timeout: 30_000 });
    const restored = panel.locator(`[data-testid="restores"] tr[data-zone="${B}"][data-phase="Completed"]`);
    await restored.waitFor({ timeout: 30_000 });
    expect(await restored.locator('code').first().textContent()).toMatch(new RegExp(`^${after.schedule}-`));
    await w.shot('03-restored-on-failover');
    // Readable on a phone: the panel wraps instead of scrolling the page sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await panel.locator('[data-field="recovery-point"] time').waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    await w.shot('04-phone');
    await w.shot('05-phone-backups-panel', page.locator('#backups'));

    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('shows the failover state, serving zone and DNS target change live: a drill from the page, then a real zone failure', { timeout: 60_000 }, async () => {
    const w = await openPage(browser, 'failover');
    const { page } = w;
    await signInWithToken(page, server.url, server.token, '/apps/ha');
    await page.evaluate('window.__notReloaded = true');
    const failover = page.getByTestId('failover');
    const dnsTarget = page.getByTestId('dns-target');
    await page.locator(`[data-testid="failover"][data-phase="primary-serving"][data-serving="${A}"]`).waitFor();
    await dnsTarget.locator(`[data-address="${edge(A)}"]`).waitFor();
    expect(await page.getByTestId('failover-phase').textContent()).toBe('Primary serving');
    await page.locator(`tr[data-probe="${B}"][data-ok="true"]`).waitFor();
    // Every layer of the serving zone, from the cluster up to the public DNS, observed true.
    for (const type of ['ClusterReachable', 'Applied', 'WorkloadReady', 'RouteAccepted', 'TLSReady', 'DNSReady', 'Reachable']) await layer(page, A, type, 'True').waitFor();
    // The standby is rightly not in DNS.
    await layer(page, B, 'DNSReady', 'True').getByText('Standby', { exact: true }).waitFor();
    await page.locator(`.zone-card[data-zone="${A}"][data-in-traffic="true"]`).waitFor();
    await page.locator(`.zone-card[data-zone="${B}"][data-in-traffic="false"]`).waitFor();
    await w.shot('01-primary-serving');

    // (a) A drill from the page: POST …/failover {to: B}.
    await failover.getByRole('button', { name: `Fail over to ${B}` }).click();
    await failover.getByRole('button', { name: `Yes, move traffic to ${B}` }).click();
    // The request is in the timeline (the page's own "requested" note lasts only until the state moves).
    await page.getByTestId('traffic-timeline').locator('[data-event-type="FailoverRequested"]').first().waitFor({ timeout: 30_000 });
    await page.locator(`[data-testid="failover"][data-phase="secondary-serving"][data-serving="${B}"]`).waitFor({ timeout: 30_000 });
    await dnsTarget.locator(`[data-address="${edge(B)}"]`).waitFor();
    expect(await dnsTarget.locator(`[data-address="${edge(A)}"]`).count()).toBe(0);
    expect(await page.getByTestId('failover-serving').textContent()).toBe(B);
    await page.getByTestId('traffic-timeline').locator('[data-event-type="FailoverCompleted"]').first().waitFor();
    await w.shot('02-drill-secondary-serving');

    // Back to the primary from the page (manual failback).
    await failover.getByRole('button', { name: `Fail back to ${A}` }).click();
    await failover.getByRole('button', { name: `Yes, fail back to ${A}` }).click();
    await page.locator(`[data-testid="failover"][data-phase="primary-serving"][data-serving="${A}"]`).waitFor({ timeout: 30_000 });
    await dnsTarget.locator(`[data-address="${edge(A)}"]`).waitFor();
    await page.getByTestId('traffic-timeline').locator('[data-event-type="FailbackCompleted"]').first().waitFor();
    // What a client resolves through the world DNS follows (within the record's 1 s TTL).
    await expect.poll(() => server.h.resolve(hostOf.get('ha')!), { timeout: 10_000 }).toEqual([edge(A)]);
    await w.shot('03-drill-failed-back');

    // (b) A real failure: the primary zone goes down (its edge and its Kubernetes API).
    const faultAt = Date.now();
    await server.h.world.faults.zoneDown(A);
    try {
      await page.locator(`tr[data-probe="${A}"][data-ok="false"]`).waitFor({ timeout: 30_000 });
      await page.locator(`[data-testid="failover"][data-phase="secondary-serving"][data-serving="${B}"]`).waitFor({ timeout: 30_000 });
      await dnsTarget.locator(`[data-address="${edge(B)}"]`).waitFor();
      expect(await dnsTarget.locator(`[data-address="${edge(A)}"]`).count()).toBe(0);
      expect(await page.getByTestId('failover-serving').textContent()).toBe(B);
      await page.locator(`.zone-card[data-zone="${B}"][data-in-traffic="true"]`).waitFor();
      await page.locator(`.zone-card[data-zone="${A}"][data-in-traffic="false"]`).waitFor();
      // The down zone's cluster and edge are failures, not "not yet".
      await layer(page, A, 'Reachable', 'False').getByText('No', { exact: true }).waitFor();
      // The last switch, step by step: detected → switched → first healthy answer, each after the fault.
      const steps = page.getByTestId('switch-timeline');
      for (const step of ['detected', 'switched', 'first-healthy']) await steps.locator(`li[data-step="${step}"][data-done="true"]`).waitFor();
      const at = async (step: string) => Date.parse((await steps.locator(`li[data-step="${step}"] time`).getAttribute('datetime'))!);
      expect(await at('detected')).toBeGreaterThanOrEqual(faultAt - 1_000);
      expect(await at('switched')).toBeGreaterThanOrEqual(await at('detected'));
      expect(await at('first-healthy')).toBeGreaterThanOrEqual(await at('switched'));
      expect(await steps.locator('li[data-step="switched"]').textContent()).toContain(`from ${A}`);
      const timeline = page.getByTestId('traffic-timeline');
      await timeline.locator('[data-event-type="FailoverDetecting"]').first().waitFor();
      await timeline.locator('[data-event-type="DnsPublished"]').first().waitFor();
      // The public DNS (the world's) answers the secondary's edge, and the page's DNS layer says so.
      await layer(page, B, 'DNSReady', 'True').getByText('Resolves', { exact: true }).waitFor({ timeout: 30_000 });
      await expect.poll(() => server.h.resolve(hostOf.get('ha')!), { timeout: 10_000 }).toEqual([edge(B)]);
      await w.shot('04-zone-down-secondary-serving');
    } finally {
      await server.h.world.faults.restore(A);
    }

    // The primary is back: traffic stays on the secondary (manual failback) until the operator says so.
    await failover.getByText('Primary healthy since').waitFor({ timeout: 30_000 });
    await w.shot('05-primary-restored');
    await failover.getByRole('button', { name: `Fail back to ${A}` }).click();
    await failover.getByRole('button', { name: `Yes, fail back to ${A}` }).click();
    await page.locator(`[data-testid="failover"][data-phase="primary-serving"][data-serving="${A}"]`).waitFor({ timeout: 30_000 });
    await dnsTarget.locator(`[data-address="${edge(A)}"]`).waitFor();
    await w.shot('06-failed-back');
    await page.setViewportSize({ width: 390, height: 844 });
    await failover.getByRole('button', { name: `Fail over to ${B}` }).waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    await w.shot('07-phone');
    await w.shot('08-phone-traffic-panel', page.locator('#traffic'));

    expect(await page.evaluate<boolean>('window.__notReloaded')).toBe(true);
    const final = await server.h.status('ha');
    expect(final.traffic?.failover).toMatchObject({ phase: 'primary-serving', serving: A });
    expect(final.traffic?.addresses).toEqual([edge(A)]);
    expect(w.problems()).toEqual([]);
    await w.close();
  });
});
