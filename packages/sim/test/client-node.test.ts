// Acceptance (kube-sim-spec §16, client-node): @kubernetes/client-node 2 typed and generic
// clients, watches and informers (including a forced 410 Gone), health and authentication.

import {
  ApiException,
  CoreV1Api,
  Health,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimCluster } from '../src/index.ts';
import { startTestCluster } from './helpers/cluster.ts';
import { waitFor } from './helpers/kubectl.ts';

function configFor(cluster: SimCluster, token?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig());
  if (token !== undefined) {
    const user = kc.getCurrentUser();
    if (user) (user as { token?: string }).token = token;
  }
  return kc;
}

async function apiError(p: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('@kubernetes/client-node 2 against the simulator', () => {
  let cluster: SimCluster;
  let problems: string[] = [];
  let kc: KubeConfig;
  let core: CoreV1Api;
  let objects: KubernetesObjectApi;

  beforeAll(async () => {
    ({ cluster, problems } = await startTestCluster({ name: 'client', nodes: 1, port: 0 }));
    kc = configFor(cluster);
    core = kc.makeApiClient(CoreV1Api);
    objects = KubernetesObjectApi.makeApiClient(kc);
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(problems).toEqual([]);
  });

  it('reports readiness through /readyz', async () => {
    expect(await new Health(kc).readyz({})).toBe(true);
  });

  it('answers a wrong bearer token with 401 Unauthorized', async () => {
    const bad = configFor(cluster, 'not-the-token').makeApiClient(CoreV1Api);
    const err = await apiError(bad.listNamespace());
    expect(err.code).toBe(401);
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(`${cluster.url}/api/v1/namespaces`, { ca: cluster.caPem, headers: { authorization: 'Bearer not-the-token' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(raw.status).toBe(401);
    expect(JSON.parse(raw.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });

  it('creates, reads, lists and deletes with the typed client; a duplicate create is a 409', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'typed', labels: { t: '1' } }, data: { a: '1' } } });
    expect(created.kind).toBe('ConfigMap');
    expect(created.apiVersion).toBe('v1');
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    const dup = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'typed' } } }));
    expect(dup.code).toBe(409);
    expect(JSON.parse(String(dup.body))).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "typed" already exists', details: { name: 'typed', kind: 'configmaps' } });
    const read = await core.readNamespacedConfigMap({ name: 'typed', namespace: 'default' });
    expect(read.data).toEqual({ a: '1' });
    const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 't=1' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['typed']);
    await core.deleteNamespacedConfigMap({ name: 'typed', namespace: 'default' });
    const missing = await apiError(core.readNamespacedConfigMap({ name: 'typed', namespace: 'default' }));
    expect(missing.code).toBe(404);
  });

  it('refuses annotations larger than 256 KiB in total with 422', async () => {
    const err = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'huge', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(300_000) } } } }));
    expect(err.code).toBe(422);
    expect(JSON.parse(String(err.body))).toMatchObject({
      reason: 'Invalid',
      message: 'ConfigMap "huge" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
      details: { name: 'huge', kind: 'ConfigMap', causes: [{ type: 'FieldValueTooLong', field: 'metadata.annotations' }] },
    });
  });

  it('patches with the default JSON patch and with a merge-patch header override', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'patched' }, data: { a: '1' } } });
    const jsonPatched = await core.patchNamespacedConfigMap({ name: 'patched', namespace: 'default', body: [{ op: 'add', path: '/data/b', value: '2' }] });
    expect(jsonPatched.data).toEqual({ a: '1', b: '2' });
    const merged = await core.patchNamespacedConfigMap(
      { name: 'patched', namespace: 'default', body: { data: { a: null, c: '3' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ b: '2', c: '3' });
    const types = cluster.requests().filter((r) => r.method === 'PATCH' && r.path.endsWith('/configmaps/patched')).map((r) => r.contentType);
    expect(types).toEqual(['application/json-patch+json', 'application/merge-patch+json']);
  });

  it('server-side applies with KubernetesObjectApi: 201 on create, 200 on update', async () => {
    const spec: KubernetesObject & { data: Record<string, string> } = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: 'default' }, data: { x: '1' } };
    const first = (await objects.patch(spec, undefined, undefined, 'my-manager', true, PatchStrategy.ServerSideApply)) as V1ConfigMap;
    expect(first.data).toEqual({ x: '1' });
    const second = (await objects.patch({ ...spec, data: { x: '2' } }, undefined, undefined, 'my-manager', true, PatchStrategy.ServerSideApply)) as V1ConfigMap;
    expect(second.data).toEqual({ x: '2' });
    expect(second.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['my-manager', 'Apply']]);
    const statuses = cluster.requests().filter((r) => r.method === 'PATCH' && r.path.endsWith('/configmaps/ssa')).map((r) => r.status);
    expect(statuses).toEqual([201, 200]);
    const read = await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: 'default' } });
    expect(read.metadata?.name).toBe('ssa');
    const listed = await objects.list('v1', 'ConfigMap', 'default');
    expect(listed.items.map((i) => i.metadata?.name)).toContain('ssa');
  });

  it('rejects the default strategic merge patch on a custom resource with 415', async () => {
    const issuer = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'smp', namespace: 'default' }, spec: { selfSigned: {} } };
    await objects.create(issuer);
    const err = await apiError(objects.patch({ ...issuer, metadata: { ...issuer.metadata, labels: { a: 'b' } } }));
    expect(err.code).toBe(415);
    expect(JSON.parse(String(err.body))).toMatchObject({ reason: 'UnsupportedMediaType' });
    const ok = await objects.patch({ ...issuer, metadata: { ...issuer.metadata, labels: { a: 'b' } } }, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    expect(ok.metadata?.labels).toEqual({ a: 'b' });
  });

  it('watches ADDED, MODIFIED and DELETED in order', async () => {
    const events: string[] = [];
    const watch = new Watch(kc);
    const ctl = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { fieldSelector: 'metadata.name=watched' },
      (type, obj: V1ConfigMap) => events.push(`${type}:${obj.data?.v ?? ''}`),
      () => undefined,
    );
    try {
      await waitFor(() => cluster.requests().some((r) => r.query.includes('watch=true') && r.query.includes('watched')), { what: 'the watch' });
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap({ name: 'watched', namespace: 'default', body: [{ op: 'replace', path: '/data/v', value: '2' }] });
      await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'default' });
      await waitFor(() => events.length >= 3, { what: 'three events' });
      expect(events).toEqual(['ADDED:1', 'MODIFIED:2', 'DELETED:2']);
    } finally {
      ctl.abort();
    }
  });

  it('sends ERROR 410 Expired to a watch resuming from a compacted resourceVersion', async () => {
    const before = (await core.listNamespacedConfigMap({ namespace: 'default' })).metadata?.resourceVersion ?? '0';
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'bump' } } });
    cluster.expireWatches();
    const got: { type: string; code?: number }[] = [];
    let ended = false;
    await new Watch(kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: before }, (type, obj: { code?: number }) => got.push({ type, ...(obj.code ? { code: obj.code } : {}) }), () => {
      ended = true;
    });
    await waitFor(() => ended, { what: 'the watch to end' });
    expect(got).toEqual([{ type: 'ERROR', code: 410 }]);
  });

  it('sends initial events and the initial-events-end bookmark for WatchList requests', async () => {
    await core.createNamespace({ body: { metadata: { name: 'wl' } } });
    await core.createNamespacedConfigMap({ namespace: 'wl', body: { metadata: { name: 'a' } } });
    const got: { type: string; name?: string; annotations?: Record<string, string> }[] = [];
    const ctl = await new Watch(kc).watch(
      '/api/v1/namespaces/wl/configmaps',
      { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true },
      (type, o: V1ConfigMap) => got.push({ type, ...(o.metadata?.name ? { name: o.metadata.name } : {}), ...(o.metadata?.annotations ? { annotations: o.metadata.annotations } : {}) }),
      () => undefined,
    );
    try {
      await waitFor(() => got.some((e) => e.type === 'BOOKMARK'), { what: 'the bookmark' });
      expect(got.map((e) => `${e.type}:${e.name ?? ''}`)).toEqual(['ADDED:a', 'ADDED:kube-root-ca.crt', 'BOOKMARK:']);
      expect(got[2]?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    } finally {
      ctl.abort();
    }
  });

  it('deletes a collection by label selector', async () => {
    for (const name of ['dc-1', 'dc-2', 'keep']) {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, labels: { group: name === 'keep' ? 'no' : 'yes' } } } });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'default', labelSelector: 'group=yes' });
    const left = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'group' });
    expect(left.items.map((i) => i.metadata?.name)).toEqual(['keep']);
  });

  it('pages lists with limit and continue', async () => {
    await core.createNamespace({ body: { metadata: { name: 'paged' } } });
    for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: 'paged', body: { metadata: { name: `p${i}`, labels: { paged: 'yes' } } } });
    const first = await core.listNamespacedConfigMap({ namespace: 'paged', labelSelector: 'paged=yes', limit: 2 });
    expect(first.items.map((i) => i.metadata?.name)).toEqual(['p0', 'p1']);
    expect(first.metadata?.remainingItemCount).toBe(3);
    const second = await core.listNamespacedConfigMap({ namespace: 'paged', labelSelector: 'paged=yes', limit: 2, _continue: first.metadata?._continue ?? '' });
    expect(second.items.map((i) => i.metadata?.name)).toEqual(['p2', 'p3']);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
  });

  it('keeps an informer in sync through add, update, delete and a forced 410 relist', async () => {
    const path = '/api/v1/namespaces/inf/configmaps';
    await core.createNamespace({ body: { metadata: { name: 'inf' } } });
    const informer = makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: 'inf' }));
    const seen: string[] = [];
    informer.on('add', (o: V1ConfigMap) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o: V1ConfigMap) => seen.push(`update:${o.metadata?.name}:${o.data?.v ?? ''}`));
    informer.on('delete', (o: V1ConfigMap) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    try {
      await waitFor(() => seen.includes('add:kube-root-ca.crt'), { what: 'the initial list' });
      await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'one' }, data: { v: '1' } } });
      await waitFor(() => seen.includes('add:one'), { what: 'add' });
      await core.patchNamespacedConfigMap({ name: 'one', namespace: 'inf', body: [{ op: 'replace', path: '/data/v', value: '2' }] });
      await waitFor(() => seen.includes('update:one:2'), { what: 'update' });
      const lists = (): number => cluster.requests().filter((r) => r.path === path && !r.query.includes('watch=true')).length;
      const listsBefore = lists();
      // Expire the watch (ERROR 410 in the stream): the informer must relist and keep going.
      cluster.expireWatches();
      await waitFor(() => lists() > listsBefore, { what: 'the relist after 410' });
      await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'two' }, data: { v: '1' } } });
      await core.deleteNamespacedConfigMap({ name: 'one', namespace: 'inf' });
      await waitFor(() => seen.includes('add:two') && seen.includes('delete:one'), { what: 'events after the relist' });
      expect(informer.list('inf').map((o) => o.metadata?.name).sort()).toEqual(['kube-root-ca.crt', 'two']);
    } finally {
      await informer.stop();
    }
  });
});
