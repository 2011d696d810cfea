import type { DomainCheck } from '@satusky/contracts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, deployWhenZonesAvailable, launchBrowser, NO_CHROMIUM, openPage, signInWithToken, startWorldDashboard, type WorldDashboard } from './support.ts';

const suite = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) console.warn(NO_CHROMIUM);

const ZONE = 'sim-a';

/**
 * Against `satusky dev`: the world DNS (with a registrar to create records in), the edges, the
 * ACME CA validating HTTP-01 over the network, and a parked host: "somebody else's server".
 */
suite('dashboard on satusky dev: custom domains', () => {
  let server: WorldDashboard;
  let browser: Browser;
  let appHost: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startWorldDashboard({ zones: [ZONE] }), launchBrowser()]);
    appHost = (await deployWhenZonesAvailable(server.h, server.h.org, 'shop', { image: 'ghcr.io/acme/shop:1.0', health_path: '/healthz' })).hostname;
    await server.h.waitForStatus('shop', (s) => s.status === 'ready', { timeoutMs: 60_000, message: 'shop ready with route, certificate and DNS' });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('adds a domain pointed at somebody else: the failed DNS and TLS facts with their remediation; fixing DNS turns them green', { timeout: 60_000 }, async () => {
    const hostname = `shop-${Date.now().toString(36)}.example.com`;
    const { registrar, parked } = server.h.world;
    const w = await openPage(browser, 'domains');
    const { page } = w;
    await signInWithToken(page, server.url, server.token, '/apps/shop/domains');
    await page.getByText('No custom domains.').waitFor();
    const form = page.getByRole('form', { name: 'Add a custom domain' });
    await form.getByLabel('Custom hostname').fill(hostname);
    await form.getByRole('button', { name: 'Add domain' }).click();
    await page.getByText(`${hostname} added`).waitFor();
    await page.locator(`tr[data-domain="${hostname}"]`).getByText('pending').waitFor();
    await w.shot('01-added');

    // The domain page says which records to create; the owner copies the TXT from it, but points
    // the name itself at a parked page elsewhere (an A record), not at the app.
    await page.getByRole('link', { name: hostname }).click();
    await page.getByRole('heading', { name: hostname, level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'DNS records to create' }).waitFor();
    const txtRow = page.locator('tr', { has: page.getByRole('cell', { name: `_satusky-challenge.${hostname}`, exact: true }) });
    const txtValue = (await txtRow.locator('td').nth(3).textContent())!.trim();
    expect(txtValue).toMatch(/^satusky-verify=/);
    await page.locator('tr', { has: page.getByRole('cell', { name: appHost, exact: true }) }).getByRole('cell', { name: 'CNAME', exact: true }).waitFor();
    registrar.set({ name: `_satusky-challenge.${hostname}`, type: 'TXT', values: [txtValue] });
    registrar.set({ name: hostname, type: 'A', values: [parked.address] });

    // Ownership is proven, so a route and a certificate follow; DNS and the CA's HTTP-01 challenge
    // reach the parked host instead of an edge. The page shows both failures and what to do.
    await page.locator('.page-head .badge', { hasText: 'verified' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-fact="metadata"][data-fact-status="pass"]').getByText('DOMAIN_VERIFIED').waitFor();
    const dns = page.locator('[data-fact="dns"][data-fact-status="fail"]');
    await dns.getByText('DNS_WRONG_ADDRESS', { exact: true }).waitFor({ timeout: 20_000 });
    expect(await dns.locator('.badge').textContent()).toBe('Failing');
    expect(await dns.locator('.fact-body').textContent()).toContain(parked.address);
    expect(await dns.locator('.fact-remediation').textContent()).toContain(`Create a CNAME record ${hostname} → ${appHost}`);
    const tls = page.locator(`[data-fact="tls"][data-zone="${ZONE}"][data-fact-status="fail"]`);
    await tls.getByText('TLS_ISSUANCE_FAILED', { exact: true }).waitFor({ timeout: 30_000 });
    expect(await tls.locator('.fact-body').textContent()).toMatch(/ChallengeNotFound|WrongChallengeResponse/);
    expect(await tls.locator('.fact-remediation').textContent()).toContain('not a Satusky edge');
    // The same verdict the API gives (what `1ctl domains check` prints).
    const check = (await server.h.api<DomainCheck>('GET', `/v1/orgs/${server.h.org}/domains/${hostname}/check`)).body;
    expect(check.ok).toBe(false);
    expect(check.facts.find((f) => f.fact === 'dns')).toMatchObject({ status: 'fail', reason: 'DNS_WRONG_ADDRESS' });
    expect(await page.locator('[data-fact]').count()).toBe(check.facts.length);
    await w.shot('02-dns-and-tls-failing');

    // The app's overview lists the domain from its status, linking back to the check.
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'shop', exact: true }).click();
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const summary = page.getByTestId('app-domains').locator(`tr[data-domain="${hostname}"][data-domain-status="verified"]`);
    await summary.waitFor();
    expect(await summary.textContent()).toContain('HTTPRoute');
    await w.shot('03-app-overview-domains');
    await summary.getByRole('link', { name: hostname }).click();
    await page.getByRole('heading', { name: hostname, level: 1 }).waitFor();

    // The fix the remediation names: a CNAME to the app's hostname instead of the A record.
    registrar.delete(hostname, 'A');
    registrar.set({ name: hostname, type: 'CNAME', values: [appHost] });
    const dnsOk = page.locator('[data-fact="dns"][data-fact-status="pass"]');
    await dnsOk.getByText('DNS_OK', { exact: true }).waitFor({ timeout: 20_000 });
    expect(await dnsOk.locator('.fact-body').textContent()).toContain(`CNAME ${appHost} → A ${server.h.world.zone(ZONE).edgeAddress}`);
    // cert-manager retries; the CA now reaches the edge, the certificate is issued and served.
    await page.locator(`[data-fact="tls"][data-zone="${ZONE}"][data-fact-status="pass"]`).getByText('TLS_OK', { exact: true }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="domain-check"][data-ok="true"]').waitFor();
    // A live probe adds the HTTP answer through the edge.
    await page.getByLabel('Probe live (DNS, TLS and HTTP now)').check();
    await page.locator(`[data-fact="http"][data-zone="${ZONE}"][data-fact-status="pass"]`).getByText('HTTP_OK', { exact: true }).waitFor();
    await page.locator('[data-testid="domain-check"][data-ok="true"]').waitFor();
    await w.shot('04-fixed-every-fact-passes');

    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('degrades gracefully where the control plane has no domains API', async () => {
    const w = await openPage(browser, 'domains-missing');
    const { page } = w;
    // An older control plane: every domains route answers the router's 404.
    await page.route(/\/v1\/orgs\/[^/]+\/domains(\/|\?|$)/, (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'SATUSKY_ROUTE_NOT_FOUND', message: 'No route GET /v1/orgs/x/domains', request_id: 'req_test' } }),
      }),
    );
    w.expectNetworkError({ status: 404, path: /\/domains(\/|$)/ });
    await signInWithToken(page, server.url, server.token, '/apps/shop/domains');
    await page.getByTestId('domains-unavailable').waitFor();
    expect(await page.getByRole('form', { name: 'Add a custom domain' }).count()).toBe(0);
    await page.getByRole('link', { name: 'check it fact by fact' }).waitFor();
    await w.shot('01-apps-tab');
    await page.goto(`${server.url}/domains/shop.example.com`);
    await page.getByTestId('domains-unavailable').waitFor();
    await w.shot('02-domain-page');
    expect(w.problems()).toEqual([]);
    await w.close();
  });
});
