import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DeployAccepted } from '@satusky/contracts';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { inject, onTestFailed } from 'vitest';
import { hashPassword } from '../../control-plane/src/core/passwords.ts';
import { startHarness, type Harness } from '../../control-plane/test/sim-harness.ts';
import { testConfig } from '../../control-plane/test/helpers.ts';
import { startWorldHarness, type WorldHarness } from '../../control-plane/test/world-harness.ts';

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;
export const NO_CHROMIUM = 'no Chromium at /usr/bin/chromium (install it with `apt-get install -y chromium`): dashboard browser tests skipped';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const SCREENSHOT_DIR = path.join(repoRoot, 'test-results', 'dashboard');

export const PASSWORD = 'correct-horse-battery-staple';

export interface DashboardServer {
  h: Harness;
  /** The control plane's listening URL; it serves the dashboard at `/`. */
  url: string;
  /** The tenant's organization slug (what the dashboard puts in API paths). */
  org: string;
  email: string;
  token: string;
  close(): Promise<void>;
}

/**
 * A control plane with controllers, simulated clusters registered through the API, the built
 * dashboard at `/`, and a tenant (platform admin of its own org) who can sign in with a token or a
 * password.
 */
export async function startDashboardServer(options: { zones?: string[]; simOptions?: Parameters<typeof startHarness>[0]['simOptions'] } = {}): Promise<DashboardServer> {
  const buildError = inject('dashboardBuildError');
  if (buildError) throw new Error(`packages/dashboard/dist could not be built (test/global-setup.ts): ${buildError}`);
  const h = await startHarness({ zones: options.zones ?? ['sim-a', 'sim-b'], listen: true, ...(options.simOptions ? { simOptions: options.simOptions } : {}) });
  try {
    await h.cp.database.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('id', '=', h.tenant.userId).execute();
    if (!h.cp.url) throw new Error('the control plane is not listening');
    return { h, url: h.cp.url, org: h.tenant.slug, email: h.tenant.email, token: h.tenant.token, close: () => h.close() };
  } catch (error) {
    await h.close();
    throw error;
  }
}

export interface WorldDashboard {
  /** `satusky dev` itself: the simulated world (zones, edges, DNS, CA, faults) and the control plane. */
  h: WorldHarness;
  /** The control plane's listening URL; it serves the dashboard at `/`. */
  url: string;
  /** The bootstrap admin's token (a platform admin of the dev organization). */
  token: string;
  close(): Promise<void>;
}

/**
 * The real `satusky dev` (control-plane/test/world-harness.ts) on free ports in a temporary
 * directory, serving the built dashboard at `/`: what the issue's acceptance means by "against
 * `satusky dev`".
 */
export async function startWorldDashboard(options: { zones: string[]; probeIntervalMs?: number }): Promise<WorldDashboard> {
  const buildError = inject('dashboardBuildError');
  if (buildError) throw new Error(`packages/dashboard/dist could not be built (test/global-setup.ts): ${buildError}`);
  const probeIntervalMs = options.probeIntervalMs ?? 300;
  const h = await startWorldHarness({
    zones: options.zones,
    probeIntervalMs,
    // The harness's fast timings, but the production timeout for a cluster's health probe: on a
    // busy two-core machine a 600 ms probe can miss, and a zone that looks offline refuses deploys.
    config: {
      controllers: { ...testConfig().controllers, probeIntervalMs, probeTimeoutMs: 2_000, pollIntervalMs: 200, resyncIntervalMs: 3_000, leaseTtlMs: 3_000 },
    },
  });
  try {
    const url = h.dev.controlPlane.url;
    if (!url) throw new Error('satusky dev is not listening');
    // The dashboard must be what `/` serves (the control plane serves dist/ only when it exists).
    const index = await fetch(`${url}/`);
    const html = await index.text();
    if (index.status !== 200 || !html.includes('<div id="root"')) throw new Error(`satusky dev does not serve the dashboard at ${url}/ (HTTP ${index.status})`);
    return { h, url, token: h.token, close: () => h.close() };
  } catch (error) {
    await h.close();
    throw error;
  }
}

