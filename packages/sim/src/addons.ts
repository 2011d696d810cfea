// The add-ons a Satusky cluster runs, pre-installed as CustomResourceDefinitions: Gateway API
// v1.6 (standard channel), cert-manager v1.21 and Velero v1.18. Names, versions, scope, short
// names, subresources and printer columns follow upstream; schemas are reduced to what the
// simulator needs (list types for server-side apply, and the defaults clients observe), with the
// rest preserved as unknown fields. Applying the upstream manifests replaces them.

import type { JsonObject } from './util/json.ts';

type Col = { name: string; type: string; jsonPath: string; priority?: number; description?: string };

interface CrdDef {
  group: string;
  plural: string;
  singular: string;
  kind: string;
  scope: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  categories?: string[];
  versions: { name: string; served: boolean; storage: boolean }[];
  status?: boolean;
  columns?: Col[];
  schema?: JsonObject;
  annotations?: Record<string, string>;
}

const AGE: Col = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const preserve = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

function conditionsList(defaults?: JsonObject[]): JsonObject {
  return {
    type: 'array',
    items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    ...(defaults ? { default: defaults } : {}),
  };
}

function pending(types: string[]): JsonObject[] {
  return types.map((type) => ({ lastTransitionTime: '1970-01-01T00:00:00Z', message: 'Waiting for controller', reason: 'Pending', status: 'Unknown', type }));
}

function root(spec: JsonObject, status?: JsonObject): JsonObject {
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec,
      ...(status ? { status } : {}),
    },
  };
}

const listenerItems: JsonObject = {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  properties: {
    allowedRoutes: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, default: { namespaces: { from: 'Same' } } },
  },
};

const listenerStatus: JsonObject = {
  type: 'array',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
  items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { conditions: conditionsList() } },
};

const parentRefs: JsonObject = {
  type: 'array',
  items: {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties: { group: { type: 'string', default: 'gateway.networking.k8s.io' }, kind: { type: 'string', default: 'Gateway' } },
  },
};

const routeParentsStatus: JsonObject = {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  properties: {
    parents: {
      type: 'array',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { conditions: conditionsList() } },
    },
  },
};

const backendRef: JsonObject = {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  properties: { group: { type: 'string', default: '' }, kind: { type: 'string', default: 'Service' }, weight: { type: 'integer', default: 1 } },
};

function routeSpec(kind: 'HTTPRoute' | 'GRPCRoute'): JsonObject {
  const rule: JsonObject = {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties: { backendRefs: { type: 'array', items: backendRef } },
  };
  if (kind === 'HTTPRoute') {
    rule.properties = {
      ...(rule.properties as JsonObject),
      matches: {
        type: 'array',
        default: [{ path: { type: 'PathPrefix', value: '/' } }],
        items: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { path: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, default: { type: 'PathPrefix', value: '/' } } },
        },
      },
    };
  }
  return {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties: {
      parentRefs,
      hostnames: { type: 'array', items: { type: 'string' } },
      rules: {
        type: 'array',
        items: rule,
        ...(kind === 'HTTPRoute' ? { default: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }] } : {}),
      },
    },
  };
}

const GATEWAY_ANNOTATIONS = {
  'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/4530',
  'gateway.networking.k8s.io/bundle-version': 'v1.6.1',
  'gateway.networking.k8s.io/channel': 'standard',
};

const v1 = [{ name: 'v1', served: true, storage: true }];
const v1AndBeta = [
  { name: 'v1', served: true, storage: true },
  { name: 'v1beta1', served: true, storage: false },
];

