import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { AppSpec, Placement } from '@satusky/contracts';
import type { FailoverCommand, FailoverState } from '../core/failover.ts';
import type { BackupObservation } from '../core/backups.ts';
import type { DnsAnswer, RoutingObservation } from '../core/routing.ts';
import type { WorkloadSummary } from '../core/status.ts';

/** Timestamps come back as Date from both drivers and may be written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb: objects in, objects out (both drivers parse it). */
export type Json = ColumnType<Record<string, unknown>, string | Record<string, unknown>, string | Record<string, unknown>>;

export interface UsersTable {
  id: string;
  email: string;
  name: ColumnType<string, string | undefined, string>;
  password_hash: string | null;
  is_platform_admin: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  namespace: string;
  description: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface MembershipsTable {
  id: string;
  organization_id: string;
  user_id: string;
  role: 'admin' | 'member';
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ApiTokensTable {
  id: string;
  membership_id: string;
  name: string;
  token_hash: string;
  hint: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  fingerprint: string;
  status_code: number;
  response_sealed: string;
  created_at: CreatedAt;
}

export interface AuditLogTable {
  id: Generated<number>;
  organization_id: string | null;
  actor_user_id: string | null;
  actor_email: string | null;
  actor_token_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  resource_name: string | null;
  request_id: string;
  idempotency_key: string | null;
  changes: Json;
  ip: string | null;
  user_agent: string | null;
  created_at: CreatedAt;
}

export interface ClustersTable {
  id: string;
  name: string;
  zone: string;
  display_name: ColumnType<string, string | undefined, string>;
  region: ColumnType<string, string | undefined, string>;
  priority: ColumnType<number, number | undefined, number>;
  is_default: ColumnType<boolean, boolean | undefined, boolean>;
  labels: ColumnType<Record<string, string>, string | undefined, string>;
  kubeconfig_sealed: string;
  edge_address: string | null;
  gateway_class: ColumnType<string, string | undefined, string>;
  ingress_class: ColumnType<string, string | undefined, string>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  auto_enable: ColumnType<boolean, boolean | undefined, boolean>;
  health_state: ColumnType<'unknown' | 'healthy' | 'degraded' | 'offline', 'unknown' | 'healthy' | 'degraded' | 'offline' | undefined, 'unknown' | 'healthy' | 'degraded' | 'offline'>;
  health_reason: ColumnType<string, string | undefined, string>;
  health_checked_at: Timestamp | null;
  last_heard_at: Timestamp | null;
  api_latency_ms: number | null;
  nodes_ready: number | null;
  nodes_total: number | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrgZonesTable {
  organization_id: string;
  cluster_id: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface DeploymentsTable {
  id: string;
  organization_id: string;
  name: string;
  hostname: string;
  generation: ColumnType<number, number | undefined, number>;
  current_release_id: string | null;
  state: ColumnType<'active' | 'deleting' | 'deleted', 'active' | 'deleting' | 'deleted' | undefined, 'active' | 'deleting' | 'deleted'>;
  /** Bumped when the app's routes change without a release (a domain verified, removed, migrated). */
  routing_generation: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Timestamp | null;
}

export type ReleaseReason = 'deploy' | 'rollback' | 'restart' | 'scale' | 'env' | 'secrets';

export interface ReleasesTable {
  id: string;
  deployment_id: string;
  version: number;
  generation: number;
  spec: ColumnType<AppSpec, string, string>;
  placement: ColumnType<Placement, string, string>;
  secret_keys: ColumnType<string[], string, string>;
  secrets_version: number;
  template_version: number;
  reason: ReleaseReason;
  rollback_of: number | null;
  restart_nonce: string | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface OrgDataKeysTable {
  id: string;
  organization_id: string;
  wrapped_key: string;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
}

export interface AppSecretsTable {
  deployment_id: string;
  key: string;
  value_sealed: string;
  data_key_id: string;
  version: number;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface DeploymentTargetsTable {
  deployment_id: string;
  cluster_id: string;
  role: 'serving' | 'warm';
  state: ColumnType<'active' | 'removing' | 'removed', 'active' | 'removing' | 'removed' | undefined, 'active' | 'removing' | 'removed'>;
  desired_generation: number;
  applied_generation: ColumnType<number, number | undefined, number>;
  applied_routing_generation: ColumnType<number, number | undefined, number>;
  applied_at: Timestamp | null;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  last_error_at: Timestamp | null;
  next_attempt_at: Timestamp | null;
  removal: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  updated_at: UpdatedAt;
}

export interface DeploymentObservationsTable {
  deployment_id: string;
  cluster_id: string;
  observed_generation: number | null;
  release_version: number | null;
  desired_replicas: number | null;
  replicas: number | null;
  ready_replicas: number | null;
  updated_replicas: number | null;
  available_replicas: number | null;
  workload: ColumnType<WorkloadSummary, string, string>;
  routing: ColumnType<RoutingObservation | null, string | null | undefined, string | null>;
  backups: ColumnType<BackupObservation | null, string | null | undefined, string | null>;
  observed_at: Timestamp;
}

export interface DeploymentEventsTable {
  id: Generated<number>;
  deployment_id: string;
  organization_id: string;
  cluster_id: string | null;
  zone: string | null;
  generation: number | null;
  category: string;
  type: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  detail: Json;
  at: CreatedAt;
}

export interface OperationsTable {
  id: string;
  organization_id: string;
  deployment_id: string | null;
  kind: string;
  state: ColumnType<'running' | 'succeeded' | 'failed', 'running' | 'succeeded' | 'failed' | undefined, 'running' | 'succeeded' | 'failed'>;
  request: Json;
  result: Json;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  finished_at: Timestamp | null;
}

export interface LeasesTable {
  name: string;
  holder: string;
  epoch: number;
  expires_at: Timestamp;
  renewed_at: UpdatedAt;
}

export interface DnsRecordsTable {
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'NS';
  value: string;
  ttl: number;
  deployment_id: string | null;
  updated_at: UpdatedAt;
}

export interface DnsZoneTable {
  id: number;
  serial: number;
  updated_at: UpdatedAt;
}

export interface EdgeProbesTable {
  deployment_id: string;
  cluster_id: string;
  ok: boolean;
  status_code: number | null;
  detail: string;
  latency_ms: number | null;
  answered_by: string | null;
  probed_at: Timestamp;
  streak: ColumnType<number, number | undefined, number>;
}

export interface FailoverStatesTable {
  deployment_id: string;
  state: ColumnType<FailoverState, string, string>;
  epoch: number;
  version: ColumnType<number, number | undefined, number>;
  pending_command: ColumnType<FailoverCommand | null, string | null | undefined, string | null>;
  updated_at: UpdatedAt;
}

export interface DomainsTable {
  id: string;
  organization_id: string;
  deployment_id: string | null;
  hostname: string;
  www_redirect: ColumnType<boolean, boolean | undefined, boolean>;
  verification_token: string;
  status: ColumnType<'pending' | 'verified' | 'removed', 'pending' | 'verified' | 'removed' | undefined, 'pending' | 'verified' | 'removed'>;
  verified_at: Timestamp | null;
  last_checked_at: Timestamp | null;
  last_check_error: string | null;
  route_kind: ColumnType<'httproute' | 'ingress', 'httproute' | 'ingress' | undefined, 'httproute' | 'ingress'>;
  created_at: CreatedAt;
  removed_at: Timestamp | null;
  reserved_until: Timestamp | null;
  next_check_at: Timestamp | null;
  check_attempts: ColumnType<number, number | undefined, number>;
  ingress_retained: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface BackupRestoresTable {
  id: string;
  deployment_id: string;
  cluster_id: string;
  name: string;
  backup_name: string;
  epoch: number | null;
  reason: string;
  requested_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface DnsObservationsTable {
  hostname: string;
  deployment_id: string | null;
  rcode: string;
  answers: ColumnType<DnsAnswer[], string, string>;
  addresses: ColumnType<string[], string, string>;
  error: string | null;
  observed_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  membership_id: string;
  switchable: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  expires_at: Timestamp;
  last_used_at: Timestamp | null;
}

export interface SchemaMigrationsTable {
  version: string;
  checksum: string;
  applied_at: CreatedAt;
}

export interface DB {
  users: UsersTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  api_tokens: ApiTokensTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_log: AuditLogTable;
  schema_migrations: SchemaMigrationsTable;
  clusters: ClustersTable;
  org_zones: OrgZonesTable;
  deployments: DeploymentsTable;
  releases: ReleasesTable;
  org_data_keys: OrgDataKeysTable;
  app_secrets: AppSecretsTable;
  deployment_targets: DeploymentTargetsTable;
  deployment_observations: DeploymentObservationsTable;
  deployment_events: DeploymentEventsTable;
  operations: OperationsTable;
  leases: LeasesTable;
  dns_records: DnsRecordsTable;
  dns_zone: DnsZoneTable;
  edge_probes: EdgeProbesTable;
  failover_states: FailoverStatesTable;
  domains: DomainsTable;
  sessions: SessionsTable;
  dns_observations: DnsObservationsTable;
  backup_restores: BackupRestoresTable;
}

export type UserRow = Selectable<UsersTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type MembershipRow = Selectable<MembershipsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type NewAuditLogRow = Insertable<AuditLogTable>;
export type ClusterRow = Selectable<ClustersTable>;
export type DeploymentRow = Selectable<DeploymentsTable>;
export type ReleaseRow = Selectable<ReleasesTable>;
export type TargetRow = Selectable<DeploymentTargetsTable>;
export type ObservationRow = Selectable<DeploymentObservationsTable>;
export type EventRow = Selectable<DeploymentEventsTable>;
export type OperationRow = Selectable<OperationsTable>;
export type DomainRow = Selectable<DomainsTable>;
export type DnsObservationRow = Selectable<DnsObservationsTable>;
export type EdgeProbeRow = Selectable<EdgeProbesTable>;
export type NewEdgeProbeRow = Insertable<EdgeProbesTable>;
