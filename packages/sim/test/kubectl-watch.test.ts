// Acceptance (kube-sim-spec §16.8): `kubectl get -w` with Table watch events.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, kubectlMissing, startKubectlCluster, waitFor, type KubectlCluster } from './helpers/kubectl.ts';

describe.skipIf(kubectlMissing)('kubectl get -w', () => {
  let env: KubectlCluster;

  beforeAll(async () => {
    env = await startKubectlCluster({ name: 'watch', podTimings: { startMs: 50, readyMs: 50 } });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('streams ADDED, MODIFIED and DELETED rows under a single header', async () => {
    const watch = collect(env.kubectl.spawn(['get', 'pods', '-w', '--output-watch-events']));
    try {
      // Once kubectl's watch is open (it resumes from its list's resourceVersion), nothing is missed.
      await waitFor(() => env.cluster.requests().some((r) => r.path === '/api/v1/namespaces/default/pods' && r.query.includes('watch=true')), { what: 'the watch request' });
      await env.kubectl.ok(['run', 'solo', '--image=nginx:1.27', '--restart=Never']);
      const running = await watch.until((out) => /MODIFIED\s+solo\s+1\/1\s+Running/.test(out));
      expect(running).toMatch(/ADDED\s+solo\s+0\/1\s+Pending/);
      await env.kubectl.ok(['delete', 'pod', 'solo', '--wait=false']);
      const all = await watch.until((out) => /DELETED\s+solo\s/.test(out));
      expect(all).toMatch(/MODIFIED\s+solo\s+\S+\s+Terminating/);
      const headers = all.split('\n').filter((l) => /^EVENT\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/.test(l));
      expect(headers).toHaveLength(1);
    } finally {
      watch.kill();
    }
  });

  it('watches a single object by name and sees label changes', async () => {
    await env.kubectl.ok(['create', 'configmap', 'watched']);
    const watch = collect(env.kubectl.spawn(['get', 'cm', 'watched', '-w', '-L', 'color']));
    try {
      await watch.until((out) => /^watched\s+0\s+\S+\s*$/m.test(out));
      await env.kubectl.ok(['label', 'cm', 'watched', 'color=blue']);
      const out = await watch.until((o) => /^watched\s+0\s+\S+\s+blue\s*$/m.test(o));
      expect(out.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE\s+COLOR$/);
    } finally {
      watch.kill();
    }
  });
});
