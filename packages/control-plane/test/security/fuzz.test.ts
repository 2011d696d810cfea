import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, authHeaders, createTenant, createTestApp, dumpAllTables, registerFakeCluster, type Tenant, type TestApp } from '../helpers.ts';
import { fillPath, routesOf, type JsonSchema, type RouteSpec } from '../openapi-routes.ts';
import { reportFigures, round, SEED, sized } from '../reliability/suite.ts';
import { VALID_BODIES } from './samples.ts';

/**
 * Schemathesis-style fuzzing of every operation in the OpenAPI document, on fast-check (seeded;
 * SATUSKY_SEED replays a run). Every request is invalid by construction: a body mutated from a valid
 * sample (a value replaced anywhere in it, a required field dropped, an unknown field added, another
 * JSON type) and checked invalid against the operation's own schema; path parameters and query
 * strings that fail theirs; and hostile raw payloads (broken JSON, prototype pollution, deep
 * nesting, oversized bodies, wrong media types, bad X-Request-IDs). Bars: 0 answers ≥ 500, 0 stack
 * traces or internal paths in bodies, every answer a 4xx in the error shape, and the database
 * unchanged after each operation's batch. Short: 40 generated cases per operation; full: 1,000.
 */
const CASES_PER_OPERATION = sized(40, 1_000);
/** Operations without authentication (sign-in): credentials do not apply to them. */
const PUBLIC_OPERATIONS = new Set(['passwordLogin', 'createSession']);
const STACK_TRACE = /\bat [\w.<>$]+ \(|\bat (file|node):|node_modules|\/work\/|\/src\/[\w/-]+\.ts|\.[cm]?[jt]s:\d+:\d+|(TypeError|ReferenceError|RangeError|SyntaxError): /;

let t: TestApp;
let a: Tenant;
let own: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t.database, 'fuzz');
  await t.database.db.updateTable('users').set({ is_platform_admin: true }).where('id', '=', a.userId).execute();
  await registerFakeCluster(t.database, t.deps.keyring, { zone: 'zone-s' });
  const member = await addMember(t.database, a.orgId, 'member', 'fuzz-member');
  const deployed = await t.app.inject({ method: 'PUT', url: `/v1/orgs/${a.orgId}/apps/sample-app`, headers: authHeaders(a.token), payload: { image: 'ghcr.io/acme/sample:1' } });
  expect(deployed.statusCode, deployed.body).toBe(202);
  const domain = await t.app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/domains`, headers: authHeaders(a.token), payload: { hostname: 'shop.fuzz-example.com', app: 'sample-app' } });
  expect(domain.statusCode, domain.body).toBe(201);
  const audit = JSON.parse((await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/audit`, headers: authHeaders(a.token) })).body) as { items: { id: number }[] };
  own = {
    org: a.orgId,
    memberId: member.membershipId,
    tokenId: member.tokenId,
    entryId: String(audit.items[0]!.id),
    app: 'sample-app',
    operationId: '00000000-0000-4000-8000-000000000000',
    cluster: 'zone-s',
    zone: 'zone-s',
    userId: member.userId,
    hostname: 'shop.fuzz-example.com',
  };
});
afterAll(async () => {
  await t?.close();
});

// ---- generators ----
const hostile = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '../../etc/passwd',
  '%00',
  "'; drop table users; --",
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  'a'.repeat(5_000),
  '__proto__',
  'constructor',
  'NaN',
  '1e309',
  '-1',
  '0x7f000001',
  '\u202e\u0041',
  'ﬀ',
  'İ',
);
const junk: fc.Arbitrary<unknown> = fc.oneof(
  hostile,
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER * 4, -1, 0, 1.5, 1e21),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every place in a JSON value: [] is the root, ['env', 'A'] a nested field. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

function edit(value: unknown, at: (string | number)[], change: (parent: Record<string | number, unknown>, key: string | number) => void): unknown {
  const copy = structuredClone(value) as Json;
  if (at.length === 0) return copy;
  let parent = copy as Record<string | number, unknown>;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  change(parent, at.at(-1)!);
  return copy;
}

