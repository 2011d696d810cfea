import { createHash } from 'node:crypto';
import type { AppSpec, Probe } from '@satusky/contracts';
import { canonicalCpu, canonicalMemory } from './quantity.ts';

/** A Kubernetes object as rendered: plain JSON, ready for server-side apply. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export const FIELD_MANAGER = 'satusky';
export const SYSTEM_NAMESPACE = 'satusky-system';
export const EDGE_GATEWAY = 'satusky-edge';

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  deploymentId: 'satusky.com/deployment-id',
  release: 'satusky.com/release',
  org: 'satusky.com/org',
  orgId: 'satusky.com/org-id',
} as const;

export const ANNOTATIONS = {
  generation: 'satusky.com/generation',
  restartNonce: 'satusky.com/restart-nonce',
  secretsVersion: 'satusky.com/secrets-version',
  volumePolicy: 'satusky.com/volume-policy',
} as const;

export const MANAGED_BY = 'satusky';
/** Selects everything Satusky manages in a cluster (informers, pruning). */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;

/** The kinds an app renders to, in apply order (config before the workload that reads it). */
export const APP_KINDS = [
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'ListenerSet', plural: 'listenersets' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', plural: 'httproutes' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' },
  { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', plural: 'certificates' },
] as const;

/** The ClusterIssuer every app's certificates use (ACME HTTP-01 through the edge Gateway). */
export const ACME_ISSUER = 'satusky-acme';
/** Labels cert-manager copies onto a certificate's Secret, so removing the app can find it. */
export const TLS_OF_LABEL = 'satusky.com/tls-of';

export interface RenderInput {
  org: { id: string; slug: string; namespace: string };
  app: { id: string; name: string; hostname: string };
  release: {
    version: number;
    generation: number;
    spec: AppSpec;
    secretKeys: readonly string[];
    secretsVersion: number;
    restartNonce: string | null;
  };
  cluster: { zone: string };
  /** Decrypted secret values for `release.secretKeys` (only these reach the cluster). */
  secrets: Readonly<Record<string, string>>;
  /** Custom domains and TLS. Absent: the generated hostname over HTTP only. */
  routing?: RoutingInput;
}

export interface RoutedDomain {
  hostname: string;
  /** How the hostname is routed: Gateway API (the target) or legacy Ingress. */
  routeKind: 'httproute' | 'ingress';
  /** Also route `www.<hostname>`, redirecting (301) to the hostname. */
  wwwRedirect: boolean;
  /** Migrating to HTTPRoute: keep the Ingress as well until the HTTPRoute is accepted everywhere. */
  ingressRetained: boolean;
}

export interface RoutingInput {
  /** Certificates and HTTPS listeners for every hostname. */
  tls: boolean;
  ingressClass: string;
  /** Verified custom domains only: nothing is routed for a hostname whose ownership is unproven. */
  domains: readonly RoutedDomain[];
}

const RUN_AS = 10001;

function labelsFor(input: RenderInput): Record<string, string> {
  return {
    [LABELS.name]: input.app.name,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.deploymentId]: input.app.id,
    [LABELS.org]: input.org.slug,
  };
}

function selectorFor(input: RenderInput): Record<string, string> {
  return { [LABELS.name]: input.app.name, [LABELS.deploymentId]: input.app.id };
}

export function configMapName(app: string): string {
  return `${app}-env`;
}
export function secretName(app: string): string {
  return `${app}-secrets`;
}
export function volumeClaimName(app: string, volume: string): string {
  return `${app}-${volume}`;
}

function probe(p: Probe, port: number): Record<string, unknown> {
  const handler = p.http_get
    ? { httpGet: { path: p.http_get.path, port: p.http_get.port ?? port } }
    : p.tcp_socket
      ? { tcpSocket: { port: p.tcp_socket.port ?? port } }
      : { exec: { command: p.exec?.command ?? [] } };
  return {
    ...handler,
    ...(p.initial_delay_seconds !== undefined ? { initialDelaySeconds: p.initial_delay_seconds } : {}),
    ...(p.period_seconds !== undefined ? { periodSeconds: p.period_seconds } : {}),
    ...(p.timeout_seconds !== undefined ? { timeoutSeconds: p.timeout_seconds } : {}),
    ...(p.failure_threshold !== undefined ? { failureThreshold: p.failure_threshold } : {}),
  };
}

const containerSecurity = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  runAsUser: RUN_AS,
  runAsGroup: RUN_AS,
  seccompProfile: { type: 'RuntimeDefault' },
};

