import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureLogs, createTenant, createTestDatabase, testConfig, type Tenant } from '../../control-plane/test/helpers.ts';
import { startControlPlane, type ControlPlane } from '../../control-plane/src/server.ts';
import { runCli } from '../src/cli.ts';
import { ProfileStore } from '../src/profiles.ts';
import type { CliDeps } from '../src/session.ts';

let cp: ControlPlane;
let tenant: Tenant;
let url: string;

beforeAll(async () => {
  const database = await createTestDatabase();
  cp = await startControlPlane(testConfig(), { logger: captureLogs().logger, database });
  url = cp.url!;
  tenant = await createTenant(database, 'cli');
});

afterAll(async () => {
  await cp.close();
  await cp.database.close();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

let home: string;
let secrets: string[];
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'satusky-cli-'));
  secrets = [];
});

async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const deps: CliDeps = {
    env: { SATUSKY_CONFIG_DIR: home, ...env },
    io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    store: new ProfileStore(home),
    readSecret: async () => secrets.shift() ?? '',
    confirm: async () => false,
  };
  const code = await runCli(args, deps);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function login(token = tenant.token): Promise<void> {
  const r = await cli(['--api-url', url, 'auth', 'login', '--token', token]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
}

describe('1ctl auth and profiles', () => {
  it('logs in with a token, writes a 0600 profile and reports a valid status', async () => {
    const r = await cli(['--api-url', url, 'auth', 'login', '--token', tenant.token]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Logged in as ${tenant.email} (org: ${tenant.slug})`);
    const file = path.join(home, 'profiles', 'default.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const status = await cli(['auth', 'status']);
    expect(status.code).toBe(0);
    expect(status.out).toContain('token valid');
    expect(status.out).not.toContain(tenant.token);

    const json = JSON.parse((await cli(['auth', 'status', '-o', 'json'])).out);
    expect(json).toMatchObject({ profile: 'default', logged_in: true, org: tenant.slug, server: { valid: true } });
  });

  it('reports not logged in with exit 1, and an invalid token as such', async () => {
    const none = await cli(['--api-url', url, 'auth', 'status']);
    expect(none.code).toBe(1);
    expect(none.out).toContain('Not logged in');
    const bad = await cli(['--api-url', url, 'auth', 'login', '--token', 'sat_bogus']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('Login failed: Invalid API token.');
  });

  it('uses SATUSKY_API_KEY and SATUSKY_API_URL without any profile', async () => {
    const r = await cli(['user', 'me', '-o', 'json'], { SATUSKY_API_KEY: tenant.token, SATUSKY_API_URL: url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).user.email).toBe(tenant.email);
  });

  it('manages profiles: create, list, use, current, delete', async () => {
    expect((await cli(['profile', 'create', 'staging', '--url', 'https://api.staging.example'])).code).toBe(0);
    expect((await cli(['profile', 'create', 'staging'])).code).toBe(1);
    await login();
    const list = JSON.parse((await cli(['profile', 'list', '-o', 'json'])).out);
    expect(list).toEqual([
      { name: 'default', active: true, api_url: url, org: tenant.slug, logged_in: true },
      { name: 'staging', active: false, api_url: 'https://api.staging.example', org: null, logged_in: false },
    ]);
    expect((await cli(['profile', 'use', 'staging'])).out).toContain('Active profile: staging');
    expect((await cli(['profile', 'current'])).out).toBe('staging (https://api.staging.example)');
    expect((await cli(['--profile', 'default', 'profile', 'current'])).out).toBe(`default (${url})`);
    expect((await cli(['profile', 'delete', 'staging'])).code).toBe(0);
    expect((await cli(['profile', 'use', 'staging'])).code).toBe(1);
  });

  it('refuses to send a token over plain HTTP to anything but localhost', async () => {
    const r = await cli(['--api-url', 'http://api.example.com', 'user', 'me'], { SATUSKY_API_KEY: tenant.token });
    expect(r.code).toBe(1);
    expect(r.err).toContain('Refusing to send an API token over plain HTTP');
  });

  it('signs in with email and password and keeps the new token in the profile', async () => {
    await login();
    const added = JSON.parse((await cli(['org', 'team', 'add', '--email', `pw-${tenant.slug}@example.com`, '-o', 'json'])).out);
    const otherHome = home;
    home = await mkdtemp(path.join(os.tmpdir(), 'satusky-cli-'));
    secrets.push(added.initial_password as string);
    const r = await cli(['--api-url', url, 'auth', 'login', '--email', `pw-${tenant.slug}@example.com`, '--org', tenant.slug]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Logged in as pw-${tenant.slug}@example.com (org: ${tenant.slug})`);
    expect(JSON.parse((await cli(['user', 'me', '-o', 'json'])).out).organization.role).toBe('member');
    home = otherHome;
  });
});

describe('1ctl org, team and tokens', () => {
  it('creates an org, switches to it and back using the tokens the profile holds', async () => {
    await login();
    const name = `CLI Org ${randomBytes(3).toString('hex')}`;
    const created = await cli(['org', 'create', name]);
    expect(created.code).toBe(0);
    expect(created.out).toContain('Switch to it with: 1ctl org switch');
    const orgs = JSON.parse((await cli(['org', 'list', '-o', 'json'])).out) as { name: string; slug: string; current: boolean }[];
    const mine = orgs.find((o) => o.name === name)!;
    expect(mine.current).toBe(false);
    expect((await cli(['org', 'switch', mine.slug])).out).toContain(`Now acting in ${name}`);
    expect((await cli(['org', 'current'])).out).toContain(mine.slug);
    expect((await cli(['org', 'switch', tenant.slug])).code).toBe(0);
    expect((await cli(['org', 'current', '-o', 'json'])).out).toContain(tenant.orgId);
  });

  it('explains how to get a token when switching to an org the profile holds none for', async () => {
    await login();
    const other = await createTenant(cp.database, 'cli-other');
    await cp.database.db.insertInto('memberships').values({ id: crypto.randomUUID(), organization_id: other.orgId, user_id: tenant.userId, role: 'member' }).execute();
    const r = await cli(['org', 'switch', other.slug]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`holds no token for ${other.slug}`);
    expect(r.err).toContain('1ctl auth login');
  });

  it('manages the team and refuses to remove the last admin with the server’s code', async () => {
    const t = await createTenant(cp.database, 'cli-team');
    await login(t.token);
    const added = await cli(['org', 'team', 'add', '--email', `mate-${t.slug}@example.com`, '--role', 'member']);
    expect(added.code).toBe(0);
    expect(added.out).toContain('One-time password (shown once):');
    const members = JSON.parse((await cli(['org', 'team', 'list', '-o', 'json'])).out) as { id: string; email: string }[];
    const mate = members.find((m) => m.email.startsWith('mate-'))!;
    expect((await cli(['org', 'team', 'role', mate.id, '--role', 'admin'])).out).toContain('is now admin');
    expect((await cli(['org', 'team', 'role', mate.id, '--role', 'owner'])).code).toBe(2);
    const self = members.find((m) => m.email === t.email)!;
    await cli(['org', 'team', 'role', mate.id, '--role', 'member']);
    const refused = await cli(['org', 'team', 'remove', self.id, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/last admin .*\(SATUSKY_LAST_ADMIN, request req_/);
    const table = (await cli(['org', 'team', 'list'])).out;
    expect(table.split('\n')[0]).toMatch(/^MEMBER ID\s+EMAIL\s+NAME\s+ROLE\s+JOINED$/);
  });

  it('creates, lists, disables, enables and deletes tokens; a disabled token stops working', async () => {
    await login();
    const created = JSON.parse((await cli(['token', 'create', 'ci-bot', '--expires', '7', '-o', 'json'])).out);
    expect(created.token).toMatch(/^sat_/);
    const list = (await cli(['token', 'list'])).out;
    expect(list).toContain('ci-bot');
    expect(list).not.toContain(created.token);
    expect((await cli(['token', 'disable', created.id])).out).toContain('is now disabled');
    const refused = await cli(['user', 'me'], { SATUSKY_API_KEY: created.token, SATUSKY_API_URL: url });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('SATUSKY_UNAUTHENTICATED');
    expect((await cli(['token', 'enable', created.id])).out).toContain('is now active');
    expect((await cli(['token', 'get', created.id])).out).toMatch(/Status:\s+active/);
    const unconfirmed = await cli(['token', 'delete', created.id]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.err).toContain('pass --yes');
    expect((await cli(['token', 'delete', created.id, '-y'])).out).toContain('Deleted token');
    expect((await cli(['token', 'get', created.id])).err).toContain('SATUSKY_TOKEN_NOT_FOUND');
  });

  it('shows the audit log and validation errors with their details', async () => {
    await login();
    await cli(['token', 'create', 'audit-me']);
    const audit = await cli(['audit', 'list', '--action', 'token.create', '--limit', '5']);
    expect(audit.code).toBe(0);
    expect(audit.out).toContain('api_token/audit-me');
    const invalid = await cli(['org', 'team', 'add', '--email', 'nope']);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain('SATUSKY_VALIDATION_FAILED');
    expect(invalid.err).toContain('/email: must match format "email"');
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await cli(['token', 'create'])).code).toBe(2);
    expect((await cli(['--output', 'yaml', 'user', 'me'])).code).toBe(2);
    expect((await cli(['no-such-command'])).code).toBe(2);
    expect((await cli(['token', 'create', 'x', '--expires', 'soon'], { SATUSKY_API_KEY: tenant.token, SATUSKY_API_URL: url })).code).toBe(2);
  });
});

describe('the 1ctl executable', () => {
  it('runs through its launcher and prints its version', async () => {
    const bin = path.resolve(import.meta.dirname, '../../../node_modules/.bin/1ctl');
    const { stdout } = await promisify(execFile)(bin, ['--version'], { env: { ...process.env, SATUSKY_CONFIG_DIR: home } });
    expect(stdout.trim()).toBe('0.1.0');
  });
});
