// Acceptance (kube-sim-spec §16.5): cascading deletes, finalizers, namespace termination.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, kubectlMissing, startKubectlCluster, waitFor, type KubectlCluster } from './helpers/kubectl.ts';

describe.skipIf(kubectlMissing)('kubectl delete', () => {
  let env: KubectlCluster;

  beforeAll(async () => {
    env = await startKubectlCluster({ name: 'delete' });
  });

  afterAll(async () => {
    await env?.close();
  });

  const names = async (args: string[]): Promise<string[]> =>
    (await env.kubectl.ok([...args, '-o', 'name'])).trim().split('\n').filter((l) => l !== '');

  it('cascades a deployment delete to its replica sets and pods', async () => {
    await env.kubectl.ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=2']);
    expect((await env.kubectl.run(['rollout', 'status', 'deploy/web', '--timeout=30s'])).code).toBe(0);
    expect(await names(['get', 'rs', '-l', 'app=web'])).toHaveLength(1);
    expect(await names(['get', 'pods', '-l', 'app=web'])).toHaveLength(2);
    expect(await env.kubectl.ok(['delete', 'deploy', 'web'])).toContain('deployment.apps "web" deleted');
    await waitFor(async () => (await names(['get', 'rs,pods', '-l', 'app=web'])).length === 0, { what: 'dependents to be collected' });
  });

  it('orphans dependents with --cascade=orphan', async () => {
    await env.kubectl.ok(['create', 'deployment', 'keep', '--image=nginx']);
    expect((await env.kubectl.run(['rollout', 'status', 'deploy/keep', '--timeout=30s'])).code).toBe(0);
    await env.kubectl.ok(['delete', 'deploy', 'keep', '--cascade=orphan']);
    const rs = JSON.parse(await env.kubectl.ok(['get', 'rs', '-l', 'app=keep', '-o', 'json'])) as { items: { metadata: { ownerReferences?: unknown[] } }[] };
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0]?.metadata.ownerReferences).toBeUndefined();
    await env.kubectl.ok(['delete', 'rs', '-l', 'app=keep', '--cascade=foreground']);
    expect(await names(['get', 'rs,pods', '-l', 'app=keep'])).toHaveLength(0);
  });

  it('drains a node through the Eviction API; pods move to the other nodes', async () => {
    await env.kubectl.ok(['create', 'deployment', 'mobile', '--image=nginx', '--replicas=3']);
    expect((await env.kubectl.run(['rollout', 'status', 'deploy/mobile', '--timeout=30s'])).code).toBe(0);
    const node = (await env.kubectl.ok(['get', 'pods', '-l', 'app=mobile', '-o', 'jsonpath={.items[0].spec.nodeName}'])).trim();
    const drained = await env.kubectl.run(['drain', node, '--ignore-daemonsets', '--timeout=30s']);
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toContain(`node/${node} drained`);
    expect(await env.kubectl.ok(['get', 'node', node])).toMatch(/Ready,SchedulingDisabled/);
    await waitFor(async () => {
      const pods = JSON.parse(await env.kubectl.ok(['get', 'pods', '-l', 'app=mobile', '-o', 'json'])) as { items: { spec: { nodeName: string }; status: { phase: string } }[] };
      return pods.items.length === 3 && pods.items.every((p) => p.spec.nodeName !== node && p.status.phase === 'Running');
    }, { what: 'pods rescheduled off the drained node' });
    await env.kubectl.ok(['uncordon', node]);
  });

  it('keeps an object with a finalizer until a patch removes it', async () => {
    await env.kubectl.ok(['create', 'configmap', 'fin']);
    await env.kubectl.ok(['patch', 'cm', 'fin', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    const child = env.kubectl.spawn(['delete', 'cm', 'fin', '--timeout=20s']);
    const deleting = collect(child);
    let exited = false;
    const done = new Promise<number>((resolve) => child.on('close', (code) => {
      exited = true;
      resolve(code ?? -1);
    }));
    await deleting.until((out) => out.includes('configmap "fin" deleted'));
    const terminating = JSON.parse(await env.kubectl.ok(['get', 'cm', 'fin', '-o', 'json'])) as { metadata: { deletionTimestamp?: string; finalizers?: string[] } };
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    expect(terminating.metadata.finalizers).toEqual(['example.com/hold']);
    expect(exited).toBe(false);
    await env.kubectl.ok(['patch', 'cm', 'fin', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    expect(await done).toBe(0);
    expect((await env.kubectl.run(['get', 'cm', 'fin'])).stderr).toContain('configmaps "fin" not found');
  });

  it('terminates a namespace and everything in it', async () => {
    await env.kubectl.ok(['create', 'namespace', 'doomed']);
    await env.kubectl.ok(['-n', 'doomed', 'create', 'deployment', 'app', '--image=nginx']);
    await env.kubectl.ok(['-n', 'doomed', 'create', 'configmap', 'c1']);
    await env.kubectl.ok(['-n', 'doomed', 'create', 'service', 'clusterip', 'app', '--tcp=80:80']);
    expect((await env.kubectl.run(['-n', 'doomed', 'rollout', 'status', 'deploy/app', '--timeout=30s'])).code).toBe(0);
    const r = await env.kubectl.run(['delete', 'ns', 'doomed', '--timeout=30s']);
    expect(r.code, r.stderr).toBe(0);
    expect((await env.kubectl.run(['get', 'ns', 'doomed'])).stderr).toContain('namespaces "doomed" not found');
    const leftovers = await env.kubectl.ok(['get', 'all', '-n', 'doomed', '-o', 'name']);
    expect(leftovers.trim()).toBe('');
    const create = await env.kubectl.run(['-n', 'doomed', 'create', 'configmap', 'late']);
    expect(create.stderr).toContain('namespaces "doomed" not found');
  });

  it('refuses new content in a terminating namespace', async () => {
    await env.kubectl.ok(['create', 'namespace', 'stuck']);
    await env.kubectl.ok(['-n', 'stuck', 'create', 'configmap', 'held']);
    await env.kubectl.ok(['-n', 'stuck', 'patch', 'cm', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    await env.kubectl.ok(['delete', 'ns', 'stuck', '--wait=false']);
    const err = await env.kubectl.fails(['-n', 'stuck', 'create', 'configmap', 'late']);
    expect(err).toContain('configmaps "late" is forbidden: unable to create new content in namespace stuck because it is being terminated');
    const ns = await waitFor(async () => {
      const o = JSON.parse(await env.kubectl.ok(['get', 'ns', 'stuck', '-o', 'json'])) as { status: { phase: string; conditions?: { type: string; status: string; message: string }[] } };
      return o.status.conditions?.some((c) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True') ? o : undefined;
    }, { what: 'namespace conditions' });
    expect(ns.status.phase).toBe('Terminating');
    expect(ns.status.conditions?.find((c) => c.type === 'NamespaceFinalizersRemaining')?.message).toContain('example.com/hold in 1 resource instances');
    await env.kubectl.ok(['-n', 'stuck', 'patch', 'cm', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitFor(async () => (await env.kubectl.run(['get', 'ns', 'stuck'])).code !== 0, { what: 'namespace to go away' });
  });
});
