// The `satusky-world` CLI, spawned as a real process against a running world (found through the
// world.json in its data directory, or --url): output, --json, exit codes.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../src/cli/args.ts';
import { readStateFile, startWorld, type World } from '../src/index.ts';
import { freeUdpAndTcpPort } from '../src/util/net.ts';
import { run, tempDir, waitFor } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/satusky-world.js', import.meta.url));

describe('satusky-world CLI', () => {
  let world: World;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const cli = (...args: string[]): ReturnType<typeof run> => run(process.execPath, [BIN, '--data-dir', dir.path, ...args], { timeoutMs: 20_000 });

  beforeAll(async () => {
    dir = await tempDir('cli');
    world = await startWorld({ dataDir: dir.path, zones: [{ name: 'sim-kul-1', nodes: 2 }, { name: 'sim-sgp-1', nodes: 1 }], httpPort: 0, httpsPort: 0, dnsPort: 0, platformZone: { domain: 'satusky.test' } });
  });

  afterAll(async () => {
    await world?.stop();
    await dir?.remove();
  });

  it('parses commands and rejects bad input with clear messages', () => {
    expect(parseCli(['dns', 'set', '_x.example.com', 'txt', 'v1', 'v 2', '--ttl', '60'])).toMatchObject({ kind: 'dns-set', name: '_x.example.com', type: 'TXT', values: ['v1', 'v 2'], ttl: 60 });
    expect(parseCli(['fault', 'lose-nodes', 'sim-kul-1', '2'])).toMatchObject({ kind: 'fault', fault: 'lose-nodes', zone: 'sim-kul-1', count: 2 });
    expect(parseCli(['restore', 'sim-kul-1'])).toMatchObject({ kind: 'fault', fault: 'restore', zone: 'sim-kul-1' });
    expect(parseCli(['start', '--zones', 'a,b', '--http-port', '0'])).toMatchObject({ kind: 'start', zones: ['a', 'b'], httpPort: 0 });
    expect(parseCli([])).toEqual({ kind: 'help' });
    expect(() => parseCli(['dns', 'set', 'x.example.com', 'A'])).toThrow(UsageError);
    expect(() => parseCli(['dns', 'set', 'x.example.com', 'A', '1.2.3.4', '--ttl', 'soon'])).toThrow(/--ttl must be a whole number/);
    expect(() => parseCli(['fault', 'meteor', 'sim-kul-1'])).toThrow(/fault must be one of/);
    expect(() => parseCli(['fault', 'lose-nodes', 'sim-kul-1', 'many'])).toThrow(/N must be a whole number/);
    expect(() => parseCli(['dns', 'upstream', 'nope'])).toThrow(/HOST:PORT/);
    expect(() => parseCli(['--bogus'])).toThrow(UsageError);
  });

  it('sets, lists and deletes records, which the world DNS then serves', async () => {
    const set = await cli('dns', 'set', 'shop.example.com', 'A', '127.0.1.1', '--ttl', '60');
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout.trim()).toBe('set shop.example.com A 127.0.1.1 (ttl 60, zone example.com)');
    expect((await cli('dns', 'set', '_x.example.com', 'TXT', 'v1', 'v 2')).code).toBe(0);
    const list = await cli('dns', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+TYPE\s+TTL\s+ZONE\s+VALUE$/m);
    expect(list.stdout).toMatch(/^_x\.example\.com\s+TXT\s+300\s+example\.com\s+"v1" "v 2"$/m);
    const json = JSON.parse((await cli('dns', 'list', '--json')).stdout) as unknown[];
    expect(json).toEqual([
      { name: '_x.example.com', type: 'TXT', ttl: 300, values: ['v1', 'v 2'], zone: 'example.com' },
      { name: 'shop.example.com', type: 'A', ttl: 60, values: ['127.0.1.1'], zone: 'example.com' },
    ]);
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`${world.dns.host}:${world.dns.port}`]);
    expect(await resolver.resolve4('shop.example.com')).toEqual(['127.0.1.1']);
    const del = await cli('dns', 'delete', '_x.example.com', 'TXT');
    expect(del).toMatchObject({ code: 0 });
    expect(del.stdout.trim()).toBe('deleted _x.example.com TXT "v1" "v 2"');
    const again = await cli('dns', 'delete', '_x.example.com', 'TXT');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no TXT records at _x.example.com');
  });

  it('exits 2 with a clear message for invalid input, locally or rejected by the world', async () => {
    const usage = await cli('dns', 'set', 'x.example.com');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: satusky-world dns set NAME TYPE VALUE...');
    const ip = await cli('dns', 'set', 'x.example.com', 'A', 'not-an-ip');
    expect(ip).toMatchObject({ code: 2, stdout: '' });
    expect(ip.stderr).toContain('"not-an-ip" is not an IPv4 address');
    const reserved = await cli('dns', 'set', 'app.satusky.test', 'A', '127.0.1.1');
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toContain('platform zone satusky.test');
    const zone = await cli('fault', 'api-down', 'sim-atlantis-1');
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain('no zone "sim-atlantis-1"');
    const fault = await cli('fault', 'meteor', 'sim-kul-1');
    expect(fault.code).toBe(2);
    expect(fault.stderr).toContain('fault must be one of zone-down, api-down, api-blackhole, edge-down, lose-nodes, restore');
  });

  it('applies faults and reports status, as text and JSON', async () => {
    const lose = await cli('fault', 'lose-nodes', 'sim-kul-1', '1', '--json');
    expect(lose.code).toBe(0);
    expect(JSON.parse(lose.stdout)).toMatchObject({ name: 'sim-kul-1', nodes: { total: 2, ready: 1 }, faults: { api: 'ok', edge: 'up', lostNodes: [expect.any(String) as unknown] } });
    const down = await cli('fault', 'zone-down', 'sim-kul-1');
    expect(down.stdout.trim()).toMatch(/^sim-kul-1: api down, edge down, 1\/2 nodes ready \(1 lost: /);
    expect(world.faults.state('sim-kul-1')).toMatchObject({ api: 'down', edge: 'down' });
    const status = JSON.parse((await cli('status', '--json')).stdout) as { zones: { name: string; faults: { api: string; edge: string } }[]; dns: { port: number }; httpPort: number; rootCaPath: string };
    expect(status.zones.map((z) => [z.name, z.faults.api, z.faults.edge])).toEqual([
      ['sim-kul-1', 'down', 'down'],
      ['sim-sgp-1', 'ok', 'up'],
    ]);
    expect(status).toMatchObject({ dns: { port: world.dns.port }, httpPort: world.httpPort, rootCaPath: world.ca.rootCaPath });
    expect((await cli('fault', 'api-blackhole', 'sim-sgp-1')).code).toBe(0);
    const text = await cli('status');
    expect(text.stdout).toMatch(/^sim-kul-1\s+127\.0\.1\.1\s+https:\/\/127\.0\.0\.1:\d+\s+down\s+down\s+1\/2$/m);
    expect(text.stdout).toMatch(/^sim-sgp-1\s+127\.0\.2\.1\s+https:\/\/127\.0\.0\.1:\d+\s+blackhole\s+up\s+1\/1$/m);
    expect((await cli('restore', 'sim-kul-1')).stdout.trim()).toBe('sim-kul-1: api ok, edge up, 2/2 nodes ready');
    expect((await cli('fault', 'restore', 'sim-sgp-1')).code).toBe(0);
    expect(world.faults.state('sim-sgp-1').api).toBe('ok');
  });

  it('sets the platform upstream and prints a kubeconfig with a context per zone', async () => {
    const port = await freeUdpAndTcpPort('127.0.0.1');
    const set = await cli('dns', 'upstream', `127.0.0.1:${port}`);
    expect(set.stdout.trim()).toBe(`satusky.test -> 127.0.0.1:${port}`);
    expect(world.platformZone?.upstream).toEqual({ host: '127.0.0.1', port });
    expect((await cli('dns', 'upstream', '--clear')).stdout.trim()).toBe('satusky.test -> no upstream (SERVFAIL)');
    const kubeconfig = await cli('kubeconfig');
    expect(kubeconfig.code).toBe(0);
    expect(kubeconfig.stdout).toMatch(/current-context: sim-kul-1/);
    expect(kubeconfig.stdout).toMatch(/- name: sim-sgp-1/);
  });

  it('runs a standalone world with start, which the other commands find and SIGTERM stops', async () => {
    const own = await tempDir('cli-start');
    const child = spawn(process.execPath, [BIN, 'start', '--data-dir', own.path, '--zones', 'sim-solo-1', '--nodes', '1', '--http-port', '0', '--https-port', '0', '--dns-port', '0', '--pod-delay-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stdout.includes('Press Ctrl-C to stop.'), { what: `the world to start (stderr: ${stderr})`, timeoutMs: 15_000 });
      expect(stdout).toContain(`kubeconfig ${own.path}/kubeconfig`);
      const state = await readStateFile(own.path);
      expect(state).toMatchObject({ running: true, zones: [{ name: 'sim-solo-1', edgeAddress: '127.0.1.1' }] });
      const status = await run(process.execPath, [BIN, '--data-dir', own.path, 'status', '--json'], { timeoutMs: 20_000 });
      expect(JSON.parse(status.stdout)).toMatchObject({ zones: [{ name: 'sim-solo-1', nodes: { total: 1, ready: 1 } }] });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await readStateFile(own.path)).toMatchObject({ running: false });
      const after = await run(process.execPath, [BIN, '--data-dir', own.path, 'status'], { timeoutMs: 20_000 });
      expect(after.code).toBe(1);
      expect(after.stderr).toContain('is not running');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await own.remove();
    }
  });

  it('exits 1 when the world cannot be reached', async () => {
    const port = await freeUdpAndTcpPort('127.0.0.1');
    const r = await run(process.execPath, [BIN, '--url', `http://127.0.0.1:${port}`, 'status'], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the world at http://127.0.0.1:${port}`);
    const empty = await tempDir('cli-empty');
    try {
      const none = await run(process.execPath, [BIN, '--data-dir', empty.path, 'dns', 'list'], { timeoutMs: 20_000 });
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('no running world found');
    } finally {
      await empty.remove();
    }
    const help = await run(process.execPath, [BIN, '--help'], { timeoutMs: 20_000 });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: satusky-world <command>');
  });
});