function renderDeployment(input: RenderInput): KubeObject {
  const { spec } = input.release;
  const name = input.app.name;
  const readiness = spec.probes.readiness ?? (spec.health_path ? { http_get: { path: spec.health_path } } : null);
  const secretEnv = [...input.release.secretKeys].sort().map((key) => ({
    name: key,
    valueFrom: { secretKeyRef: { name: secretName(name), key } },
  }));
  const platformEnv = [
    { name: 'SATUSKY_APP', value: name },
    { name: 'SATUSKY_ZONE', value: input.cluster.zone },
    { name: 'SATUSKY_RELEASE', value: String(input.release.version) },
    ...(spec.env.PORT === undefined ? [{ name: 'PORT', value: String(spec.port) }] : []),
  ];
  const podAnnotations: Record<string, string> = {
    [ANNOTATIONS.secretsVersion]: String(input.release.secretsVersion),
  };
  if (input.release.restartNonce) podAnnotations[ANNOTATIONS.restartNonce] = input.release.restartNonce;

  const container: Record<string, unknown> = {
    name,
    image: spec.image,
    ports: [{ name: 'http', containerPort: spec.port, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: configMapName(name) } }],
    env: [...platformEnv, ...secretEnv],
    resources: {
      requests: { cpu: canonicalCpu(spec.cpu_request), memory: canonicalMemory(spec.memory) },
      limits: { cpu: canonicalCpu(spec.cpu_limit), memory: canonicalMemory(spec.memory) },
    },
    securityContext: containerSecurity,
    ...(readiness ? { readinessProbe: probe(readiness, spec.port) } : {}),
    ...(spec.probes.liveness ? { livenessProbe: probe(spec.probes.liveness, spec.port) } : {}),
    ...(spec.probes.startup ? { startupProbe: probe(spec.probes.startup, spec.port) } : {}),
    ...(spec.volumes.length > 0
      ? { volumeMounts: spec.volumes.map((v) => ({ name: v.name, mountPath: v.mount_path })) }
      : {}),
  };
  const initContainers = spec.wait_for.map((target, i) => {
    const separator = target.lastIndexOf(':');
    return {
      name: `wait-for-${i}`,
      image: 'busybox:1.36',
      command: ['sh', '-c', `until nc -z -w 2 ${target.slice(0, separator)} ${target.slice(separator + 1)}; do echo waiting for ${target}; sleep 2; done`],
      resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
      securityContext: containerSecurity,
    };
  });
  const replicasField = spec.hpa ? {} : { replicas: spec.replicas };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: input.org.namespace,
      labels: labelsFor(input),
      annotations: { [ANNOTATIONS.generation]: String(input.release.generation) },
    },
    spec: {
      ...replicasField,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorFor(input) },
      strategy:
        spec.strategy === 'recreate'
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: intOrPercent(spec.rolling_max_surge), maxUnavailable: intOrPercent(spec.rolling_max_unavailable) } },
      template: {
        metadata: {
          labels: { ...labelsFor(input), [LABELS.release]: String(input.release.version) },
          annotations: podAnnotations,
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            fsGroup: RUN_AS,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(initContainers.length > 0 ? { initContainers } : {}),
          containers: [container],
          ...(spec.volumes.length > 0
            ? {
                volumes: spec.volumes.map((v) => ({
                  name: v.name,
                  persistentVolumeClaim: { claimName: volumeClaimName(name, v.name) },
                })),
              }
            : {}),
          terminationGracePeriodSeconds: 30,
        },
      },
    },
  };
}

function intOrPercent(value: string): string | number {
  return value.endsWith('%') ? value : Number(value);
}

/**
 * Everything one app runs in one cluster, for one release. The order is the apply order.
 * Pure: the same input always renders the same objects (the checker and the no-op detection rely
 * on it).
 */
