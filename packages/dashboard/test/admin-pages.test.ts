import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser, NO_CHROMIUM, openPage, signInWithToken, startDashboardServer, type DashboardServer } from './support.ts';

const suite = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) console.warn(NO_CHROMIUM);

suite('dashboard: tokens, team and audit log', () => {
  let server: DashboardServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDashboardServer({ zones: ['sim-a'] }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const me = (token: string) => fetch(`${server.url}/v1/me`, { headers: { 'x-satusky-api-key': token } }).then((r) => r.status);

  it('creates a token shown once, disables and revokes it', async () => {
    const w = await openPage(browser, 'tokens');
    const { page } = w;
    await signInWithToken(page, server.url, server.token, '/tokens');
    const form = page.getByRole('form', { name: 'Create a token' });
    await form.getByLabel('Name').fill('ci-deploy');
    await form.getByLabel('Expires in').fill('30');
    await form.getByRole('button', { name: 'Create token' }).click();
    const value = (await page.getByTestId('token-value').textContent())!.trim();
    expect(value).toMatch(/^sat_/);
    expect(await me(value)).toBe(200);
    await w.shot('01-created');
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    await page.getByTestId('created-token').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(value);
    const storage = await page.evaluate<string>('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])');
    expect(storage).not.toContain(value);

    const row = page.locator('tr[data-token="ci-deploy"]');
    await row.getByText('active').waitFor();
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('disabled').waitFor();
    expect(await me(value)).toBe(401);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke ci-deploy' }).click();
    await page.getByText('ci-deploy was revoked').waitFor();
    await row.waitFor({ state: 'detached' });
    await w.shot('02-revoked');
    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('invites a member, changes the role and removes them', async () => {
    const email = `new-${Date.now().toString(36)}@example.com`;
    const w = await openPage(browser, 'team');
    const { page } = w;
    await signInWithToken(page, server.url, server.token, '/team');
    const form = page.getByRole('form', { name: 'Invite a member' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Name (optional)').fill('New Person');
    await form.getByRole('button', { name: 'Invite' }).click();
    await page.getByText(`${email} added as member`).waitFor();
    // A new account: its one-time password is shown once.
    expect(((await page.getByTestId('initial-password').textContent()) ?? '').length).toBeGreaterThanOrEqual(12);
    await w.shot('01-invited');
    await page.getByRole('button', { name: 'Done, hide it' }).click();

    const row = page.locator(`tr[data-member="${email}"]`);
    await row.getByLabel(`Role of ${email}`).selectOption('admin');
    await row.getByRole('button', { name: 'Save role' }).click();
    await page.getByText(`${email} is now admin`).waitFor();
    await row.getByRole('button', { name: 'Save role' }).waitFor({ state: 'detached' });
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.getByRole('button', { name: `Remove ${email}` }).click();
    await page.getByText(`${email} was removed`).waitFor();
    await row.waitFor({ state: 'detached' });
    await w.shot('02-removed');
    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('filters the audit log and pages through it', async () => {
    // Enough history for more than one page (50 entries a page).
    for (let i = 0; i < 28; i += 1) {
      const created = await server.h.api<{ id: string }>('POST', `/v1/orgs/${server.h.tenant.orgId}/tokens`, { name: `bulk-${i}` });
      await server.h.api('DELETE', `/v1/orgs/${server.h.tenant.orgId}/tokens/${created.body.id}`);
    }
    const w = await openPage(browser, 'audit');
    const { page } = w;
    await signInWithToken(page, server.url, server.token, '/audit');
    const entries = page.getByTestId('audit').locator('li.audit-entry');
    await entries.first().waitFor();
    expect(await entries.count()).toBe(50);
    await w.shot('01-newest');

    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByRole('heading', { name: 'Page 2' }).waitFor();
    await entries.first().waitFor();
    expect(await entries.count()).toBeGreaterThan(0);
    await w.shot('02-page-2');
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.getByRole('heading', { name: 'Newest entries' }).waitFor();

    const filter = page.getByRole('form', { name: 'Filter the audit log' });
    await filter.getByLabel('Action (prefix)').fill('token.delete');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await page.locator('li.audit-entry[data-action="token.create"]').first().waitFor({ state: 'detached' });
    const actions = await page.locator('li.audit-entry').evaluateAll((items) => items.map((item) => item.getAttribute('data-action')));
    expect(actions.length).toBeGreaterThanOrEqual(28); // and the revoke of the first test, when it ran
    expect(new Set(actions)).toEqual(new Set(['token.delete']));
    // An entry opens to its request, origin and recorded changes.
    await page.locator('li.audit-entry summary').first().click();
    await page.locator('li.audit-entry details[open]').getByText('Request', { exact: true }).waitFor();
    await w.shot('03-filtered');
    expect(w.problems()).toEqual([]);
    await w.close();
  });
});
