import { Type, type Static } from 'typebox';
import { IdSchema, NullableTimestampSchema, TimestampSchema } from './common.ts';

/** DNS-1035 label, ≤ 63: the app's identity and its Kubernetes object names. */
export const AppNameSchema = Type.String({
  pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$',
  minLength: 1,
  maxLength: 63,
  description: 'Lowercase letters, digits and hyphens, starting with a letter (DNS-1035), at most 63 characters',
});

const EnvKeySchema = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', minLength: 1, maxLength: 128 });
const CpuSchema = Type.String({ pattern: '^([0-9]+m|[0-9]+(\\.[0-9]{1,3})?)$', maxLength: 16, description: 'e.g. 250m, 0.5, 1' });
const MemorySchema = Type.String({ pattern: '^[1-9][0-9]{0,5}(Mi|Gi)$', description: 'Mi or Gi only, e.g. 256Mi, 1Gi' });
const PercentOrIntSchema = Type.String({ pattern: '^([0-9]{1,3}%|[0-9]{1,4})$', maxLength: 5 });
const PathSchema = Type.String({ pattern: '^/[\\x21-\\x7e]*$', maxLength: 512, description: 'An absolute HTTP path' });
const PortSchema = Type.Integer({ minimum: 1, maximum: 65535 });

export const ProbeSchema = Type.Object(
  {
    http_get: Type.Optional(Type.Object({ path: PathSchema, port: Type.Optional(PortSchema) }, { additionalProperties: false })),
    tcp_socket: Type.Optional(Type.Object({ port: Type.Optional(PortSchema) }, { additionalProperties: false })),
    exec: Type.Optional(
      Type.Object({ command: Type.Array(Type.String({ maxLength: 1024 }), { minItems: 1, maxItems: 32 }) }, { additionalProperties: false }),
    ),
    initial_delay_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    period_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    failure_threshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
export type Probe = Static<typeof ProbeSchema>;

export const VolumeSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$', maxLength: 40 }),
    size: Type.String({ pattern: '^[1-9][0-9]{0,5}(Mi|Gi|Ti)$' }),
    mount_path: Type.String({ pattern: '^/[\\x21-\\x7e]*$', maxLength: 256 }),
    storage_class: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 63 })),
    /** `cluster-local` is a PVC in each zone (zone-local data); `object` is shared object storage. */
    storage_type: Type.Optional(Type.Union([Type.Literal('cluster-local'), Type.Literal('object')])),
  },
  { additionalProperties: false },
);
export type Volume = Static<typeof VolumeSchema>;

export const MulticlusterSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    mode: Type.Optional(Type.Union([Type.Literal('active-active'), Type.Literal('active-passive')])),
    /** Zones to run in; with `selector`, the zones must also match it. Default: every available zone. */
    zones: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }), { minItems: 1, maxItems: 16, uniqueItems: true })),
    /** Cluster labels the zones must carry (matchLabels). */
    selector: Type.Optional(Type.Record(Type.String({ maxLength: 316 }), Type.String({ maxLength: 63 }), { maxProperties: 16 })),
    /** active-passive: the zone that serves while healthy. */
    primary: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 })),
    /** active-passive: return to the primary automatically after it has been healthy for `failback_after_seconds`, or only on command. */
    failback: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('manual')])),
    failback_after_seconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 86_400 })),
    /** Consecutive failed probes through the serving zone's edge before traffic moves. */
    failure_threshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    /** Seconds between probes of the app through each zone's edge. */
    probe_interval_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
    /** Declares that the app replicates its own data between zones (allows cluster-local volumes in active-active). */
    replicates_data: Type.Optional(Type.Boolean()),
    backup: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          schedule: Type.Optional(Type.Union([Type.Literal('hourly'), Type.Literal('daily'), Type.Literal('weekly')])),
          retention: Type.Optional(Type.Union([Type.Literal('24h'), Type.Literal('72h'), Type.Literal('168h'), Type.Literal('720h')])),
          /** The zone that runs the backups (default: the primary). */
          zone: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** active-passive: restore the latest backup into the new primary on failover. */
    restore_on_failover: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type Multicluster = Static<typeof MulticlusterSchema>;