export function renderApp(input: RenderInput): KubeObject[] {
  const { spec } = input.release;
  const name = input.app.name;
  const namespace = input.org.namespace;
  const labels = labelsFor(input);
  const objects: KubeObject[] = [];

  objects.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName(name), namespace, labels },
    data: Object.fromEntries(Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : 1))),
  });
  objects.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName(name), namespace, labels },
    type: 'Opaque',
    data: Object.fromEntries(
      [...input.release.secretKeys]
        .sort()
        .filter((key) => input.secrets[key] !== undefined)
        .map((key) => [key, Buffer.from(input.secrets[key]!, 'utf8').toString('base64')]),
    ),
  });
  for (const volume of spec.volumes) {
    if ((volume.storage_type ?? 'cluster-local') !== 'cluster-local') continue;
    objects.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: volumeClaimName(name, volume.name),
        namespace,
        labels,
        annotations: { [ANNOTATIONS.volumePolicy]: 'retain' },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: volume.storage_class ?? 'ceph-block',
        resources: { requests: { storage: canonicalMemory(volume.size) } },
      },
    });
  }
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: {
      type: 'ClusterIP',
      selector: selectorFor(input),
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  });
  objects.push(renderDeployment(input));
  if (spec.hpa) {
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: spec.hpa.min_replicas,
        maxReplicas: spec.hpa.max_replicas,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.hpa.cpu_target } } },
          ...(spec.hpa.memory_target > 0
            ? [{ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: spec.hpa.memory_target } } }]
            : []),
        ],
      },
    });
  }
  if (spec.pdb) {
    objects.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: selectorFor(input) },
        ...(spec.pdb.max_unavailable_percent !== undefined
          ? { maxUnavailable: `${spec.pdb.max_unavailable_percent}%` }
          : { minAvailable: spec.pdb.min_available ?? 1 }),
      },
    });
  }
  objects.push(...renderRoutes(input, labels));
  return objects;
}

/** A short, stable suffix for objects named after a hostname (names must stay DNS labels). */
export function hostKey(hostname: string): string {
  return createHash('sha256').update(hostname.toLowerCase()).digest('hex').slice(0, 8);
}

/** The Certificate (and its Secret) for one hostname of an app. */
export function certificateName(app: string, hostname: string, platformHostname: string): string {
  return hostname === platformHostname ? `${app}-tls` : `${app}-${hostKey(hostname)}-tls`;
}
/** The HTTPRoute or Ingress of one custom hostname. */
export function customRouteName(app: string, hostname: string): string {
  return `${app}-${hostKey(hostname)}`;
}
/** The ListenerSet listener (and HTTPRoute sectionName) serving one hostname over HTTPS. */
export function listenerName(hostname: string): string {
  return `https-${hostKey(hostname)}`;
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/**
 * The routes of an app: the generated hostname and every verified custom domain get an HTTPRoute
 * attached to the zone's edge Gateway (HTTP) and to the app's ListenerSet (HTTPS, one listener per
 * hostname with its own certificate); `www` names redirect to their domain; legacy domains get an
 * Ingress instead (and both while migrating). Every hostname gets a cert-manager Certificate.
 */
function renderRoutes(input: RenderInput, labels: Record<string, string>): KubeObject[] {
  const name = input.app.name;
  const namespace = input.org.namespace;
  const platform = input.app.hostname;
  const routing = input.routing;
  const tls = routing?.tls ?? false;
  const objects: KubeObject[] = [];
  const gatewayParent = { group: GATEWAY_GROUP, kind: 'Gateway', namespace: SYSTEM_NAMESPACE, name: EDGE_GATEWAY, sectionName: 'http' };
  const parentsFor = (hostname: string) => [
    gatewayParent,
    ...(tls ? [{ group: GATEWAY_GROUP, kind: 'ListenerSet', namespace, name, sectionName: listenerName(hostname) }] : []),
  ];
  const backend = [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name, port: 80 }] }];

  // Every hostname served over HTTPS: the platform one, verified domains and their www names.
  const secured: string[] = [platform];
  for (const domain of routing?.domains ?? []) {
    secured.push(domain.hostname);
    if (domain.wwwRedirect) secured.push(`www.${domain.hostname}`);
  }

  if (tls) {
    objects.push({
      apiVersion: `${GATEWAY_GROUP}/v1`,
      kind: 'ListenerSet',
      metadata: { name, namespace, labels },
      spec: {
        parentRef: { group: GATEWAY_GROUP, kind: 'Gateway', namespace: SYSTEM_NAMESPACE, name: EDGE_GATEWAY },
        listeners: secured.map((hostname) => ({
          name: listenerName(hostname),
          hostname,
          port: 443,
          protocol: 'HTTPS',
          tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: certificateName(name, hostname, platform) }] },
          allowedRoutes: { namespaces: { from: 'Same' } },
        })),
      },
    });
    for (const hostname of secured) {
      const secret = certificateName(name, hostname, platform);
      objects.push({
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: secret, namespace, labels },
        spec: {
          secretName: secret,
          dnsNames: [hostname],
          issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: ACME_ISSUER },
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
          secretTemplate: { labels: { [TLS_OF_LABEL]: input.app.id } },
        },
      });
    }
  }

  objects.push({
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: { name, namespace, labels },
    spec: { parentRefs: parentsFor(platform), hostnames: [platform], rules: backend },
  });

  for (const domain of routing?.domains ?? []) {
    const routeName = customRouteName(name, domain.hostname);
    if (domain.routeKind === 'httproute') {
      objects.push({
        apiVersion: `${GATEWAY_GROUP}/v1`,
        kind: 'HTTPRoute',
        metadata: { name: routeName, namespace, labels },
        spec: { parentRefs: parentsFor(domain.hostname), hostnames: [domain.hostname], rules: backend },
      });
    }
    if (domain.routeKind === 'ingress' || domain.ingressRetained) {
      objects.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: routeName, namespace, labels },
        spec: {
          ingressClassName: routing?.ingressClass ?? 'nginx',
          ...(tls ? { tls: [{ hosts: [domain.hostname], secretName: certificateName(name, domain.hostname, platform) }] } : {}),
          rules: [
            {
              host: domain.hostname,
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] },
            },
          ],
        },
      });
    }
    if (domain.wwwRedirect) {
      // Redirects are Gateway-only: RequestRedirect is a standard HTTPRoute filter.
      const www = `www.${domain.hostname}`;
      objects.push({
        apiVersion: `${GATEWAY_GROUP}/v1`,
        kind: 'HTTPRoute',
        metadata: { name: customRouteName(name, www), namespace, labels },
        spec: {
          parentRefs: parentsFor(www),
          hostnames: [www],
          rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: domain.hostname, statusCode: 301 } }] }],
        },
      });
    }
  }
  return objects;
}

