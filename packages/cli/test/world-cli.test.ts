import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSimCluster, type SimCluster } from '@satusky/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../control-plane/test/helpers.ts';
import { startWorldHarness, type WorldHarness } from '../../control-plane/test/world-harness.ts';
import { runCli } from '../src/cli.ts';
import { ProfileStore } from '../src/profiles.ts';
import type { CliDeps } from '../src/session.ts';

const A = 'sim-cli-a';
const B = 'sim-cli-b';
let h: WorldHarness;
let home: string;
let project: string;
let extra: SimCluster | null = null;

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[], options: { yes?: boolean } = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const deps: CliDeps = {
    env: { SATUSKY_CONFIG_DIR: home },
    io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    store: new ProfileStore(home),
    readSecret: async () => '',
    confirm: async () => options.yes ?? false,
    cwd: () => project,
  };
  const code = await runCli(args, deps);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  h = await startWorldHarness({ zones: [A, B] });
  home = await mkdtemp(path.join(os.tmpdir(), 'satusky-cli-world-'));
  project = await mkdtemp(path.join(os.tmpdir(), 'satusky-project-'));
  expect((await cli(['--api-url', h.dev.controlPlane.url!, 'auth', 'login', '--token', h.token])).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await h?.close();
  await extra?.stop();
});

