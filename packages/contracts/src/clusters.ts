import { Type, type Static } from 'typebox';
import { IdSchema, NullableTimestampSchema, TimestampSchema } from './common.ts';

export const HealthStateSchema = Type.Union([
  Type.Literal('unknown'),
  Type.Literal('healthy'),
  Type.Literal('degraded'),
  Type.Literal('offline'),
]);
export type HealthState = Static<typeof HealthStateSchema>;

export const ClusterHealthSchema = Type.Object({
  state: HealthStateSchema,
  reason: Type.String(),
  checked_at: NullableTimestampSchema,
  last_heard_at: NullableTimestampSchema,
  latency_ms: Type.Union([Type.Integer(), Type.Null()]),
  nodes_ready: Type.Union([Type.Integer(), Type.Null()]),
  nodes_total: Type.Union([Type.Integer(), Type.Null()]),
});
export type ClusterHealth = Static<typeof ClusterHealthSchema>;

const LabelsSchema = Type.Record(
  Type.String({ pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$', maxLength: 316 }),
  Type.String({ pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$', maxLength: 63 }),
  { maxProperties: 64 },
);
const DnsLabelSchema = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', minLength: 1, maxLength: 63 });
const Ipv4Schema = Type.String({ format: 'ipv4' });

export const ClusterSchema = Type.Object(
  {
    id: IdSchema,
    name: Type.String(),
    zone: Type.String(),
    display_name: Type.String(),
    region: Type.String(),
    priority: Type.Integer(),
    is_default: Type.Boolean(),
    labels: Type.Record(Type.String(), Type.String()),
    edge_address: Type.Union([Type.String(), Type.Null()]),
    gateway_class: Type.String(),
    ingress_class: Type.String(),
    /** The API server the kubeconfig points at (the kubeconfig itself is never returned). */
    endpoint: Type.String(),
    enabled: Type.Boolean(),
    auto_enable: Type.Boolean(),
    health: ClusterHealthSchema,
    created_at: TimestampSchema,
  },
  { $id: 'Cluster' },
);
export type Cluster = Static<typeof ClusterSchema>;

export const RegisterClusterBodySchema = Type.Object(
  {
    name: DnsLabelSchema,
    zone: DnsLabelSchema,
    display_name: Type.Optional(Type.String({ maxLength: 100 })),
    region: Type.Optional(Type.String({ maxLength: 63 })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    is_default: Type.Optional(Type.Boolean()),
    labels: Type.Optional(LabelsSchema),
    /** A kubeconfig (YAML or JSON). Stored sealed; never returned. */
    kubeconfig: Type.String({ minLength: 20, maxLength: 256 * 1024 }),
    /** The kubeconfig context to use (default: its current context). */
    context: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    edge_address: Type.Optional(Ipv4Schema),
    gateway_class: Type.Optional(DnsLabelSchema),
    /** The IngressClass legacy (Ingress-routed) custom domains use. Default nginx. */
    ingress_class: Type.Optional(DnsLabelSchema),
    enabled: Type.Optional(Type.Boolean()),
    auto_enable: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type RegisterClusterBody = Static<typeof RegisterClusterBodySchema>;

export const UpdateClusterBodySchema = Type.Object(
  {
    display_name: Type.Optional(Type.String({ maxLength: 100 })),
    region: Type.Optional(Type.String({ maxLength: 63 })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    is_default: Type.Optional(Type.Boolean()),
    labels: Type.Optional(LabelsSchema),
    kubeconfig: Type.Optional(Type.String({ minLength: 20, maxLength: 256 * 1024 })),
    context: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    edge_address: Type.Optional(Type.Union([Ipv4Schema, Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
    auto_enable: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateClusterBody = Static<typeof UpdateClusterBodySchema>;

export const ClusterParamsSchema = Type.Object({ cluster: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9-]+$' }) });

/** A zone as an organization sees it: whether it can deploy there now, and why not. */
export const ZoneSchema = Type.Object(
  {
    zone: Type.String(),
    label: Type.String(),
    region: Type.String(),
    cluster_id: IdSchema,
    cluster: Type.String(),
    is_default: Type.Boolean(),
    enabled: Type.Boolean(),
    status: Type.Union([Type.Literal('available'), Type.Literal('unavailable')]),
    reason: Type.String(),
    health: ClusterHealthSchema,
  },
  { $id: 'Zone' },
);
export type Zone = Static<typeof ZoneSchema>;

export const OrgZoneParamsSchema = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  zone: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9-]+$' }),
});
export const SetOrgZoneBodySchema = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });
