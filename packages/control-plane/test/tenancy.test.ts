import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, authHeaders, createTenant, createTestApp, tableCounts, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const json = (response: { body: string }) => JSON.parse(response.body);

describe('who am I', () => {
  it('answers the user, the organization the token acts in, and every membership', async () => {
    const a = await createTenant(t.database, 'me');
    const response = await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(a.token) });
    expect(response.statusCode).toBe(200);
    const body = json(response);
    expect(body.user.email).toBe(a.email);
    expect(body.organization).toMatchObject({ organization_id: a.orgId, role: 'admin', namespace: `org-${a.slug}` });
    expect(body.token.id).toBe(a.tokenId);
    expect(body.memberships).toHaveLength(1);
  });

  it('accepts the token as a Bearer credential too', async () => {
    const a = await createTenant(t.database, 'bearer');
    const response = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${a.token}` } });
    expect(response.statusCode).toBe(200);
  });
});

describe('organizations', () => {
  it('creates an org, makes the caller its admin and hands back a token scoped to it', async () => {
    const a = await createTenant(t.database, 'creator');
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/orgs',
      headers: authHeaders(a.token),
      payload: { name: 'Kedai Kopi', description: 'coffee' },
    });
    expect(created.statusCode).toBe(201);
    const body = json(created);
    expect(body.organization).toMatchObject({ name: 'Kedai Kopi', role: 'admin', current: false, description: 'coffee' });
    expect(body.organization.slug).toMatch(/^kedai-kopi/);
    expect(body.organization.namespace).toBe(`org-${body.organization.slug}`);

    const list = json(await t.app.inject({ method: 'GET', url: '/v1/orgs', headers: authHeaders(a.token) }));
    expect(list.items.map((o: { id: string }) => o.id)).toEqual([a.orgId, body.organization.id]);

    // The original token still acts only in its own org; the new token acts in the new one.
    const viaOld = await t.app.inject({ method: 'GET', url: `/v1/orgs/${body.organization.id}`, headers: authHeaders(a.token) });
    expect(viaOld.statusCode).toBe(404);
    const viaNew = await t.app.inject({ method: 'GET', url: `/v1/orgs/${body.organization.slug}`, headers: authHeaders(body.token.token) });
    expect(viaNew.statusCode).toBe(200);
    expect(json(viaNew)).toMatchObject({ id: body.organization.id, current: true, role: 'admin' });
  });

  it('refuses a taken or reserved slug and derives a free one from a name', async () => {
    const a = await createTenant(t.database, 'slugs');
    const first = await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: authHeaders(a.token), payload: { name: 'X', slug: 'taken-slug' } });
    expect(first.statusCode).toBe(201);
    const taken = await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: authHeaders(a.token), payload: { name: 'X', slug: 'taken-slug' } });
    expect(taken.statusCode).toBe(409);
    expect(json(taken).error.code).toBe('SATUSKY_ORG_SLUG_TAKEN');
    const reserved = await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: authHeaders(a.token), payload: { name: 'X', slug: 'kube-public' } });
    expect(reserved.statusCode).toBe(422);
    const derived = await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: authHeaders(a.token), payload: { name: 'Taken Slug' } });
    expect(derived.statusCode).toBe(201);
    expect(json(derived).organization.slug).toMatch(/^taken-slug-[0-9a-f]{4}$/);
  });

  it('lets only an admin delete an org, which removes its memberships and tokens', async () => {
    const a = await createTenant(t.database, 'deleter');
    const member = await addMember(t.database, a.orgId, 'member');
    const refused = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}`, headers: authHeaders(member.token) });
    expect(refused.statusCode).toBe(403);
    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${a.slug}`, headers: authHeaders(a.token) });
    expect(deleted.statusCode).toBe(200);
    expect(json(deleted)).toEqual({ deleted: true, organization: { id: a.orgId, slug: a.slug, namespace: `org-${a.slug}` } });
    const after = await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(member.token) });
    expect(after.statusCode).toBe(401);
  });

  it('refuses to delete an org that still owns resources, and says what they are', async () => {
    const a = await createTenant(t.database, 'owner');
    t.deps.ownedResourceCounters.push(async (_exec, orgId) => ({ kind: 'deployments', count: orgId === a.orgId ? 2 : 0 }));
    try {
      const response = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}`, headers: authHeaders(a.token) });
      expect(response.statusCode).toBe(409);
      expect(json(response).error).toMatchObject({ code: 'SATUSKY_ORG_NOT_EMPTY', details: { owned: [{ kind: 'deployments', count: 2 }] } });
      expect(json(response).error.message).toContain('2 deployments');
    } finally {
      t.deps.ownedResourceCounters.pop();
    }
  });
});

