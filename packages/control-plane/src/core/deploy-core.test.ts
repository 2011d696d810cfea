import { describe, expect, it } from 'vitest';
import { Certificate, ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { Gateway, HTTPRoute, ListenerSet } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, LimitRange, Namespace, PersistentVolumeClaim, ResourceQuota, Secret, Service } from 'kubernetes-models/v1';
import type { AppSpec, DeployBody, Placement } from '@satusky/contracts';
import { DEFAULT_SPEC, resolveAppSpec, sameSpec } from './app-spec.ts';
import { APPLIED_HASH_ANNOTATION, extraDataKeys, isSubset, needsApply, withAppliedHash } from './drift.ts';
import { AppError } from './errors.ts';
import { parseImage } from './image.ts';
import { observeWorkload } from './observe.ts';
import { resolvePlacement, type ZoneOption } from './placement.ts';
import { canonicalCpu, canonicalMemory, parseBinaryQuantity, parseCpu } from './quantity.ts';
import { ANNOTATIONS, LABELS, renderAcmeIssuer, renderApp, renderEdgeGateway, renderNamespace, type KubeObject, type RenderInput } from './render.ts';
import { aggregateStatus, type AggregateInput, type ObservationFact, type TargetFact } from './status.ts';

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('image references', () => {
  it.each([
    ['nginx', { registry: null, repository: 'nginx', tag: null }],
    ['nginx:1.27', { registry: null, repository: 'nginx', tag: '1.27' }],
    ['library/nginx:latest', { registry: null, repository: 'library/nginx', tag: 'latest' }],
    ['ghcr.io/acme/api:1.4.2', { registry: 'ghcr.io', repository: 'acme/api', tag: '1.4.2' }],
    ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app', tag: null }],
    ['registry.example.com:443/team/app:v1-crashloop', { registry: 'registry.example.com:443', repository: 'team/app', tag: 'v1-crashloop' }],
  ])('parses %s', (reference, expected) => {
    expect(parseImage(reference)).toMatchObject(expected);
  });

  it('parses digests', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImage(`ghcr.io/acme/api@${digest}`)).toMatchObject({ digest, tag: null });
  });

  it.each(['', 'UPPER/case', 'nginx:', ':tag', 'a b', 'nginx:-bad', 'ghcr.io//api', `nginx:${'t'.repeat(129)}`, 'Library/nginx', 'x@sha256:short'])(
    'rejects %j',
    (reference) => {
      expect(parseImage(reference)).toBeNull();
    },
  );
});

describe('quantities', () => {
  it('parses and canonicalises CPU and memory the way the API server stores them', () => {
    expect(parseCpu('250m')).toBe(250);
    expect(parseCpu('0.5')).toBe(500);
    expect(parseCpu('2')).toBe(2000);
    expect(parseCpu('1.5x')).toBeNull();
    expect(canonicalCpu('0.5')).toBe('500m');
    expect(canonicalCpu('1000m')).toBe('1');
    expect(parseBinaryQuantity('256Mi')).toBe(256 * 2 ** 20);
    expect(canonicalMemory('1024Mi')).toBe('1Gi');
    expect(canonicalMemory('1536Mi')).toBe('1536Mi');
  });
});

