import type { Domain, DomainCheck, DomainSetup } from '@satusky/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, createTenant, createTestApp, registerFakeCluster, tableCounts, type Tenant, type TestApp } from './helpers.ts';
import { startPublicDns, type PublicDns } from './public-dns.ts';

let t: TestApp;
let dns: PublicDns;
let a: Tenant;
let b: Tenant;
let aHostname: string;

async function call<T>(tenant: Tenant, method: 'GET' | 'POST' | 'DELETE' | 'PUT', url: string, payload?: unknown) {
  const response = await t.app.inject({ method, url, headers: authHeaders(tenant.token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  return { status: response.statusCode, body: (response.body ? JSON.parse(response.body) : null) as T & { error?: { code: string; message: string } } };
}

beforeAll(async () => {
  dns = await startPublicDns();
  t = await createTestApp({ resolvers: [dns.address] });
  a = await createTenant(t.database, 'alpha');
  b = await createTenant(t.database, 'bravo');
  await registerFakeCluster(t.database, t.deps.keyring, { zone: 'zone-d' });
  const deployed = await call<{ hostname: string }>(a, 'PUT', `/v1/orgs/${a.orgId}/apps/web`, { image: 'nginx:1.27' });
  expect(deployed.status).toBe(202);
  aHostname = deployed.body.hostname;
  expect((await call(b, 'PUT', `/v1/orgs/${b.orgId}/apps/web`, { image: 'nginx:1.27' })).status).toBe(202);
});

afterAll(async () => {
  await t.close();
  await dns.close();
});

describe('custom domains: ownership first', () => {
  it('attaches a hostname as pending with an org-bound TXT record, and lists it', async () => {
    const added = await call<Domain>(a, 'POST', `/v1/orgs/${a.orgId}/domains`, { hostname: 'Shop.Example.com', app: 'web', www_redirect: true });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ hostname: 'shop.example.com', status: 'pending', www_redirect: true, route_kind: 'httproute', app: { name: 'web' }, verified_at: null });
    expect(added.body.verification.record_name).toBe('_satusky-challenge.shop.example.com');
    expect(added.body.verification.record_value).toMatch(/^satusky-verify=[A-Za-z0-9_-]{20,}$/);
    const listed = await call<{ items: Domain[] }>(a, 'GET', `/v1/orgs/${a.orgId}/domains?app=web`);
    expect(listed.body.items.map((d) => d.hostname)).toEqual(['shop.example.com']);
    expect((await call<{ items: Domain[] }>(b, 'GET', `/v1/orgs/${b.orgId}/domains`)).body.items).toEqual([]);
    const got = await call<Domain>(a, 'GET', `/v1/orgs/${a.orgId}/domains/shop.example.com`);
    expect(got.body.verification).toEqual(added.body.verification);
    const audit = await call<{ items: { action: string; resource_name: string }[] }>(a, 'GET', `/v1/orgs/${a.orgId}/audit?action=domain.add`);
    expect(audit.body.items.map((e) => e.resource_name)).toContain('shop.example.com');
  });

  it('prints every record to create: TXT, CNAME to the app hostname, and the www name; A records at an apex', async () => {
    const setup = await call<DomainSetup>(a, 'GET', `/v1/orgs/${a.orgId}/domains/shop.example.com/setup`);
    expect(setup.status).toBe(200);
    expect(setup.body.apex).toBe(false);
    expect(setup.body.records.map((r) => `${r.type} ${r.name} ${r.value}`)).toEqual([
      expect.stringMatching(/^TXT _satusky-challenge\.shop\.example\.com satusky-verify=/),
      `CNAME shop.example.com ${aHostname}`,
      `CNAME www.shop.example.com ${aHostname}`,
    ]);
    expect((await call(a, 'POST', `/v1/orgs/${a.orgId}/domains`, { hostname: 'example.org', app: 'web' })).status).toBe(201);
    const apex = await call<DomainSetup>(a, 'GET', `/v1/orgs/${a.orgId}/domains/example.org/setup`);
    expect(apex.body.apex).toBe(true);
    expect(apex.body.records.some((r) => r.type === 'CNAME')).toBe(false);
    expect(apex.body.notes.join(' ')).toMatch(/apex/);
  });

  it('refuses hostnames that cannot be attached, with a stable code, and writes nothing', async () => {
    const before = await tableCounts(t.database);
    const cases: [unknown, number, string][] = [
      [{ hostname: `other.${'satusky.test'}`, app: 'web' }, 422, 'SATUSKY_DOMAIN_INVALID'],
      [{ hostname: 'co.uk', app: 'web' }, 422, 'SATUSKY_DOMAIN_INVALID'],
      [{ hostname: 'www.example.net', app: 'web', www_redirect: true }, 422, 'SATUSKY_DOMAIN_INVALID'],
      [{ hostname: '10.0.0.1', app: 'web' }, 400, 'SATUSKY_VALIDATION_FAILED'],
      [{ hostname: 'good.example.net', app: 'nope' }, 404, 'SATUSKY_APP_NOT_FOUND'],
      [{ hostname: 'shop.example.com', app: 'web' }, 409, 'SATUSKY_DOMAIN_EXISTS'],
      [{ hostname: 'www.shop.example.com', app: 'web' }, 409, 'SATUSKY_DOMAIN_EXISTS'],
    ];
    for (const [payload, status, code] of cases) {
      const response = await call(a, 'POST', `/v1/orgs/${a.orgId}/domains`, payload);
      expect(response.status, JSON.stringify(payload)).toBe(status);
      expect(response.body.error?.code, JSON.stringify(payload)).toBe(code);
    }
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it('lets no other org claim a hostname (or its www name) that one org holds', async () => {
    for (const hostname of ['shop.example.com', 'www.shop.example.com']) {
      const taken = await call(b, 'POST', `/v1/orgs/${b.orgId}/domains`, { hostname, app: 'web' });
      expect(taken.status).toBe(409);
      expect(taken.body.error?.code).toBe('SATUSKY_DOMAIN_TAKEN');
      expect(taken.body.error?.message).not.toContain(a.slug);
    }
    expect((await call(b, 'GET', `/v1/orgs/${b.orgId}/domains/shop.example.com`)).status).toBe(404);
  });

  it('explains a pending domain: no TXT, then the wrong TXT, then verifies it when the TXT is right', async () => {
    const path = `/v1/orgs/${a.orgId}/domains/shop.example.com/check`;
    let check = await call<DomainCheck>(a, 'GET', path);
    expect(check.status).toBe(200);
    expect(check.body.ok).toBe(false);
    const metadata = () => check.body.facts.find((f) => f.fact === 'metadata')!;
    expect(metadata()).toMatchObject({ status: 'pending', reason: 'DOMAIN_UNVERIFIED' });
    expect(metadata().observed).toContain('no TXT record at _satusky-challenge.shop.example.com (NXDOMAIN)');
    expect(check.body.facts.find((f) => f.fact === 'route')).toMatchObject({ reason: 'ROUTE_AWAITING_VERIFICATION' });

    dns.set('example.com', [{ name: '_satusky-challenge.shop.example.com', type: 'TXT', value: 'satusky-verify=not-it' }]);
    check = await call<DomainCheck>(a, 'GET', path);
    expect(metadata().observed).toContain('is "satusky-verify=not-it", not "satusky-verify=');

    const domain = (await call<Domain>(a, 'GET', `/v1/orgs/${a.orgId}/domains/shop.example.com`)).body;
    const before = await t.database.db.selectFrom('deployments').select('routing_generation').where('hostname', '=', aHostname).executeTakeFirstOrThrow();
    dns.set('example.com', [
      { name: '_satusky-challenge.shop.example.com', type: 'TXT', value: domain.verification.record_value },
      { name: 'shop.example.com', type: 'CNAME', value: aHostname },
    ]);
    check = await call<DomainCheck>(a, 'GET', path);
    expect(metadata()).toMatchObject({ status: 'pass', reason: 'DOMAIN_VERIFIED' });
    const verified = (await call<Domain>(a, 'GET', `/v1/orgs/${a.orgId}/domains/shop.example.com`)).body;
    expect(verified.status).toBe('verified');
    expect(verified.verified_at).not.toBeNull();
    const after = await t.database.db.selectFrom('deployments').select('routing_generation').where('hostname', '=', aHostname).executeTakeFirstOrThrow();
    expect(after.routing_generation).toBe(before.routing_generation + 1);
    const events = await call<{ items: { type: string; message: string }[] }>(a, 'GET', `/v1/orgs/${a.orgId}/apps/web/events`);
    expect(events.body.items.map((e) => e.type)).toEqual(expect.arrayContaining(['DomainAdded', 'DomainVerified']));
    // The DNS fact is judged against what the platform publishes (nothing yet: no zone is ready).
    expect(check.body.facts.find((f) => f.fact === 'dns')!.observed).toContain(`CNAME ${aHostname}`);
  });

  it("checks an app's generated hostname too, and 404s a hostname that is nobody's", async () => {
    const check = await call<DomainCheck>(a, 'GET', `/v1/orgs/${a.orgId}/domains/${aHostname}/check`);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ kind: 'platform', app: { name: 'web' } });
    expect(check.body.facts[0]).toMatchObject({ fact: 'metadata', reason: 'PLATFORM_HOSTNAME' });
    const missing = await call(a, 'GET', `/v1/orgs/${a.orgId}/domains/nothing.example.com/check`);
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('SATUSKY_DOMAIN_NOT_FOUND');
  });

  it('keeps a removed hostname reserved to its org for the grace period', async () => {
    const removed = await call<{ reserved_until: string }>(a, 'DELETE', `/v1/orgs/${a.orgId}/domains/shop.example.com`);
    expect(removed.status).toBe(200);
    const days = (Date.parse(removed.body.reserved_until) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    expect((await call(a, 'GET', `/v1/orgs/${a.orgId}/domains/shop.example.com`)).status).toBe(404);

    const claim = await call(b, 'POST', `/v1/orgs/${b.orgId}/domains`, { hostname: 'shop.example.com', app: 'web' });
    expect(claim.status).toBe(409);
    expect(claim.body.error?.code).toBe('SATUSKY_DOMAIN_RESERVED');
    const www = await call(b, 'POST', `/v1/orgs/${b.orgId}/domains`, { hostname: 'www.shop.example.com', app: 'web' });
    expect(www.body.error?.code).toBe('SATUSKY_DOMAIN_RESERVED');

    // The owner may take it back at once; after the grace period anyone may claim it.
    const again = await call<Domain>(a, 'POST', `/v1/orgs/${a.orgId}/domains`, { hostname: 'shop.example.com', app: 'web' });
    expect(again.status).toBe(201);
    expect(again.body.status).toBe('pending');
    expect((await call(a, 'DELETE', `/v1/orgs/${a.orgId}/domains/shop.example.com`)).status).toBe(200);
    t.advanceClock(31 * 86_400_000);
    expect((await call(b, 'POST', `/v1/orgs/${b.orgId}/domains`, { hostname: 'shop.example.com', app: 'web' })).status).toBe(201);
  });
});
