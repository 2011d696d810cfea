-- Backups of cluster-local volumes (Velero): what each zone shows, and the restores failover asks for.

-- The app's Velero Schedule, Backups and Restores as the zone shows them, next to the workload.
alter table deployment_observations add column backups jsonb;

-- A restore into a zone: requested by a failover (restore_on_failover) or an operator, carried out
-- by the zone's Velero; the reconciler renders one Restore object per row.
create table backup_restores (
  id uuid primary key,
  deployment_id uuid not null references deployments (id) on delete cascade,
  cluster_id uuid not null references clusters (id) on delete cascade,
  -- the Velero Restore object's name in the zone
  name text not null,
  backup_name text not null,
  -- the failover epoch that asked for it (null: requested by an operator)
  epoch integer,
  reason text not null,
  requested_at timestamptz not null default now()
);
create unique index backup_restores_name_key on backup_restores (cluster_id, name);
create index backup_restores_deployment_idx on backup_restores (deployment_id, cluster_id);