/** A deploy intent: the fields of satusky.toml. Absent fields keep the app's current value. */
export const DeployBodySchema = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 512, description: 'A prebuilt image reference, e.g. ghcr.io/acme/api:1.4.2' }),
    port: Type.Optional(PortSchema),
    cpu_request: Type.Optional(CpuSchema),
    cpu_limit: Type.Optional(CpuSchema),
    memory: Type.Optional(MemorySchema),
    replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: '0 means the default (1)' })),
    /** Merged over the app's current environment. */
    env: Type.Optional(Type.Record(EnvKeySchema, Type.String({ maxLength: 32_768 }), { maxProperties: 200 })),
    /** Secret names the app needs; values are set with the secrets API. */
    required_secrets: Type.Optional(Type.Array(EnvKeySchema, { maxItems: 100, uniqueItems: true })),
    health_path: Type.Optional(PathSchema),
    probes: Type.Optional(
      Type.Object(
        { readiness: Type.Optional(ProbeSchema), liveness: Type.Optional(ProbeSchema), startup: Type.Optional(ProbeSchema) },
        { additionalProperties: false },
      ),
    ),
    strategy: Type.Optional(Type.Union([Type.Literal('rolling'), Type.Literal('recreate')])),
    rolling_max_surge: Type.Optional(PercentOrIntSchema),
    rolling_max_unavailable: Type.Optional(PercentOrIntSchema),
    hpa: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          min_replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          max_replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          cpu_target: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          memory_target: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    pdb: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          type: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('fixed'), Type.Literal('percent')])),
          min_available: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
          percent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    volumes: Type.Optional(Type.Array(VolumeSchema, { maxItems: 8 })),
    wait_for: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[0-9]{1,5}$', maxLength: 260 }), { maxItems: 16 })),
    /** A zone from `GET /v1/orgs/{org}/zones`; absent keeps the current zone, or picks one. */
    zone: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 })),
    /** Run in several zones: active-active or active-passive with failover. */
    multicluster: Type.Optional(MulticlusterSchema),
  },
  { additionalProperties: false },
);
export type DeployBody = Static<typeof DeployBodySchema>;

/** The normalised spec a release records (defaults filled in). */
export const AppSpecSchema = Type.Object({
  image: Type.String(),
  port: Type.Integer(),
  cpu_request: Type.String(),
  cpu_limit: Type.String(),
  memory: Type.String(),
  replicas: Type.Integer(),
  env: Type.Record(Type.String(), Type.String()),
  required_secrets: Type.Array(Type.String()),
  health_path: Type.Union([Type.String(), Type.Null()]),
  probes: Type.Object({
    readiness: Type.Union([ProbeSchema, Type.Null()]),
    liveness: Type.Union([ProbeSchema, Type.Null()]),
    startup: Type.Union([ProbeSchema, Type.Null()]),
  }),
  strategy: Type.Union([Type.Literal('rolling'), Type.Literal('recreate')]),
  rolling_max_surge: Type.String(),
  rolling_max_unavailable: Type.String(),
  hpa: Type.Union([
    Type.Object({ min_replicas: Type.Integer(), max_replicas: Type.Integer(), cpu_target: Type.Integer(), memory_target: Type.Integer() }),
    Type.Null(),
  ]),
  pdb: Type.Union([Type.Object({ min_available: Type.Optional(Type.Integer()), max_unavailable_percent: Type.Optional(Type.Integer()) }), Type.Null()]),
  volumes: Type.Array(VolumeSchema),
  wait_for: Type.Array(Type.String()),
});
export type AppSpec = Static<typeof AppSpecSchema>;

export const PlacementSchema = Type.Object({
  mode: Type.Union([Type.Literal('single'), Type.Literal('active-active'), Type.Literal('active-passive')]),
  zones: Type.Array(
    Type.Object({
      zone: Type.String(),
      cluster_id: IdSchema,
      cluster: Type.String(),
      role: Type.Union([Type.Literal('serving'), Type.Literal('warm')]),
    }),
  ),
  /** Why these zones: "requested", "kept from the previous release", "default zone". */
  reason: Type.String(),
  /** Multi-zone settings as resolved (absent for a single zone). */
  multicluster: Type.Optional(
    Type.Object({
      primary: Type.Union([Type.String(), Type.Null()]),
      failback: Type.Union([Type.Literal('auto'), Type.Literal('manual')]),
      failback_after_seconds: Type.Integer(),
      failure_threshold: Type.Integer(),
      probe_interval_seconds: Type.Integer(),
      replicates_data: Type.Boolean(),
      selector: Type.Record(Type.String(), Type.String()),
      requested_zones: Type.Union([Type.Array(Type.String()), Type.Null()]),
      backup: Type.Union([
        Type.Object({ schedule: Type.String(), cron: Type.String(), retention: Type.String(), zone: Type.String() }),
        Type.Null(),
      ]),
      restore_on_failover: Type.Boolean(),
    }),
  ),
});
export type Placement = Static<typeof PlacementSchema>;

