import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, DeployAccepted } from '@satusky/contracts';
import type { KubeObject, ObjectRef, SimCluster } from '@satusky/sim';
import { waitFor } from '../helpers.ts';
import { startHarness, type Harness } from '../sim-harness.ts';
import { percentile, reportFigures, round, SEED, seededRandom, sized } from './suite.ts';

/**
 * Out-of-band changes in a cluster — an object edited or deleted by hand, behind the control plane's
 * back — are restored, and the app's timeline says so with a DriftCorrected event naming the object.
 * deploy-e2e.test.ts covers one case (a Service deleted); this suite covers a catalogue of edits and
 * deletions of every kind an app and its namespace consist of, including the namespace's security
 * objects (network policies, quota, Pod Security labels). Bars: app objects restored within 2×
 * resync, security objects within 1 resync (plus the time to process it). Short: the catalogue once
 * (a subset); full: 50 mutations drawn at random (seeded) from the whole catalogue.
 */
const RESYNC_MS = 3_000;
const ZONE = 'drift-1';
const APP = 'web';

let h: Harness;
let ns: string;
const sim = (): SimCluster => h.zones[0]!.sim;

interface Mutation {
  name: string;
  /** App objects are watched (drift is noticed at once); namespace objects are re-checked every resync. */
  scope: 'app' | 'namespace';
  ref: () => ObjectRef;
  mutate(s: SimCluster): void;
  /** True once the live object is back as the control plane wants it. */
  restored(live: KubeObject | undefined, before: KubeObject): boolean;
  /** Only in full runs (the short run takes one of each kind). */
  fullOnly?: boolean;
}

const at = (o: unknown, ...keys: (string | number)[]): unknown => keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const exists = (live: KubeObject | undefined, before: KubeObject) => !!live && same(at(live, 'spec') ?? at(live, 'data'), at(before, 'spec') ?? at(before, 'data'));
const kubectl = { fieldManager: 'kubectl-edit' };

const app = (apiVersion: string, kind: string, name = APP) => () => ({ apiVersion, kind, namespace: ns, name });
const DEPLOYMENT = app('apps/v1', 'Deployment');
const CONFIGMAP = app('v1', 'ConfigMap', `${APP}-env`);
const SECRET = app('v1', 'Secret', `${APP}-secrets`);
const SERVICE = app('v1', 'Service');
const ROUTE = app('gateway.networking.k8s.io/v1', 'HTTPRoute');
const PDB = app('policy/v1', 'PodDisruptionBudget');
const nsObject = (apiVersion: string, kind: string, name: string) => () => ({ apiVersion, kind, namespace: ns, name });

