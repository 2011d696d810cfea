// Fault injection (API down, blackholed, latency, error rate), the control API, restarts on the
// same port, persistence across processes and kubeconfig merging.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMergedKubeconfig, type SimCluster } from '../src/index.ts';
import { startTestCluster } from './helpers/cluster.ts';
import { kubectlFor, kubectlMissing, waitFor } from './helpers/kubectl.ts';

interface Reply {
  status: number;
  body: string;
  ms: number;
}

function call(base: string, cluster: SimCluster, path: string, options: { method?: string; body?: unknown; token?: string; timeoutMs?: number } = {}): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${base}${path}`, {
      method: options.method ?? 'GET',
      ca: cluster.caPem,
      headers: { authorization: `Bearer ${options.token ?? cluster.token}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      agent: false,
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('faults, restarts and persistence', () => {
  let cluster: SimCluster;
  let problems: string[] = [];
  let dir: string;

  beforeAll(async () => {
    ({ cluster, problems } = await startTestCluster({ name: 'faulty', nodes: 2 }));
    dir = await mkdtemp(join(tmpdir(), 'satusky-sim-faults-'));
  });

  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  it('refuses connections while the API is down and keeps the control API answering', async () => {
    const port = cluster.port;
    await cluster.faults.set({ api: 'down' });
    expect(await tcpConnects(port)).toBe(false);
    const faults = await call(cluster.controlUrl, cluster, '/_sim/faults');
    expect(faults.status).toBe(200);
    expect(JSON.parse(faults.body)).toMatchObject({ api: 'down' });
    // Restored over the control API, on the same port.
    const restored = await call(cluster.controlUrl, cluster, '/_sim/faults', { method: 'POST', body: { api: 'ok' } });
    expect(JSON.parse(restored.body)).toMatchObject({ api: 'ok', latencyMs: 0, errorRate: 0 });
    expect(cluster.port).toBe(port);
    expect((await call(cluster.url, cluster, '/api/v1/namespaces')).status).toBe(200);
  });

  it('accepts connections but never answers while blackholed', async () => {
    await cluster.faults.set({ api: 'blackhole' });
    try {
      expect(await tcpConnects(cluster.port)).toBe(true);
      await expect(call(cluster.url, cluster, '/version', { timeoutMs: 300 })).rejects.toThrow(/aborted|timeout/i);
      expect((await call(cluster.controlUrl, cluster, '/_sim/info')).status).toBe(200);
    } finally {
      await cluster.faults.set({ api: 'ok' });
    }
    expect((await call(cluster.url, cluster, '/version')).status).toBe(200);
  });

  it('adds latency and injects errors at the configured rate', async () => {
    await cluster.faults.set({ latencyMs: 120 });
    const slow = await call(cluster.url, cluster, '/api/v1/namespaces/default');
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(110);
    await cluster.faults.set({ latencyMs: 0, errorRate: 1 });
    const failed = await call(cluster.url, cluster, '/api/v1/namespaces/default');
    expect(failed.status).toBe(503);
    expect(JSON.parse(failed.body)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    await cluster.faults.set({ errorRate: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 40 }, () => call(cluster.url, cluster, '/version').then((r) => r.status)));
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    await cluster.faults.set({ errorRate: 0 });
    expect((await call(cluster.url, cluster, '/version')).status).toBe(200);
  });

  it('drives nodes, logs and the request log through the control API', async () => {
    const node = cluster.nodeNames()[0] as string;
    expect((await call(cluster.controlUrl, cluster, `/_sim/nodes/${node}/ready`, { method: 'POST', body: { ready: false } })).status).toBe(200);
    const n = JSON.parse((await call(cluster.url, cluster, `/api/v1/nodes/${node}`)).body) as { status: { conditions: { type: string; status: string }[] } };
    expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('Unknown');
    await call(cluster.controlUrl, cluster, `/_sim/nodes/${node}/ready`, { method: 'POST', body: { ready: true } });
    const added = JSON.parse((await call(cluster.controlUrl, cluster, '/_sim/nodes', { method: 'POST', body: { labels: { pool: 'extra' } } })).body) as { name: string };
    expect(cluster.nodeNames()).toContain(added.name);
    const log = JSON.parse((await call(cluster.controlUrl, cluster, '/_sim/requests?limit=5')).body) as { items: { path: string; status: number }[] };
    expect(log.items.some((r) => r.path === `/api/v1/nodes/${node}` && r.status === 200)).toBe(true);
    expect((await call(cluster.controlUrl, cluster, '/_sim/faults', { token: 'wrong' })).status).toBe(401);
  });

  it('restarts on the same port with state kept; resumed watches get 410 and open ones are closed', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig());
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'survivor' }, data: { a: '1' } } });
    const rvBefore = Number((await core.listNamespacedConfigMap({ namespace: 'default' })).metadata?.resourceVersion);
    let watchEnded = false;
    await new Watch(kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: String(rvBefore) }, () => undefined, () => {
      watchEnded = true;
    });
    await waitFor(() => cluster.requests().some((r) => r.query.includes('watch=true') && r.query.includes(String(rvBefore))), { what: 'the watch' });
    // A change after rvBefore: once the restart drops the watch history, rvBefore is too old.
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'later' } } });
    const port = cluster.port;
    await cluster.restart();
    await waitFor(() => watchEnded, { what: 'the open watch to be closed by the restart' });
    expect(cluster.port).toBe(port);
    expect((await core.readNamespacedConfigMap({ name: 'survivor', namespace: 'default' })).data).toEqual({ a: '1' });
    const events: { type: string; code?: number }[] = [];
    let ended = false;
    await new Watch(kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: String(rvBefore) }, (type, o: { code?: number }) => events.push({ type, ...(o.code ? { code: o.code } : {}) }), () => {
      ended = true;
    });
    await waitFor(() => ended, { what: 'the stale watch to end' });
    expect(events).toEqual([{ type: 'ERROR', code: 410 }]);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-restart' } } });
    expect(Number((await core.listNamespacedConfigMap({ namespace: 'default' })).metadata?.resourceVersion)).toBeGreaterThan(rvBefore);
  });

  it('persists state, TLS material and token in the data directory across processes', async () => {
    const dataDir = join(dir, 'data');
    const first = await startTestCluster({ name: 'durable', nodes: 1, dataDir, persistDebounceMs: 10 });
    first.cluster.objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept', namespace: 'default' }, data: { v: '1' } });
    first.cluster.objects.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'things.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'things', kind: 'Thing' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    await waitFor(() => first.cluster.objects.resourceType({ apiVersion: 'example.com/v1', kind: 'Thing' }), { what: 'CRD established' });
    first.cluster.objects.create({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't1', namespace: 'default' }, spec: { x: 1 } });
    const token = first.cluster.token;
    const ca = first.cluster.caPem;
    const rv = first.cluster.info().resourceVersion;
    await first.cluster.stop();
    const snapshot = await readFile(join(dataDir, 'state.ndjson'), 'utf8');
    expect(snapshot.split('\n')[0]).toContain('"format":"satusky-sim/v1"');

    const second = await startTestCluster({ name: 'durable', nodes: 1, dataDir });
    try {
      expect(second.cluster.token).toBe(token);
      expect(second.cluster.caPem).toBe(ca);
      expect(second.cluster.objects.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'kept', namespace: 'default' })?.data).toEqual({ v: '1' });
      expect(second.cluster.objects.get({ apiVersion: 'example.com/v1', kind: 'Thing', name: 't1', namespace: 'default' })?.spec).toEqual({ x: 1 });
      expect(second.cluster.nodeNames()).toEqual(['durable-node-0']);
      const created = second.cluster.objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'newer', namespace: 'default' } });
      expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(rv);
      expect((await call(second.cluster.url, second.cluster, '/api/v1/namespaces/default/configmaps/kept', { token })).status).toBe(200);
    } finally {
      await second.cluster.stop();
    }
    expect([...first.problems, ...second.problems]).toEqual([]);
  });

  it.skipIf(kubectlMissing)('merges several clusters into one kubeconfig with a context each', async () => {
    const other = await startTestCluster({ name: 'other', nodes: 1 });
    try {
      const path = join(dir, 'merged.kubeconfig');
      await writeMergedKubeconfig(path, [cluster, other.cluster]);
      await writeMergedKubeconfig(path, [other.cluster], { merge: true, contextNames: { other: 'zone-b' }, currentContext: 'faulty' });
      const doc = parse(await readFile(path, 'utf8')) as { contexts: { name: string }[]; 'current-context': string };
      expect(doc.contexts.map((c) => c.name)).toEqual(['faulty', 'other', 'zone-b']);
      expect(doc['current-context']).toBe('faulty');
      const kubectl = kubectlFor(path, join(dir, 'cache'));
      expect(await kubectl.ok(['--context', 'faulty', 'get', 'nodes', '-o', 'name'])).toContain('node/faulty-node-0');
      expect(await kubectl.ok(['--context', 'zone-b', 'get', 'nodes', '-o', 'name'])).toContain('node/other-node-0');
    } finally {
      await other.cluster.stop();
    }
    expect(other.problems).toEqual([]);
  });
});