/** Mutations of a valid body, kept only when the operation's schema refuses the result. */
function invalidBody(schema: JsonSchema, valid: Record<string, unknown>): fc.Arbitrary<{ why: string; body: unknown }> {
  const places = paths(valid);
  const objects = places.filter((p) => {
    const v = p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], valid);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
  const nonRoot = places.filter((p) => p.length > 0);
  const options: fc.Arbitrary<{ why: string; body: unknown }>[] = [
    junk.map((body) => ({ why: 'another JSON type', body })),
    objects.length === 0
      ? junk.map((body) => ({ why: 'another JSON type', body }))
      : fc.tuple(fc.constantFrom(...objects), fc.string({ maxLength: 12 }), junk).map(([at, key, v]) => ({
          why: `unknown field ${JSON.stringify(key)} at /${at.join('/')}`,
          body: at.length === 0 ? { ...valid, [key]: v } : edit(valid, at, (p, k) => ((p[k] as Record<string, unknown>)[key] = v)),
        })),
  ];
  if (nonRoot.length > 0) {
    options.push(
      fc.tuple(fc.constantFrom(...nonRoot), junk).map(([at, v]) => ({ why: `/${at.join('/')} = ${JSON.stringify(v)?.slice(0, 40)}`, body: edit(valid, at, (p, k) => (p[k] = v)) })),
      fc.constantFrom(...nonRoot).map((at) => ({
        why: `/${at.join('/')} removed`,
        body: edit(valid, at, (p, k) => (Array.isArray(p) ? (p as unknown[]).splice(Number(k), 1) : delete p[k])),
      })),
    );
  }
  if ((schema.required ?? []).length > 0) {
    options.push(fc.constantFrom(...schema.required!).map((key) => ({ why: `required ${key} missing`, body: edit(valid, [key], (p, k) => delete p[k]) })));
  }
  return fc.oneof(...options).filter(({ body }) => !Value.Check(schema as never, body));
}

/**
 * Whether the server refuses a path or query value: it converts text first (TypeBox's Convert, as the
 * Fastify type provider does: "1.5" and "0x10" become integers), then validates.
 */
function refused(schema: JsonSchema, v: string): boolean {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const as = type === 'integer' ? Type.Integer() : type === 'number' ? Type.Number() : type === 'boolean' ? Type.Boolean() : null;
  return !Value.Check(schema as never, as ? Value.Convert(as, v) : v);
}

/** A path parameter value its own schema refuses (and the router still routes: no slash, no empty). */
function invalidParam(schema: JsonSchema): fc.Arbitrary<string> {
  return fc
    .oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 }), hostile, fc.string({ minLength: 60, maxLength: 300 }), fc.constantFrom('not-a-uuid', '12ab', 'A'.repeat(64), '-1', '0', '1.5', 'x'.repeat(301)))
    .filter((v) => v !== '' && v.isWellFormed() && refused(schema, v));
}

interface Case {
  why: string;
  method: RouteSpec['method'];
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

function casesFor(route: RouteSpec): Case[] {
  const base = fillPath(route.path, own);
  const valid = route.bodySchema ? VALID_BODIES[route.operationId] : undefined;
  if (route.bodySchema && !valid) throw new Error(`add a valid sample body for ${route.operationId} to samples.ts`);
  const json = { ...authHeaders(a.token), 'content-type': 'application/json' };
  const validPayload = valid ? JSON.stringify(valid) : undefined;
  const generators: fc.Arbitrary<Case>[] = [];
  if (route.bodySchema && valid) {
    generators.push(invalidBody(route.bodySchema, valid).map(({ why, body }) => ({ why, method: route.method, url: base, headers: json, payload: JSON.stringify(body) ?? 'null' })));
  }
  for (const param of route.pathParams) {
    generators.push(
      invalidParam(param.schema).map((v) => ({
        why: `path ${param.name}=${JSON.stringify(v).slice(0, 40)}`,
        method: route.method,
        url: fillPath(route.path, { ...own, [param.name]: v }),
        headers: json,
        ...(validPayload ? { payload: validPayload } : {}),
      })),
    );
  }
  // Queries go to an app that does not exist: an invalid query must be refused before anything
  // looks at the target, and a query the server would coerce into a valid one harms nothing.
  const ghost = fillPath(route.path, { ...own, app: 'ghost-app', hostname: 'ghost.fuzz-example.com' });
  const known = route.querySchema.map((q) => q.name);
  // Operations that declare a query string refuse unknown parameters; the others ignore any query.
  if (known.length > 0) generators.push(
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !known.includes(k) && /^[\w.-]+$/.test(k)), fc.string({ maxLength: 12 })).map(([k, v]) => ({
      why: `unknown query ${k}`,
      method: route.method,
      url: `${ghost}?${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
      headers: json,
      ...(validPayload ? { payload: validPayload } : {}),
    })),
  );
  for (const q of route.querySchema) {
    const type = Array.isArray(q.schema.type) ? q.schema.type[0] : q.schema.type;
    const bad =
      type === 'integer'
        ? fc.oneof(
            fc.constantFrom('abc', '1e400', '--1', 'NaN', '[]', '1,2'),
            ...(q.schema.maximum !== undefined ? [fc.integer({ min: q.schema.maximum + 1 }).map(String)] : []),
            ...(q.schema.minimum !== undefined ? [fc.integer({ max: q.schema.minimum - 1 }).map(String)] : []),
          )
        : type === 'boolean'
          ? fc.constantFrom('maybe', 'yes', '2', 'TRUE!', '[]')
          : fc.oneof(fc.string({ minLength: (q.schema.maxLength ?? 1e6) + 1, maxLength: (q.schema.maxLength ?? 1e6) + 40 }), fc.constantFrom(''.padEnd(2_000, 'x')));
    generators.push(bad.filter((v) => refused(q.schema, v)).map((v) => ({ why: `query ${q.name}=${v.slice(0, 30)}`, method: route.method, url: `${ghost}?${q.name}=${encodeURIComponent(v)}`, headers: json, ...(validPayload ? { payload: validPayload } : {}) })));
  }
  // Credentials that are not a valid token: refused before anything else happens.
  if (!PUBLIC_OPERATIONS.has(route.operationId)) {
    const badToken = fc.oneof(
      fc.string({ maxLength: 60 }).filter((v) => /^[\x21-\x7e]+$/.test(v)),
      fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('')), minLength: 30, maxLength: 40 }).map((v) => `sat_${v}`),
      fc.nat({ max: a.token.length - 5 }).map((i) => a.token.slice(0, i + 4) + (a.token[i + 4] === 'A' ? 'B' : 'A') + a.token.slice(i + 5)),
      fc.constantFrom(`${a.token}x`, a.token.slice(0, -1), a.token.toUpperCase(), a.token.replace('sat_', 'ghp_')),
    );
    generators.push(
      fc.tuple(badToken, fc.boolean()).map(([token, bearer]) => ({
        why: `credentials ${token.slice(0, 12)}…`,
        method: route.method,
        url: base,
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${token}` } : { 'x-satusky-api-key': token }) },
        ...(validPayload ? { payload: validPayload } : {}),
      })),
    );
  }
  const generated = fc.sample(fc.oneof(...generators), { seed: SEED ^ hash(route.operationId), numRuns: CASES_PER_OPERATION });

  // Hostile raw payloads and headers, for every operation that takes a body.
  const raw: Case[] = [];
  if (route.bodySchema) {
    const send = (why: string, payload: string, headers: Record<string, string> = json) => raw.push({ why, method: route.method, url: base, headers, payload });
    send('broken JSON', '{"a":');
    send('trailing garbage', `${validPayload} x`);
    send('prototype pollution', `{"__proto__":{"polluted":true},${validPayload!.slice(1)}`);
    send('constructor pollution', `{"constructor":{"prototype":{"polluted":true}},${validPayload!.slice(1)}`);
    send('deep nesting', `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    send('deep object nesting', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`);
    send('oversized body', JSON.stringify({ ...valid, padding: 'x'.repeat(1_100_000) }));
    send('empty body', '');
    send('invalid UTF-8 bytes', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1'));
    send('text/plain', validPayload!, { ...authHeaders(a.token), 'content-type': 'text/plain' });
    send('form-encoded', 'a=1&b=2', { ...authHeaders(a.token), 'content-type': 'application/x-www-form-urlencoded' });
    send('multipart', '--x\r\n\r\n--x--', { ...authHeaders(a.token), 'content-type': 'multipart/form-data; boundary=x' });
    send('bad X-Request-ID', '{}', { ...json, 'x-request-id': 'has spaces & <tags>' });
    raw.push({ why: 'malformed %-escape in the path', method: route.method, url: `${base}/%E0%A4%A`, headers: json, payload: validPayload! });
    send('overlong X-Request-ID', '{}', { ...json, 'x-request-id': 'k'.repeat(129) });
  }
  return [...generated, ...raw];
}

