import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createTestDatabase, dumpAllTables, waitFor } from '../helpers.ts';
import { startHarness, type Harness } from '../sim-harness.ts';
import { binDir } from '../reliability/postgres.ts';
import { reportFigures, round, sized } from '../reliability/suite.ts';

const run = promisify(execFile);

/**
 * Canary secrets and credentials never reach the database in plaintext or the logs. Through the API:
 * secret values (which the controllers then deliver to a simulated cluster, partly through injected
 * API errors so the failure paths log too), API tokens (half created with X-Request-ID, whose
 * stored replay must be sealed), initial passwords of invited members, session cookies, and the
 * cluster's kubeconfig credential. Then the whole database is dumped — `pg_dump` of a scratch
 * database on PostgreSQL; on PGlite its data directory (dumpDataDir) plus every row of every table —
 * and the dump, every log line and the API's answers are searched for every canary. Bar: 0 found.
 * Short: 1,001 canaries; full: 10,001.
 */
const SECRETS = sized(540, 6_000);
const TOKENS = sized(420, 3_600);
const INVITES = sized(10, 100);
const SESSIONS = sized(30, 300);
const KEYS_PER_PATCH = 60;

let h: Harness;
let database: Database;
let scratch: { adminUrl: string; name: string; url: string } | null = null;

