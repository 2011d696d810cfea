import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_PODS } from '../../control-plane/test/sim-harness.ts';
import {
  CHROMIUM,
  deployWhenZonesAvailable,
  launchBrowser,
  NO_CHROMIUM,
  openPage,
  signInWithToken,
  startDashboardServer,
  type DashboardServer,
} from './support.ts';

const suite = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) console.warn(NO_CHROMIUM);

suite('dashboard: an app turning ready live', () => {
  let server: DashboardServer;
  let browser: Browser;

  beforeAll(async () => {
    // Slow-start images take 3 s to become ready: long enough to watch "progressing" turn "ready".
    [server, browser] = await Promise.all([
      startDashboardServer({ zones: ['sim-a', 'sim-b'], simOptions: { podTimings: { ...FAST_PODS, slowStartMs: 3_000 } } }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows a deploy made through the API while the page is open: zones turn ready and events arrive, without a reload', { timeout: 60_000 }, async () => {
    const w = await openPage(browser, 'live-deploy');
    const { page } = w;
    await signInWithToken(page, server.url, server.token, '/apps/live');
    await page.getByTestId('app-missing').waitFor();
    await page.evaluate('window.__notReloaded = true');
    await w.shot('01-before-deploy');

    await deployWhenZonesAvailable(server.h, server.h.tenant.orgId, 'live', {
      image: 'ghcr.io/acme/live:1.0-slow-start',
      replicas: 2,
      health_path: '/health',
      env: { GREETING: 'hello' },
      multicluster: { enabled: true, mode: 'active-active', zones: ['sim-a', 'sim-b'] },
    });

    // The app appears, its zones progressing while the pods warm up…
    const zoneChip = (zone: string, status: string) => page.locator(`.zone-card[data-zone="${zone}"] .chip[data-zone="${zone}"][data-status="${status}"]`);
    await page.locator('.zone-card[data-zone="sim-a"]').waitFor();
    await page.locator('.zone-card .chip[data-status="progressing"]').first().waitFor();
    await w.shot('02-progressing');

    // …then both zones are Ready, every layer observed, and the timeline says why.
    await zoneChip('sim-a', 'ready').waitFor({ timeout: 20_000 });
    await zoneChip('sim-b', 'ready').waitFor({ timeout: 20_000 });
    await page.locator('.app-head .chip[data-status="ready"]').waitFor();
    expect(await page.locator('.zone-card[data-zone="sim-a"] tr[data-condition="WorkloadReady"]').getAttribute('data-condition-status')).toBe('True');
    expect(await page.locator('.zone-card[data-zone="sim-a"] tr[data-condition="WorkloadReady"] time').textContent()).toMatch(/ago|just now/);
    await page.getByTestId('events').locator('[data-event-type="WorkloadReady"]').first().waitFor();
    expect(await page.evaluate<boolean>('window.__notReloaded')).toBe(true);
    await w.shot('03-ready');
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByTestId('events').locator('[data-event-type="ReleaseCreated"]').first().waitFor();
    await page.getByRole('link', { name: 'Overview', exact: true }).click();

    // A second deploy while watching: the release moves on and its event streams in.
    await deployWhenZonesAvailable(server.h, server.h.tenant.orgId, 'live', { image: 'ghcr.io/acme/live:1.1' });
    await page.getByText('release v2').waitFor();
    await page.locator('.app-head .chip[data-status="ready"]').waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.locator('[data-event-type="ReleaseCreated"]').nth(1).waitFor();
    await page.getByRole('link', { name: 'Logs', exact: true }).click();
    await page.getByTestId('logs').getByText('listening on').first().waitFor();
    await w.shot('04-logs');
    await page.getByRole('link', { name: 'Releases', exact: true }).click();
    await page.locator('tr[data-release="1"]').getByRole('button', { name: 'Roll back to v1' }).waitFor();
    await w.shot('05-releases');
    expect(await page.evaluate('window.__notReloaded')).toBe(true);

    // The apps list shows one chip per zone, from the app's status.
    await page.getByRole('link', { name: 'Apps', exact: true }).first().click();
    await page.locator('li[data-app="live"] .chip[data-zone="sim-a"][data-status="ready"]').waitFor();
    await page.locator('li[data-app="live"] .chip[data-zone="sim-b"][data-status="ready"]').waitFor();
    await w.shot('06-apps-list');

    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('resumes the live events from the last id seen after the connection drops, without duplicates', async () => {
    const w = await openPage(browser, 'reconnect');
    const { page } = w;
    // Test instrumentation: remember every WebSocket the page opens (an init script, not page code).
    await page.addInitScript(`(() => {
      const Native = window.WebSocket;
      window.__sockets = [];
      window.WebSocket = class extends Native {
        constructor(url, protocols) {
          super(url, protocols);
          window.__sockets.push(this);
        }
      };
    })()`);
    await signInWithToken(page, server.url, server.token, '/apps/live/events');
    await page.locator('[data-stream="live"]').waitFor();
    const ids = () => page.locator('[data-event-id]').evaluateAll((items) => items.map((i) => Number(i.getAttribute('data-event-id'))));
    await page.locator('[data-event-type="ReleaseCreated"]').first().waitFor();
    const before = Math.max(...(await ids()));

    await page.evaluate(`window.__sockets.filter((s) => s.url.includes('/events/stream')).forEach((s) => s.close())`);
    await page.locator('[data-stream="reconnecting"]').waitFor();
    await page.locator('[data-stream="live"]').waitFor();
    const urls = await page.evaluate<string[]>(`window.__sockets.map((s) => s.url).filter((u) => u.includes('/events/stream'))`);
    expect(urls.length).toBe(2);
    expect(new URL(urls[0]!).searchParams.get('after')).toBe('0');
    expect(Number(new URL(urls[1]!).searchParams.get('after'))).toBeGreaterThanOrEqual(before);

    const restarted = await server.h.api<{ release: number }>('POST', `/v1/orgs/${server.h.tenant.orgId}/apps/live/restart`, {});
    expect(restarted.status, restarted.text).toBe(202);
    await page.getByText(`release ${restarted.body.release} (restart)`).first().waitFor();
    const after = await ids();
    expect(Math.max(...after)).toBeGreaterThan(before);
    expect(new Set(after).size).toBe(after.length);
    await w.shot('01-resumed');
    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('scales, rolls back and sets a secret from the app page; the secret value is never shown', async () => {
    const w = await openPage(browser, 'app-actions');
    const { page } = w;
    await signInWithToken(page, server.url, server.token, '/apps/live');
    await page.locator('.app-head .chip[data-status="ready"]').waitFor({ timeout: 20_000 });

    await page.getByLabel('Replicas').fill('3');
    await page.getByRole('button', { name: 'Scale' }).click();
    await page.getByText('Scaling to 3').waitFor();
    await page.locator('.zone-card[data-zone="sim-a"] dd', { hasText: '3 / 3' }).waitFor({ timeout: 20_000 });
    await w.shot('01-scaled');

    await page.getByRole('link', { name: 'Releases', exact: true }).click();
    await page.locator('tr[data-release="1"]').getByRole('button', { name: 'Roll back to v1' }).click();
    await page.getByRole('button', { name: 'Yes, roll back to v1' }).click();
    await page.getByText(/Rolled back to v1: new release v\d+/).waitFor();
    await page.locator('tr.is-current td', { hasText: 'rollback' }).waitFor();
    await w.shot('02-rolled-back');

    const secret = 'hunter2-dashboard-canary';
    await page.getByRole('link', { name: 'Env & secrets', exact: true }).click();
    const form = page.getByRole('form', { name: 'Set a secret' });
    await form.getByLabel('Key').fill('API_KEY');
    await form.getByLabel('Value').fill(secret);
    await form.getByRole('button', { name: 'Set secret' }).click();
    await page.locator('tr[data-secret="API_KEY"]').waitFor();
    await page.locator('tr[data-env="GREETING"]').getByText('hello').waitFor();
    expect(await page.content()).not.toContain(secret);
    await w.shot('03-secrets');

    expect(w.problems()).toEqual([]);
    await w.close();
  });
});
