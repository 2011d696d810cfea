-- Routing: custom domains become routes, certificates and checks.
--
-- The routes an app renders depend on its domains as well as its release. A domain change bumps
-- the deployment's routing generation; each target records the routing generation it applied, so
-- the controllers re-apply exactly the apps whose routes changed.
alter table deployments add column routing_generation integer not null default 0;
alter table deployment_targets add column applied_routing_generation integer not null default 0;

-- Which IngressClass legacy Ingress routes use in this cluster.
alter table clusters add column ingress_class text not null default 'nginx';

-- What each cluster shows for an app's routes and certificates (HTTPRoute/Ingress status,
-- Certificate Ready), written by the observer next to the workload.
alter table deployment_observations add column routing jsonb;

-- Background ownership verification of pending domains (and periodic re-checks of verified ones).
alter table domains add column next_check_at timestamptz;
alter table domains add column check_attempts integer not null default 0;
-- During `satusky routing migrate`: the Ingress is kept until the new HTTPRoute is accepted in
-- every zone that serves the app, so the hostname never goes unrouted.
alter table domains add column ingress_retained boolean not null default false;
create index domains_next_check_idx on domains (next_check_at) where status <> 'removed';

-- The latest resolution of each hostname through the configured public resolvers (platform
-- hostnames and verified custom domains): drives DNSReady and the dns fact of `domains check`.
create table dns_observations (
  hostname text primary key,
  deployment_id uuid references deployments (id) on delete cascade,
  rcode text not null,
  -- the CNAME chain followed, then the addresses: [{name, type, value}]
  answers jsonb not null,
  addresses jsonb not null,
  error text,
  observed_at timestamptz not null
);
create index dns_observations_deployment_idx on dns_observations (deployment_id);