describe('resolving a deploy intent into a release spec', () => {
  it('fills defaults on a first deploy', () => {
    expect(resolveAppSpec({ image: 'nginx:1.27' }, null)).toEqual({ ...DEFAULT_SPEC, image: 'nginx:1.27' });
  });

  it('keeps absent fields from the current release and merges env', () => {
    const current: AppSpec = { ...DEFAULT_SPEC, image: 'a:1', port: 3000, env: { A: '1', B: '2' }, replicas: 3 };
    const next = resolveAppSpec({ image: 'a:2', env: { B: 'changed', C: '3' } }, current);
    expect(next).toMatchObject({ image: 'a:2', port: 3000, replicas: 3, env: { A: '1', B: 'changed', C: '3' } });
  });

  it('treats replicas 0 as the default and turns on a disruption budget for several replicas', () => {
    expect(resolveAppSpec({ image: 'a:1', replicas: 0 }, null).replicas).toBe(1);
    expect(resolveAppSpec({ image: 'a:1', replicas: 3 }, null).pdb).toEqual({ min_available: 1 });
    expect(resolveAppSpec({ image: 'a:1', replicas: 3, pdb: { enabled: false } }, null).pdb).toBeNull();
    expect(resolveAppSpec({ image: 'a:1', replicas: 3, pdb: { enabled: true, type: 'percent', percent: 25 } }, null).pdb).toEqual({
      max_unavailable_percent: 25,
    });
  });

  it.each([
    [{ image: 'NOT VALID' }, 'SATUSKY_INVALID_IMAGE'],
    [{ image: 'a:1', cpu_request: '2', cpu_limit: '1' }, 'SATUSKY_INVALID_RESOURCES'],
    [{ image: 'a:1', cpu_limit: '32' }, 'SATUSKY_INVALID_RESOURCES'],
    [{ image: 'a:1', memory: '8Mi' }, 'SATUSKY_INVALID_RESOURCES'],
    [{ image: 'a:1', memory: '128Gi' }, 'SATUSKY_INVALID_RESOURCES'],
    [{ image: 'a:1', hpa: { enabled: true, min_replicas: 5, max_replicas: 2 } }, 'SATUSKY_INVALID_INPUT'],
    [{ image: 'a:1', replicas: 2, pdb: { enabled: true, type: 'fixed', min_available: 2 } }, 'SATUSKY_INVALID_INPUT'],
    [{ image: 'a:1', probes: { readiness: {} } }, 'SATUSKY_INVALID_INPUT'],
    [{ image: 'a:1', probes: { readiness: { http_get: { path: '/' }, tcp_socket: {} } } }, 'SATUSKY_INVALID_INPUT'],
    [{ image: 'a:1', volumes: [{ name: 'd', size: '1Gi', mount_path: '/d' }, { name: 'd', size: '1Gi', mount_path: '/e' }] }, 'SATUSKY_INVALID_INPUT'],
    [{ image: 'a:1', volumes: [{ name: 'd', size: '1Gi', mount_path: '/' }] }, 'SATUSKY_INVALID_INPUT'],
    [{ image: 'a:1', wait_for: ['db:70000'] }, 'SATUSKY_INVALID_INPUT'],
    [{ image: 'a:1', env: { SATUSKY_ZONE: 'x' } }, 'SATUSKY_INVALID_INPUT'],
    [{ image: 'a:1', env: { DB_URL: 'x' }, required_secrets: ['DB_URL'] }, 'SATUSKY_INVALID_INPUT'],
  ])('refuses %j with %s', (body, code) => {
    expect(errorCode(() => resolveAppSpec(body as DeployBody, null))).toBe(code);
  });

  it('compares specs by content, not key order', () => {
    const a = resolveAppSpec({ image: 'a:1', env: { X: '1', Y: '2' } }, null);
    const b = resolveAppSpec({ image: 'a:1', env: { Y: '2', X: '1' } }, null);
    expect(sameSpec(a, b)).toBe(true);
    expect(sameSpec(a, { ...b, replicas: 2 })).toBe(false);
  });
});

describe('placement', () => {
  const zones: ZoneOption[] = [
    { clusterId: 'c1', cluster: 'kul', zone: 'kul-1', priority: 10, isDefault: false, labels: {}, available: true, reason: 'available' },
    { clusterId: 'c2', cluster: 'bki', zone: 'bki-1', priority: 5, isDefault: false, labels: {}, available: true, reason: 'available' },
    { clusterId: 'c3', cluster: 'sgp', zone: 'sgp-1', priority: 1, isDefault: false, labels: {}, available: false, reason: 'offline: API unreachable' },
  ];
  const at = (zone: string, clusterId: string): Placement => ({ mode: 'single', zones: [{ zone, cluster_id: clusterId, cluster: zone, role: 'serving' }], reason: 'x' });

  it('puts a new app in the default zone, else the most preferred available one', () => {
    expect(resolvePlacement({ current: null, zones }).zones[0]!.zone).toBe('bki-1');
    const withDefault = zones.map((z) => (z.zone === 'kul-1' ? { ...z, isDefault: true } : z));
    expect(resolvePlacement({ current: null, zones: withDefault })).toMatchObject({ zones: [{ zone: 'kul-1' }], reason: 'the default zone' });
  });

  it('honours a requested zone and keeps an app where it runs', () => {
    expect(resolvePlacement({ zone: 'kul-1', current: null, zones }).zones[0]!.cluster_id).toBe('c1');
    expect(resolvePlacement({ current: at('kul-1', 'c1'), zones })).toMatchObject({ zones: [{ zone: 'kul-1' }], reason: 'kept from the previous release' });
  });

  it('refuses an unknown or unavailable zone, but not the one the app already runs in', () => {
    expect(errorCode(() => resolvePlacement({ zone: 'mars-1', current: null, zones }))).toBe('SATUSKY_ZONE_UNAVAILABLE');
    expect(errorCode(() => resolvePlacement({ zone: 'sgp-1', current: null, zones }))).toBe('SATUSKY_ZONE_UNAVAILABLE');
    expect(resolvePlacement({ zone: 'sgp-1', current: at('sgp-1', 'c3'), zones }).zones[0]!.zone).toBe('sgp-1');
    expect(errorCode(() => resolvePlacement({ current: null, zones: zones.map((z) => ({ ...z, available: false })) }))).toBe('SATUSKY_NO_ZONE_AVAILABLE');
  });
});