beforeAll(async () => {
  const url = process.env.DATABASE_URL;
  if (url) {
    // A scratch database of its own, so that pg_dump dumps exactly this run.
    const name = `satusky_canary_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const scoped = new URL(url);
    scoped.pathname = `/${name}`;
    scoped.searchParams.delete('options');
    scratch = { adminUrl: url, name, url: scoped.toString() };
    database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 5 });
    await migrate(database);
  } else {
    database = await createTestDatabase();
  }
  h = await startHarness({ zones: ['canary-1'], database, controllers: { probeTimeoutMs: 2_000 } });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await database?.close();
  if (scratch) {
    const admin = new pg.Client({ connectionString: scratch.adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${scratch.name} with (force)`);
    await admin.end();
  }
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every canary found in `text` (one pass of one regular expression over it). */
function found(text: string, canaries: string[]): string[] {
  const hits = new Set<string>();
  for (let i = 0; i < canaries.length; i += 500) {
    const re = new RegExp(canaries.slice(i, i + 500).map(escape).join('|'), 'g');
    for (const match of text.matchAll(re)) hits.add(match[0]);
  }
  return [...hits];
}

describe('canary secrets and credentials', () => {
  it('appear nowhere in a database dump, the logs or the API answers', async () => {
    const started = Date.now();
    const org = h.tenant.orgId;
    const canaries: { kind: string; value: string }[] = [];
    const add = (kind: string, value: string) => canaries.push({ kind, value });
    const sim = h.zones[0]!.sim;
    const kubeToken = /token: ["']?([^"'\s]+)/.exec(sim.kubeconfig())?.[1];
    if (kubeToken) add('kubeconfig credential', kubeToken);

    // Secret values, set through the API on several apps that then roll out to the cluster, with a
    // share of the cluster's API answers failing so that the reconcile error paths run too.
    const apps = Math.min(10, Math.ceil(SECRETS / KEYS_PER_PATCH / 3));
    for (let i = 0; i < apps; i += 1) {
      const response = await h.api('PUT', `/v1/orgs/${org}/apps/canary-${i}`, { image: `ghcr.io/acme/canary:${i}` });
      expect(response.status, response.text).toBe(202);
    }
    await sim.faults.set({ errorRate: 0.3, errorStatus: 500 });
    const answers: string[] = [];
    for (let done = 0, batch = 0; done < SECRETS; batch += 1) {
      const set: Record<string, string> = {};
      for (let k = 0; k < KEYS_PER_PATCH && done < SECRETS; k += 1, done += 1) {
        const value = `cnry${randomBytes(12).toString('hex')}`;
        set[`SECRET_${batch}_${k}`] = value;
        add('secret value', value);
      }
      const response = await h.api('PATCH', `/v1/orgs/${org}/apps/canary-${batch % apps}/secrets`, { set });
      expect(response.status, response.text).toBe(202);
      answers.push(response.text);
    }

    // API tokens, half of them with an X-Request-ID (their replay is stored).
    for (let i = 0; i < TOKENS; i += 1) {
      const response = await h.cp.app.inject({
        method: 'POST',
        url: `/v1/orgs/${org}/tokens`,
        headers: { 'x-satusky-api-key': h.tenant.token, ...(i % 2 ? { 'x-request-id': `canary-token-${i}` } : {}) },
        payload: { name: `canary-${i}` },
      });
      expect(response.statusCode, response.body).toBe(201);
      const token = (JSON.parse(response.body) as { token: string }).token;
      add('API token', token);
      // Some used, through both headers, and some requests failing on purpose.
      if (i % 4 === 0) await h.cp.app.inject({ method: 'GET', url: '/v1/me', headers: i % 8 ? { 'x-satusky-api-key': token } : { authorization: `Bearer ${token}` } });
      if (i % 10 === 0) await h.cp.app.inject({ method: 'POST', url: `/v1/orgs/${org}/tokens`, headers: { authorization: `Bearer ${token}` }, payload: { bad: token } });
      if (i % 25 === 0) await h.cp.app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-satusky-api-key': `${token.slice(0, -1)}x` } });
    }

    // Initial passwords of invited members (with and without X-Request-ID), and browser sessions.
    for (let i = 0; i < INVITES; i += 1) {
      const response = await h.cp.app.inject({
        method: 'POST',
        url: `/v1/orgs/${org}/members`,
        headers: { 'x-satusky-api-key': h.tenant.token, ...(i % 2 ? { 'x-request-id': `canary-invite-${i}` } : {}) },
        payload: { email: `canary-invitee-${i}@example.com` },
      });
      expect(response.statusCode, response.body).toBe(201);
      add('initial password', (JSON.parse(response.body) as { initial_password: string }).initial_password);
    }
    for (let i = 0; i < SESSIONS; i += 1) {
      const response = await h.cp.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { token: h.tenant.token } });
      expect(response.statusCode, response.body).toBe(201);
      const cookie = /satusky_session=([^;]+)/.exec(String(response.headers['set-cookie']))?.[1];
      expect(cookie).toBeTruthy();
      add('session cookie', decodeURIComponent(cookie!));
      await h.cp.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: `satusky_session=${cookie!}` } });
    }

    // The secrets reach the cluster (the only place they belong) despite the injected errors.
    await sim.faults.set({ errorRate: 0 });
    const releases = new Map((await database.db.selectFrom('deployments').select(['name', 'generation']).where('organization_id', '=', org).execute()).map((d) => [d.name, d.generation]));
    for (const [app, generation] of releases) await h.waitForStatus(app, (s) => s.generation === generation && s.status === 'ready', { timeoutMs: 60_000 });
    const delivered = canaries.filter((c) => c.kind === 'secret value').slice(0, 5);
    await waitFor(
      () =>
        delivered.every((c) =>
          sim.objects
            .list({ apiVersion: 'v1', kind: 'Secret' }, { namespace: `org-${h.tenant.slug}` })
            .some((s) => Object.values((s as unknown as { data?: Record<string, string> }).data ?? {}).some((v) => Buffer.from(v, 'base64').toString() === c.value)),
        ),
      { timeoutMs: 20_000, message: 'secret values delivered to the cluster' },
    );
    const events = await database.db.selectFrom('deployment_events').select('type').where('organization_id', '=', org).execute();
    const failedApplies = events.filter((e) => e.type === 'ApplyFailed').length;

    // The API's answers about these apps.
    for (const app of releases.keys()) {
      for (const suffix of ['', '/status', '/releases', '/secrets', '/env', '/events?limit=1000']) answers.push((await h.api('GET', `/v1/orgs/${org}/apps/${app}${suffix}`)).text);
    }
    answers.push((await h.api('GET', `/v1/orgs/${org}/audit?limit=500`)).text, (await h.api('GET', `/v1/orgs/${org}/tokens?all=true`)).text, (await h.api('GET', '/v1/clusters')).text);

    // The dump: pg_dump of the scratch database, or PGlite's data directory plus every row.
    let dump: string;
    let dumpKind: string;
    if (scratch) {
      const bin = binDir();
      const pgDump = bin ? path.join(bin, 'pg_dump') : 'pg_dump';
      dump = (await run(pgDump, ['--no-owner', '--inserts', scratch.url], { maxBuffer: 1024 * 1024 * 1024 })).stdout;
      dumpKind = 'pg_dump';
    } else {
      const dataDir = Buffer.from(await (await database.dump()).arrayBuffer()).toString('latin1');
      dump = `${dataDir}\n${await dumpAllTables(database)}`;
      dumpKind = 'PGlite dumpDataDir + every row';
    }
    expect(dump).toContain('api_tokens');
    expect(dump.length).toBeGreaterThan(10_000);
    const logs = h.logs.join('');
    expect(logs.length).toBeGreaterThan(10_000);

    // Tokens are searched for without their prefix too (the random part alone would be a leak).
    const values = canaries.flatMap((c) => (c.kind === 'API token' ? [c.value, c.value.replace(/^sat_/, '').slice(0, 24)] : [c.value]));
    const kindOf = (v: string) => canaries.find((c) => c.value === v || c.value.replace(/^sat_/, '').startsWith(v))?.kind ?? '?';
    const inDump = found(dump, values);
    const inLogs = found(logs, values);
    const inAnswers = found(answers.join('\n'), values);
    reportFigures('canaries', {
      canaries: canaries.length,
      by_kind: canaries.reduce<Record<string, number>>((m, c) => ((m[c.kind] = (m[c.kind] ?? 0) + 1), m), {}),
      dump: dumpKind,
      dump_mb: round(dump.length / 2 ** 20, 1),
      log_lines: h.logs.length,
      injected_apply_failures: failedApplies,
      found_in_dump: inDump.length,
      found_in_logs: inLogs.length,
      found_in_api_answers: inAnswers.length,
      duration_s: round((Date.now() - started) / 1000),
    });
    expect(canaries.length).toBeGreaterThanOrEqual(sized(1_000, 10_000));
    expect(inDump.map(kindOf)).toEqual([]);
    expect(inLogs.map(kindOf)).toEqual([]);
    expect(inAnswers.map(kindOf)).toEqual([]);
  }, sized(180_000, 900_000));
});