describe('1ctl against satusky dev (the simulated world)', { timeout: 60_000 }, () => {
  it('deploys active-passive from [multicluster] in satusky.toml, shows the failover state, and runs a drill and a failback', async () => {
    await writeFile(
      path.join(project, 'satusky.toml'),
      [
        '[app]',
        'name = "shop"',
        'image = "ghcr.io/acme/shop:1"',
        '[checks]',
        'health_path = "/healthz"',
        '[multicluster]',
        'enabled = true',
        'mode = "active-passive"',
        `zones = ["${A}", "${B}"]`,
        `primary = "${A}"`,
        'failback = "manual"',
        '',
      ].join('\n'),
    );
    const deployed = await cli(['deploy', '--wait', '--timeout', '60']);
    expect(deployed.code, deployed.out + deployed.err).toBe(0);
    expect(deployed.out).toContain(`${A} (serving), ${B} (warm) [active-passive]`);
    const status = await cli(['app', 'status']);
    expect(status.out).toContain('Traffic (active-passive)');
    expect(status.out).toMatch(new RegExp(`Failover: primary-serving, serving ${A}`));
    expect(status.out).toContain('DNSREADY');

    const refused = await cli(['app', 'failover', '--to', 'nowhere']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('SATUSKY_ZONE_NOT_FOUND');
    const drill = await cli(['app', 'failover', '--to', B, '--wait', '--timeout', '30']);
    expect(drill.code, drill.out + drill.err).toBe(0);
    expect(drill.out).toMatch(new RegExp(`✓ shop is served from ${B}`));
    const back = await cli(['app', 'failback', '--wait', '--timeout', '30']);
    expect(back.code, back.out + back.err).toBe(0);
    expect(back.out).toMatch(new RegExp(`✓ shop is served from ${A}`));
  });

  it('refuses bad placement flags locally with exit 2', async () => {
    const bad = await cli(['deploy', '--multicluster-mode', 'sideways']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--multicluster-mode must be');
  });

  it('attaches a domain with deploy --domain, prints the records, checks it fact by fact and removes it', async () => {
    const deployed = await cli(['deploy', '--domain', 'shop.cli-example.test']);
    expect(deployed.code, deployed.err).toBe(0);
    expect(deployed.out).toContain('_satusky-challenge.shop.cli-example.test');
    expect(deployed.out).toMatch(/CNAME\s+shop\.cli-example\.test\s+shop-[a-z0-9]+\.satusky\.test/);

    // Nothing exists yet: ownership pending, and the name does not resolve (a failed fact: exit 1).
    const pending = await cli(['domains', 'check', 'shop.cli-example.test']);
    expect(pending.code).toBe(1);
    expect(pending.out).toContain('DOMAIN_UNVERIFIED');
    expect(pending.out).toContain('DNS_NXDOMAIN');
    expect(pending.out).toContain('fix:');
    // With the CNAME but not the TXT: nothing fails, ownership is still pending (exit 3).
    const appHost = JSON.parse((await cli(['app', 'get', 'shop', '-o', 'json'])).out).hostname as string;
    h.world.registrar.set({ name: 'shop.cli-example.test', type: 'CNAME', values: [appHost] });
    const waiting = await cli(['domains', 'check', 'shop.cli-example.test']);
    expect(waiting.code, waiting.out).toBe(3);

    const listed = JSON.parse((await cli(['domains', 'list', '-o', 'json'])).out) as { hostname: string; verification: { record_name: string; record_value: string } }[];
    const domain = listed.find((d) => d.hostname === 'shop.cli-example.test')!;
    h.world.registrar.set({ name: domain.verification.record_name, type: 'TXT', values: [domain.verification.record_value] });
    const ok = await waitFor(async () => {
      const r = await cli(['domains', 'check', 'shop.cli-example.test', '--probe']);
      return r.code === 0 ? r : null;
    }, { timeoutMs: 30_000, intervalMs: 500, message: 'domains check passes' });
    expect(ok.out).toContain('OK');
    expect(ok.out).toMatch(/tls\s+sim-cli-a\s+✓ pass\s+TLS_OK/);

    h.world.registrar.delete('shop.cli-example.test', 'CNAME');
    h.world.registrar.set({ name: 'shop.cli-example.test', type: 'A', values: [h.world.parked.address] });
    const broken = await waitFor(async () => {
      const r = await cli(['domains', 'check', 'shop.cli-example.test']);
      return r.code === 1 ? r : null;
    }, { timeoutMs: 10_000, message: 'domains check fails' });
    expect(broken.out).toContain('DNS_WRONG_ADDRESS');
    expect(broken.out).toContain(h.world.parked.address);
    const json = JSON.parse((await cli(['domains', 'check', 'shop.cli-example.test', '-o', 'json'])).out) as { ok: boolean; facts: { fact: string; reason: string }[] };
    expect(json.ok).toBe(false);
    expect(json.facts.find((f) => f.fact === 'dns')?.reason).toBe('DNS_WRONG_ADDRESS');

    expect((await cli(['domains', 'remove', 'shop.cli-example.test'])).code).toBe(1);
    const removed = await cli(['domains', 'remove', 'shop.cli-example.test', '--yes']);
    expect(removed.code).toBe(0);
    expect(removed.out).toMatch(/stays reserved to this organization until/);
  });

  it('registers and updates a cluster as a platform admin', async () => {
    extra = await startSimCluster({ name: 'sim-cli-extra', nodes: 1 });
    const file = path.join(home, 'extra.kubeconfig');
    await writeFile(file, extra.kubeconfig());
    const registered = await cli(['cluster', 'register', 'sim-cli-extra', '--zone', 'sim-cli-extra', '--kubeconfig', file, '--edge-address', '127.0.9.1', '--gateway-class', 'sim', '--label', 'tier=test']);
    expect(registered.code, registered.err).toBe(0);
    expect(registered.out).toContain('Registered sim-cli-extra as zone sim-cli-extra');
    const listed = await waitFor(async () => {
      const r = await cli(['cluster', 'list', '--all']);
      return /sim-cli-extra .*healthy/.test(r.out) ? r : null;
    }, { timeoutMs: 15_000, message: 'the new cluster turns healthy' });
    expect(listed.out).toContain('sim-cli-extra');
    expect((await cli(['cluster', 'update', 'sim-cli-extra', '--disable', '--priority', '500'])).code).toBe(0);
    expect((await cli(['cluster', 'update', 'sim-cli-extra'])).code).toBe(2);
    const missing = await cli(['cluster', 'register', 'x', '--zone', 'x', '--kubeconfig', '/nonexistent']);
    expect(missing.code).toBe(2);
  });
});