export const GATEWAY_API_CRDS: CrdDef[] = [
  {
    group: 'gateway.networking.k8s.io',
    plural: 'gatewayclasses',
    singular: 'gatewayclass',
    kind: 'GatewayClass',
    scope: 'Cluster',
    shortNames: ['gc'],
    categories: ['gateway-api'],
    versions: v1AndBeta,
    status: true,
    columns: [
      { name: 'Controller', type: 'string', jsonPath: '.spec.controllerName' },
      { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
      AGE,
      { name: 'Description', type: 'string', jsonPath: '.spec.description', priority: 1 },
    ],
    schema: root(preserve, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, default: { conditions: pending(['Accepted']) }, properties: { conditions: conditionsList() } }),
    annotations: GATEWAY_ANNOTATIONS,
  },
  {
    group: 'gateway.networking.k8s.io',
    plural: 'gateways',
    singular: 'gateway',
    kind: 'Gateway',
    scope: 'Namespaced',
    shortNames: ['gtw'],
    categories: ['gateway-api'],
    versions: v1AndBeta,
    status: true,
    columns: [
      { name: 'Class', type: 'string', jsonPath: '.spec.gatewayClassName' },
      { name: 'Address', type: 'string', jsonPath: '.status.addresses[*].value' },
      { name: 'Programmed', type: 'string', jsonPath: '.status.conditions[?(@.type=="Programmed")].status' },
      AGE,
    ],
    schema: root(
      {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: {
          listeners: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: listenerItems },
          allowedListeners: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { namespaces: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, default: { from: 'None' } } } },
        },
      },
      {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        default: { conditions: pending(['Accepted', 'Programmed']) },
        properties: { conditions: conditionsList(), listeners: listenerStatus },
      },
    ),
    annotations: GATEWAY_ANNOTATIONS,
  },
  {
    group: 'gateway.networking.k8s.io',
    plural: 'httproutes',
    singular: 'httproute',
    kind: 'HTTPRoute',
    scope: 'Namespaced',
    categories: ['gateway-api'],
    versions: v1AndBeta,
    status: true,
    columns: [{ name: 'Hostnames', type: 'string', jsonPath: '.spec.hostnames' }, AGE],
    schema: root(routeSpec('HTTPRoute'), routeParentsStatus),
    annotations: GATEWAY_ANNOTATIONS,
  },
  {
    group: 'gateway.networking.k8s.io',
    plural: 'grpcroutes',
    singular: 'grpcroute',
    kind: 'GRPCRoute',
    scope: 'Namespaced',
    categories: ['gateway-api'],
    versions: v1,
    status: true,
    columns: [{ name: 'Hostnames', type: 'string', jsonPath: '.spec.hostnames' }, AGE],
    schema: root(routeSpec('GRPCRoute'), routeParentsStatus),
    annotations: GATEWAY_ANNOTATIONS,
  },
  {
    group: 'gateway.networking.k8s.io',
    plural: 'listenersets',
    singular: 'listenerset',
    kind: 'ListenerSet',
    scope: 'Namespaced',
    shortNames: ['lset'],
    categories: ['gateway-api'],
    versions: v1,
    status: true,
    columns: [
      { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
      { name: 'Programmed', type: 'string', jsonPath: '.status.conditions[?(@.type=="Programmed")].status' },
      AGE,
    ],
    schema: root(
      {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: {
          listeners: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: listenerItems },
          parentRef: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { group: { type: 'string', default: 'gateway.networking.k8s.io' }, kind: { type: 'string', default: 'Gateway' } } },
        },
      },
      {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        default: { conditions: pending(['Accepted', 'Programmed']) },
        properties: { conditions: conditionsList(pending(['Accepted', 'Programmed'])), listeners: listenerStatus },
      },
    ),
    annotations: GATEWAY_ANNOTATIONS,
  },
  {
    group: 'gateway.networking.k8s.io',
    plural: 'referencegrants',
    singular: 'referencegrant',
    kind: 'ReferenceGrant',
    scope: 'Namespaced',
    shortNames: ['refgrant'],
    categories: ['gateway-api'],
    versions: [
      { name: 'v1', served: true, storage: false },
      { name: 'v1beta1', served: true, storage: true },
    ],
    columns: [AGE],
    schema: root(preserve),
    annotations: GATEWAY_ANNOTATIONS,
  },
  {
    group: 'gateway.networking.k8s.io',
    plural: 'backendtlspolicies',
    singular: 'backendtlspolicy',
    kind: 'BackendTLSPolicy',
    scope: 'Namespaced',
    shortNames: ['btlspolicy'],
    categories: ['gateway-api'],
    versions: v1,
    status: true,
    columns: [AGE],
    schema: root(preserve, preserve),
    annotations: GATEWAY_ANNOTATIONS,
  },
  ...(['TLSRoute', 'TCPRoute', 'UDPRoute'] as const).map(
    (kind): CrdDef => ({
      group: 'gateway.networking.k8s.io',
      plural: `${kind.toLowerCase()}s`,
      singular: kind.toLowerCase(),
      kind,
      scope: 'Namespaced',
      categories: ['gateway-api'],
      versions: v1,
      status: true,
      columns: [AGE],
      schema: root({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { parentRefs } }, routeParentsStatus),
      annotations: GATEWAY_ANNOTATIONS,
    }),
  ),
];

const CM_AGE: Col = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.',
};

const issuerColumns: Col[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type == "Ready")].status' },
  { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type == "Ready")].message', priority: 1 },
  CM_AGE,
];

const cmSchema = root(preserve, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { conditions: conditionsList() } });
const cmAnnotations = { 'controller-gen.kubebuilder.io/version': 'v0.21.0' };

