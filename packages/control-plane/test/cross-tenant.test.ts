import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, authHeaders, createTenant, createTestApp, registerFakeCluster, tableCounts, type Tenant, type TestApp } from './helpers.ts';
import { fillPath, routesOf, type RouteSpec } from './openapi-routes.ts';

/** A valid body per operation, so a refusal can only come from tenancy, never from validation. */
const VALID_BODIES: Record<string, unknown> = {
  createOrganization: { name: 'Intruder Org' },
  deleteOrganization: undefined,
  addMember: { email: 'intruder@example.com', role: 'admin' },
  changeMemberRole: { role: 'admin' },
  removeMember: undefined,
  createToken: { name: 'intruder' },
  updateToken: { enabled: false },
  deleteToken: undefined,
  changePassword: { new_password: 'a-long-enough-password' },
  passwordLogin: { email: 'x@example.com', password: 'x' },
  deployApp: { image: 'ghcr.io/intruder/app:1' },
  rollbackApp: { version: 1 },
  restartApp: {},
  scaleApp: { replicas: 3 },
  patchEnv: { set: { INTRUDER: '1' } },
  patchSecrets: { set: { INTRUDER: '1' } },
  failoverApp: { to: 'zone-x' },
  failbackApp: {},
  addDomain: { hostname: 'intruder.example.com', app: 'bravo-app' },
};

/** Platform-level routes: no tenant owns them; a non-admin is refused whatever the ids. */
const PLATFORM_ROUTE = /^\/v1\/(clusters|admin)\b/;
/** Routes that create an app by name in the caller's own org: legitimate, not a crossing. */
const CREATES_BY_NAME = new Set(['deployApp', 'patchSecrets']);

let t: TestApp;
let a: Tenant;
let b: Tenant;
let bMember: { membershipId: string; tokenId: string; email: string };
let bAuditId: number;
let bApp: { id: string; name: string };
let bOperationId: string;

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t.database, 'alpha');
  b = await createTenant(t.database, 'bravo');
  await registerFakeCluster(t.database, t.deps.keyring, { zone: 'zone-x' });
  bMember = await addMember(t.database, b.orgId, 'member', 'bravo-member');
  const deployed = await t.app.inject({ method: 'PUT', url: `/v1/orgs/${b.orgId}/apps/bravo-app`, headers: authHeaders(b.token), payload: { image: 'nginx:1.27' } });
  expect(deployed.statusCode).toBe(202);
  bApp = { id: JSON.parse(deployed.body).deployment_id, name: 'bravo-app' };
  await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${b.orgId}/apps/bravo-app/secrets`, headers: authHeaders(b.token), payload: { set: { DB_PASSWORD: 'b-secret-value' } } });
  await t.app.inject({ method: 'PUT', url: `/v1/orgs/${b.orgId}/apps/bravo-old`, headers: authHeaders(b.token), payload: { image: 'nginx:1.27' } });
  const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${b.orgId}/apps/bravo-old`, headers: authHeaders(b.token) });
  expect(deleted.statusCode).toBe(202);
  bOperationId = JSON.parse(deleted.body).id;
  const domain = await t.app.inject({ method: 'POST', url: `/v1/orgs/${b.orgId}/domains`, headers: authHeaders(b.token), payload: { hostname: 'shop.bravo-example.com', app: 'bravo-app' } });
  expect(domain.statusCode).toBe(201);
  // Give B some audit history through the API.
  const created = await t.app.inject({ method: 'POST', url: `/v1/orgs/${b.orgId}/tokens`, headers: authHeaders(b.token), payload: { name: 'b-ci' } });
  expect(created.statusCode).toBe(201);
  const audit = JSON.parse(
    (await t.app.inject({ method: 'GET', url: `/v1/orgs/${b.orgId}/audit`, headers: authHeaders(b.token) })).body,
  ) as { items: { id: number }[] };
  bAuditId = audit.items[0]!.id;
});

afterAll(async () => {
  await t.close();
});

function foreignValues(): Record<string, string>[] {
  // B's org by id and by slug; A's own org with B's sub-resource ids.
  const sub = { entryId: String(bAuditId), operationId: bOperationId, hostname: 'shop.bravo-example.com' };
  return [
    { org: b.orgId, memberId: bMember.membershipId, tokenId: b.tokenId, app: bApp.name, ...sub },
    { org: b.slug, memberId: bMember.membershipId, tokenId: bMember.tokenId, app: bApp.id, ...sub },
    { org: a.orgId, memberId: bMember.membershipId, tokenId: b.tokenId, app: bApp.id, ...sub },
  ];
}