describe('team', () => {
  it('adds a new user by email with a one-time password, and an existing user without one', async () => {
    const a = await createTenant(t.database, 'team');
    const other = await createTenant(t.database, 'existing');
    const fresh = await t.app.inject({
      method: 'POST',
      url: `/v1/orgs/${a.orgId}/members`,
      headers: authHeaders(a.token),
      payload: { email: 'New.Person@Example.com', role: 'member', name: 'New Person' },
    });
    expect(fresh.statusCode).toBe(201);
    expect(json(fresh).initial_password).toMatch(/^[A-Za-z0-9]{20}$/);
    const existing = await t.app.inject({
      method: 'POST',
      url: `/v1/orgs/${a.orgId}/members`,
      headers: authHeaders(a.token),
      payload: { email: other.email.toUpperCase(), role: 'admin' },
    });
    expect(existing.statusCode).toBe(201);
    expect(json(existing).initial_password).toBeUndefined();
    expect(json(existing).member).toMatchObject({ user_id: other.userId, role: 'admin' });
    const again = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/members`, headers: authHeaders(a.token), payload: { email: other.email } });
    expect(again.statusCode).toBe(409);
    expect(json(again).error.code).toBe('SATUSKY_MEMBER_EXISTS');

    // The invitee signs in with the one-time password and gets a token scoped to this org.
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      payload: { email: 'new.person@example.com', password: json(fresh).initial_password, organization: a.slug },
    });
    expect(login.statusCode).toBe(201);
    const me = json(await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(json(login).token.token) }));
    expect(me.organization).toMatchObject({ organization_id: a.orgId, role: 'member' });
  });

  it('refuses password sign-in with one answer for every failure', async () => {
    const a = await createTenant(t.database, 'pw');
    const add = json(
      await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/members`, headers: authHeaders(a.token), payload: { email: `pw-${a.slug}@example.com` } }),
    );
    const attempts = [
      { email: `pw-${a.slug}@example.com`, password: 'wrong-password' },
      { email: 'nobody-here@example.com', password: 'whatever-pass' },
      { email: a.email, password: 'no-password-set' },
      { email: `pw-${a.slug}@example.com`, password: add.initial_password, organization: 'not-my-org' },
    ];
    for (const payload of attempts) {
      const response = await t.app.inject({ method: 'POST', url: '/v1/auth/tokens', payload });
      expect(response.statusCode).toBe(401);
      expect(json(response).error.code).toBe('SATUSKY_UNAUTHENTICATED');
    }
  });

  it('changes roles, and never demotes or removes the last admin', async () => {
    const a = await createTenant(t.database, 'roles');
    const b = await addMember(t.database, a.orgId, 'member');
    const demoteSelf = await t.app.inject({
      method: 'PATCH',
      url: `/v1/orgs/${a.orgId}/members/${a.membershipId}`,
      headers: authHeaders(a.token),
      payload: { role: 'member' },
    });
    expect(demoteSelf.statusCode).toBe(409);
    expect(json(demoteSelf).error.code).toBe('SATUSKY_LAST_ADMIN');
    const removeSelf = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}/members/${a.membershipId}`, headers: authHeaders(a.token) });
    expect(removeSelf.statusCode).toBe(409);

    const byMember = await t.app.inject({
      method: 'PATCH',
      url: `/v1/orgs/${a.orgId}/members/${b.membershipId}`,
      headers: authHeaders(b.token),
      payload: { role: 'admin' },
    });
    expect(byMember.statusCode).toBe(403);

    const promote = await t.app.inject({
      method: 'PATCH',
      url: `/v1/orgs/${a.orgId}/members/${b.membershipId}`,
      headers: authHeaders(a.token),
      payload: { role: 'admin' },
    });
    expect(json(promote).role).toBe('admin');
    const demote = await t.app.inject({
      method: 'PATCH',
      url: `/v1/orgs/${a.orgId}/members/${a.membershipId}`,
      headers: authHeaders(b.token),
      payload: { role: 'member' },
    });
    expect(demote.statusCode).toBe(200);
    expect(json(demote).role).toBe('member');
  });

  it('lets a member leave, which ends their tokens for the org at once', async () => {
    const a = await createTenant(t.database, 'leave');
    const b = await addMember(t.database, a.orgId, 'member');
    const other = await addMember(t.database, a.orgId, 'member');
    const removeOther = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}/members/${other.membershipId}`, headers: authHeaders(b.token) });
    expect(removeOther.statusCode).toBe(403);
    const leave = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}/members/${b.membershipId}`, headers: authHeaders(b.token) });
    expect(leave.statusCode).toBe(200);
    expect(json(leave).removed.email).toBe(b.email);
    const next = await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(b.token) });
    expect(next.statusCode).toBe(401);
  });
});

describe('API token lifecycle', () => {
  it('creates a token shown once, lists it by hint, and refuses it on the very next request once disabled, expired or deleted', async () => {
    const a = await createTenant(t.database, 'lifecycle');
    const created = await t.app.inject({
      method: 'POST',
      url: `/v1/orgs/${a.orgId}/tokens`,
      headers: authHeaders(a.token),
      payload: { name: 'ci', expires_in_days: 1 },
    });
    expect(created.statusCode).toBe(201);
    const token = json(created);
    expect(token.token).toMatch(/^sat_/);
    expect(token.hint).toBe(`sat_…${token.token.slice(-4)}`);

    const list = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/tokens`, headers: authHeaders(a.token) }));
    expect(list.items.find((x: { id: string }) => x.id === token.id)).toMatchObject({ name: 'ci', status: 'active' });
    expect(JSON.stringify(list)).not.toContain(token.token);

    const use = () => t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(token.token) });
    const used = await use();
    expect(used.statusCode).toBe(200);
    const afterUse = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/tokens/${token.id}`, headers: authHeaders(a.token) }));
    expect(afterUse.last_used_at).not.toBeNull();

    const disable = await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${a.orgId}/tokens/${token.id}`, headers: authHeaders(a.token), payload: { enabled: false } });
    expect(json(disable).status).toBe('disabled');
    const whileDisabled = await use();
    expect(whileDisabled.statusCode).toBe(401);
    expect(json(whileDisabled).error.message).toMatch(/disabled/);

    await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${a.orgId}/tokens/${token.id}`, headers: authHeaders(a.token), payload: { enabled: true } });
    expect((await use()).statusCode).toBe(200);

    t.advanceClock(2 * 24 * 60 * 60 * 1000);
    try {
      const expired = await use();
      expect(expired.statusCode).toBe(401);
      expect(json(expired).error.message).toMatch(/expired/);
      const shown = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/tokens/${token.id}`, headers: authHeaders(a.token) }));
      expect(shown.status).toBe('expired');
    } finally {
      t.advanceClock(-2 * 24 * 60 * 60 * 1000);
    }

    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}/tokens/${token.id}`, headers: authHeaders(a.token) });
    expect(json(deleted)).toEqual({ deleted: true, id: token.id });
    expect((await use()).statusCode).toBe(401);
  });

  it("hides other members' tokens from members, and shows them to admins with all=true", async () => {
    const a = await createTenant(t.database, 'visibility');
    const b = await addMember(t.database, a.orgId, 'member');
    const asMember = await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/tokens/${a.tokenId}`, headers: authHeaders(b.token) });
    expect(asMember.statusCode).toBe(404);
    const allAsMember = await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/tokens?all=true`, headers: authHeaders(b.token) });
    expect(allAsMember.statusCode).toBe(403);
    const all = json(await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/tokens?all=true`, headers: authHeaders(a.token) }));
    expect(all.items.map((x: { id: string }) => x.id).sort()).toEqual([a.tokenId, b.tokenId].sort());
    const disableOthers = await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${a.orgId}/tokens/${b.tokenId}`, headers: authHeaders(a.token), payload: { enabled: false } });
    expect(disableOthers.statusCode).toBe(200);
  });

  it('refuses malformed, unknown and missing credentials with 401 and writes nothing', async () => {
    const before = await tableCounts(t.database);
    for (const headers of [{}, authHeaders('sat_nope'), authHeaders(`sat_${'A'.repeat(36)}`), { authorization: 'Basic abc' }]) {
      const response = await t.app.inject({ method: 'POST', url: '/v1/orgs', headers, payload: { name: 'x' } });
      expect(response.statusCode).toBe(401);
      expect(json(response).error).toMatchObject({ code: 'SATUSKY_UNAUTHENTICATED' });
      expect(json(response).error.request_id).toMatch(/^req_/);
    }
    expect(await tableCounts(t.database)).toEqual(before);
  });
});
