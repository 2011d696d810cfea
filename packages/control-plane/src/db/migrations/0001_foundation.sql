-- Foundation: users, organizations, memberships, API tokens, idempotency keys, audit log.
-- Written for PostgreSQL 15 and PGlite (PostgreSQL 18) alike: no features newer than 15.

create table users (
  id uuid primary key,
  email text not null,
  name text not null default '',
  -- scrypt hash ("scrypt$N$r$p$salt$hash"); null when the user has no password sign-in
  password_hash text,
  is_platform_admin boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

create table organizations (
  id uuid primary key,
  name text not null,
  slug text not null,
  namespace text not null,
  description text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index organizations_slug_key on organizations (slug);
create unique index organizations_namespace_key on organizations (namespace);

create table memberships (
  id uuid primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  role text not null check (role in ('admin', 'member')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, user_id)
);
create index memberships_user_idx on memberships (user_id);

create table api_tokens (
  id uuid primary key,
  membership_id uuid not null references memberships (id) on delete cascade,
  name text not null,
  -- SHA-256 of the whole token; the token itself is never stored
  token_hash text not null,
  hint text not null,
  enabled boolean not null default true,
  expires_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz not null default now()
);
create unique index api_tokens_hash_key on api_tokens (token_hash);
create index api_tokens_membership_idx on api_tokens (membership_id);

-- Replays of mutations carrying an X-Request-ID. The response is stored encrypted (it may carry a
-- token shown once), together with a fingerprint of the request it answered.
create table idempotency_keys (
  user_id uuid not null,
  key text not null,
  fingerprint text not null,
  status_code integer not null,
  response_sealed text not null,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);

create table audit_log (
  id bigint generated always as identity primary key,
  -- no foreign key: the trail outlives the organization it describes
  organization_id uuid,
  actor_user_id uuid,
  actor_email text,
  actor_token_id uuid,
  action text not null,
  resource_type text not null,
  resource_id text,
  resource_name text,
  request_id text not null,
  idempotency_key text,
  changes jsonb not null default '{}'::jsonb,
  ip text,
  user_agent text,
  created_at timestamptz not null default now()
);
create index audit_log_org_idx on audit_log (organization_id, id desc);