/** An id of the same shape that exists nowhere: the foreign one with its last character changed. */
function twin(id: string): string {
  const last = id.at(-1)!;
  return id.slice(0, -1) + (last === '0' ? '1' : last === 'a' ? 'b' : /[0-9]/.test(last) ? '0' : 'a');
}

/** The same request with every foreign id replaced by one that exists nowhere (A's own org stays). */
function absentCounterpart(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      key === 'org' && value === a.orgId ? value : key === 'entryId' ? '999999999' : key === 'hostname' ? `absent-${value}` : twin(value),
    ]),
  );
}

/** The body with its request id and the ids the caller itself sent (messages may echo them) masked. */
const normalise = (body: string, sent: Record<string, string>) => {
  let text = body;
  for (const value of Object.values(sent)) if (value.length > 6) text = text.split(value).join('<sent>');
  const parsed = JSON.parse(text) as { error?: { request_id?: string } };
  if (parsed.error) parsed.error.request_id = '<id>';
  return parsed;
};

describe('cross-tenant isolation (every documented route, two orgs)', () => {
  it('finds every org-scoped route in the OpenAPI document', () => {
    const scoped = routesOf(t.app).filter((r) => r.pathParams.length > 0);
    expect(scoped.length).toBeGreaterThanOrEqual(12);
  });

  it("answers every foreign id exactly like an id that does not exist, and writes nothing", async () => {
    const before = await tableCounts(t.database);
    const bSnapshot = await snapshotOf(b);
    const routes = routesOf(t.app).filter((r) => r.pathParams.length > 0 && !PLATFORM_ROUTE.test(r.path) && !r.path.endsWith('/stream'));
    let requests = 0;
    for (const route of routes) {
      const body = bodyFor(route);
      for (const values of foreignValues()) {
        // Routes without the sub-resource id only vary by org; skip A's own org there (that is A's data).
        if (values.org === a.orgId && !route.pathParams.some((p) => p.name !== 'org')) continue;
        if (values.org === a.orgId && CREATES_BY_NAME.has(route.operationId)) continue;
        const url = fillPath(route.path, values);
        const foreign = await t.app.inject({ method: route.method, url, headers: authHeaders(a.token), ...body });
        const absentValues = absentCounterpart(values);
        const absentUrl = fillPath(route.path, absentValues);
        const absent = await t.app.inject({ method: route.method, url: absentUrl, headers: authHeaders(a.token), ...body });
        requests += 1;
        // 404, or the same validation refusal the absent id gets (an id where a name is expected).
        expect.soft([404, 400], `${route.method} ${url}`).toContain(foreign.statusCode);
        expect.soft(foreign.statusCode, `${route.method} ${url} vs absent`).toBe(absent.statusCode);
        expect.soft(normalise(foreign.body, values), `${route.method} ${url} body`).toEqual(normalise(absent.body, absentValues));
        for (const secret of [b.orgId, b.slug, b.email, bMember.email, b.tokenId, bApp.id, 'b-secret-value']) {
          expect.soft(foreign.body.includes(secret) && !url.includes(secret), `${url} leaks ${secret}`).toBe(false);
        }
      }
    }
    expect(requests).toBeGreaterThanOrEqual(30);
    expect(await tableCounts(t.database)).toEqual(before);
    expect(await snapshotOf(b)).toEqual(bSnapshot);
  });

  it('refuses the WebSocket upgrade for another org’s streams, and accepts the owner', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address() as AddressInfo;
    const connect = (org: string, token: string, suffix: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${address.port}/v1/orgs/${org}/apps/${bApp.name}/${suffix}`, { headers: authHeaders(token) });
        socket.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          socket.terminate();
        });
        socket.on('open', () => {
          resolve(101);
          socket.close();
        });
        socket.on('error', reject);
      });
    for (const suffix of ['events/stream', 'logs/stream']) {
      expect(await connect(b.orgId, a.token, suffix)).toBe(404);
      expect(await connect(a.orgId, a.token, suffix)).toBe(404);
    }
    expect(await connect(b.orgId, b.token, 'events/stream')).toBe(101);
  });

  it('refuses every platform route to a tenant that is not a platform admin, and writes nothing', async () => {
    const before = await tableCounts(t.database);
    const platform = routesOf(t.app).filter((r) => PLATFORM_ROUTE.test(r.path));
    expect(platform.length).toBeGreaterThanOrEqual(6);
    const samples: Record<string, unknown> = {
      registerCluster: { name: 'evil', zone: 'evil', kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []' },
      updateCluster: { priority: 1 },
      setOrgZone: { enabled: true },
      migrateRouting: {},
    };
    for (const route of platform) {
      const url = fillPath(route.path, { cluster: 'zone-x', org: b.slug, zone: 'zone-x', userId: b.userId });
      const response = await t.app.inject({
        method: route.method,
        url,
        headers: authHeaders(a.token),
        ...(route.bodySchema ? { payload: samples[route.operationId] as Record<string, unknown> } : {}),
      });
      expect.soft(response.statusCode, `${route.method} ${url}`).toBe(403);
    }
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it("never lists another org's data on the caller-level routes", async () => {
    const orgs = await t.app.inject({ method: 'GET', url: '/v1/orgs', headers: authHeaders(a.token) });
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(a.token) });
    const apps = await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/apps`, headers: authHeaders(a.token) });
    const zones = await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/zones`, headers: authHeaders(a.token) });
    for (const response of [orgs, me, apps, zones]) {
      expect(response.statusCode).toBe(200);
      for (const secret of [b.orgId, b.slug, b.email, bMember.email]) expect(response.body).not.toContain(secret);
    }
  });

  it("keeps an admin of one org from reaching a shared member's other org", async () => {
    // A user in both orgs: A's admin must not act in B through that user.
    const shared = await addMember(t.database, a.orgId, 'member', 'shared');
    await t.database.db
      .insertInto('memberships')
      .values({ id: randomUUID(), organization_id: b.orgId, user_id: shared.userId, role: 'admin' })
      .execute();
    const viaShared = await t.app.inject({ method: 'GET', url: `/v1/orgs/${b.orgId}/members`, headers: authHeaders(shared.token) });
    expect(viaShared.statusCode).toBe(404);
    const auditViaA = await t.app.inject({ method: 'GET', url: `/v1/orgs/${b.orgId}/audit`, headers: authHeaders(a.token) });
    expect(auditViaA.statusCode).toBe(404);
  });
});

function bodyFor(route: RouteSpec): { payload?: Record<string, unknown> } {
  if (!route.bodySchema) return {};
  if (!(route.operationId in VALID_BODIES)) throw new Error(`add a valid sample body for ${route.operationId} to VALID_BODIES`);
  return { payload: VALID_BODIES[route.operationId] as Record<string, unknown> };
}

async function snapshotOf(tenant: Tenant) {
  const db = t.database.db;
  return {
    org: await db.selectFrom('organizations').selectAll().where('id', '=', tenant.orgId).execute(),
    members: await db.selectFrom('memberships').selectAll().where('organization_id', '=', tenant.orgId).orderBy('id').execute(),
    tokens: await db
      .selectFrom('api_tokens as t')
      .innerJoin('memberships as m', 'm.id', 't.membership_id')
      .select(['t.id', 't.enabled', 't.name'])
      .where('m.organization_id', '=', tenant.orgId)
      .orderBy('t.id')
      .execute(),
    audit: await db.selectFrom('audit_log').select('id').where('organization_id', '=', tenant.orgId).orderBy('id').execute(),
    apps: await db.selectFrom('deployments').selectAll().where('organization_id', '=', tenant.orgId).orderBy('id').execute(),
    releases: await db
      .selectFrom('releases as r')
      .innerJoin('deployments as d', 'd.id', 'r.deployment_id')
      .select(['r.id', 'r.version'])
      .where('d.organization_id', '=', tenant.orgId)
      .orderBy('r.id')
      .execute(),
    domains: await db.selectFrom('domains').selectAll().where('organization_id', '=', tenant.orgId).orderBy('id').execute(),
    secrets: await db
      .selectFrom('app_secrets as s')
      .innerJoin('deployments as d', 'd.id', 's.deployment_id')
      .select(['s.key', 's.version', 's.value_sealed'])
      .where('d.organization_id', '=', tenant.orgId)
      .orderBy('s.key')
      .execute(),
  };
}