export interface NamespaceInput {
  org: { id: string; slug: string; namespace: string };
  quota?: { cpu: string; memory: string; pods: number; storage: string };
}

/**
 * The org's namespace in a cluster: Pod Security `restricted`, default-deny network policy with
 * DNS egress, edge ingress and traffic inside the namespace allowed, a quota and default limits.
 */
export function renderNamespace(input: NamespaceInput): KubeObject[] {
  const namespace = input.org.namespace;
  const labels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.org]: input.org.slug, [LABELS.orgId]: input.org.id };
  const quota = input.quota ?? { cpu: '16', memory: '32Gi', pods: 100, storage: '500Gi' };
  const policy = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels },
    spec,
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    },
    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('allow-dns-egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    }),
    policy('allow-edge-ingress', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': SYSTEM_NAMESPACE } } }] }],
    }),
    policy('allow-same-namespace', {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    }),
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'org-quota', namespace, labels },
      spec: {
        hard: {
          'requests.cpu': quota.cpu,
          'limits.cpu': String(Number(quota.cpu) * 2),
          'requests.memory': quota.memory,
          'limits.memory': quota.memory,
          pods: String(quota.pods),
          'requests.storage': quota.storage,
          'services.loadbalancers': '0',
          'services.nodeports': '0',
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'org-defaults', namespace, labels },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: '1', memory: '256Mi' },
            defaultRequest: { cpu: '100m', memory: '128Mi' },
            max: { cpu: '16', memory: '64Gi' },
          },
        ],
      },
    },
  ];
}

/** The zone's edge Gateway, which every app's HTTPRoute attaches to. */
export function renderEdgeGateway(gatewayClass: string): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: SYSTEM_NAMESPACE, labels: { [LABELS.managedBy]: MANAGED_BY } },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: EDGE_GATEWAY, namespace: SYSTEM_NAMESPACE, labels: { [LABELS.managedBy]: MANAGED_BY } },
      spec: {
        gatewayClassName: gatewayClass,
        // HTTPS listeners come from each app's ListenerSet (one per hostname, each with its certificate).
        allowedListeners: { namespaces: { from: 'All' } },
        listeners: [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } }],
      },
    },
  ];
}

/** The ACME ClusterIssuer: HTTP-01 challenges answered through the zone's edge Gateway. */
export function renderAcmeIssuer(acme: { server: string; email: string }): KubeObject {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: ACME_ISSUER, labels: { [LABELS.managedBy]: MANAGED_BY } },
    spec: {
      acme: {
        server: acme.server,
        email: acme.email,
        privateKeySecretRef: { name: `${ACME_ISSUER}-account` },
        solvers: [{ http01: { gatewayHTTPRoute: { parentRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', namespace: SYSTEM_NAMESPACE, name: EDGE_GATEWAY, sectionName: 'http' }] } } }],
      },
    },
  };
}
