// Simulated workloads through the library API: image conventions, logs, Pod Security admission,
// scheduling, node failure and eviction, deployment strategies and progress deadlines. Objects the
// controllers write are validated against the Kubernetes schemas (kubernetes-models).

import { request as httpsRequest } from 'node:https';
import { Deployment, ReplicaSet } from 'kubernetes-models/apps/v1';
import { Event, Node, Pod } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type KubeObject, type SimCluster } from '../src/index.ts';
import { startTestCluster } from './helpers/cluster.ts';
import { waitFor } from './helpers/kubectl.ts';
import { validate } from './helpers/models.ts';

const POD = { apiVersion: 'v1', kind: 'Pod' };
const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' };
const RS = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function deployment(name: string, image: string, extra: { replicas?: number; namespace?: string; podSpec?: Record<string, unknown>; spec?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: extra.namespace ?? 'default' },
    spec: {
      replicas: extra.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }], ...(extra.podSpec ?? {}) } },
      ...(extra.spec ?? {}),
    },
  };
}

function podsOf(cluster: SimCluster, app: string, namespace = 'default'): Obj[] {
  return cluster.objects.list<Obj>(POD, { namespace, labelSelector: { app } });
}

function containerStatus(p: Obj): Record<string, unknown> {
  return ((p.status?.containerStatuses as Record<string, unknown>[] | undefined) ?? [])[0] ?? {};
}

function condition(o: Obj, type: string): Record<string, unknown> | undefined {
  return ((o.status?.conditions as Record<string, unknown>[] | undefined) ?? []).find((c) => c.type === type);
}

