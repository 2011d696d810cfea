-- Traffic: the platform DNS zone the control plane publishes, what the probes through each zone's
-- edge saw, the failover state of multi-zone apps, and custom domains with ownership proof.

-- Records of the platform zone. Written only by the controller leader; served by every process.
create table dns_records (
  name text not null,
  type text not null check (type in ('A', 'AAAA', 'CNAME', 'TXT', 'NS')),
  value text not null,
  ttl integer not null,
  deployment_id uuid,
  updated_at timestamptz not null default now(),
  primary key (name, type, value)
);
create index dns_records_deployment_idx on dns_records (deployment_id);

-- One row: the zone's serial, bumped with every change (servers reload when it moves).
create table dns_zone (
  id integer primary key check (id = 1),
  serial bigint not null,
  updated_at timestamptz not null default now()
);
insert into dns_zone (id, serial) values (1, 1);

-- The latest probe of each app through each zone's edge (drives Reachable and failover).
create table edge_probes (
  deployment_id uuid not null references deployments (id) on delete cascade,
  cluster_id uuid not null references clusters (id) on delete cascade,
  ok boolean not null,
  status_code integer,
  detail text not null,
  latency_ms integer,
  -- the zone that answered (x-satusky-zone), to catch an edge routing to the wrong place
  answered_by text,
  probed_at timestamptz not null,
  -- consecutive results of the same kind, for thresholds
  streak integer not null default 1,
  primary key (deployment_id, cluster_id)
);

create table failover_states (
  deployment_id uuid primary key references deployments (id) on delete cascade,
  state jsonb not null,
  epoch bigint not null,
  -- compare-and-set: operator commands and the controller never overwrite each other
  version bigint not null default 1,
  -- an operator command waiting for the controller (failover --to, failback)
  pending_command jsonb,
  updated_at timestamptz not null default now()
);

create table domains (
  id uuid primary key,
  organization_id uuid not null,
  deployment_id uuid references deployments (id) on delete set null,
  hostname text not null,
  -- also route www.<hostname> and redirect it here
  www_redirect boolean not null default false,
  -- the value the _satusky-challenge TXT record must carry: bound to this org and hostname
  verification_token text not null,
  status text not null default 'pending' check (status in ('pending', 'verified', 'removed')),
  verified_at timestamptz,
  last_checked_at timestamptz,
  last_check_error text,
  -- how the custom hostname is routed: Gateway API (the target) or legacy Ingress
  route_kind text not null default 'httproute' check (route_kind in ('httproute', 'ingress')),
  created_at timestamptz not null default now(),
  removed_at timestamptz,
  -- after removal the hostname stays reserved to this organization until then
  reserved_until timestamptz
);
create unique index domains_active_hostname_key on domains (hostname) where status <> 'removed';
create index domains_org_idx on domains (organization_id);
create index domains_deployment_idx on domains (deployment_id);