const baseInput = (spec: Partial<AppSpec> = {}, extra: Partial<RenderInput['release']> = {}): RenderInput => ({
  org: { id: 'org-id', slug: 'acme', namespace: 'org-acme' },
  app: { id: '6f1e2f5c-8d4a-4c1e-9b5e-2f7d8c9a0b1c', name: 'api', hostname: 'api-abc123.satusky.test' },
  release: { version: 3, generation: 7, spec: { ...DEFAULT_SPEC, image: 'ghcr.io/acme/api:1.0', ...spec }, secretKeys: [], secretsVersion: 0, restartNonce: null, ...extra },
  cluster: { zone: 'kul-1' },
  secrets: {},
});

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Namespace': Namespace,
  'v1/ResourceQuota': ResourceQuota,
  'v1/LimitRange': LimitRange,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
  'gateway.networking.k8s.io/v1/Gateway': Gateway,
  'gateway.networking.k8s.io/v1/ListenerSet': ListenerSet,
  'networking.k8s.io/v1/Ingress': Ingress,
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/ClusterIssuer': ClusterIssuer,
};

function validateAll(objects: KubeObject[]): void {
  for (const object of objects) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!Model) throw new Error(`no kubernetes-models class for ${object.apiVersion}/${object.kind}`);
    expect(() => new Model(object as never).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
  }
}

