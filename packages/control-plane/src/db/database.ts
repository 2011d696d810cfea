import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

export type DatabaseConfig =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** `dataDir` undefined means in memory; `loadDataDir` starts from a dump (fast test clones). */
  | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob };

/** A raw client for multi-statement scripts (migrations); Kysely compiles one statement at a time. */
export interface ScriptClient {
  query<R>(text: string, params?: unknown[]): Promise<R[]>;
  exec(script: string): Promise<void>;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Omit<ScriptClient, 'transaction'>) => Promise<T>): Promise<T>;
}

export type Executor = Kysely<DB> | Transaction<DB>;

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Kysely<DB>;
  /** Runs `fn` on one dedicated connection (session-level locks hold across its calls). */
  withScriptClient<T>(fn: (client: ScriptClient) => Promise<T>): Promise<T>;
  /** PGlite only: a snapshot of the data directory, loadable with `loadDataDir`. */
  dump(): Promise<Blob>;
  close(): Promise<void>;
}

// The one place where the two drivers' type differences are normalised: int8 (bigint ids and
// count(*)) comes back as a JS number from both. numeric stays a string in both; timestamptz is a
// Date in both; jsonb is parsed by both.
const INT8_OID = 20;
const parseInt8 = (value: string): number => Number(value);

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.kind === 'postgres' ? openPostgres(config) : openPglite(config);
}

async function openPostgres(config: { url: string; poolSize?: number }): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server (PostgreSQL restarted) must not crash the process; the next
  // query gets a fresh connection or a connection error that the API answers with 503.
  pool.on('error', () => {});
  // The same for a client that is checked out (inside a transaction, between two statements) when
  // the server goes away: pg emits 'error' on the client, which without a listener is an uncaught
  // exception that kills the process. The query in flight is rejected anyway, the next one fails
  // with "not queryable" (a 503), and the pool discards the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    async withScriptClient(fn) {
      const client = await pool.connect();
      const raw = {
        async query<R>(text: string, params?: unknown[]) {
          const result = await client.query(text, params);
          return result.rows as R[];
        },
        async exec(script: string) {
          // No parameters: pg uses the simple query protocol, which accepts several statements.
          await client.query(script);
        },
      };
      try {
        return await fn({
          ...raw,
          async transaction(work) {
            await client.query('begin');
            try {
              const result = await work(raw);
              await client.query('commit');
              return result;
            } catch (error) {
              await client.query('rollback');
              throw error;
            }
          },
        });
      } finally {
        client.release();
      }
    },
    async dump() {
      throw new Error('dump() is only available on PGlite');
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPglite(config: { dataDir?: string; loadDataDir?: Blob }): Promise<Database> {
  if (config.dataDir) await mkdir(config.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(config.dataDir ? { dataDir: config.dataDir } : {}),
    ...(config.loadDataDir ? { loadDataDir: config.loadDataDir } : {}),
    parsers: { [INT8_OID]: parseInt8 },
  });
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  return {
    kind: 'pglite',
    db,
    async withScriptClient(fn) {
      // PGlite has one session; its transaction() locks the instance for the duration, so other
      // users of the instance cannot interleave statements into a migration.
      return fn({
        async query<R>(text: string, params?: unknown[]) {
          return (await pglite.query<R>(text, params)).rows;
        },
        async exec(script) {
          await pglite.exec(script);
        },
        async transaction(work) {
          return pglite.transaction((tx) =>
            work({
              async query<R>(text: string, params?: unknown[]) {
                return (await tx.query<R>(text, params)).rows;
              },
              async exec(script) {
                await tx.exec(script);
              },
            }),
          );
        },
      });
    },
    async dump() {
      return pglite.dumpDataDir('none');
    },
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