export const ReleaseSchema = Type.Object(
  {
    version: Type.Integer(),
    generation: Type.Integer(),
    image: Type.String(),
    reason: Type.Union([
      Type.Literal('deploy'),
      Type.Literal('rollback'),
      Type.Literal('restart'),
      Type.Literal('scale'),
      Type.Literal('env'),
      Type.Literal('secrets'),
    ]),
    status: Type.Union([Type.Literal('active'), Type.Literal('superseded')]),
    rollback_of: Type.Union([Type.Integer(), Type.Null()]),
    spec: AppSpecSchema,
    placement: PlacementSchema,
    secret_keys: Type.Array(Type.String()),
    secrets_version: Type.Integer(),
    created_by: Type.Union([Type.String(), Type.Null()]),
    created_at: TimestampSchema,
  },
  { $id: 'Release' },
);
export type Release = Static<typeof ReleaseSchema>;

export const ConditionStatusSchema = Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]);
export type ConditionStatus = Static<typeof ConditionStatusSchema>;

export const ConditionSchema = Type.Object({
  /** Accepted, Applied, WorkloadReady, RouteAccepted, DNSReady, TLSReady, Reachable, ClusterReachable */
  type: Type.String(),
  status: ConditionStatusSchema,
  reason: Type.String(),
  message: Type.String(),
  /** When the underlying fact was observed; null when it never was. */
  observed_at: NullableTimestampSchema,
});
export type Condition = Static<typeof ConditionSchema>;

export const OverallStatusSchema = Type.Union([
  Type.Literal('ready'),
  Type.Literal('progressing'),
  Type.Literal('degraded'),
  Type.Literal('failed'),
  Type.Literal('unknown'),
]);
export type OverallStatus = Static<typeof OverallStatusSchema>;

export const ClusterStatusSchema = Type.Object({
  zone: Type.String(),
  cluster: Type.String(),
  cluster_id: IdSchema,
  role: Type.Union([Type.Literal('serving'), Type.Literal('warm')]),
  status: OverallStatusSchema,
  desired_generation: Type.Integer(),
  applied_generation: Type.Integer(),
  observed_generation: Type.Union([Type.Integer(), Type.Null()]),
  replicas: Type.Object({
    desired: Type.Union([Type.Integer(), Type.Null()]),
    ready: Type.Union([Type.Integer(), Type.Null()]),
    updated: Type.Union([Type.Integer(), Type.Null()]),
    available: Type.Union([Type.Integer(), Type.Null()]),
  }),
  conditions: Type.Array(ConditionSchema),
  /** True when the cluster has not been heard from within its timeout: nothing here is current. */
  stale: Type.Boolean(),
  /** Whether the app's hostname should send traffic to this zone now (follows failover; `role` is the placement's). */
  receives_traffic: Type.Boolean(),
  observed_at: NullableTimestampSchema,
});
export type ClusterStatus = Static<typeof ClusterStatusSchema>;

export const FailoverStateSchema = Type.Object({
  phase: Type.Union([
    Type.Literal('primary-serving'),
    Type.Literal('detecting'),
    Type.Literal('failing-over'),
    Type.Literal('secondary-serving'),
    Type.Literal('failing-back'),
  ]),
  epoch: Type.Integer(),
  primary: Type.String(),
  serving: Type.String(),
  since: TimestampSchema,
  failures: Type.Integer(),
  primary_healthy_since: NullableTimestampSchema,
  detected_at: NullableTimestampSchema,
  switched_at: NullableTimestampSchema,
  first_healthy_at: NullableTimestampSchema,
  from: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
});
export type FailoverStateView = Static<typeof FailoverStateSchema>;

