import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/core/passwords.ts';
import { addMember, authHeaders, createTenant, createTestApp, type Tenant, type TestApp } from './helpers.ts';

let t: TestApp;
let a: Tenant;
let other: Tenant;
const password = 'correct-horse-battery';

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t.database, 'browser');
  other = await createTenant(t.database, 'other-org');
  await t.database.db.updateTable('users').set({ password_hash: await hashPassword(password) }).where('id', '=', a.userId).execute();
  // The same user is also a member of a second organization.
  const { randomUUID } = await import('node:crypto');
  await t.database.db.insertInto('memberships').values({ id: randomUUID(), organization_id: other.orgId, user_id: a.userId, role: 'member' }).execute();
});
afterAll(async () => {
  await t.close();
});

function cookieOf(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return header.split(';')[0]!;
}

describe('browser sessions', () => {
  it('signs in with a password into an httpOnly SameSite=Strict cookie, never a token in the body', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { email: a.email, password } });
    expect(response.statusCode).toBe(201);
    const setCookie = response.headers['set-cookie'] as string;
    expect(setCookie).toMatch(/^satusky_session=[A-Za-z0-9_-]{40,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(JSON.parse(response.body)).toMatchObject({ user: { email: a.email }, organization: { id: a.orgId } });
    expect(response.body).not.toContain(cookieOf(setCookie).split('=')[1]);
    const stored = await t.database.db.selectFrom('sessions').select('token_hash').execute();
    expect(JSON.stringify(stored)).not.toContain(cookieOf(setCookie).split('=')[1]);

    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: cookieOf(setCookie) } });
    expect(me.statusCode).toBe(200);
    expect(JSON.parse(me.body).organization.organization_id).toBe(a.orgId);
  });

  it('refuses wrong passwords and bad tokens with one answer', async () => {
    for (const payload of [{ email: a.email, password: 'wrong' }, { email: 'nobody@example.com', password }, { token: 'sat_bogus' }]) {
      const response = await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload });
      expect(response.statusCode).toBe(401);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { email: a.email } })).statusCode).toBe(400);
  });

  it('requires the CSRF header for mutations and rejects other origins', async () => {
    const cookie = cookieOf((await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { email: a.email, password } })).headers['set-cookie']);
    const noHeader = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/tokens`, headers: { cookie }, payload: { name: 'x' } });
    expect(noHeader.statusCode).toBe(403);
    expect(JSON.parse(noHeader.body).error.message).toContain('x-satusky-csrf');
    const withHeader = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/tokens`, headers: { cookie, 'x-satusky-csrf': '1' }, payload: { name: 'x' } });
    expect(withHeader.statusCode).toBe(201);
    const crossSite = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie, origin: 'https://evil.example' } });
    expect(crossSite.statusCode).toBe(403);
    const sameSite = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie, origin: 'http://localhost:4600', host: 'localhost:4600' } });
    expect(sameSite.statusCode).toBe(200);
  });

  it('switches a password session between the user’s organizations, never to a foreign one', async () => {
    const cookie = cookieOf((await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { email: a.email, password } })).headers['set-cookie']);
    const headers = { cookie, 'x-satusky-csrf': '1' };
    const switched = await t.app.inject({ method: 'PUT', url: '/v1/auth/sessions/current/organization', headers, payload: { organization: other.slug } });
    expect(switched.statusCode).toBe(200);
    const me = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).body);
    expect(me.organization).toMatchObject({ organization_id: other.orgId, role: 'member' });
    expect((await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/members`, headers: { cookie } })).statusCode).toBe(404);
    const stranger = await createTenant(t.database, 'stranger');
    expect((await t.app.inject({ method: 'PUT', url: '/v1/auth/sessions/current/organization', headers, payload: { organization: stranger.slug } })).statusCode).toBe(404);
  });

  it('keeps a session opened with a token in that token’s organization', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { token: a.token } });
    const cookie = cookieOf(response.headers['set-cookie']);
    const switched = await t.app.inject({ method: 'PUT', url: '/v1/auth/sessions/current/organization', headers: { cookie, 'x-satusky-csrf': '1' }, payload: { organization: other.slug } });
    expect(switched.statusCode).toBe(403);
  });

  it('signs out: the cookie is cleared and the session refused from then on', async () => {
    const cookie = cookieOf((await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { email: a.email, password } })).headers['set-cookie']);
    const out = await t.app.inject({ method: 'DELETE', url: '/v1/auth/sessions/current', headers: { cookie, 'x-satusky-csrf': '1' } });
    expect(out.statusCode).toBe(200);
    expect(out.headers['set-cookie']).toMatch(/satusky_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('lets a platform admin reset a password, which ends that user’s sessions', async () => {
    const target = await addMember(t.database, a.orgId, 'member', 'reset-me');
    await t.database.db.updateTable('users').set({ password_hash: await hashPassword(password) }).where('id', '=', target.userId).execute();
    const cookie = cookieOf((await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { email: target.email, password } })).headers['set-cookie']);
    const refused = await t.app.inject({ method: 'POST', url: `/v1/admin/users/${target.userId}/password-reset`, headers: authHeaders(a.token) });
    expect(refused.statusCode).toBe(403);
    await t.database.db.updateTable('users').set({ is_platform_admin: true }).where('id', '=', a.userId).execute();
    const reset = await t.app.inject({ method: 'POST', url: `/v1/admin/users/${target.userId}/password-reset`, headers: authHeaders(a.token) });
    expect(reset.statusCode).toBe(200);
    const fresh = JSON.parse(reset.body).password as string;
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { email: target.email, password: fresh } })).statusCode).toBe(201);
  });
});
