import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, authHeaders, createTenant, createTestApp, type Tenant, type TestApp } from './helpers.ts';

let t: TestApp;
let a: Tenant;
beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t.database, 'idem');
});
afterAll(async () => {
  await t.close();
});
const json = (r: { body: string }) => JSON.parse(r.body);

describe('idempotent mutations (X-Request-ID)', () => {
  it('replays the first answer to a retry without doing the work again', async () => {
    const request = () =>
      t.app.inject({
        method: 'POST',
        url: `/v1/orgs/${a.orgId}/tokens`,
        headers: { ...authHeaders(a.token), 'x-request-id': 'retry-123' },
        payload: { name: 'deploy-bot' },
      });
    const first = await request();
    const second = await request();
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['x-satusky-idempotent-replay']).toBe('true');
    expect(first.headers['x-satusky-idempotent-replay']).toBeUndefined();
    // The replay carries the same token (the client that lost the first answer still gets it).
    expect(json(second)).toEqual(json(first));
    const tokens = await t.database.db
      .selectFrom('api_tokens')
      .select('id')
      .where('membership_id', '=', a.membershipId)
      .where('name', '=', 'deploy-bot')
      .execute();
    expect(tokens).toHaveLength(1);
    const audit = await t.database.db.selectFrom('audit_log').select('id').where('idempotency_key', '=', 'retry-123').execute();
    expect(audit).toHaveLength(1);
    // The replayed token works.
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(json(second).token) })).statusCode).toBe(200);
  });

  it('refuses the same X-Request-ID with a different request', async () => {
    const headers = { ...authHeaders(a.token), 'x-request-id': 'reuse-1' };
    const first = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/tokens`, headers, payload: { name: 'one' } });
    expect(first.statusCode).toBe(201);
    const differentBody = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/tokens`, headers, payload: { name: 'two' } });
    expect(differentBody.statusCode).toBe(422);
    expect(json(differentBody).error.code).toBe('SATUSKY_IDEMPOTENCY_KEY_REUSED');
    const differentRoute = await t.app.inject({ method: 'POST', url: '/v1/orgs', headers, payload: { name: 'one' } });
    expect(differentRoute.statusCode).toBe(422);
  });

  it('does not store failed attempts, so a corrected retry with the same id succeeds', async () => {
    const b = await addMember(t.database, a.orgId, 'member');
    const headers = { ...authHeaders(b.token), 'x-request-id': 'fix-and-retry' };
    const refused = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/members`, headers, payload: { email: 'z@example.com' } });
    expect(refused.statusCode).toBe(403);
    await t.database.db.updateTable('memberships').set({ role: 'admin' }).where('id', '=', b.membershipId).execute();
    const retried = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/members`, headers, payload: { email: 'z@example.com' } });
    expect(retried.statusCode).toBe(201);
  });

  it('keys are per user: two users may use the same X-Request-ID independently', async () => {
    const other = await createTenant(t.database, 'idem-other');
    const r1 = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/tokens`, headers: { ...authHeaders(a.token), 'x-request-id': 'shared-key' }, payload: { name: 'a' } });
    const r2 = await t.app.inject({ method: 'POST', url: `/v1/orgs/${other.orgId}/tokens`, headers: { ...authHeaders(other.token), 'x-request-id': 'shared-key' }, payload: { name: 'b' } });
    expect(r1.statusCode).toBe(201);
    expect(r2.statusCode).toBe(201);
    expect(r2.headers['x-satusky-idempotent-replay']).toBeUndefined();
  });
});

describe('audit log', () => {
  it('records every mutation with actor, token, request, client and changes, readable by admins only', async () => {
    const tenant = await createTenant(t.database, 'audited');
    const member = await addMember(t.database, tenant.orgId, 'member');
    const headers = { ...authHeaders(tenant.token), 'user-agent': 'audit-test/1.0', 'x-request-id': 'audit-req-1' };
    const created = await t.app.inject({ method: 'POST', url: `/v1/orgs/${tenant.orgId}/tokens`, headers, payload: { name: 'audited-token' } });
    await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${tenant.orgId}/tokens/${json(created).id}`, headers: authHeaders(tenant.token), payload: { enabled: false } });
    await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${tenant.orgId}/members/${member.membershipId}`, headers: authHeaders(tenant.token), payload: { role: 'admin' } });
    await t.app.inject({ method: 'POST', url: `/v1/orgs/${tenant.orgId}/members`, headers: authHeaders(member.token), payload: { email: `x-${tenant.slug}@example.com` } });

    const list = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${tenant.orgId}/audit`, headers: authHeaders(tenant.token) }));
    expect(list.items.map((e: { action: string }) => e.action)).toEqual(['member.add', 'member.role.change', 'token.disable', 'token.create']);
    const createEntry = list.items[3];
    expect(createEntry).toMatchObject({
      organization_id: tenant.orgId,
      actor: { user_id: tenant.userId, email: tenant.email, token_id: tenant.tokenId },
      resource_type: 'api_token',
      resource_id: json(created).id,
      resource_name: 'audited-token',
      idempotency_key: 'audit-req-1',
      user_agent: 'audit-test/1.0',
      ip: '127.0.0.1',
    });
    expect(createEntry.request_id).toMatch(/^req_/);
    expect(list.items[1].changes).toEqual({ role: { from: 'member', to: 'admin' } });
    expect(JSON.stringify(list)).not.toContain(json(created).token);

    const byAction = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${tenant.orgId}/audit?action=token`, headers: authHeaders(tenant.token) }));
    expect(byAction.items.map((e: { action: string }) => e.action)).toEqual(['token.disable', 'token.create']);
    const byActor = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${tenant.orgId}/audit?actor=${encodeURIComponent(member.email)}`, headers: authHeaders(tenant.token) }));
    expect(byActor.items.map((e: { action: string }) => e.action)).toEqual(['member.add']);
    const byActorId = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${tenant.orgId}/audit?actor=${tenant.userId}`, headers: authHeaders(tenant.token) }));
    expect(byActorId.items).toHaveLength(3);

    const one = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${tenant.orgId}/audit/${createEntry.id}`, headers: authHeaders(tenant.token) }));
    expect(one).toEqual(createEntry);

    const outsider = await addMember(t.database, tenant.orgId, 'member', 'outsider');
    const refused = await t.app.inject({ method: 'GET', url: `/v1/orgs/${tenant.orgId}/audit`, headers: authHeaders(outsider.token) });
    expect(refused.statusCode).toBe(403);
  });

  it('pages with a cursor', async () => {
    const tenant = await createTenant(t.database, 'paging');
    for (let i = 0; i < 5; i += 1) {
      await t.app.inject({ method: 'POST', url: `/v1/orgs/${tenant.orgId}/tokens`, headers: authHeaders(tenant.token), payload: { name: `t${i}` } });
    }
    const page1 = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${tenant.orgId}/audit?limit=3`, headers: authHeaders(tenant.token) }));
    expect(page1.items).toHaveLength(3);
    expect(page1.next_cursor).toBe(page1.items[2].id);
    const page2 = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${tenant.orgId}/audit?limit=3&before=${page1.next_cursor}`, headers: authHeaders(tenant.token) }));
    expect(page2.items).toHaveLength(2);
    expect(page2.next_cursor).toBeNull();
    expect(page2.items.map((e: { resource_name: string }) => e.resource_name)).toEqual(['t1', 't0']);
  });
});