/** What either harness offers to call the API with its own credentials. */
interface ApiCaller {
  api<T = unknown>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T; text: string }>;
}

/**
 * Deploys through the API. A zone whose cluster missed a health probe (a loaded two-core machine
 * running other suites too) is briefly unavailable and refuses placement with 422
 * SATUSKY_ZONE_UNAVAILABLE: that is retried until the zone answers again; anything else fails at
 * once. Answers the deploy's 202 body.
 */
export async function deployWhenZonesAvailable(h: ApiCaller, orgId: string, app: string, body: Record<string, unknown>, timeoutMs = 30_000): Promise<DeployAccepted> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const deployed = await h.api<DeployAccepted & { error?: { code: string } }>('PUT', `/v1/orgs/${orgId}/apps/${app}`, body);
    if (deployed.status === 202) return deployed.body;
    const unavailable = deployed.status === 422 && deployed.body.error?.code === 'SATUSKY_ZONE_UNAVAILABLE';
    if (!unavailable || Date.now() > deadline) throw new Error(`deploying ${app}: HTTP ${deployed.status} ${deployed.text}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(NO_CHROMIUM);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

interface Problem {
  text: string;
  url: string;
}

/** A console error the test expects: the browser's own log line for an HTTP error answer. */
export interface ExpectedNetworkError {
  status: number;
  path: RegExp;
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions not covered by `expectNetworkError`. */
  problems(): string[];
  /** Chromium logs every 4xx answer as a console error; these are the ones a test provokes on purpose. */
  expectNetworkError(expected: ExpectedNetworkError): void;
  /** A screenshot of the whole page, or of one element of it. */
  shot(step: string, element?: Locator): Promise<void>;
  close(): Promise<void>;
}

/** A fresh browser context (no cookies, no storage) whose console errors are collected. */
export async function openPage(browser: Browser, test: string, options: { width?: number; height?: number } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const seen: Problem[] = [];
  const expected: ExpectedNetworkError[] = [];
  // Each screenshot marks a step; a failing test prints how long each step took.
  const opened = Date.now();
  const steps: string[] = [];
  try {
    onTestFailed(() => {
      console.log(`${test}: steps ${steps.join(', ') || '(none)'}; failed at +${Date.now() - opened} ms; console: ${seen.map((p) => p.text).join(' | ') || 'clean'}`);
    });
  } catch {
    // Outside a running test (a script driving the dashboard): nothing to report to.
  }
  page.on('console', (message) => {
    if (message.type() === 'error') seen.push({ text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error) => seen.push({ text: `uncaught: ${error.message}`, url: '' }));
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    page,
    context,
    problems: () =>
      seen
        .filter((p) => {
          const status = /the server responded with a status of (\d{3})/.exec(p.text)?.[1];
          if (!status) return true;
          let pathname = p.url;
          try {
            pathname = new URL(p.url).pathname;
          } catch {
            // keep the raw text
          }
          return !expected.some((e) => e.status === Number(status) && e.path.test(pathname));
        })
        .map((p) => `${p.text}${p.url ? ` (${p.url})` : ''}`),
    expectNetworkError: (e) => expected.push(e),
    shot: async (step, element) => {
      steps.push(`${step} +${Date.now() - opened} ms`);
      const file = path.join(SCREENSHOT_DIR, `${test}-${step}.png`);
      await (element ? element.screenshot({ path: file }) : page.screenshot({ path: file, fullPage: true }));
    },
    close: () => context.close(),
  };
}

/** Signs in through the form with an API token and waits for the apps page. */
export async function signInWithToken(page: Page, url: string, token: string, at = '/apps'): Promise<void> {
  await page.goto(url + at);
  await page.getByRole('button', { name: 'API token' }).click();
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Whether the document scrolls sideways (it must not, at any width). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}

