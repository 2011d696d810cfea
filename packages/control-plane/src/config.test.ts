import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, fromEnv, fromFile, loadConfig, parseMasterKeys, resolveConfig } from './config.ts';

describe('configuration', () => {
  it('takes flags over environment over file over defaults', () => {
    const resolved = resolveConfig('serve', {
      flags: { port: 1111 },
      env: { port: 2222, host: '127.0.0.2', databaseUrl: 'postgres://env/db' },
      file: { port: 3333, host: '127.0.0.3', logLevel: 'debug', databaseUrl: 'postgres://file/db' },
    });
    expect(resolved.port).toBe(1111);
    expect(resolved.host).toBe('127.0.0.2');
    expect(resolved.logLevel).toBe('debug');
    expect(resolved.database).toEqual({ kind: 'postgres', url: 'postgres://env/db' });
    expect(resolved.publicUrl).toBe('http://127.0.0.2:1111');
  });

  it('uses PGlite in the data directory for dev and insists on PostgreSQL for serve', () => {
    const dev = resolveConfig('dev', { flags: { dataDir: '/tmp/x' }, env: {}, file: {} });
    expect(dev.database).toEqual({ kind: 'pglite', dataDir: '/tmp/x/pgdata' });
    expect(dev.port).toBe(4600);
    expect(() => resolveConfig('serve', { flags: {}, env: {}, file: {} })).toThrow(ConfigError);
  });

  it('rejects bad values with a clear message', () => {
    expect(() => fromEnv({ SATUSKY_PORT: 'eighty' })).toThrow(/SATUSKY_PORT/);
    expect(() => resolveConfig('dev', { flags: { logLevel: 'loud' }, env: {}, file: {} })).toThrow(/log level/);
    expect(() => fromFile('nope = 1', 'satusky.toml')).toThrow(/unknown setting "nope"/);
    expect(() => fromFile('port = "x"', 'satusky.toml')).toThrow(/port must be a number/);
    expect(() => parseMasterKeys('c2hvcnQ=')).toThrow(/32-byte/);
  });

  it('reads a TOML file', () => {
    expect(fromFile('port = 9000\nlog_level = "warn"\ndatabase_url = "postgres://x"', 'f')).toEqual({
      port: 9000,
      logLevel: 'warn',
      databaseUrl: 'postgres://x',
    });
  });

  it('creates a 0600 master key on the first dev start and reuses it', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'satusky-config-'));
    const first = await loadConfig('dev', { dataDir }, {});
    const second = await loadConfig('dev', { dataDir }, {});
    expect(first.masterKeys[0]!.equals(second.masterKeys[0]!)).toBe(true);
    const file = path.join(dataDir, 'master.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.masterKeys[0]!.toString('base64'));
  });

  it('refuses to serve without master keys', async () => {
    await expect(loadConfig('serve', {}, { DATABASE_URL: 'postgres://x' })).rejects.toThrow(/master keys/);
  });
});
