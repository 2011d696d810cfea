import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import pg from 'pg';
import type { Config } from '../src/config.ts';
import { createClusterAccess } from '../src/controllers/cluster-access.ts';
import { DomainProber } from '../src/controllers/domain-probe.ts';
import { DEFAULT_CONTROLLER_OPTIONS } from '../src/controllers/manager.ts';
import { kubeconfigAad } from '../src/clusters/service.ts';
import { createKeyring, type Keyring } from '../src/core/keyring.ts';
import { LOG_REDACT_PATHS } from '../src/core/redact.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { buildApp } from '../src/http/app.ts';
import type { App, AppDeps } from '../src/http/types.ts';
import { enableDefaultZones } from '../src/orgs/repository.ts';
import { issueToken } from '../src/tokens/service.ts';

/** Which database the suite runs on: PGlite by default, PostgreSQL when DATABASE_URL is set. */
export const TEST_DATABASE_KIND: 'postgres' | 'pglite' = process.env.DATABASE_URL ? 'postgres' : 'pglite';

async function pgliteTemplate(): Promise<Blob> {
  // A migrated PGlite data directory, cached by the migrations' content: every test file starts
  // from a copy instead of paying for initdb and the migrations again.
  const migrations = await listMigrations();
  const key = createHash('sha256')
    .update(migrations.map((m) => `${m.version}\n${m.sql}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const file = path.join(os.tmpdir(), 'satusky-test-cache', `pglite-${key}.tar`);
  try {
    return new Blob([await readFile(file)]);
  } catch {
    const database = await openDatabase({ kind: 'pglite' });
    await migrate(database);
    const dump = await database.dump();
    await database.close();
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(temp, Buffer.from(await dump.arrayBuffer()));
    await rename(temp, file);
    return dump;
  }
}

/**
 * A migrated database of its own for one test file: a PGlite copy, or a fresh schema in the
 * PostgreSQL that DATABASE_URL points at (dropped again by `close()`).
 */
export async function createTestDatabase(): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (!url) return openDatabase({ kind: 'pglite', loadDataDir: await pgliteTemplate() });
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const database = await openDatabase({ kind: 'postgres', url: scoped.toString(), poolSize: 5 });
  await migrate(database);
  return {
    ...database,
    async close() {
      await database.close();
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`drop schema if exists ${schema} cascade`);
      await cleanup.end();
    },
  };
}

/** Captures every log line the app writes, for assertions about what reaches the logs. */
export function captureLogs(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' } }, stream);
  return { logger, lines };
}

export interface TestApp {
  app: App;
  deps: AppDeps;
  database: Database;
  logs: string[];
  /** Moves the app's clock (token expiry) without touching timers. */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

/** A complete configuration for a control plane in a test: port 0, fast controllers. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    mode: 'serve',
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://127.0.0.1:0',
    database: { kind: 'pglite' },
    dataDir: os.tmpdir(),
    logLevel: 'warn',
    rateLimitPerMinute: 100_000,
    signInRateLimitPerMinute: 1_000,
    masterKeys: [randomBytes(32)],
    platformDomain: 'satusky.test',
    runControllers: false,
    adminEmail: 'admin@satusky.local',
    dns: { host: '127.0.0.1', port: 0, ttl: 5 },
    edgeHttpPort: 8080,
    edgeHttpsPort: 8443,
    controllers: { ...DEFAULT_CONTROLLER_OPTIONS, probeIntervalMs: 500, probeTimeoutMs: 1_000, pollIntervalMs: 200, resyncIntervalMs: 5_000, leaseTtlMs: 3_000 },
    domains: {
      routingMode: 'gateway',
      resolvers: [],
      dnsChecks: false,
      trustedCaFiles: [],
      probeAllowedCidrs: ['127.0.0.0/8'],
      tls: true,
      acme: { server: 'https://acme.satusky.test/directory', email: 'admin@satusky.local' },
      reservationDays: 30,
      checkIntervalMs: 300,
    },
    dev: { zones: null, worldDnsPort: 0 },
    ...overrides,
  };
}

export async function createTestApp(
  options: { database?: Database; rateLimitPerMinute?: number; signInRateLimitPerMinute?: number; dashboardDir?: string | null; resolvers?: string[] } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const { logger, lines } = captureLogs();
  let offset = 0;
  const keyring = createKeyring([randomBytes(32)]);
  const deps: AppDeps = {
    database,
    keyring,
    clock: () => new Date(Date.now() + offset),
    rateLimitPerMinute: options.rateLimitPerMinute ?? 100_000,
    signInRateLimitPerMinute: options.signInRateLimitPerMinute ?? 1_000,
    ownedResourceCounters: [],
    platformDomain: 'satusky.test',
    staleAfterMs: 6_000,
    wake: () => {},
    clusters: createClusterAccess(database, keyring, { timeoutMs: 2_000 }),
    domains: {
      settings: testConfig().domains,
      prober: new DomainProber({ resolvers: options.resolvers ?? ['127.0.0.1:9'], trustedCaFiles: [], probeAllowedCidrs: ['127.0.0.0/8'], timeoutMs: 500 }),
      edgeHttpsPort: 8443,
      dnsTtlMs: 5_000,
    },
  };
  const app = await buildApp(deps, { logger, dashboardDir: options.dashboardDir ?? null });
  return {
    app,
    deps,
    database,
    logs: lines,
    advanceClock(ms) {
      offset += ms;
    },
    async close() {
      await app.close();
      if (!options.database) await database.close();
    },
  };
}

export interface Tenant {
  userId: string;
  email: string;
  orgId: string;
  slug: string;
  membershipId: string;
  token: string;
  tokenId: string;
}

/** A user who is admin of a fresh organization, with a token: the usual starting point. */
export async function createTenant(database: Database, label = 'tenant'): Promise<Tenant> {
  const suffix = randomBytes(4).toString('hex');
  const userId = randomUUID();
  const orgId = randomUUID();
  const membershipId = randomUUID();
  const email = `${label}-${suffix}@example.com`;
  const slug = `${label}-${suffix}`;
  await database.db.insertInto('users').values({ id: userId, email, name: label, password_hash: null }).execute();
  await database.db
    .insertInto('organizations')
    .values({ id: orgId, name: `${label} org`, slug, namespace: `org-${slug}`, description: '' })
    .execute();
  await database.db.insertInto('memberships').values({ id: membershipId, organization_id: orgId, user_id: userId, role: 'admin' }).execute();
  await enableDefaultZones(database.db, orgId);
  const token = await issueToken(database.db, { membershipId, organizationId: orgId, name: 'test' }, new Date());
  return { userId, email, orgId, slug, membershipId, token: token.token, tokenId: token.id };
}

/** Adds an existing or new user to an org with a role and a token of their own. */
export async function addMember(
  database: Database,
  orgId: string,
  role: 'admin' | 'member',
  label = 'member',
): Promise<{ userId: string; email: string; membershipId: string; token: string; tokenId: string }> {
  const suffix = randomBytes(4).toString('hex');
  const userId = randomUUID();
  const membershipId = randomUUID();
  const email = `${label}-${suffix}@example.com`;
  await database.db.insertInto('users').values({ id: userId, email, name: label, password_hash: null }).execute();
  await database.db.insertInto('memberships').values({ id: membershipId, organization_id: orgId, user_id: userId, role }).execute();
  const token = await issueToken(database.db, { membershipId, organizationId: orgId, name: 'test' }, new Date());
  return { userId, email, membershipId, token: token.token, tokenId: token.id };
}

export const authHeaders = (token: string): Record<string, string> => ({ 'x-satusky-api-key': token });

/** Row counts of every table: a cheap "nothing was written" witness. */
export async function tableCounts(database: Database): Promise<Record<string, number>> {
  const tables = [
    'users',
    'organizations',
    'memberships',
    'api_tokens',
    'idempotency_keys',
    'audit_log',
    'clusters',
    'org_zones',
    'deployments',
    'releases',
    'app_secrets',
    'org_data_keys',
    'deployment_targets',
    'deployment_events',
    'operations',
  ] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await database.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** Every row of every table in the database, as text: for "no plaintext secret is stored" checks. */
export async function dumpAllTables(database: Database): Promise<string> {
  return database.withScriptClient(async (client) => {
    const tables = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
    );
    let text = '';
    for (const { table_name } of tables) {
      text += `${table_name}\n${JSON.stringify(await client.query(`select * from "${table_name}"`))}\n`;
    }
    return text;
  });
}

/** Polls `fn` until it returns a truthy value or the deadline passes (no fixed sleeps). */
export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false | 0 | ''> | T | null | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out: ${options.message ?? 'condition not met'}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}

/**
 * Registers a cluster row directly (no API, no controllers) with a kubeconfig that points nowhere:
 * enough for placement and the deploy path's bookkeeping.
 */
export async function registerFakeCluster(
  database: Database,
  keyring: Keyring,
  options: { zone: string; priority?: number; isDefault?: boolean; health?: 'unknown' | 'healthy' | 'degraded' | 'offline' },
): Promise<string> {
  const id = randomUUID();
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
    'users: [{name: u, user: {token: fake}}]',
    'contexts: [{name: c, context: {cluster: c, user: u}}]',
    'current-context: c',
  ].join('\n');
  await database.db
    .insertInto('clusters')
    .values({
      id,
      name: options.zone,
      zone: options.zone,
      display_name: options.zone,
      priority: options.priority ?? 100,
      is_default: options.isDefault ?? false,
      labels: '{}',
      kubeconfig_sealed: keyring.seal(kubeconfig, kubeconfigAad(id)),
      health_state: options.health ?? 'healthy',
    })
    .execute();
  await database.db
    .insertInto('org_zones')
    .columns(['organization_id', 'cluster_id', 'enabled'])
    .expression((eb) => eb.selectFrom('organizations').select(['id', eb.val(id).as('cluster_id'), eb.val(true).as('enabled')]))
    .onConflict((oc) => oc.doNothing())
    .execute();
  return id;
}
