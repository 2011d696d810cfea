import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  deployWhenZonesAvailable,
  horizontalOverflow,
  launchBrowser,
  NO_CHROMIUM,
  openPage,
  PASSWORD,
  signInWithToken,
  startDashboardServer,
  type DashboardServer,
} from './support.ts';

const suite = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) console.warn(NO_CHROMIUM);

interface Focused {
  tag: string;
  type: string;
  name: string;
  outline: string;
}

/** What has keyboard focus: element, its accessible-ish name, and whether a focus ring is drawn. */
async function focused(page: Page): Promise<Focused> {
  return await page.evaluate<Focused>(`(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return { tag: 'body', type: '', name: '', outline: 'none' };
    const label = e.labels && e.labels.length ? e.labels[0].textContent : '';
    const style = getComputedStyle(e);
    return {
      tag: e.tagName.toLowerCase(),
      type: e.getAttribute('type') || '',
      name: (label || e.getAttribute('aria-label') || e.textContent || '').trim(),
      outline: style.outlineStyle === 'none' || style.outlineWidth === '0px' ? 'none' : style.outlineStyle + ' ' + style.outlineWidth,
    };
  })()`);
}

/** Presses Tab (or Shift+Tab) until `want` has focus (at most `limit` times); answers every stop. */
async function tabTo(page: Page, want: (f: Focused) => boolean, limit = 25, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<Focused[]> {
  const stops: Focused[] = [];
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press(key);
    const now = await focused(page);
    stops.push(now);
    if (want(now)) return stops;
  }
  throw new Error(`focus never reached the element; stops: ${stops.map((s) => `${s.tag}:${s.name}`).join(' → ')}`);
}

suite('dashboard: keyboard and small screens', () => {
  let server: DashboardServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDashboardServer({ zones: ['sim-a', 'sim-b'] }), launchBrowser()]);
    await deployWhenZonesAvailable(server.h, server.h.tenant.orgId, 'web', {
      image: 'ghcr.io/acme/web:1.0',
      health_path: '/health',
      env: { GREETING: 'hello', LONG_SETTING: 'a-rather-long-value-that-must-wrap-on-a-phone-screen-instead-of-scrolling-sideways' },
      multicluster: { enabled: true, mode: 'active-active', zones: ['sim-a', 'sim-b'] },
    });
    await server.h.waitForStatus('web', (s) => s.status === 'ready');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('reaches the sign-in form and the main navigation with Tab, with a visible focus ring', async () => {
    const w = await openPage(browser, 'keyboard');
    const { page } = w;
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in to Satusky' }).waitFor();

    const stops = await tabTo(page, (f) => f.tag === 'button' && f.name === 'Sign in');
    const names = stops.map((s) => `${s.tag}:${s.name}`);
    expect(names).toEqual(
      expect.arrayContaining(['button:Email and password', 'button:API token', 'input:Email', 'input:Password', 'button:Sign in']),
    );
    expect(stops.every((s) => s.outline !== 'none')).toBe(true);

    // Sign in with the keyboard alone.
    await page.keyboard.press('Shift+Tab'); // organization
    await page.keyboard.press('Shift+Tab'); // password
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Shift+Tab'); // email
    await page.keyboard.type(server.email);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    await w.shot('01-signed-in');

    // From the top of a fresh page: skip link, home, then every section of the main navigation.
    await page.reload();
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'web' }).first().waitFor();
    expect(await page.evaluate('document.activeElement === document.body')).toBe(true);
    const nav = await tabTo(page, (f) => f.tag === 'a' && f.name === 'Audit log');
    expect(nav[0]).toMatchObject({ tag: 'a', name: 'Skip to content' });
    expect(nav.map((s) => s.name)).toEqual(expect.arrayContaining(['Apps', 'Zones', 'Team', 'Tokens', 'Audit log']));
    expect(nav.every((s) => s.outline !== 'none')).toBe(true);
    await w.shot('02-nav-focus');
    await tabTo(page, (f) => f.tag === 'button' && f.name === 'Sign out');

    // Enter follows a focused link, and focus moves to the new content, as after a page load.
    await tabTo(page, (f) => f.tag === 'a' && f.name === 'Zones', 10, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Zones', level: 1 }).waitFor();
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('main');
    await tabTo(page, (f) => f.tag === 'a' && f.name === 'Apps', 15, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    // Into an app, and through its section tabs.
    await tabTo(page, (f) => f.tag === 'a' && f.name === 'web');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'web', level: 1 }).waitFor();
    await tabTo(page, (f) => f.tag === 'a' && f.name === 'Releases');
    await page.keyboard.press('Enter');
    await page.locator('tr[data-release="1"]').waitFor();
    await w.shot('03-app-by-keyboard');

    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('renders every page at phone width (390×844) without sideways scrolling', async () => {
    const w = await openPage(browser, 'phone', { width: 390, height: 844 });
    const { page } = w;
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in to Satusky' }).waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    await w.shot('01-sign-in');

    await signInWithToken(page, server.url, server.token);
    const pages: [string, string, () => Promise<void>][] = [
      ['/apps', '02-apps', () => page.locator('li[data-app="web"] .chip[data-zone="sim-b"][data-status="ready"]').waitFor()],
      ['/apps/web', '03-app', () => page.locator('.zone-card[data-zone="sim-b"] .chip[data-status="ready"]').waitFor()],
      ['/apps/web/releases', '04-releases', () => page.locator('tr[data-release="1"]').waitFor()],
      ['/apps/web/events', '05-events', () => page.locator('[data-event-type="WorkloadReady"]').first().waitFor()],
      ['/apps/web/logs', '06-logs', () => page.getByTestId('logs').getByText('listening on').first().waitFor()],
      ['/apps/web/config', '07-config', () => page.locator('tr[data-env="LONG_SETTING"]').waitFor()],
      ['/apps/web/domains', '08-domains', () => page.getByRole('heading', { name: 'Domains' }).waitFor()],
      ['/zones', '09-zones', () => page.getByTestId('placement-grid').waitFor()],
      ['/team', '10-team', () => page.getByText(server.email).first().waitFor()],
      ['/tokens', '11-tokens', () => page.locator('tr[data-token="test"]').waitFor()],
      ['/audit', '12-audit', () => page.locator('[data-action="app.deploy"]').first().waitFor()],
    ];
    const overflow: Record<string, number> = {};
    for (const [path, step, ready] of pages) {
      await page.goto(server.url + path);
      await ready();
      overflow[path] = await horizontalOverflow(page);
      await w.shot(step);
    }
    expect(overflow).toEqual(Object.fromEntries(pages.map(([path]) => [path, 0])));
    expect(w.problems()).toEqual([]);
    await w.close();
  });
});