describe('simulated workloads', () => {
  let cluster: SimCluster;
  let problems: string[] = [];

  beforeAll(async () => {
    ({ cluster, problems } = await startTestCluster({
      name: 'work',
      nodes: 3,
      zone: 'zone-a',
      region: 'kul',
      port: 0,
      podTimings: { slowStartMs: 400, crashRunMs: 30, crashBackoffMs: 60, crashBackoffMaxMs: 120, pullBackoffMs: 60, nodeEvictionMs: 300 },
    }));
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(problems).toEqual([]);
  });

  it('seeds Ready nodes with zone, region and capacity that validate as Nodes', () => {
    const nodes = cluster.objects.list<Obj>({ apiVersion: 'v1', kind: 'Node' });
    expect(nodes.map((n) => n.metadata.name)).toEqual(['work-node-0', 'work-node-1', 'work-node-2']);
    for (const n of nodes) {
      expect(n.metadata.labels).toMatchObject({ 'topology.kubernetes.io/zone': 'zone-a', 'topology.kubernetes.io/region': 'kul', 'kubernetes.io/hostname': n.metadata.name });
      expect(condition(n, 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
      expect((n.status?.allocatable as Record<string, string>).cpu).toBe('32');
      validate(Node, n);
    }
  });

  it('runs ordinary images to Ready with valid Deployment, ReplicaSet, Pod and Event objects', async () => {
    cluster.objects.create(deployment('ok', 'nginx:1.27', { replicas: 2 }));
    const d = await waitFor(() => {
      const o = cluster.objects.get<Obj>({ ...DEPLOY, namespace: 'default', name: 'ok' });
      return o?.status?.availableReplicas === 2 ? o : undefined;
    }, { what: 'deployment available' });
    validate(Deployment, d);
    const rs = cluster.objects.list<Obj>(RS, { namespace: 'default', labelSelector: { app: 'ok' } });
    expect(rs).toHaveLength(1);
    validate(ReplicaSet, rs[0]);
    for (const p of podsOf(cluster, 'ok')) {
      validate(Pod, p);
      expect(p.status).toMatchObject({ phase: 'Running', qosClass: 'BestEffort' });
      expect(containerStatus(p)).toMatchObject({ ready: true, started: true, restartCount: 0 });
    }
    const events = cluster.objects.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
    expect(events.some((e) => e.reason === 'ScalingReplicaSet')).toBe(true);
    for (const e of events.slice(0, 5)) validate(Event, e);
  });

  it('crash-loops images named crashloop: restarts grow, CrashLoopBackOff, exit code 1, never Ready', async () => {
    cluster.objects.create(deployment('crashy', 'registry.example/app:crashloop'));
    const pod = await waitFor(() => {
      const p = podsOf(cluster, 'crashy')[0];
      const cs = p ? containerStatus(p) : {};
      return Number(cs.restartCount ?? 0) >= 2 && (cs.state as Record<string, unknown> | undefined)?.waiting ? p : undefined;
    }, { what: 'two restarts' });
    const cs = containerStatus(pod);
    expect((cs.state as { waiting: { reason: string } }).waiting.reason).toBe('CrashLoopBackOff');
    expect((cs.lastState as { terminated: { exitCode: number; reason: string } }).terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(condition(pod, 'Ready')?.status).toBe('False');
    expect((pod).status?.phase).toBe('Running');
    validate(Pod, pod);
    const d = cluster.objects.get<Obj>({ ...DEPLOY, namespace: 'default', name: 'crashy' }) as Obj;
    expect(d.status?.availableReplicas).toBeUndefined();
    expect(condition(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });

  it('fails to pull images named pull-error: ErrImagePull, then ImagePullBackOff, phase Pending', async () => {
    cluster.objects.create(deployment('nopull', 'registry.example/app:pull-error'));
    const seen = new Set<string>();
    await waitFor(() => {
      const p = podsOf(cluster, 'nopull')[0];
      const reason = (containerStatus(p ?? ({} as Obj)).state as { waiting?: { reason: string } } | undefined)?.waiting?.reason;
      if (reason) seen.add(reason);
      return reason === 'ImagePullBackOff';
    }, { what: 'ImagePullBackOff' });
    const p = podsOf(cluster, 'nopull')[0] as Obj;
    expect(p.status?.phase).toBe('Pending');
    expect(containerStatus(p).started).toBe(false);
    const events = cluster.objects.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default', fieldSelector: `involvedObject.name=${p.metadata.name}` });
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Pulling', 'Failed', 'BackOff']));
    expect(events.filter((e) => e.reason === 'Failed').map((e) => String(e.message))).toEqual(
      expect.arrayContaining([expect.stringContaining('Failed to pull image "registry.example/app:pull-error"'), 'Error: ErrImagePull', 'Error: ImagePullBackOff']),
    );
  });

  it('makes slow-start images Ready only after the configured delay', async () => {
    cluster.objects.create(deployment('slow', 'registry.example/app:slow-start'));
    const runningAt = await waitFor(() => {
      const p = podsOf(cluster, 'slow')[0];
      return p && (containerStatus(p).state as { running?: unknown } | undefined)?.running ? Date.now() : undefined;
    }, { what: 'slow pod running' });
    const first = podsOf(cluster, 'slow')[0] as Obj;
    expect(containerStatus(first).ready).toBe(false);
    const readyAt = await waitFor(() => (containerStatus(podsOf(cluster, 'slow')[0] ?? ({} as Obj)).ready === true ? Date.now() : undefined), { what: 'slow pod ready' });
    expect(readyAt - runningAt).toBeGreaterThanOrEqual(250);
  });

  it('streams logs with follow and shows lines the edge appends', async () => {
    const pod = podsOf(cluster, 'ok')[0] as Obj;
    const chunks: string[] = [];
    const req = httpsRequest(`${cluster.url}/api/v1/namespaces/default/pods/${pod.metadata.name}/log?follow=true`, { ca: cluster.caPem, headers: { authorization: `Bearer ${cluster.token}` } });
    const response = new Promise<void>((resolve) => {
      req.on('response', (res) => {
        res.on('data', (d: Buffer) => chunks.push(d.toString()));
        resolve();
      });
    });
    req.on('error', () => undefined);
    req.end();
    try {
      await response;
      await waitFor(() => chunks.join('').includes('listening on :8080'), { what: 'existing lines' });
      cluster.appendPodLog('default', pod.metadata.name, '10.0.0.9 - GET /healthz 200');
      await waitFor(() => chunks.join('').includes('GET /healthz 200'), { what: 'the appended line' });
    } finally {
      req.destroy();
    }
  });

  it('enforces Pod Security restricted: 403 for pods, FailedCreate and ReplicaFailure for workloads', async () => {
    cluster.objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
    let err: unknown;
    try {
      cluster.objects.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'locked' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(403);
    expect((err as ApiError).message).toBe(
      'pods "bad" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    cluster.objects.create(deployment('insecure', 'nginx', { namespace: 'locked' }));
    const rs = await waitFor(() => {
      const r = (cluster.objects.list<Obj>(RS, { namespace: 'locked', labelSelector: { app: 'insecure' } }))[0];
      return r && condition(r, 'ReplicaFailure') ? r : undefined;
    }, { what: 'ReplicaFailure' });
    expect(condition(rs, 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(String(condition(rs, 'ReplicaFailure')?.message)).toMatch(/^pods "insecure-\w+-" is forbidden: violates PodSecurity "restricted:latest": /);
    const events = cluster.objects.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'locked', fieldSelector: 'reason=FailedCreate' });
    expect(String(events[0]?.message)).toMatch(/^Error creating: pods "insecure-\w+-" is forbidden: violates PodSecurity/);
    await waitFor(() => condition(cluster.objects.get<Obj>({ ...DEPLOY, namespace: 'locked', name: 'insecure' }) as Obj, 'ReplicaFailure')?.status === 'True', { what: 'deployment ReplicaFailure' });
    cluster.objects.create(
      deployment('secure', 'nginx', {
        namespace: 'locked',
        podSpec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: 'app', image: 'nginx', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
        },
      }),
    );
    await waitFor(() => (cluster.objects.get<Obj>({ ...DEPLOY, namespace: 'locked', name: 'secure' }))?.status?.availableReplicas === 1, { what: 'the compliant deployment' });
  });

  it('leaves unschedulable pods Pending with the scheduler message', async () => {
    cluster.objects.create(deployment('nowhere', 'nginx', { podSpec: { nodeSelector: { disk: 'ssd' } } }));
    cluster.objects.create(deployment('huge', 'nginx', { podSpec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '64' } } }] } }));
    const nowhere = await waitFor(() => {
      const p = podsOf(cluster, 'nowhere')[0];
      return p && condition(p, 'PodScheduled')?.reason === 'Unschedulable' ? p : undefined;
    }, { what: 'unschedulable' });
    expect(condition(nowhere, 'PodScheduled')?.message).toBe("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
    const huge = await waitFor(() => {
      const p = podsOf(cluster, 'huge')[0];
      return p && condition(p, 'PodScheduled')?.reason === 'Unschedulable' ? p : undefined;
    }, { what: 'insufficient cpu' });
    expect(condition(huge, 'PodScheduled')?.message).toContain('3 Insufficient cpu');
    // A matching node appears: the pending pod is scheduled onto it.
    const extra = cluster.addNode({ labels: { disk: 'ssd' } });
    await waitFor(() => podsOf(cluster, 'nowhere')[0]?.spec?.nodeName === extra, { what: 'scheduling onto the new node' });
  });

  it('marks pods on a NotReady node not Ready, then evicts them to other nodes', async () => {
    cluster.objects.create(deployment('spread', 'nginx', { replicas: 3 }));
    await waitFor(() => (cluster.objects.get<Obj>({ ...DEPLOY, namespace: 'default', name: 'spread' }))?.status?.availableReplicas === 3, { what: 'spread available' });
    const victimNode = String(podsOf(cluster, 'spread')[0]?.spec?.nodeName);
    const victims = podsOf(cluster, 'spread').filter((p) => p.spec?.nodeName === victimNode).map((p) => p.metadata.name);
    cluster.setNodeReady(victimNode, false);
    const node = cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'Node', name: victimNode }) as Obj;
    expect(condition(node, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' });
    expect((node.spec?.taints as { key: string }[]).map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
    await waitFor(() => podsOf(cluster, 'spread').some((p) => victims.includes(p.metadata.name) && condition(p, 'Ready')?.status === 'False'), { what: 'pods marked not ready' });
    await waitFor(() => {
      const pods = podsOf(cluster, 'spread');
      return pods.length === 3 && pods.every((p) => !victims.includes(p.metadata.name) && p.spec?.nodeName !== victimNode && condition(p, 'Ready')?.status === 'True');
    }, { what: 'eviction and rescheduling' });
    cluster.setNodeReady(victimNode, true);
    expect(condition(cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'Node', name: victimNode }) as Obj, 'Ready')?.status).toBe('True');
  });

  it('reports ProgressDeadlineExceeded for a rollout that cannot progress', async () => {
    cluster.objects.create(deployment('stuck', 'registry.example/app:pull-error', { spec: { progressDeadlineSeconds: 1 } }));
    const d = await waitFor(() => {
      const o = cluster.objects.get<Obj>({ ...DEPLOY, namespace: 'default', name: 'stuck' });
      return o && condition(o, 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? o : undefined;
    }, { timeoutMs: 8000, what: 'ProgressDeadlineExceeded' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'False', message: expect.stringMatching(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/) as unknown });
  });

  it('rolls a Recreate deployment by removing old pods before creating new ones', async () => {
    cluster.objects.create(deployment('recreate', 'nginx:1', { replicas: 2, spec: { strategy: { type: 'Recreate' } } }));
    await waitFor(() => (cluster.objects.get<Obj>({ ...DEPLOY, namespace: 'default', name: 'recreate' }))?.status?.availableReplicas === 2, { what: 'v1 available' });
    const overlap: number[] = [];
    const stop = cluster.objects.watch(POD, () => {
      const images = new Set(podsOf(cluster, 'recreate').map((p) => String(((p.spec?.containers as { image: string }[]) ?? [])[0]?.image)));
      overlap.push(images.size);
    }, { namespace: 'default', labelSelector: { app: 'recreate' }, initial: false });
    try {
      cluster.objects.patch({ ...DEPLOY, namespace: 'default', name: 'recreate' }, { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } } } }, 'strategic');
      await waitFor(() => {
        const o = cluster.objects.get<Obj>({ ...DEPLOY, namespace: 'default', name: 'recreate' }) as Obj;
        return o.status?.observedGeneration === o.metadata.generation && o.status?.updatedReplicas === 2 && o.status.availableReplicas === 2 && o.status.replicas === 2;
      }, { what: 'v2 available' });
    } finally {
      stop();
    }
    expect(overlap.length).toBeGreaterThan(0);
    expect(Math.max(...overlap)).toBe(1);
    expect(podsOf(cluster, 'recreate').map((p) => ((p.spec?.containers as { image: string }[]) ?? [])[0]?.image)).toEqual(['nginx:2', 'nginx:2']);
  });
});
