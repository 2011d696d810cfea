// The `satusky-sim` command: starts one cluster, writes its kubeconfig, stops on SIGTERM.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { collect, kubectlFor, kubectlMissing } from './helpers/kubectl.ts';

const BIN = fileURLToPath(new URL('../bin/satusky-sim.js', import.meta.url));

describe('satusky-sim command', () => {
  it('starts a cluster, writes its kubeconfig, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'satusky-sim-cli-'));
    const kubeconfig = join(dir, 'demo.kubeconfig');
    const child = spawn(process.execPath, [BIN, '--name', 'demo', '--nodes', '2', '--zone', 'z1', '--port', '0', '--kubeconfig', kubeconfig, '--pod-delay-ms', '0', '--data-dir', join(dir, 'data')]);
    const out = collect(child);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const banner = await out.until((o) => o.includes('Press Ctrl-C to stop.'), 20_000);
      expect(banner).toContain(`kubectl --kubeconfig ${kubeconfig} get nodes`);
      expect(banner).toMatch(/API:\s+https:\/\/127\.0\.0\.1:\d+/);
      const kc = new KubeConfig();
      kc.loadFromString(await readFile(kubeconfig, 'utf8'));
      expect(kc.getCurrentContext()).toBe('demo');
      const nodes = await kc.makeApiClient(CoreV1Api).listNode();
      expect(nodes.items.map((n) => [n.metadata?.name, n.metadata?.labels?.['topology.kubernetes.io/zone']])).toEqual([
        ['demo-node-0', 'z1'],
        ['demo-node-1', 'z1'],
      ]);
      if (!kubectlMissing) {
        const kubectl = kubectlFor(kubeconfig, join(dir, 'cache'));
        expect(await kubectl.ok(['get', 'nodes'])).toMatch(/demo-node-0\s+Ready/);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out.stdout()).toContain('SIGTERM received, stopping');
    expect(await readFile(join(dir, 'data', 'state.ndjson'), 'utf8')).toContain('"name":"demo-node-0"');
    await rm(dir, { recursive: true, force: true });
  });

  it('prints usage with --help', async () => {
    const child = spawn(process.execPath, [BIN, '--help']);
    const out = collect(child);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out.stdout()).toContain('Usage: satusky-sim [options]');
  });
});
