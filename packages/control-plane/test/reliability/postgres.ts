import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './processes.ts';

const run = promisify(execFile);

/**
 * A PostgreSQL server of the test's own, in a temporary directory on a free loopback port: the
 * shared server on :5432 serves other test files at the same time and must never be stopped.
 * fsync stays on (a crash test with fsync off proves nothing).
 */
export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  running: boolean;
  /** `immediate` is a crash (recovery on the next start); `fast` a clean shutdown. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server if it runs and removes its directory. Safe to call twice. */
  destroy(): Promise<void>;
}

/** The newest PostgreSQL server binaries installed, e.g. /usr/lib/postgresql/15/bin. */
export function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

/**
 * Starts a private server, or answers why it cannot (the caller skips with that message).
 * initdb refuses to run as root, so as root everything runs as the `postgres` user via runuser.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres | { unavailable: string }> {
  const bin = binDir();
  if (!bin) return { unavailable: 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin' };
  const root = process.getuid?.() === 0;
  let uid: number | null = null;
  let gid: number | null = null;
  if (root) {
    try {
      uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    } catch {
      return { unavailable: 'running as root but there is no "postgres" user to run initdb as' };
    }
    if (!existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return { unavailable: 'running as root without runuser' };
  }
  const as = async (command: string, args: string[], timeout = 60_000) =>
    root ? run('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], { timeout }) : run(path.join(bin, command), args, { timeout });

  const dir = await mkdtemp(path.join(os.tmpdir(), 'satusky-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  if (root) await chown(dir, uid!, gid!);
  try {
    await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    return { unavailable: `initdb failed: ${(error as Error).message.split('\n')[0]}` };
  }
  const port = await freePort();
  const options = ['-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir, '-c', 'fsync=on', '-c', 'max_connections=60', '-c', 'shared_buffers=16MB'].join(' ');
  let running = false;
  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get running() {
      return running;
    },
    async start() {
      try {
        await as('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
      } catch (error) {
        const tail = await readFile(log, 'utf8').catch(() => '');
        throw new Error(`private PostgreSQL did not start: ${(error as Error).message}\n${tail.slice(-2000)}`, { cause: error });
      }
      running = true;
    },
    async stop(mode = 'immediate') {
      await as('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async destroy() {
      if (running) await server.stop('immediate').catch(() => {});
      // A server whose pg_ctl failed may still hold the directory: its postmaster.pid says so.
      const pid = Number((await readFile(path.join(data, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.destroy();
    return { unavailable: (error as Error).message };
  }
  return server;
}

/** A fresh schema in the server `url` points at, for one test; `url` of the result is scoped to it. */
export async function scratchSchema(url: string, prefix = 'rel'): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: scoped.toString(),
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await c.end();
      }
    },
  };
}
