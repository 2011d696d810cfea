import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const KUBECTL = ['/usr/local/bin/kubectl', '/usr/bin/kubectl'].find((p) => spawnSync(p, ['version', '--client'], { timeout: 10_000 }).status === 0);

let dir: string;
const children: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  banner: string;
  ms: number;
}

/** `satusky dev` exactly as `npm start` runs it, on free ports, until it has printed its banner. */
async function startDev(port: number): Promise<Started> {
  const started = Date.now();
  const child = spawn(process.execPath, [MAIN, 'dev', '--port', String(port), '--data-dir', path.join(dir, 'data')], {
    env: {
      ...process.env,
      SATUSKY_CONFIG_DIR: path.join(dir, 'cli'),
      SATUSKY_EDGE_HTTP_PORT: '0',
      SATUSKY_EDGE_HTTPS_PORT: '0',
      SATUSKY_DNS_PORT: '0',
      SATUSKY_WORLD_DNS_PORT: '0',
      SATUSKY_LOG_LEVEL: 'error',
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${out}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Deploy something:')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`satusky dev exited with ${code}:\n${out}`));
    });
  });
  return { child, banner, ms: Date.now() - started };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

afterAll(async () => {
  await Promise.all(children.map(stop));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm start (satusky dev)', () => {
  it('brings the world up in under 15 s, prints what to use, works with kubectl, and keeps its data across restarts', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'satusky-dev-start-'));
    const port = await freePort();
    const first = await startDev(port);
    expect(first.ms).toBeLessThan(15_000);
    const banner = first.banner;
    expect(banner).toMatch(/API +http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(banner).toMatch(/Dashboard +http:\/\/127\.0\.0\.1:\d+\//);
    expect(banner).toMatch(/Admin token +sat_[A-Za-z0-9]{36}/);
    expect(banner).toContain(`Kubeconfig   ${path.join(dir, 'data', 'kubeconfig')}`);
    expect(banner).toMatch(/Public DNS +127\.0\.0\.1:\d+/);
    expect(banner).toContain('sim-kul-1 (Kuala Lumpur)');
    expect(banner).toContain('sim-bki-1 (Borneo)');

    const api = /API +(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(banner)![1]!;
    const token = /Admin token +(sat_[A-Za-z0-9]{36})/.exec(banner)![1]!;
    const clusters = (await (await fetch(`${api}/v1/clusters`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { name: string; edge_address: string }[] };
    expect(clusters.items.map((c) => [c.name, c.edge_address]).sort()).toEqual([
      ['sim-bki-1', '127.0.2.1'],
      ['sim-kul-1', '127.0.1.1'],
    ]);

    if (KUBECTL) {
      const kubectl = spawnSync(KUBECTL, ['--kubeconfig', path.join(dir, 'data', 'kubeconfig'), '--context', 'sim-kul-1', 'get', 'nodes', '-o', 'name'], {
        env: { ...process.env, KUBECACHEDIR: path.join(dir, 'kubecache') },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(kubectl.status, kubectl.stderr).toBe(0);
      expect(kubectl.stdout.trim().split('\n')).toHaveLength(3);
    } else {
      console.warn('kubectl not found: skipping the kubectl part of the npm start test');
    }

    // An org and an app survive a restart; the token in the profile keeps working.
    const org = (await (await fetch(`${api}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as { organization: { organization_id: string } };
    const deployed = await fetch(`${api}/v1/orgs/${org.organization.organization_id}/apps/keep`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ image: 'ghcr.io/acme/keep:1' }),
    });
    expect(deployed.status).toBe(202);
    await stop(first.child);

    const second = await startDev(port);
    expect(second.banner).toContain('Admin token  unchanged');
    const api2 = /API +(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(second.banner)![1]!;
    const apps = (await (await fetch(`${api2}/v1/orgs/${org.organization.organization_id}/apps`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { name: string }[] };
    expect(apps.items.map((a) => a.name)).toContain('keep');
    await stop(second.child);
  }, 90_000);
});