export const CERT_MANAGER_CRDS: CrdDef[] = [
  {
    group: 'cert-manager.io',
    plural: 'certificates',
    singular: 'certificate',
    kind: 'Certificate',
    scope: 'Namespaced',
    shortNames: ['cert', 'certs'],
    categories: ['cert-manager'],
    versions: v1,
    status: true,
    columns: [
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type == "Ready")].status' },
      { name: 'Secret', type: 'string', jsonPath: '.spec.secretName' },
      { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name', priority: 1 },
      { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type == "Ready")].message', priority: 1 },
      CM_AGE,
    ],
    schema: cmSchema,
    annotations: cmAnnotations,
  },
  {
    group: 'cert-manager.io',
    plural: 'certificaterequests',
    singular: 'certificaterequest',
    kind: 'CertificateRequest',
    scope: 'Namespaced',
    shortNames: ['cr', 'crs'],
    categories: ['cert-manager'],
    versions: v1,
    status: true,
    columns: [
      { name: 'Approved', type: 'string', jsonPath: '.status.conditions[?(@.type == "Approved")].status' },
      { name: 'Denied', type: 'string', jsonPath: '.status.conditions[?(@.type == "Denied")].status' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type == "Ready")].status' },
      { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name' },
      { name: 'Requester', type: 'string', jsonPath: '.spec.username' },
      { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type == "Ready")].message', priority: 1 },
      CM_AGE,
    ],
    schema: cmSchema,
    annotations: cmAnnotations,
  },
  { group: 'cert-manager.io', plural: 'issuers', singular: 'issuer', kind: 'Issuer', scope: 'Namespaced', shortNames: ['iss'], categories: ['cert-manager'], versions: v1, status: true, columns: issuerColumns, schema: cmSchema, annotations: cmAnnotations },
  { group: 'cert-manager.io', plural: 'clusterissuers', singular: 'clusterissuer', kind: 'ClusterIssuer', scope: 'Cluster', shortNames: ['ciss'], categories: ['cert-manager'], versions: v1, status: true, columns: issuerColumns, schema: cmSchema, annotations: cmAnnotations },
  {
    group: 'acme.cert-manager.io',
    plural: 'orders',
    singular: 'order',
    kind: 'Order',
    scope: 'Namespaced',
    categories: ['cert-manager', 'cert-manager-acme'],
    versions: v1,
    status: true,
    columns: [
      { name: 'State', type: 'string', jsonPath: '.status.state' },
      { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name', priority: 1 },
      { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
      CM_AGE,
    ],
    schema: root(preserve, preserve),
    annotations: cmAnnotations,
  },
  {
    group: 'acme.cert-manager.io',
    plural: 'challenges',
    singular: 'challenge',
    kind: 'Challenge',
    scope: 'Namespaced',
    categories: ['cert-manager', 'cert-manager-acme'],
    versions: v1,
    status: true,
    columns: [
      { name: 'State', type: 'string', jsonPath: '.status.state' },
      { name: 'Domain', type: 'string', jsonPath: '.spec.dnsName' },
      { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
      CM_AGE,
    ],
    schema: root(preserve, preserve),
    annotations: cmAnnotations,
  },
];

const veleroAnnotations = { 'controller-gen.kubebuilder.io/version': 'v0.16.5' };

export const VELERO_CRDS: CrdDef[] = [
  { group: 'velero.io', plural: 'backups', singular: 'backup', kind: 'Backup', scope: 'Namespaced', versions: v1, schema: root(preserve, preserve), annotations: veleroAnnotations },
  { group: 'velero.io', plural: 'restores', singular: 'restore', kind: 'Restore', scope: 'Namespaced', versions: v1, schema: root(preserve, preserve), annotations: veleroAnnotations },
  {
    group: 'velero.io',
    plural: 'schedules',
    singular: 'schedule',
    kind: 'Schedule',
    scope: 'Namespaced',
    versions: v1,
    columns: [
      { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'Status of the schedule' },
      { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'A Cron expression defining when to run the Backup' },
      { name: 'LastBackup', type: 'date', jsonPath: '.status.lastBackup', description: 'The last time a Backup was run for this schedule' },
      AGE,
      { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
    ],
    schema: root(preserve, preserve),
    annotations: veleroAnnotations,
  },
  {
    group: 'velero.io',
    plural: 'backupstoragelocations',
    singular: 'backupstoragelocation',
    kind: 'BackupStorageLocation',
    scope: 'Namespaced',
    shortNames: ['bsl'],
    versions: v1,
    columns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Backup Storage Location status such as Available/Unavailable' },
      { name: 'Last Validated', type: 'date', jsonPath: '.status.lastValidationTime', description: 'LastValidationTime is the last time the backup store location was validated' },
      AGE,
      { name: 'Default', type: 'boolean', jsonPath: '.spec.default', description: 'Default backup storage location' },
    ],
    schema: root(preserve, preserve),
    annotations: veleroAnnotations,
  },
];

export function crdManifest(def: CrdDef): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${def.group}`, ...(def.annotations ? { annotations: def.annotations } : {}), labels: { 'app.kubernetes.io/managed-by': 'satusky-sim' } },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames ? { shortNames: def.shortNames } : {}),
        ...(def.categories ? { categories: def.categories } : {}),
      },
      scope: def.scope,
      versions: def.versions.map((v) => ({
        name: v.name,
        served: v.served,
        storage: v.storage,
        ...(def.columns ? { additionalPrinterColumns: def.columns } : {}),
        schema: { openAPIV3Schema: def.schema ?? root(preserve, preserve) },
        ...(def.status ? { subresources: { status: {} } } : {}),
      })),
    },
  };
}
