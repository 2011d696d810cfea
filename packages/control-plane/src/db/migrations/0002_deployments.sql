-- Clusters (zones), org zones, deployments with immutable releases, per-app secrets under per-org
-- data keys, per-cluster targets (the durable work queue of the controllers), observations of what
-- each cluster runs, the events timeline, long-running operations and the controller lease.

create table clusters (
  id uuid primary key,
  name text not null,
  -- what users pass as --zone
  zone text not null,
  display_name text not null default '',
  region text not null default '',
  -- lower is preferred when a deploy does not name a zone
  priority integer not null default 100,
  is_default boolean not null default false,
  labels jsonb not null default '{}'::jsonb,
  -- sealed with the keyring; never returned by the API
  kubeconfig_sealed text not null,
  -- the public address of the zone's edge (what DNS answers for apps served there)
  edge_address text,
  gateway_class text not null default 'satusky-edge',
  -- platform switch: a disabled cluster accepts no new placements
  enabled boolean not null default true,
  -- enabled for every organization automatically (new and existing)
  auto_enable boolean not null default true,
  health_state text not null default 'unknown' check (health_state in ('unknown', 'healthy', 'degraded', 'offline')),
  health_reason text not null default 'not probed yet',
  health_checked_at timestamptz,
  -- the last time the cluster answered anything (probe, list, watch event)
  last_heard_at timestamptz,
  api_latency_ms integer,
  nodes_ready integer,
  nodes_total integer,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index clusters_name_key on clusters (name);
create unique index clusters_zone_key on clusters (zone);

create table org_zones (
  organization_id uuid not null references organizations (id) on delete cascade,
  cluster_id uuid not null references clusters (id) on delete cascade,
  enabled boolean not null default true,
  primary key (organization_id, cluster_id)
);

create table deployments (
  id uuid primary key,
  -- no cascade: an organization cannot be deleted while it owns deployments
  organization_id uuid not null references organizations (id),
  name text not null,
  -- the generated platform hostname, unique across the installation
  hostname text not null,
  -- bumps with every accepted change; every release records the generation it created
  generation integer not null default 0,
  current_release_id uuid,
  state text not null default 'active' check (state in ('active', 'deleting', 'deleted')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create unique index deployments_org_name_key on deployments (organization_id, name) where state <> 'deleted';
create unique index deployments_hostname_key on deployments (hostname) where state <> 'deleted';
create index deployments_org_idx on deployments (organization_id);

create table releases (
  id uuid primary key,
  deployment_id uuid not null references deployments (id) on delete cascade,
  version integer not null,
  generation integer not null,
  -- the normalised application spec: image, port, resources, replicas, env, probes, strategy,
  -- autoscaling, disruption budget, volumes, wait_for
  spec jsonb not null,
  -- resolved placement: mode and the clusters it selected
  placement jsonb not null,
  -- the secret keys wired into the pods and the version of the app's secrets at release time
  secret_keys jsonb not null default '[]'::jsonb,
  secrets_version integer not null default 0,
  -- the version of the release that last changed the pod template: pods carry it, so a release
  -- that only scales does not restart them
  template_version integer not null,
  reason text not null check (reason in ('deploy', 'rollback', 'restart', 'scale', 'env', 'secrets')),
  rollback_of integer,
  restart_nonce text,
  created_by uuid,
  created_at timestamptz not null default now(),
  unique (deployment_id, version)
);

create table org_data_keys (
  id uuid primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  -- the org's AES-256 data key, sealed by the active master key
  wrapped_key text not null,
  active boolean not null default true,
  created_at timestamptz not null default now()
);
create index org_data_keys_org_idx on org_data_keys (organization_id) where active;

create table app_secrets (
  deployment_id uuid not null references deployments (id) on delete cascade,
  key text not null,
  value_sealed text not null,
  data_key_id uuid not null references org_data_keys (id),
  version integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (deployment_id, key)
);

-- What each cluster should run for a deployment, and what was last applied there. A row whose
-- applied generation trails the desired one (or that is being removed) is pending work.
create table deployment_targets (
  deployment_id uuid not null references deployments (id) on delete cascade,
  cluster_id uuid not null references clusters (id),
  role text not null default 'serving' check (role in ('serving', 'warm')),
  state text not null default 'active' check (state in ('active', 'removing', 'removed')),
  desired_generation integer not null,
  applied_generation integer not null default 0,
  applied_at timestamptz,
  attempts integer not null default 0,
  last_error text,
  last_error_at timestamptz,
  next_attempt_at timestamptz,
  removal jsonb,
  updated_at timestamptz not null default now(),
  primary key (deployment_id, cluster_id)
);
create index deployment_targets_pending_idx on deployment_targets (cluster_id)
  where applied_generation < desired_generation or state = 'removing';

create table deployment_observations (
  deployment_id uuid not null references deployments (id) on delete cascade,
  cluster_id uuid not null references clusters (id) on delete cascade,
  -- the Satusky generation the cluster's Deployment controller has processed
  observed_generation integer,
  release_version integer,
  desired_replicas integer,
  replicas integer,
  ready_replicas integer,
  updated_replicas integer,
  available_replicas integer,
  -- summarised workload state: Kubernetes conditions and pod problems (reason, message, pods)
  workload jsonb not null default '{}'::jsonb,
  observed_at timestamptz not null,
  primary key (deployment_id, cluster_id)
);

create table deployment_events (
  id bigint generated always as identity primary key,
  deployment_id uuid not null,
  organization_id uuid not null,
  cluster_id uuid,
  zone text,
  generation integer,
  category text not null,
  type text not null,
  level text not null check (level in ('info', 'warning', 'error')),
  message text not null,
  detail jsonb not null default '{}'::jsonb,
  at timestamptz not null default now()
);
create index deployment_events_deployment_idx on deployment_events (deployment_id, id);

create table operations (
  id uuid primary key,
  organization_id uuid not null,
  deployment_id uuid,
  kind text not null,
  state text not null default 'running' check (state in ('running', 'succeeded', 'failed')),
  request jsonb not null default '{}'::jsonb,
  result jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
create index operations_org_idx on operations (organization_id, created_at desc);

-- Exactly one process runs the controllers at a time: the holder of this lease. The epoch grows
-- with every change of holder and fences writes from a stale one.
create table leases (
  name text primary key,
  holder text not null,
  epoch bigint not null,
  expires_at timestamptz not null,
  renewed_at timestamptz not null default now()
);