const CATALOGUE: Mutation[] = [
  {
    name: 'Deployment image changed',
    scope: 'app',
    ref: DEPLOYMENT,
    mutate: (s) => s.objects.patch(DEPLOYMENT(), { spec: { template: { spec: { containers: [{ name: APP, image: 'evil.example/miner:latest' }] } } } }, 'strategic', kubectl),
    restored: (live, before) => same(at(live, 'spec', 'template', 'spec', 'containers', 0, 'image'), at(before, 'spec', 'template', 'spec', 'containers', 0, 'image')),
  },
  {
    name: 'Deployment scaled by hand',
    scope: 'app',
    ref: DEPLOYMENT,
    mutate: (s) => s.objects.patch(DEPLOYMENT(), { spec: { replicas: 7 } }, 'merge', kubectl),
    restored: (live, before) => at(live, 'spec', 'replicas') === at(before, 'spec', 'replicas'),
  },
  {
    name: 'Deployment managed-by label removed',
    scope: 'app',
    ref: DEPLOYMENT,
    mutate: (s) => s.objects.patch(DEPLOYMENT(), { metadata: { labels: { 'app.kubernetes.io/managed-by': null } } }, 'merge', kubectl),
    restored: (live) => at(live, 'metadata', 'labels', 'app.kubernetes.io/managed-by') === 'satusky',
    fullOnly: true,
  },
  {
    name: 'Deployment deleted',
    scope: 'app',
    ref: DEPLOYMENT,
    mutate: (s) => s.objects.delete(DEPLOYMENT()),
    restored: (live, before) => !!live && same(at(live, 'spec', 'template', 'spec', 'containers'), at(before, 'spec', 'template', 'spec', 'containers')),
    fullOnly: true,
  },
  {
    name: 'ConfigMap (environment) edited',
    scope: 'app',
    ref: CONFIGMAP,
    mutate: (s) => s.objects.patch(CONFIGMAP(), { data: { GREETING: 'tampered', EXTRA: 'injected' } }, 'merge', kubectl),
    // The injected key goes too: the app reads the ConfigMap whole (envFrom).
    restored: (live, before) => at(live, 'data', 'GREETING') === at(before, 'data', 'GREETING') && at(live, 'data', 'EXTRA') === undefined,
  },
  { name: 'ConfigMap deleted', scope: 'app', ref: CONFIGMAP, mutate: (s) => s.objects.delete(CONFIGMAP()), restored: exists, fullOnly: true },
  {
    name: 'Secret value replaced',
    scope: 'app',
    ref: SECRET,
    mutate: (s) => s.objects.patch(SECRET(), { data: { DB_PASSWORD: Buffer.from('tampered').toString('base64') } }, 'merge', kubectl),
    restored: (live, before) => at(live, 'data', 'DB_PASSWORD') === at(before, 'data', 'DB_PASSWORD'),
    fullOnly: true,
  },
  { name: 'Secret deleted', scope: 'app', ref: SECRET, mutate: (s) => s.objects.delete(SECRET()), restored: (live, before) => !!live && same(at(live, 'data'), at(before, 'data')) },
  {
    name: 'Service port changed',
    scope: 'app',
    ref: SERVICE,
    mutate: (s) => s.objects.patch(SERVICE(), { spec: { ports: [{ name: 'http', port: 81, targetPort: 9999, protocol: 'TCP' }] } }, 'merge', kubectl),
    restored: (live, before) => same(at(live, 'spec', 'ports', 0, 'targetPort'), at(before, 'spec', 'ports', 0, 'targetPort')) && same(at(live, 'spec', 'ports', 0, 'port'), at(before, 'spec', 'ports', 0, 'port')),
  },
  { name: 'Service deleted', scope: 'app', ref: SERVICE, mutate: (s) => s.objects.delete(SERVICE()), restored: (live) => !!live, fullOnly: true },
  {
    name: 'HTTPRoute hostnames changed',
    scope: 'app',
    ref: ROUTE,
    mutate: (s) => s.objects.patch(ROUTE(), { spec: { hostnames: ['hijacked.example.com'] } }, 'merge', kubectl),
    restored: (live, before) => same(at(live, 'spec', 'hostnames'), at(before, 'spec', 'hostnames')),
    fullOnly: true,
  },
  { name: 'HTTPRoute deleted', scope: 'app', ref: ROUTE, mutate: (s) => s.objects.delete(ROUTE()), restored: (live, before) => !!live && same(at(live, 'spec', 'hostnames'), at(before, 'spec', 'hostnames')) },
  { name: 'PodDisruptionBudget deleted', scope: 'app', ref: PDB, mutate: (s) => s.objects.delete(PDB()), restored: exists },
  {
    name: 'NetworkPolicy default-deny deleted',
    scope: 'namespace',
    ref: nsObject('networking.k8s.io/v1', 'NetworkPolicy', 'default-deny'),
    mutate: (s) => s.objects.delete(nsObject('networking.k8s.io/v1', 'NetworkPolicy', 'default-deny')()),
    restored: exists,
  },
  {
    name: 'NetworkPolicy allow-same-namespace opened to every namespace',
    scope: 'namespace',
    ref: nsObject('networking.k8s.io/v1', 'NetworkPolicy', 'allow-same-namespace'),
    mutate: (s) =>
      s.objects.patch(nsObject('networking.k8s.io/v1', 'NetworkPolicy', 'allow-same-namespace')(), { spec: { ingress: [{ from: [{ namespaceSelector: {} }] }] } }, 'merge', kubectl),
    restored: exists,
    fullOnly: true,
  },
  {
    name: 'ResourceQuota raised',
    scope: 'namespace',
    ref: nsObject('v1', 'ResourceQuota', 'org-quota'),
    mutate: (s) => s.objects.patch(nsObject('v1', 'ResourceQuota', 'org-quota')(), { spec: { hard: { pods: '100000', 'services.nodeports': '50' } } }, 'merge', kubectl),
    restored: (live, before) => same(at(live, 'spec', 'hard'), at(before, 'spec', 'hard')),
    fullOnly: true,
  },
  {
    name: 'LimitRange deleted',
    scope: 'namespace',
    ref: nsObject('v1', 'LimitRange', 'org-defaults'),
    mutate: (s) => s.objects.delete(nsObject('v1', 'LimitRange', 'org-defaults')()),
    restored: exists,
    fullOnly: true,
  },
  {
    name: 'Namespace Pod Security label relaxed',
    scope: 'namespace',
    ref: () => ({ apiVersion: 'v1', kind: 'Namespace', name: ns }),
    mutate: (s) => s.objects.patch({ apiVersion: 'v1', kind: 'Namespace', name: ns }, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } }, 'merge', kubectl),
    restored: (live) => at(live, 'metadata', 'labels', 'pod-security.kubernetes.io/enforce') === 'restricted',
  },
];