describe('rendering manifests', () => {
  it('renders a valid, restricted-compliant set for a simple app', () => {
    const objects = renderApp(baseInput({ health_path: '/health' }));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/api-env', 'Secret/api-secrets', 'Service/api', 'Deployment/api', 'HTTPRoute/api']);
    validateAll(objects);
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      metadata: { annotations: Record<string, string> };
      spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { securityContext: Record<string, unknown>; containers: Record<string, unknown>[] } } };
    };
    expect(deployment.metadata.annotations[ANNOTATIONS.generation]).toBe('7');
    expect(deployment.spec.template.metadata.labels[LABELS.release]).toBe('3');
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.readinessProbe).toEqual({ httpGet: { path: '/health', port: 8080 } });
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '256Mi' } });
  });

  it('renders secrets as secretKeyRefs with the values only in the Secret', () => {
    const objects = renderApp({ ...baseInput({}, { secretKeys: ['DB_URL', 'API_KEY'], secretsVersion: 4 }), secrets: { DB_URL: 'postgres://x', API_KEY: 'k' } });
    const secret = objects.find((o) => o.kind === 'Secret') as unknown as { data: Record<string, string> };
    expect(secret.data).toEqual({ API_KEY: Buffer.from('k').toString('base64'), DB_URL: Buffer.from('postgres://x').toString('base64') });
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const text = JSON.stringify(deployment);
    expect(text).not.toContain('postgres://x');
    expect(text).toContain('"secretKeyRef":{"name":"api-secrets","key":"DB_URL"}');
    expect(text).toContain(`"${ANNOTATIONS.secretsVersion}":"4"`);
  });

  it('renders autoscaler, budget, volumes and dependencies, and leaves replicas to the autoscaler', () => {
    const objects = renderApp(
      baseInput({
        replicas: 3,
        hpa: { min_replicas: 2, max_replicas: 6, cpu_target: 70, memory_target: 80 },
        pdb: { min_available: 1 },
        volumes: [{ name: 'data', size: '1024Mi', mount_path: '/data' }],
        wait_for: ['db:5432'],
        cpu_request: '0.5',
      }),
    );
    validateAll(objects);
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Service', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'HTTPRoute']);
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: Record<string, unknown> & { template: { spec: { initContainers: unknown[]; containers: { resources: unknown }[] } } } };
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.template.spec.initContainers).toHaveLength(1);
    expect(deployment.spec.template.spec.containers[0]!.resources).toMatchObject({ requests: { cpu: '500m' } });
    const pvc = objects.find((o) => o.kind === 'PersistentVolumeClaim') as unknown as { spec: { resources: { requests: { storage: string } }; storageClassName: string } };
    expect(pvc.spec.resources.requests.storage).toBe('1Gi');
    expect(pvc.spec.storageClassName).toBe('ceph-block');
  });

  it('renders the org namespace with Pod Security restricted, policies, quota and limits', () => {
    const objects = renderNamespace({ org: { id: 'o', slug: 'acme', namespace: 'org-acme' } });
    validateAll(objects);
    const ns = objects[0]!;
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    expect(objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual([
      'default-deny',
      'allow-dns-egress',
      'allow-edge-ingress',
      'allow-same-namespace',
    ]);
    validateAll(renderEdgeGateway('satusky-edge'));
    validateAll([renderAcmeIssuer({ server: 'https://acme.example/directory', email: 'ops@example.com' })]);
  });

  it('renders valid routes, listeners and certificates for custom domains (Gateway API, legacy Ingress, www redirect)', () => {
    const objects = renderApp({
      ...baseInput({}),
      routing: {
        tls: true,
        ingressClass: 'nginx',
        domains: [
          { hostname: 'shop.example.com', routeKind: 'httproute', wwwRedirect: true, ingressRetained: false },
          { hostname: 'old.example.com', routeKind: 'ingress', wwwRedirect: false, ingressRetained: false },
        ],
      },
    });
    expect(objects.map((o) => o.kind).filter((k) => ['ListenerSet', 'Certificate', 'HTTPRoute', 'Ingress'].includes(k)).sort()).toEqual([
      'Certificate',
      'Certificate',
      'Certificate',
      'Certificate',
      'HTTPRoute',
      'HTTPRoute',
      'HTTPRoute',
      'Ingress',
      'ListenerSet',
    ]);
    validateAll(objects);
  });

  it('is deterministic, and a release that only scales keeps the pod template', () => {
    expect(renderApp(baseInput())).toEqual(renderApp(baseInput()));
    const template = (o: KubeObject[]) => JSON.stringify((o.find((x) => x.kind === 'Deployment') as unknown as { spec: { template: unknown } }).spec.template);
    expect(template(renderApp(baseInput({ replicas: 5 })))).toBe(template(renderApp(baseInput({ replicas: 1 }))));
    expect(template(renderApp(baseInput({ image: 'ghcr.io/acme/api:2.0' })))).not.toBe(template(renderApp(baseInput())));
  });
});

describe('drift detection', () => {
  const desired = withAppliedHash(renderApp(baseInput())[0]!);
  const live = (patch: Record<string, unknown> = {}) => ({
    ...JSON.parse(JSON.stringify(desired)),
    metadata: { ...desired.metadata, uid: 'u', resourceVersion: '7', annotations: { ...desired.metadata.annotations } },
    ...patch,
  });

  it('needs no write when the live object has every desired field (plus server-added ones)', () => {
    expect(needsApply(desired, live())).toBe(false);
    expect(isSubset({ a: 1, b: [{ c: 2 }] }, { a: 1, b: [{ c: 2, d: 3 }], e: 4 })).toBe(true);
  });

  it('treats a key added by hand to the env ConfigMap or the Secret as drift, but not extra metadata', () => {
    const configMap = withAppliedHash(renderApp(baseInput()).find((o) => o.kind === 'ConfigMap')!);
    const injected = JSON.parse(JSON.stringify(configMap)) as { data: Record<string, string>; metadata: { labels: Record<string, string> } };
    injected.data.INJECTED = 'yes';
    expect(extraDataKeys(configMap, injected)).toEqual(['INJECTED']);
    expect(needsApply(configMap, injected)).toBe(true);
    const labelled = JSON.parse(JSON.stringify(configMap)) as { metadata: { labels: Record<string, string> } };
    labelled.metadata.labels.extra = 'fine';
    expect(needsApply(configMap, labelled)).toBe(false);
    const service = withAppliedHash(renderApp(baseInput()).find((o) => o.kind === 'Service')!);
    expect(extraDataKeys(service, { data: { anything: 1 } })).toEqual([]);
  });

  it('writes when a field was changed by hand, the object is gone, or our intent changed', () => {
    const service = withAppliedHash(renderApp(baseInput()).find((o) => o.kind === 'Service')!);
    const edited = JSON.parse(JSON.stringify(service)) as { spec: { ports: { port: number }[] } };
    edited.spec.ports[0]!.port = 8081;
    expect(needsApply(service, edited)).toBe(true);
    expect(needsApply(service, JSON.parse(JSON.stringify(service)))).toBe(false);
    expect(needsApply(desired, null)).toBe(true);
    const stale = live();
    stale.metadata.annotations[APPLIED_HASH_ANNOTATION] = 'different';
    expect(needsApply(desired, stale)).toBe(true);
    expect(isSubset({ list: [1, 2] }, { list: [1, 2, 3] })).toBe(false);
  });
});

