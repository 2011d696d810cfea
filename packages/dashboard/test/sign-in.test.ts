import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../control-plane/test/helpers.ts';
import { CHROMIUM, launchBrowser, NO_CHROMIUM, openPage, PASSWORD, signInWithToken, startDashboardServer, type DashboardServer } from './support.ts';

const suite = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) console.warn(NO_CHROMIUM);

suite('dashboard: signing in and out', () => {
  let server: DashboardServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDashboardServer({ zones: ['sim-a'] }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in with a token and with email and password, refuses a wrong password, and signs out', async () => {
    const w = await openPage(browser, 'sign-in');
    const { page } = w;
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in to Satusky' }).waitFor();
    await w.shot('01-form');

    // With an API token: the session is an httpOnly cookie, and the token is kept nowhere.
    await page.getByRole('button', { name: 'API token' }).click();
    await page.getByLabel('API token').fill(server.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/apps');
    expect(await page.title()).toBe('Apps · Satusky');
    await page.getByText(server.email).waitFor();
    const cookie = (await w.context.cookies()).find((c) => c.name === 'satusky_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const storage = await page.evaluate<string>('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])');
    expect(storage).not.toContain(server.token);
    expect(storage).not.toContain('sat_');
    expect(storage).not.toContain(cookie!.value);
    // A token session stays in the token's organization: the switcher says so instead of failing.
    expect(await page.getByLabel('Organization').isDisabled()).toBe(true);
    await w.shot('02-token-signed-in');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    expect((await w.context.cookies()).some((c) => c.name === 'satusky_session')).toBe(false);
    await w.shot('03-signed-out');

    // A wrong password: the server's 401 is the one console line this test provokes on purpose.
    w.expectNetworkError({ status: 401, path: /^\/v1\/auth\/sessions$/ });
    await page.getByRole('button', { name: 'Email and password' }).click();
    await page.getByLabel('Email').fill(server.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await w.shot('04-wrong-password');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    await w.shot('05-password-signed-in');

    // The session survives a reload (the cookie), then ends with sign-out.
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Satusky' }).waitFor();
    await w.shot('06-signed-out-again');

    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('switches between the organizations of a password session', async () => {
    const other = await createTenant(server.h.cp.database, 'second');
    await server.h.cp.database.db
      .insertInto('memberships')
      .values({ id: randomUUID(), organization_id: other.orgId, user_id: server.h.tenant.userId, role: 'member' })
      .execute();

    const w = await openPage(browser, 'org-switch');
    const { page } = w;
    await page.goto(`${server.url}/team`);
    await page.getByLabel('Email').fill(server.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Deep links survive signing in.
    await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Audit log' }).waitFor();
    await w.shot('01-first-org');

    const switcher = page.getByLabel('Organization');
    expect(await switcher.isDisabled()).toBe(false);
    await switcher.selectOption(other.slug);
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    await page.locator('main').getByText('second org').first().waitFor();
    expect(await switcher.inputValue()).toBe(other.slug);
    // A member there: no audit log in the navigation, and the team is read-only.
    await page.getByRole('link', { name: 'Audit log' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByText('Only organization admins can invite').waitFor();
    await page.getByText(other.email).waitFor();
    await w.shot('02-second-org');

    await switcher.selectOption(server.org);
    await page.getByRole('link', { name: 'Audit log' }).waitFor();
    expect(w.problems()).toEqual([]);
    await w.close();
  });

  it('opens a deep link after signing in with a token, and knows an unknown page', async () => {
    const w = await openPage(browser, 'deep-link');
    await signInWithToken(w.page, server.url, server.token, '/zones');
    await w.page.getByRole('heading', { name: 'Zones', level: 1 }).waitFor();
    await w.page.getByText('sim-a').first().waitFor();
    await w.page.goto(`${server.url}/no/such/page`);
    await w.page.getByRole('heading', { name: 'Not found' }).waitFor();
    expect(w.problems()).toEqual([]);
    await w.close();
  });
});