export const EdgeProbeSchema = Type.Object({
  zone: Type.String(),
  ok: Type.Boolean(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  detail: Type.String(),
  latency_ms: Type.Union([Type.Integer(), Type.Null()]),
  answered_by: Type.Union([Type.String(), Type.Null()]),
  probed_at: TimestampSchema,
});

/** Where the app's traffic goes now: the DNS answer the control plane publishes, and why. */
export const TrafficSchema = Type.Object({
  mode: Type.Union([Type.Literal('single'), Type.Literal('active-active'), Type.Literal('active-passive')]),
  hostname: Type.String(),
  /** Edge addresses the hostname resolves to, and their zones. */
  addresses: Type.Array(Type.String()),
  zones: Type.Array(Type.String()),
  failover: Type.Union([FailoverStateSchema, Type.Null()]),
  /** The latest probe of the app through each zone's edge. */
  probes: Type.Array(EdgeProbeSchema),
});
export type Traffic = Static<typeof TrafficSchema>;

export const FailoverBodySchema = Type.Object({ to: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }) }, { additionalProperties: false });

export const AppStatusSchema = Type.Object(
  {
    deployment_id: IdSchema,
    name: Type.String(),
    generation: Type.Integer(),
    release: Type.Union([Type.Integer(), Type.Null()]),
    status: OverallStatusSchema,
    message: Type.String(),
    conditions: Type.Array(ConditionSchema),
    clusters: Type.Array(ClusterStatusSchema),
    traffic: Type.Union([TrafficSchema, Type.Null()]),
    /** Backups of the app's volumes (Velero), when configured: null otherwise. */
    backups: Type.Union([
      Type.Object({
        schedule: Type.String(),
        cron: Type.String(),
        retention: Type.String(),
        zone: Type.String(),
        configured: Type.Boolean(),
        /** ok, failing: …, waiting for the first backup, not configured yet, unknown: … */
        state: Type.String(),
        last_success_at: NullableTimestampSchema,
        last_backup: NullableTimestampSchema,
        last_failure: Type.Union([Type.Object({ at: NullableTimestampSchema, backup: Type.String(), reason: Type.String() }), Type.Null()]),
        next_run_at: NullableTimestampSchema,
        /** The newest completed backup: what a restore brings back. */
        recovery_point: NullableTimestampSchema,
        restores: Type.Array(
          Type.Object({
            zone: Type.String(),
            name: Type.String(),
            backup: Type.String(),
            phase: Type.String(),
            started_at: NullableTimestampSchema,
            completed_at: NullableTimestampSchema,
            message: Type.Union([Type.String(), Type.Null()]),
          }),
        ),
        note: Type.String(),
      }),
      Type.Null(),
    ]),
    /** The app's custom domains and where each stands (details: `domains check`). */
    domains: Type.Array(
      Type.Object({
        hostname: Type.String(),
        status: Type.Union([Type.Literal('pending'), Type.Literal('verified'), Type.Literal('removed')]),
        route_kind: Type.Union([Type.Literal('httproute'), Type.Literal('ingress')]),
        www_redirect: Type.Boolean(),
        last_check_error: Type.Union([Type.String(), Type.Null()]),
        /** From the background observations (DNS through the public resolvers, routes and certificates per zone): ok, failing, pending or unknown. */
        health: Type.Union([Type.Literal('ok'), Type.Literal('failing'), Type.Literal('pending'), Type.Literal('unknown')]),
        /** What is wrong, in words, when not ok (details: `domains check`). */
        problems: Type.Array(Type.String()),
      }),
    ),
    evaluated_at: TimestampSchema,
  },
  { $id: 'AppStatus' },
);
export type AppStatus = Static<typeof AppStatusSchema>;

export const AppSchema = Type.Object(
  {
    id: IdSchema,
    name: Type.String(),
    namespace: Type.String(),
    hostname: Type.String(),
    url: Type.String(),
    state: Type.Union([Type.Literal('active'), Type.Literal('deleting'), Type.Literal('deleted')]),
    generation: Type.Integer(),
    release: Type.Union([ReleaseSchema, Type.Null()]),
    status: OverallStatusSchema,
    zones: Type.Array(Type.Object({ zone: Type.String(), role: Type.String(), status: OverallStatusSchema })),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  },
  { $id: 'App' },
);
export type App = Static<typeof AppSchema>;

