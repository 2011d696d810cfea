import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../control-plane/test/helpers.ts';
import { startHarness, type Harness } from '../../control-plane/test/sim-harness.ts';
import { runCli } from '../src/cli.ts';
import { ProfileStore } from '../src/profiles.ts';
import type { CliDeps } from '../src/session.ts';

let h: Harness;
let home: string;
let project: string;

beforeAll(async () => {
  h = await startHarness({ zones: ['sim-kul-1'], listen: true });
  home = await mkdtemp(path.join(os.tmpdir(), 'satusky-cli-deploy-'));
  project = await mkdtemp(path.join(os.tmpdir(), 'satusky-project-'));
  expect((await cli(['--api-url', h.cp.url!, 'auth', 'login', '--token', h.tenant.token])).code).toBe(0);
});
afterAll(async () => {
  await h?.close();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[], options: { cwd?: string; onOut?: (line: string) => void; signal?: AbortSignal } = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const deps: CliDeps = {
    env: { SATUSKY_CONFIG_DIR: home },
    io: {
      out: (t) => {
        out.push(t);
        options.onOut?.(t);
      },
      err: (t) => err.push(t),
    },
    store: new ProfileStore(home),
    readSecret: async () => '',
    confirm: async () => false,
    cwd: () => options.cwd ?? project,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const code = await runCli(args, deps);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('1ctl deploy and app lifecycle against a simulated zone', () => {
  it('writes satusky.toml with init and deploys from it; --wait ends ready with exit 0', async () => {
    const init = await cli(['init', '--name', 'shop', '--image', 'ghcr.io/acme/shop:1.0', '--health-path', '/health', '--replicas', '2']);
    expect(init.code).toBe(0);
    const toml = await readFile(path.join(project, 'satusky.toml'), 'utf8');
    expect(toml).toContain('name = "shop"');
    expect(toml).toContain('health_path = "/health"');
    expect((await cli(['init', '--name', 'shop'])).code).toBe(1);

    const deployed = await cli(['deploy', '--env', 'MODE=test', '--wait', '--timeout', '60']);
    expect(deployed.err).toBe('');
    expect(deployed.code).toBe(0);
    expect(deployed.out).toContain('Release 1 of shop accepted');
    expect(deployed.out).toMatch(/sim-kul-1\s+WorkloadReady\s+✓ Ready/);
    expect(deployed.out).toContain('URL:');

    const status = await cli(['app', 'status']);
    expect(status.code).toBe(0);
    expect(status.out).toContain('shop: READY');
    expect(status.out).toMatch(/sim-kul-1\s+serving\s+ready\s+2\/2/);
    const json = JSON.parse((await cli(['app', 'get', 'shop', '-o', 'json'])).out);
    expect(json.release.spec).toMatchObject({ image: 'ghcr.io/acme/shop:1.0', replicas: 2, env: { MODE: 'test' }, health_path: '/health' });
  });

  it('fails --wait with exit 1 and the reason when the image cannot be pulled', async () => {
    const failed = await cli(['deploy', '--image', 'ghcr.io/acme/shop:2.0-pull-error', '--wait', '--timeout', '60']);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('ImagePullBackOff');
    expect(failed.out).toContain('1ctl app events shop');
    const rollback = await cli(['app', 'rollback', 'shop', '--yes', '--wait', '--timeout', '60']);
    expect(rollback.code).toBe(0);
    const releases = JSON.parse((await cli(['app', 'releases', '-o', 'json'])).out) as { version: number; reason: string; image: string }[];
    expect(releases[0]).toMatchObject({ reason: 'rollback', image: 'ghcr.io/acme/shop:1.0' });
  });

  it('times out --wait with exit 2 while the cluster cannot answer', async () => {
    await h.zones[0]!.sim.faults.set({ api: 'blackhole' });
    try {
      const waited = await cli(['app', 'restart', 'shop', '--wait', '--timeout', '2']);
      expect(waited.code).toBe(2);
      expect(waited.out).toMatch(/Timed out after 2s/);
    } finally {
      await h.zones[0]!.sim.faults.set({ api: 'ok' });
    }
    await h.waitForStatus('shop', (s) => s.status === 'ready', { timeoutMs: 30_000 });
  });

  it('manages env and secrets; secret values are never printed', async () => {
    expect((await cli(['env', 'set', 'FEATURE=on', 'LEVEL=3'])).out).toMatch(/Changed FEATURE, LEVEL: release \d+ rolls out/);
    expect((await cli(['env', 'list'])).out).toMatch(/FEATURE\s+on/);
    expect((await cli(['env', 'unset', '-k', 'LEVEL'])).code).toBe(0);
    expect((await cli(['env', 'list', '-o', 'json'])).out).not.toContain('LEVEL');
    const secret = await cli(['secret', 'create', 'API_TOKEN=super-secret-canary-9182']);
    expect(secret.code).toBe(0);
    const listed = await cli(['secret', 'list']);
    expect(listed.out).toContain('API_TOKEN');
    for (const run of [secret, listed, await cli(['app', 'get', '-o', 'json']), await cli(['app', 'events'])]) {
      expect(run.out + run.err).not.toContain('super-secret-canary-9182');
    }
    expect((await cli(['secret', 'create'])).code).toBe(2);
  });

  it('shows logs of every pod tagged with zone and pod, and zones with availability', async () => {
    await h.waitForStatus('shop', (s) => s.status === 'ready', { timeoutMs: 30_000 });
    const logs = await waitFor(
      async () => {
        const run = await cli(['logs', '--tail', '20']);
        return run.out.includes('sim-kul-1 shop-') ? run : null;
      },
      { timeoutMs: 10_000, message: 'log lines' },
    );
    expect(logs.code).toBe(0);
    expect(logs.out).toMatch(/^\d{4}-\d\d-\d\dT\S+ sim-kul-1 shop-\S+ {2}\S/m);
    const zones = await cli(['cluster', 'zones']);
    expect(zones.out).toMatch(/sim-kul-1 \(default\)\s+sim-kul-1\s+-\s+available/);
    const clusters = await cli(['cluster', 'list', '--all']);
    expect(clusters.out).toMatch(/sim-kul-1\s+sim-kul-1\s+https:\/\/127\.0\.0\.1:\d+\s+healthy/);
  });

  it('follows events over WebSocket as they happen', async () => {
    const seen: string[] = [];
    const stop = new AbortController();
    const follow = cli(['app', 'events', 'shop', '--follow'], { onOut: (line) => seen.push(line), signal: stop.signal });
    await waitFor(() => seen.length > 0, { message: 'history' });
    const before = seen.length;
    expect((await cli(['app', 'scale', 'shop', '3'])).code).toBe(0);
    await waitFor(() => seen.slice(before).some((l) => l.includes('ReleaseCreated') && l.includes('(scale)')), { timeoutMs: 10_000, message: 'live event' });
    await waitFor(() => seen.slice(before).some((l) => l.includes('WorkloadReady')), { timeoutMs: 10_000, message: 'ready event' });
    stop.abort();
    expect((await follow).code).toBe(0);
  });

  it('deletes the app and reports what was removed', async () => {
    await writeFile(path.join(project, 'satusky.staging.toml'), '[app]\nname = "shop-staging"\nimage = "ghcr.io/acme/shop:1.0"\n');
    expect((await cli(['deploy', '--config', 'staging', '--wait', '--timeout', '60'])).code).toBe(0);
    const unconfirmed = await cli(['app', 'delete', 'shop-staging']);
    expect(unconfirmed.code).toBe(1);
    const deleted = await cli(['app', 'delete', 'shop-staging', '--yes']);
    expect(deleted.code).toBe(0);
    expect(deleted.out).toContain('Deleted shop-staging.');
    expect(deleted.out).toMatch(/sim-kul-1\s+Deployment\/shop-staging\s+removed/);
    expect((await cli(['app', 'get', 'shop-staging'])).err).toContain('SATUSKY_APP_NOT_FOUND');
  });
});