describe('observing a workload', () => {
  const now = new Date('2026-11-21T10:00:00Z');
  const deployment = (status: Record<string, unknown>, generation = 2) => ({
    metadata: { generation, annotations: { [ANNOTATIONS.generation]: '5' } },
    spec: { replicas: 2, template: { metadata: { labels: { [LABELS.release]: '3' } } } },
    status: { observedGeneration: generation, ...status },
  });
  const pod = (name: string, state: Record<string, unknown>, restarts = 0, release = '3') => ({
    metadata: { name, labels: { [LABELS.release]: release } },
    status: { containerStatuses: [{ name: 'api', ready: false, restartCount: restarts, state }] },
  });

  it('reads a converged rollout', () => {
    const fact = observeWorkload(deployment({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 }), [], now);
    expect(fact).toMatchObject({ observedGeneration: 5, releaseVersion: 3, desiredReplicas: 2, readyReplicas: 2, workload: { problems: [] } });
  });

  it('reports no Satusky generation until the cluster has processed the latest spec', () => {
    const fact = observeWorkload({ ...deployment({}), status: { observedGeneration: 1 } }, [], now);
    expect(fact.observedGeneration).toBeNull();
  });

  it('turns image pull back-off and crash loops of the current release into failures, and ignores old pods', () => {
    const fact = observeWorkload(
      deployment({ replicas: 3, readyReplicas: 1 }),
      [
        pod('a', { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x:nope"' } }),
        pod('b', { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } }, 3),
        pod('old', { waiting: { reason: 'CrashLoopBackOff' } }, 9, '2'),
      ],
      now,
    );
    expect(fact.workload.problems.map((p) => [p.reason, p.severity, p.pods])).toEqual([
      ['CrashLoopBackOff', 'failure', ['b']],
      ['ImagePullBackOff', 'failure', ['a']],
    ]);
  });

  it('treats a first pull error and a pod still starting as transient, and pod creation refusals as failures', () => {
    const fact = observeWorkload(
      deployment({ conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'violates PodSecurity' }] }),
      [pod('a', { waiting: { reason: 'ErrImagePull' } }), pod('b', { waiting: { reason: 'ContainerCreating' } })],
      now,
    );
    expect(fact.workload.problems.map((p) => [p.reason, p.severity])).toEqual([
      ['FailedCreate', 'failure'],
      ['ContainerCreating', 'transient'],
      ['ErrImagePull', 'transient'],
    ]);
  });
});

