import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, authHeaders, createTenant, createTestApp, registerFakeCluster, tableCounts, type Tenant, type TestApp } from '../helpers.ts';
import { fillPath, routesOf, type RouteSpec } from '../openapi-routes.ts';
import { reportFigures, round, sized } from '../reliability/suite.ts';

/**
 * The cross-tenant matrix at full size: every documented path × every HTTP verb × every actor of the
 * attacking org × every victim org × several ways of naming the victim's resources (its org by id,
 * by slug and in other letter cases, its sub-resources under the attacker's own org, the attacker's
 * sub-resources under the victim's org). Oracle: each request answers exactly like the same request
 * with ids that exist nowhere (no existence oracle), never succeeds, never mentions a victim, and no
 * victim's data changes. cross-tenant.test.ts is the small CI version with two orgs; this extends its
 * approach. Short: 1 victim, documented verbs, 2 actors, 3 namings (≈ 300 requests); full: 4 victims,
 * 5 verbs, 3 actors, 6 namings (≥ 2,000 requests).
 */
const VICTIMS = sized(1, 4);
const ALL_VERBS = sized(false, true);
const NAMINGS = sized(3, 6);

/** A valid body per operation: a refusal can only come from tenancy, never from validation. */
const VALID_BODIES: Record<string, unknown> = {
  createOrganization: { name: 'Intruder Org' },
  addMember: { email: 'intruder@example.com', role: 'admin' },
  changeMemberRole: { role: 'admin' },
  createToken: { name: 'intruder' },
  updateToken: { enabled: false },
  changePassword: { new_password: 'a-long-enough-password' },
  passwordLogin: { email: 'x@example.com', password: 'x' },
  deployApp: { image: 'ghcr.io/intruder/app:1' },
  rollbackApp: { version: 1 },
  restartApp: {},
  scaleApp: { replicas: 3 },
  patchEnv: { set: { INTRUDER: '1' } },
  patchSecrets: { set: { INTRUDER: '1' } },
  failoverApp: { to: 'zone-m' },
  failbackApp: {},
  addDomain: { hostname: 'intruder.example.com', app: 'victim-app' },
  registerCluster: { name: 'evil', zone: 'evil', kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []' },
  updateCluster: { priority: 1 },
  setOrgZone: { enabled: true },
  migrateRouting: {},
  createSession: { email: 'x@example.com', password: 'x' },
  switchSessionOrganization: { organization: 'x' },
};
/** Creates an app by name in the caller's own org: legitimate there, not a crossing. */
const CREATES_BY_NAME = new Set(['deployApp', 'patchSecrets']);
const VERBS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

interface Victim {
  tenant: Tenant;
  member: { membershipId: string; tokenId: string; email: string; userId: string };
  appId: string;
  operationId: string;
  auditId: number;
  hostname: string;
  secret: string;
}

let t: TestApp;
let attacker: Tenant;
let attackerOwn: Record<string, string>;
const actors: { name: string; token: string }[] = [];
const victims: Victim[] = [];

async function inject(token: string, method: string, url: string, payload?: unknown) {
  return t.app.inject({ method: method as 'GET', url, headers: authHeaders(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
}

beforeAll(async () => {
  t = await createTestApp();
  await registerFakeCluster(t.database, t.deps.keyring, { zone: 'zone-m' });
  attacker = await createTenant(t.database, 'attacker');
  const attackerMember = await addMember(t.database, attacker.orgId, 'member', 'attacker-member');
  actors.push({ name: 'admin', token: attacker.token }, { name: 'member', token: attackerMember.token });
  if (ALL_VERBS) {
    // A user of the attacking org who is also an admin elsewhere: acting with the attacking org's token.
    const shared = await addMember(t.database, attacker.orgId, 'member', 'attacker-shared');
    const elsewhere = await createTenant(t.database, 'elsewhere');
    await t.database.db.insertInto('memberships').values({ id: randomUUID(), organization_id: elsewhere.orgId, user_id: shared.userId, role: 'admin' }).execute();
    actors.push({ name: 'shared-user', token: shared.token });
  }
  const ownDeploy = await inject(attacker.token, 'PUT', `/v1/orgs/${attacker.orgId}/apps/attacker-app`, { image: 'nginx:1.27' });
  expect(ownDeploy.statusCode).toBe(202);
  const ownAudit = JSON.parse((await inject(attacker.token, 'GET', `/v1/orgs/${attacker.orgId}/audit`)).body) as { items: { id: number }[] };
  attackerOwn = {
    memberId: attackerMember.membershipId,
    tokenId: attackerMember.tokenId,
    app: 'attacker-app',
    entryId: String(ownAudit.items[0]!.id),
    operationId: randomUUID(),
    hostname: 'own.attacker-example.com',
  };

  for (let i = 0; i < VICTIMS; i += 1) {
    const tenant = await createTenant(t.database, `victim${i}`);
    await t.database.db.insertInto('org_zones').columns(['organization_id', 'cluster_id', 'enabled']).expression((eb) => eb.selectFrom('clusters').select([eb.val(tenant.orgId).as('organization_id'), 'id', eb.val(true).as('enabled')])).onConflict((oc) => oc.doNothing()).execute();
    const member = await addMember(t.database, tenant.orgId, 'member', `victim${i}-member`);
    const deployed = await inject(tenant.token, 'PUT', `/v1/orgs/${tenant.orgId}/apps/victim-app`, { image: 'nginx:1.27' });
    expect(deployed.statusCode, deployed.body).toBe(202);
    const secret = `victim${i}-secret-${randomUUID()}`;
    await inject(tenant.token, 'PATCH', `/v1/orgs/${tenant.orgId}/apps/victim-app/secrets`, { set: { DB_PASSWORD: secret } });
    await inject(tenant.token, 'PUT', `/v1/orgs/${tenant.orgId}/apps/victim-old`, { image: 'nginx:1.27' });
    const deleted = await inject(tenant.token, 'DELETE', `/v1/orgs/${tenant.orgId}/apps/victim-old`);
    expect(deleted.statusCode).toBe(202);
    const hostname = `shop.victim${i}-example.com`;
    const domain = await inject(tenant.token, 'POST', `/v1/orgs/${tenant.orgId}/domains`, { hostname, app: 'victim-app' });
    expect(domain.statusCode, domain.body).toBe(201);
    const audit = JSON.parse((await inject(tenant.token, 'GET', `/v1/orgs/${tenant.orgId}/audit`)).body) as { items: { id: number }[] };
    victims.push({
      tenant,
      member,
      appId: (JSON.parse(deployed.body) as { deployment_id: string }).deployment_id,
      operationId: (JSON.parse(deleted.body) as { id: string }).id,
      auditId: audit.items[0]!.id,
      hostname,
      secret,
    });
  }
});

afterAll(async () => {
  await t?.close();
});

/** The ways of naming a victim's resources (the first `NAMINGS` of them). */
function namings(v: Victim): { name: string; values: Record<string, string> }[] {
  const sub = { memberId: v.member.membershipId, tokenId: v.member.tokenId, app: 'victim-app', entryId: String(v.auditId), operationId: v.operationId, hostname: v.hostname, cluster: 'zone-m', zone: 'zone-m', userId: v.member.userId };
  return [
    { name: 'victim org id', values: { org: v.tenant.orgId, ...sub } },
    { name: 'victim org slug, app by id', values: { org: v.tenant.slug, ...sub, app: v.appId } },
    { name: "victim's resources under the attacker's org", values: { org: attacker.orgId, ...sub, app: v.appId } },
    { name: "the attacker's resources under the victim's org", values: { org: v.tenant.orgId, ...sub, ...attackerOwn } },
    { name: 'victim org id in upper case', values: { org: v.tenant.orgId.toUpperCase(), ...sub, app: 'VICTIM-APP', hostname: v.hostname.toUpperCase() } },
    { name: 'victim slug in upper case', values: { org: v.tenant.slug.toUpperCase(), ...sub, memberId: v.member.membershipId.toUpperCase(), tokenId: v.member.tokenId.toUpperCase() } },
  ].slice(0, NAMINGS);
}

/** An id of the same shape that exists nowhere. */
function twin(id: string): string {
  const last = id.at(-1)!;
  return id.slice(0, -1) + (last === '0' ? '1' : last === 'a' ? 'b' : last === 'A' ? 'B' : /[0-9]/.test(last) ? '0' : 'a');
}

function absentCounterpart(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      key === 'org' && value === attacker.orgId
        ? value
        : Object.values(attackerOwn).includes(value) && key !== 'org'
          ? value
          : key === 'entryId'
            ? '999999999'
            : key === 'hostname'
              ? `absent-${value}`
              : key === 'cluster' || key === 'zone'
                ? value
                : twin(value),
    ]),
  );
}

const normalise = (body: string, sent: Record<string, string>, url: string) => {
  // Messages may echo the path (a route that does not exist) or the ids the caller sent.
  let text = body.split(url).join('<url>');
  for (const value of Object.values(sent).sort((x, y) => y.length - x.length)) if (value.length > 6) text = text.split(value).join('<sent>');
  try {
    const parsed = JSON.parse(text) as { error?: { request_id?: string } };
    if (parsed.error) parsed.error.request_id = '<id>';
    return parsed;
  } catch {
    return text;
  }
};

async function victimState(v: Victim) {
  const db = t.database.db;
  const orgId = v.tenant.orgId;
  return JSON.stringify({
    org: await db.selectFrom('organizations').selectAll().where('id', '=', orgId).execute(),
    members: await db.selectFrom('memberships').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
    tokens: await db.selectFrom('api_tokens as k').innerJoin('memberships as m', 'm.id', 'k.membership_id').select(['k.id', 'k.enabled', 'k.name', 'k.expires_at']).where('m.organization_id', '=', orgId).orderBy('k.id').execute(),
    audit: await db.selectFrom('audit_log').select('id').where('organization_id', '=', orgId).orderBy('id').execute(),
    apps: await db.selectFrom('deployments').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
    releases: await db.selectFrom('releases as r').innerJoin('deployments as d', 'd.id', 'r.deployment_id').select(['r.id', 'r.version']).where('d.organization_id', '=', orgId).orderBy('r.id').execute(),
    domains: await db.selectFrom('domains').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
    secrets: await db.selectFrom('app_secrets as s').innerJoin('deployments as d', 'd.id', 's.deployment_id').select(['s.key', 's.version', 's.value_sealed']).where('d.organization_id', '=', orgId).orderBy('s.key').execute(),
    zones: await db.selectFrom('org_zones').selectAll().where('organization_id', '=', orgId).orderBy('cluster_id').execute(),
  });
}

describe('the full cross-tenant matrix', () => {
  it('answers every foreign id like an id that does not exist, for every route, verb and actor, and changes nothing', async () => {
    const started = Date.now();
    const before = await tableCounts(t.database);
    const states = await Promise.all(victims.map(victimState));
    const documented = routesOf(t.app).filter((r) => r.pathParams.length > 0 && !r.path.endsWith('/stream'));
    // Every verb on every documented path: the undocumented ones must answer like absent ids too.
    const byPath = new Map<string, RouteSpec[]>();
    for (const route of documented) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
    const combos: { path: string; method: (typeof VERBS)[number]; route: RouteSpec | null }[] = [];
    for (const [path, routes] of byPath) {
      for (const method of ALL_VERBS ? VERBS : routes.map((r) => r.method)) combos.push({ path, method, route: routes.find((r) => r.method === method) ?? null });
    }
    let requests = 0;
    const crossings: string[] = [];
    const statuses: Record<string, number> = {};
    const leaks = (v: Victim) => [v.tenant.orgId, v.tenant.slug, v.tenant.email, v.member.email, v.tenant.tokenId, v.member.tokenId, v.appId, v.secret, v.hostname];
    for (const { path, method, route } of combos) {
      const payload = route?.bodySchema ? VALID_BODIES[route.operationId] : method === 'GET' || method === 'DELETE' ? undefined : {};
      if (route?.bodySchema && !(route.operationId in VALID_BODIES)) throw new Error(`add a valid sample body for ${route.operationId}`);
      for (const victim of victims) {
        for (const naming of namings(victim)) {
          // Under the attacker's own org, a path naming nothing else is the attacker's own data, and
          // creating an app by name there is legitimate.
          const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
          if (naming.values.org === attacker.orgId && (params.every((p) => p === 'org') || (route && CREATES_BY_NAME.has(route.operationId)))) continue;
          const values = naming.values;
          const url = fillPath(path, values);
          const absentValues = absentCounterpart(values);
          const absentUrl = fillPath(path, absentValues);
          for (const actor of actors) {
            const foreign = await inject(actor.token, method, url, payload);
            const absent = await inject(actor.token, method, absentUrl, payload);
            requests += 1;
            statuses[foreign.statusCode] = (statuses[foreign.statusCode] ?? 0) + 1;
            const where = `${actor.name} ${method} ${path} [${naming.name}]`;
            if (foreign.statusCode < 400) crossings.push(`${where}: answered ${foreign.statusCode}`);
            if (foreign.statusCode !== absent.statusCode) crossings.push(`${where}: ${foreign.statusCode}, absent ids ${absent.statusCode}`);
            else if (JSON.stringify(normalise(foreign.body, values, url)) !== JSON.stringify(normalise(absent.body, absentValues, absentUrl))) crossings.push(`${where}: body differs from absent ids: ${foreign.body.slice(0, 160)} vs ${absent.body.slice(0, 160)}`);
            for (const secret of leaks(victim)) {
              if (foreign.body.toLowerCase().includes(secret.toLowerCase()) && !url.toLowerCase().includes(secret.toLowerCase())) crossings.push(`${where}: leaks ${secret}`);
            }
          }
        }
      }
    }
    const changed = (await Promise.all(victims.map(victimState))).filter((s, i) => s !== states[i]).length;
    const after = await tableCounts(t.database);
    reportFigures('cross-tenant-matrix', {
      victims: VICTIMS,
      actors: actors.map((a) => a.name),
      verbs: ALL_VERBS ? VERBS.length : 'documented',
      namings: NAMINGS,
      path_verb_combinations: combos.length,
      foreign_requests: requests,
      total_requests: requests * 2,
      statuses,
      crossings: crossings.length,
      crossing_samples: crossings.slice(0, 10),
      victims_changed: changed,
      duration_s: round((Date.now() - started) / 1000),
    });
    expect(crossings.slice(0, 20)).toEqual([]);
    expect(changed).toBe(0);
    expect(after).toEqual(before);
    expect(requests).toBeGreaterThanOrEqual(sized(200, 2_000));
  }, sized(120_000, 900_000));
});