export const DeployAcceptedSchema = Type.Object({
  deployment_id: IdSchema,
  name: Type.String(),
  namespace: Type.String(),
  hostname: Type.String(),
  generation: Type.Integer(),
  release: Type.Integer(),
  /** False when the intent matched the current release: nothing new was created. */
  changed: Type.Boolean(),
  placement: PlacementSchema,
  status_url: Type.String(),
  missing_required_secrets: Type.Array(Type.String()),
});
export type DeployAccepted = Static<typeof DeployAcceptedSchema>;

export const AppParamsSchema = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  app: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9-]+$' }),
});

export const RollbackBodySchema = Type.Object(
  { version: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the release before the current one' })) },
  { additionalProperties: false },
);
export const ScaleBodySchema = Type.Object({ replicas: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false });

export const EnvEntrySchema = Type.Object({ key: Type.String(), value: Type.String() });
export const EnvListSchema = Type.Object({ items: Type.Array(EnvEntrySchema), release: Type.Union([Type.Integer(), Type.Null()]) });
export type EnvList = Static<typeof EnvListSchema>;

export const KeyValuePatchSchema = Type.Object(
  {
    set: Type.Optional(Type.Record(EnvKeySchema, Type.String({ maxLength: 32_768 }), { maxProperties: 200 })),
    unset: Type.Optional(Type.Array(EnvKeySchema, { maxItems: 200, uniqueItems: true })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type KeyValuePatch = Static<typeof KeyValuePatchSchema>;

export const SecretEntrySchema = Type.Object({ key: Type.String(), version: Type.Integer(), updated_at: TimestampSchema });
export const SecretListSchema = Type.Object({ items: Type.Array(SecretEntrySchema) });
export type SecretList = Static<typeof SecretListSchema>;

/** A change to env or secrets: a new release when the app is deployed, stored for later otherwise. */
export const ConfigChangeAcceptedSchema = Type.Object({
  changed: Type.Boolean(),
  generation: Type.Integer(),
  release: Type.Union([Type.Integer(), Type.Null()]),
  keys: Type.Array(Type.String()),
});
export type ConfigChangeAccepted = Static<typeof ConfigChangeAcceptedSchema>;

export const AppEventSchema = Type.Object({
  id: Type.Integer(),
  at: TimestampSchema,
  category: Type.String(),
  type: Type.String(),
  level: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('error')]),
  message: Type.String(),
  zone: Type.Union([Type.String(), Type.Null()]),
  generation: Type.Union([Type.Integer(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
export type AppEvent = Static<typeof AppEventSchema>;

export const EventsQuerySchema = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export const EventListSchema = Type.Object({ items: Type.Array(AppEventSchema), cursor: Type.Integer() });
export type EventList = Static<typeof EventListSchema>;

export const LogLineSchema = Type.Object({
  at: Type.Union([TimestampSchema, Type.Null()]),
  zone: Type.String(),
  pod: Type.String(),
  container: Type.String(),
  message: Type.String(),
});
export type LogLine = Static<typeof LogLineSchema>;

export const LogsQuerySchema = Type.Object(
  {
    tail: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
    zone: Type.Optional(Type.String({ maxLength: 63 })),
  },
  { additionalProperties: false },
);
export const LogsSchema = Type.Object({
  lines: Type.Array(LogLineSchema),
  /** Zones that could not be read, and why: a partial answer says so. */
  unavailable: Type.Array(Type.Object({ zone: Type.String(), reason: Type.String() })),
});
export type Logs = Static<typeof LogsSchema>;

export const DeleteAppQuerySchema = Type.Object(
  { purge_volumes: Type.Optional(Type.Boolean({ description: 'Also delete the volumes (PVCs); by default they are retained' })) },
  { additionalProperties: false },
);

export const OperationSchema = Type.Object(
  {
    id: IdSchema,
    kind: Type.String(),
    state: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
    deployment_id: Type.Union([IdSchema, Type.Null()]),
    result: Type.Object({
      clusters: Type.Array(
        Type.Object({
          zone: Type.String(),
          state: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('unreachable')]),
          removed: Type.Array(Type.String()),
          remaining: Type.Array(Type.Object({ object: Type.String(), reason: Type.String() })),
          error: Type.Union([Type.String(), Type.Null()]),
        }),
      ),
    }),
    status_url: Type.String(),
    created_at: TimestampSchema,
    finished_at: NullableTimestampSchema,
  },
  { $id: 'Operation' },
);
export type Operation = Static<typeof OperationSchema>;
export const OperationParamsSchema = Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }), operationId: IdSchema });
