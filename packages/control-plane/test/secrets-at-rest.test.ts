import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, createTenant, createTestApp, dumpAllTables, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('secrets at rest and in logs', () => {
  it('stores no plaintext token or password in any table and writes none to the logs', async () => {
    const a = await createTenant(t.database, 'canary');
    const secrets: string[] = [a.token];
    for (let i = 0; i < 20; i += 1) {
      const response = await t.app.inject({
        method: 'POST',
        url: `/v1/orgs/${a.orgId}/tokens`,
        // Half with an X-Request-ID: their stored replay must be sealed, not plaintext.
        headers: { ...authHeaders(a.token), ...(i % 2 ? { 'x-request-id': `canary-${i}` } : {}) },
        payload: { name: `canary-${i}` },
      });
      expect(response.statusCode).toBe(201);
      secrets.push(JSON.parse(response.body).token);
    }
    const invite = await t.app.inject({
      method: 'POST',
      url: `/v1/orgs/${a.orgId}/members`,
      headers: { ...authHeaders(a.token), 'x-request-id': 'canary-invite' },
      payload: { email: 'canary-invitee@example.com' },
    });
    const password = JSON.parse(invite.body).initial_password as string;
    secrets.push(password);
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      payload: { email: 'canary-invitee@example.com', password, token_name: 'canary-login' },
    });
    expect(login.statusCode).toBe(201);
    secrets.push(JSON.parse(login.body).token.token);
    // Use every token once, through both headers, and fail some requests on purpose.
    for (const [i, secret] of secrets.entries()) {
      if (!secret.startsWith('sat_')) continue;
      const headers = i % 2 ? authHeaders(secret) : { authorization: `Bearer ${secret}` };
      await t.app.inject({ method: 'GET', url: '/v1/me', headers });
      await t.app.inject({ method: 'POST', url: '/v1/orgs', headers, payload: { bad: true } });
    }
    await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(`${a.token.slice(0, -1)}x`) });

    const dump = await dumpAllTables(t.database);
    expect(dump).toContain('api_tokens');
    const logs = t.logs.join('');
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of secrets) {
      expect(dump.includes(secret), 'plaintext secret in the database').toBe(false);
      expect(logs.includes(secret), 'plaintext secret in the logs').toBe(false);
      // Not even the random part without its prefix.
      expect(dump.includes(secret.replace(/^sat_/, '').slice(0, 24))).toBe(false);
    }
  });
});