function hash(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

/** Everything in the database except the per-minute last-used stamp of the token doing the fuzzing. */
async function snapshot(): Promise<string> {
  const text = (await dumpAllTables(t.database)).replace(/"last_used_at":"[^"]*"/g, '"last_used_at":"…"');
  return createHash('sha256').update(text).digest('hex');
}

describe('fuzzing every operation of the OpenAPI document', () => {
  it(`answers ${CASES_PER_OPERATION}+ invalid requests per operation with a 4xx, no stack trace and no state change`, async () => {
    const started = Date.now();
    const routes = routesOf(t.app).filter((r) => !r.path.endsWith('/stream'));
    expect(routes.length).toBeGreaterThanOrEqual(50);
    for (const route of routes) {
      if (route.bodySchema) expect(Value.Check(route.bodySchema as never, VALID_BODIES[route.operationId]), `the sample body of ${route.operationId} is valid`).toBe(true);
    }
    const statuses: Record<string, number> = {};
    const failures: string[] = [];
    let requests = 0;
    for (const route of routes) {
      const before = await snapshot();
      for (const c of casesFor(route)) {
        const response = await t.app.inject({ method: c.method, url: c.url, headers: c.headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) });
        requests += 1;
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        const where = `${route.operationId} (${c.why}) → ${response.statusCode}`;
        if (response.statusCode >= 500 || response.statusCode < 400) failures.push(`${where}: ${response.body.slice(0, 200)}`);
        if (STACK_TRACE.test(response.body)) failures.push(`${where}: stack trace or internal path in ${response.body.slice(0, 300)}`);
        let error: { code?: unknown; request_id?: unknown } | undefined;
        try {
          error = (JSON.parse(response.body) as { error?: typeof error }).error;
        } catch {
          // not JSON: reported below
        }
        if (typeof error?.code !== 'string' || typeof error.request_id !== 'string') failures.push(`${where}: not the error shape: ${response.body.slice(0, 200)}`);
      }
      if ((await snapshot()) !== before) failures.push(`${route.operationId}: the database changed during its invalid requests`);
    }
    const fiveHundreds = Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0);
    reportFigures('fuzz', {
      seed: SEED,
      operations: routes.length,
      cases_per_operation: CASES_PER_OPERATION,
      requests,
      statuses,
      answers_5xx: fiveHundreds,
      failures: failures.length,
      failure_samples: [...failures.filter((f) => !f.includes(" → 414")).slice(0, 10), ...failures.slice(0, 3)],
      failure_kinds: Object.entries(failures.reduce<Record<string, number>>((m, f) => ((m[f.replace(/ \(.*?\) → /, ' → ').replace(/:.*$/s, '')] = (m[f.replace(/ \(.*?\) → /, ' → ').replace(/:.*$/s, '')] ?? 0) + 1), m), {})),
      duration_s: round((Date.now() - started) / 1000),
    });
    expect(failures.slice(0, 30)).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(routes.length * CASES_PER_OPERATION);
  }, sized(180_000, 1_800_000));
});