beforeAll(async () => {
  h = await startHarness({ zones: [ZONE], controllers: { resyncIntervalMs: RESYNC_MS, probeTimeoutMs: 2_000 } });
  ns = `org-${h.tenant.slug}`;
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function events(): Promise<AppEvent[]> {
  return (await h.api<{ items: AppEvent[] }>('GET', `/v1/orgs/${h.tenant.orgId}/apps/${APP}/events?limit=1000`)).body.items;
}

describe('drift in a cluster', () => {
  it('restores every object changed or deleted by hand, and records DriftCorrected', async () => {
    const started = Date.now();
    const deployed = await h.api<DeployAccepted>('PUT', `/v1/orgs/${h.tenant.orgId}/apps/${APP}`, {
      image: 'ghcr.io/acme/web:1.0',
      replicas: 2,
      env: { GREETING: 'hello' },
      required_secrets: ['DB_PASSWORD'],
      pdb: { enabled: true },
    });
    expect(deployed.status, deployed.text).toBe(202);
    const secrets = await h.api('PATCH', `/v1/orgs/${h.tenant.orgId}/apps/${APP}/secrets`, { set: { DB_PASSWORD: 'correct-horse' } });
    expect(secrets.status, secrets.text).toBe(202);
    const initial = await h.waitForStatus(APP, (s) => s.status === 'ready' && s.release === 2, { timeoutMs: 30_000 });

    const random = seededRandom(SEED);
    const plan = sized(
      CATALOGUE.filter((m) => !m.fullOnly),
      Array.from({ length: 50 }, () => CATALOGUE[Math.floor(random() * CATALOGUE.length)]!),
    );
    const results: { name: string; scope: string; restoredMs: number; event: boolean }[] = [];
    for (const mutation of plan) {
      const ref = mutation.ref();
      // Settled first: the object is as wanted (a previous restore may still be in flight).
      const before = await waitFor(() => sim().objects.get(ref), { timeoutMs: 10_000, message: `${ref.kind}/${ref.name} present` });
      await h.cp.controllers!.queueOf(h.zones[0]!.clusterId)!.idle();
      const lastEvent = Math.max(0, ...(await events()).map((e) => e.id));
      const mutatedAt = Date.now();
      mutation.mutate(sim());
      await waitFor(() => mutation.restored(sim().objects.get(ref), before), {
        timeoutMs: (mutation.scope === 'namespace' ? 1 : 2) * RESYNC_MS + 10_000,
        intervalMs: 20,
        message: `${mutation.name}: restored`,
      });
      const restoredMs = Date.now() - mutatedAt;
      // The timeline names the object it restored.
      const named = `${ref.kind}/${ref.name}`;
      const event = await waitFor(
        async () => (await events()).find((e) => e.id > lastEvent && e.type === 'DriftCorrected' && e.message.includes(named)) ?? null,
        { timeoutMs: 5_000, intervalMs: 50, message: `${mutation.name}: DriftCorrected naming ${named}` },
      ).catch(() => null);
      results.push({ name: mutation.name, scope: mutation.scope, restoredMs, event: event !== null });
    }
    // Everything ends where it started: the app is ready at the generation it had, and
    // the restores are final: a whole resync later nothing is written again (no apply loop).
    const status = await h.waitForStatus(APP, (s) => s.status === 'ready', { timeoutMs: 30_000 });
    expect(status.generation).toBe(initial.generation);
    await h.cp.controllers!.queueOf(h.zones[0]!.clusterId)!.idle();
    sim().clearRequests();
    const driftEvents = (await events()).filter((e) => e.type === 'DriftCorrected').length;
    await new Promise((resolve) => setTimeout(resolve, RESYNC_MS + 1_000));
    await h.cp.controllers!.queueOf(h.zones[0]!.clusterId)!.idle();
    const writesAfter = sim().requests().filter((r) => !['GET', 'HEAD'].includes(r.method)).map((r) => `${r.method} ${r.path}`);
    const eventsAfter = (await events()).filter((e) => e.type === 'DriftCorrected').length - driftEvents;

    const appTimes = results.filter((r) => r.scope === 'app').map((r) => r.restoredMs);
    const nsTimes = results.filter((r) => r.scope === 'namespace').map((r) => r.restoredMs);
    reportFigures('drift', {
      seed: SEED,
      mutations: results.length,
      kinds: new Set(results.map((r) => r.name)).size,
      restored: results.length,
      resync_ms: RESYNC_MS,
      app_objects_restored_ms: { p50: percentile(appTimes, 50), p95: percentile(appTimes, 95), max: Math.max(0, ...appTimes), n: appTimes.length },
      namespace_objects_restored_ms: { p50: percentile(nsTimes, 50), p95: percentile(nsTimes, 95), max: Math.max(0, ...nsTimes), n: nsTimes.length },
      without_drift_event: results.filter((r) => !r.event).map((r) => r.name),
      writes_in_the_resync_after: writesAfter.length,
      duration_s: round((Date.now() - started) / 1000),
    });
    // Bars: app objects within 2 resyncs, namespace security objects within one (plus processing).
    expect(Math.max(0, ...appTimes)).toBeLessThanOrEqual(2 * RESYNC_MS);
    expect(Math.max(0, ...nsTimes)).toBeLessThanOrEqual(RESYNC_MS + 1_500);
    expect(results.filter((r) => !r.event).map((r) => r.name)).toEqual([]);
    expect(writesAfter).toEqual([]);
    expect(eventsAfter).toBe(0);
  }, sized(120_000, 400_000));
});
