import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, createTenant, createTestApp, registerFakeCluster, tableCounts, type Tenant, type TestApp } from './helpers.ts';
import { fillPath, invalidBodies, invalidValues, routesOf } from './openapi-routes.ts';

const VALID: Record<string, Record<string, unknown>> = {
  createOrganization: { name: 'Valid Org', slug: 'valid-org-x', description: 'ok' },
  addMember: { email: 'valid@example.com', role: 'member', name: 'Val' },
  changeMemberRole: { role: 'member' },
  createToken: { name: 'valid', expires_in_days: 1 },
  updateToken: { enabled: true, name: 'renamed' },
  changePassword: { new_password: 'a-long-enough-password', current_password: 'x' },
  passwordLogin: { email: 'v@example.com', password: 'p', organization: 'x', token_name: 'n', expires_in_days: 1 },
  deployApp: {
    image: 'ghcr.io/acme/api:1.0',
    port: 8080,
    cpu_request: '250m',
    cpu_limit: '1',
    memory: '256Mi',
    replicas: 2,
    env: { A: '1' },
    required_secrets: ['DB_URL'],
    health_path: '/health',
    strategy: 'rolling',
    rolling_max_surge: '25%',
    rolling_max_unavailable: '0',
    zone: 'zone-v',
    volumes: [{ name: 'data', size: '1Gi', mount_path: '/data' }],
    wait_for: ['db:5432'],
  },
  rollbackApp: { version: 1 },
  restartApp: {},
  scaleApp: { replicas: 2 },
  patchEnv: { set: { A: '2' }, unset: ['B'] },
  patchSecrets: { set: { S: 'v' }, unset: ['T'] },
  registerCluster: {
    name: 'valid-cluster',
    zone: 'valid-zone',
    display_name: 'Valid',
    region: 'kul',
    priority: 10,
    is_default: false,
    labels: { tier: 'a' },
    kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []\n',
    context: 'x',
    edge_address: '127.0.9.1',
    gateway_class: 'satusky-edge',
    enabled: true,
    auto_enable: true,
  },
  updateCluster: { display_name: 'x', priority: 5, enabled: true },
  setOrgZone: { enabled: true },
  createSession: { email: 'v@example.com', password: 'p', organization: 'x' },
  switchSessionOrganization: { organization: 'x' },
  failoverApp: { to: 'zone-v' },
  failbackApp: {},
  migrateRouting: {},
  addDomain: { hostname: 'shop.valid-example.com', app: 'valid-app', www_redirect: true },
};

let t: TestApp;
let a: Tenant;
beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t.database, 'validation');
  await registerFakeCluster(t.database, t.deps.keyring, { zone: 'zone-v' });
});
afterAll(async () => {
  await t.close();
});

const own = () => ({
  org: a.orgId,
  memberId: a.membershipId,
  tokenId: a.tokenId,
  entryId: '1',
  app: 'valid-app',
  operationId: '00000000-0000-4000-8000-000000000000',
  cluster: 'zone-v',
  zone: 'zone-v',
  userId: '00000000-0000-4000-8000-000000000000',
  hostname: 'shop.valid-example.com',
});

describe('validation of every input', () => {
  it('answers 400 with SATUSKY_VALIDATION_FAILED for every invalid body of every route, and writes nothing', async () => {
    const before = await tableCounts(t.database);
    let checked = 0;
    for (const route of routesOf(t.app).filter((r) => r.bodySchema && !r.path.endsWith('/stream'))) {
      const valid = VALID[route.operationId];
      if (!valid) throw new Error(`add a valid body for ${route.operationId}`);
      for (const { why, body } of invalidBodies(route.bodySchema!, valid)) {
        const response = await t.app.inject({
          method: route.method,
          url: fillPath(route.path, own()),
          headers: { ...authHeaders(a.token), 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
        checked += 1;
        expect.soft(response.statusCode, `${route.operationId}: ${why}`).toBe(400);
        const error = JSON.parse(response.body).error;
        expect.soft(error?.code, `${route.operationId}: ${why}`).toBe('SATUSKY_VALIDATION_FAILED');
        expect.soft(Array.isArray(error?.details) && error.details.length > 0, `${route.operationId}: ${why} details`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it('answers 400 for malformed path parameters and query strings', async () => {
    const before = await tableCounts(t.database);
    for (const route of routesOf(t.app).filter((r) => !r.path.endsWith('/stream'))) {
      for (const param of route.pathParams) {
        for (const [why, value] of invalidValues(param.schema).filter(([, v]) => typeof v === 'string' && v !== '')) {
          const url = fillPath(route.path, { ...own(), [param.name]: String(value) });
          const response = await t.app.inject({ method: route.method, url, headers: authHeaders(a.token), payload: route.bodySchema ? {} : undefined });
          expect.soft([400, 404], `${route.operationId} ${param.name}: ${why} → ${response.statusCode}`).toContain(response.statusCode);
        }
      }
    }
    const badQueries = [
      `/v1/orgs/${a.orgId}/audit?limit=0`,
      `/v1/orgs/${a.orgId}/audit?limit=501`,
      `/v1/orgs/${a.orgId}/audit?limit=abc`,
      `/v1/orgs/${a.orgId}/audit?before=-1`,
      `/v1/orgs/${a.orgId}/audit?surprise=1`,
      `/v1/orgs/${a.orgId}/tokens?all=maybe`,
      `/v1/orgs/${a.orgId}/tokens/${'x'.repeat(10)}`,
      `/v1/orgs/${a.orgId}/audit/not-a-number`,
    ];
    for (const url of badQueries) {
      const response = await t.app.inject({ method: 'GET', url, headers: authHeaders(a.token) });
      expect.soft(response.statusCode, url).toBe(400);
      expect.soft(JSON.parse(response.body).error.code, url).toBe('SATUSKY_VALIDATION_FAILED');
    }
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it('refuses unparseable JSON, the wrong media type, oversized bodies and bad X-Request-IDs', async () => {
    const before = await tableCounts(t.database);
    const url = `/v1/orgs/${a.orgId}/tokens`;
    const cases = [
      { headers: { 'content-type': 'application/json' }, payload: '{"name":', status: 400, code: 'SATUSKY_BAD_REQUEST' },
      { headers: { 'content-type': 'text/plain' }, payload: 'name=x', status: 415, code: 'SATUSKY_UNSUPPORTED_MEDIA_TYPE' },
      { headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(2_000_000) }), status: 413, code: 'SATUSKY_PAYLOAD_TOO_LARGE' },
      { headers: { 'content-type': 'application/json', 'x-request-id': 'has spaces in it' }, payload: '{"name":"x"}', status: 400, code: 'SATUSKY_VALIDATION_FAILED' },
      { headers: { 'content-type': 'application/json', 'x-request-id': 'x'.repeat(129) }, payload: '{"name":"x"}', status: 400, code: 'SATUSKY_VALIDATION_FAILED' },
    ];
    for (const c of cases) {
      const response = await t.app.inject({ method: 'POST', url, headers: { ...authHeaders(a.token), ...c.headers }, payload: c.payload });
      expect.soft(response.statusCode, c.code).toBe(c.status);
      expect.soft(JSON.parse(response.body).error.code).toBe(c.code);
    }
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it('answers unknown routes with a 404 in the error shape', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/v1/nope/${randomUUID()}`, headers: authHeaders(a.token) });
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error).toMatchObject({ code: 'SATUSKY_ROUTE_NOT_FOUND', request_id: expect.stringMatching(/^req_/) });
    expect(response.headers['x-satusky-request-id']).toBe(JSON.parse(response.body).error.request_id);
  });
});
