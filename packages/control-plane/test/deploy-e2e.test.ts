import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, DeployAccepted, Operation } from '@satusky/contracts';
import { waitFor } from './helpers.ts';
import { startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
const org = () => h.tenant.orgId;
const ns = () => `org-${h.tenant.slug}`;

beforeAll(async () => {
  h = await startHarness({ zones: ['sim-kul-1'] });
});
afterAll(async () => {
  await h?.close();
});

async function deploy(app: string, body: Record<string, unknown>): Promise<DeployAccepted> {
  const response = await h.api<DeployAccepted>('PUT', `/v1/orgs/${org()}/apps/${app}`, body);
  expect(response.status, response.text).toBe(202);
  return response.body;
}

async function events(app: string): Promise<AppEvent[]> {
  return (await h.api<{ items: AppEvent[] }>('GET', `/v1/orgs/${org()}/apps/${app}/events?limit=1000`)).body.items;
}

const sim = () => h.zones[0]!.sim;

describe('deploying into a simulated cluster', () => {
  it('deploys an app that becomes ready, with every object in the org namespace', async () => {
    const accepted = await deploy('web', { image: 'ghcr.io/acme/web:1.0', replicas: 2, health_path: '/health', env: { GREETING: 'hello' } });
    expect(accepted).toMatchObject({ release: 1, generation: 1, changed: true, placement: { zones: [{ zone: 'sim-kul-1' }] } });
    const status = await h.waitForStatus('web', (s) => s.status === 'ready');
    expect(status.clusters[0]).toMatchObject({ zone: 'sim-kul-1', stale: false, replicas: { ready: 2, desired: 2 } });
    for (const condition of status.conditions) expect(condition.status, condition.type).toBe('True');

    const objects = sim().objects;
    const deployment = objects.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name: 'web' });
    expect((deployment?.metadata.labels as Record<string, string> | undefined)?.['app.kubernetes.io/managed-by']).toBe('satusky');
    const namespace = objects.get({ apiVersion: 'v1', kind: 'Namespace', name: ns() });
    expect((namespace?.metadata.labels as Record<string, string> | undefined)?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const route = objects.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns(), name: 'web' });
    expect((route as unknown as { spec: { hostnames: string[] } }).spec.hostnames).toEqual([accepted.hostname]);
    const gateway = objects.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', namespace: 'satusky-system', name: 'satusky-edge' });
    expect(gateway).toBeTruthy();

    const types = (await events('web')).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['ReleaseCreated', 'Applied', 'WorkloadReady']));
  });

  it('answers a repeated identical deploy with "nothing changed" and writes nothing to the cluster', async () => {
    await h.waitForStatus('web', (s) => s.status === 'ready');
    sim().clearRequests();
    const again = await h.api<DeployAccepted>('PUT', `/v1/orgs/${org()}/apps/web`, { image: 'ghcr.io/acme/web:1.0', replicas: 2, health_path: '/health', env: { GREETING: 'hello' } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false, release: 1 });
    // A resync pass happens within this window; it must read, not write.
    await h.cp.controllers!.queueOf(h.zones[0]!.clusterId)!.idle();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const writes = sim().requests().filter((r) => !['GET', 'HEAD'].includes(r.method));
    expect(writes.map((w) => `${w.method} ${w.path} ${w.fieldManager ?? ""}`)).toEqual([]);
  });

  it('fails deploy with the reason when the image cannot be pulled, and rollback restores the previous image', async () => {
    await h.waitForStatus('web', (s) => s.status === 'ready');
    const bad = await deploy('web', { image: 'ghcr.io/acme/web:2.0-pull-error' });
    const failed = await h.waitForStatus('web', (s) => s.status === 'failed' && s.generation === bad.generation);
    expect(failed.message).toContain('ImagePullBackOff');
    expect(failed.clusters[0]!.conditions.find((c) => c.type === 'WorkloadReady')).toMatchObject({ status: 'False', reason: 'ImagePullBackOff' });

    const rolled = await h.api<DeployAccepted>('POST', `/v1/orgs/${org()}/apps/web/rollback`, {});
    expect(rolled.status).toBe(202);
    expect(rolled.body.release).toBe(bad.release + 1);
    const ready = await h.waitForStatus('web', (s) => s.status === 'ready' && s.generation === rolled.body.generation);
    expect(ready.release).toBe(rolled.body.release);
    const deployment = (sim().objects.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name: 'web' })) as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(deployment.spec.template.spec.containers[0]!.image).toBe('ghcr.io/acme/web:1.0');
    const releases = (await h.api<{ items: { version: number; reason: string; rollback_of: number | null; status: string }[] }>('GET', `/v1/orgs/${org()}/apps/web/releases`)).body.items;
    expect(releases[0]).toMatchObject({ reason: 'rollback', rollback_of: 1, status: 'active' });
  });

  it('reports a crash loop as failed within seconds', async () => {
    const accepted = await deploy('crashy', { image: 'ghcr.io/acme/crashy:1-crashloop' });
    const started = Date.now();
    const failed = await h.waitForStatus('crashy', (s) => s.status === 'failed' && s.generation === accepted.generation, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(failed.clusters[0]!.conditions.find((c) => c.type === 'WorkloadReady')!.reason).toBe('CrashLoopBackOff');
    expect((await events('crashy')).some((e) => e.type === 'CrashLoopBackOff' && e.level === 'error')).toBe(true);
  });

  it('rolls pods on a secret change and never shows the value in a response, an event or a log', async () => {
    const value = 'hunter2-canary-secret-value-7f3a';
    const set = await h.api<{ changed: boolean; release: number }>('PATCH', `/v1/orgs/${org()}/apps/web/secrets`, { set: { DB_PASSWORD: value } });
    expect(set.status).toBe(202);
    expect(set.text).not.toContain(value);
    await h.waitForStatus('web', (s) => s.status === 'ready' && s.release === set.body.release);

    const secret = (sim().objects.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns(), name: 'web-secrets' })) as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data.DB_PASSWORD!, 'base64').toString()).toBe(value);
    const pods = sim().objects.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns(), labelSelector: 'app.kubernetes.io/name=web' });
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.every((p) => (p.metadata.annotations as Record<string, string> | undefined)?.['satusky.com/secrets-version'] === '1')).toBe(true);

    const responses = await Promise.all(
      ['', '/status', '/releases', '/secrets', '/env', '/events?limit=1000'].map((suffix) => h.api('GET', `/v1/orgs/${org()}/apps/web${suffix}`)),
    );
    for (const response of responses) expect(response.text).not.toContain(value);
    const audit = await h.api('GET', `/v1/orgs/${org()}/audit?limit=500`);
    expect(audit.text).not.toContain(value);
    expect(h.logs.join('')).not.toContain(value);
  });

  it('restores an object deleted by hand and says so', async () => {
    await h.waitForStatus('web', (s) => s.status === 'ready');
    sim().objects.delete({ apiVersion: 'v1', kind: 'Service', namespace: ns(), name: 'web' });
    await waitFor(() => sim().objects.get({ apiVersion: 'v1', kind: 'Service', namespace: ns(), name: 'web' }), { timeoutMs: 10_000, message: 'service restored' });
    await waitFor(async () => (await events('web')).some((e) => e.type === 'DriftCorrected' && e.message.includes('Service/web')), {
      timeoutMs: 10_000,
      message: 'DriftCorrected event',
    });
  });

  it('turns a blackholed cluster Unknown, never ready, and recovers when it answers again', async () => {
    await h.waitForStatus('web', (s) => s.status === 'ready');
    await sim().faults.set({ api: 'blackhole' });
    try {
      // Unknown comes first (the API stops answering); the observation turns stale once the
      // cluster has been silent for longer than the stale bound.
      const unknown = await h.waitForStatus('web', (s) => s.status === 'unknown' && s.clusters[0]?.stale === true, { timeoutMs: 15_000 });
      expect(unknown.clusters[0]).toMatchObject({ stale: true });
      expect(unknown.clusters[0]!.conditions.find((c) => c.type === 'WorkloadReady')).toMatchObject({ status: 'Unknown', reason: 'ClusterStale' });
      const zones = (await h.api<{ items: { zone: string; status: string }[] }>('GET', `/v1/orgs/${org()}/zones`)).body.items;
      expect(zones.find((z) => z.zone === 'sim-kul-1')!.status).toBe('unavailable');
    } finally {
      await sim().faults.set({ api: 'ok' });
    }
    await h.waitForStatus('web', (s) => s.status === 'ready', { timeoutMs: 20_000 });
  });

  it('deletes an app and reports what was removed and the volume that remains', async () => {
    await deploy('stateful', { image: 'ghcr.io/acme/db:1', volumes: [{ name: 'data', size: '1Gi', mount_path: '/data' }] });
    await h.waitForStatus('stateful', (s) => s.status === 'ready');
    const started = await h.api<Operation>('DELETE', `/v1/orgs/${org()}/apps/stateful`);
    expect(started.status).toBe(202);
    const done = await waitFor(
      async () => {
        const op = (await h.api<Operation>('GET', started.body.status_url)).body;
        return op.state === 'succeeded' ? op : null;
      },
      { timeoutMs: 15_000, message: 'delete operation' },
    );
    const zone = done.result.clusters[0]!;
    expect(zone.state).toBe('done');
    expect(zone.removed).toEqual(expect.arrayContaining(['Deployment/stateful', 'Service/stateful', 'HTTPRoute/stateful']));
    expect(zone.remaining).toEqual([{ object: 'PersistentVolumeClaim/stateful-data', reason: expect.stringContaining('retained volume') }]);
    expect(sim().objects.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name: 'stateful' })).toBeFalsy();
    expect(sim().objects.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns(), name: 'stateful-data' })).toBeTruthy();
    expect((await h.api('GET', `/v1/orgs/${org()}/apps/stateful`)).status).toBe(404);
  });
});