describe('status aggregation', () => {
  const now = new Date('2026-11-21T10:00:00Z');
  const target = (over: Partial<TargetFact> = {}): TargetFact => ({
    clusterId: 'c1',
    cluster: 'kul',
    zone: 'kul-1',
    role: 'serving',
    desiredGeneration: 5,
    appliedGeneration: 5,
    appliedAt: new Date(now.getTime() - 5000),
    lastError: null,
    lastErrorAt: null,
    lastErrorTerminal: false,
    acceptedAt: new Date(now.getTime() - 6000),
    ...over,
  });
  const observation = (over: Partial<ObservationFact> = {}): ObservationFact => ({
    observedGeneration: 5,
    releaseVersion: 3,
    desiredReplicas: 2,
    replicas: 2,
    readyReplicas: 2,
    updatedReplicas: 2,
    availableReplicas: 2,
    workload: { problems: [], progressDeadlineExceeded: false },
    observedAt: new Date(now.getTime() - 1000),
    ...over,
  });
  const input = (over: Partial<AggregateInput> = {}): AggregateInput => ({
    generation: 5,
    releaseVersion: 3,
    targets: [target()],
    observations: new Map([['c1', observation()]]),
    clusters: new Map([['c1', { healthState: 'healthy', healthReason: '3/3 nodes ready', lastHeardAt: new Date(now.getTime() - 500) }]]),
    now,
    staleAfterMs: 6000,
    ...over,
  });

  it('is ready only when every condition holds, with observation times', () => {
    const result = aggregateStatus(input());
    expect(result.status).toBe('ready');
    expect(result.conditions.map((c) => [c.type, c.status])).toEqual([
      ['Accepted', 'True'],
      ['Applied', 'True'],
      ['WorkloadReady', 'True'],
      ['ClusterReachable', 'True'],
    ]);
    expect(result.clusters[0]!.conditions.find((c) => c.type === 'WorkloadReady')!.observed_at).toBe('2026-11-21T09:59:59.000Z');
    expect(result.message).toContain('ready in kul-1 (2/2)');
  });

  it('never reports ready from a cluster not heard from within its timeout', () => {
    const result = aggregateStatus(input({ clusters: new Map([['c1', { healthState: 'healthy', healthReason: 'ok', lastHeardAt: new Date(now.getTime() - 60_000) }]]) }));
    expect(result.status).toBe('unknown');
    const cluster = result.clusters[0]!;
    expect(cluster.stale).toBe(true);
    expect(cluster.conditions.find((c) => c.type === 'WorkloadReady')).toMatchObject({ status: 'Unknown', reason: 'ClusterStale' });
    expect(cluster.conditions.find((c) => c.type === 'ClusterReachable')).toMatchObject({ status: 'False', reason: 'ClusterUnreachable' });
    expect(result.message).toMatch(/not heard from since/);
  });

  it('is progressing while a generation is not applied or not rolled out, and says why', () => {
    expect(aggregateStatus(input({ targets: [target({ appliedGeneration: 4 })] })).clusters[0]!.conditions.find((c) => c.type === 'Applied')).toMatchObject({
      status: 'False',
      reason: 'Pending',
    });
    const rolling = aggregateStatus(input({ observations: new Map([['c1', observation({ readyReplicas: 1, updatedReplicas: 1 })]]) }));
    expect(rolling.status).toBe('progressing');
    expect(rolling.message).toContain('1/2 replicas ready');
    const old = aggregateStatus(input({ observations: new Map([['c1', observation({ observedGeneration: 4 })]]) }));
    expect(old.clusters[0]!.conditions.find((c) => c.type === 'WorkloadReady')!.reason).toBe('RolloutPending');
  });

  it('fails on a pod failure or a refused apply, with the reason', () => {
    const pull = aggregateStatus(
      input({
        observations: new Map([
          ['c1', observation({ readyReplicas: 0, workload: { problems: [{ reason: 'ImagePullBackOff', message: 'Back-off pulling image', pods: ['p'], severity: 'failure' }], progressDeadlineExceeded: false } })],
        ]),
      }),
    );
    expect(pull.status).toBe('failed');
    expect(pull.message).toContain('ImagePullBackOff');
    const refused = aggregateStatus(input({ targets: [target({ appliedGeneration: 4, lastError: 'rejected: 422 Invalid', lastErrorTerminal: true })] }));
    expect(refused.status).toBe('failed');
    expect(refused.conditions.find((c) => c.type === 'Applied')!.reason).toBe('Rejected');
  });

  it('is degraded when one serving zone is ready and another is not, and unknown without a release', () => {
    const second = target({ clusterId: 'c2', cluster: 'bki', zone: 'bki-1' });
    const result = aggregateStatus(
      input({
        targets: [target(), second],
        observations: new Map([['c1', observation()], ['c2', observation({ readyReplicas: 0 })]]),
        clusters: new Map([
          ['c1', { healthState: 'healthy', healthReason: 'ok', lastHeardAt: now }],
          ['c2', { healthState: 'healthy', healthReason: 'ok', lastHeardAt: now }],
        ]),
      }),
    );
    expect(result.status).toBe('degraded');
    expect(aggregateStatus(input({ releaseVersion: null, targets: [] })).status).toBe('unknown');
  });
});
