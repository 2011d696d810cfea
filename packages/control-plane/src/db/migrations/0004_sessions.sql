-- Browser sessions for the dashboard: a random token in an httpOnly cookie, stored here only as a
-- hash. A password session may switch between the user's organizations; a session opened with an
-- API token stays in that token's organization.
create table sessions (
  id uuid primary key,
  token_hash text not null,
  user_id uuid not null references users (id) on delete cascade,
  membership_id uuid not null references memberships (id) on delete cascade,
  switchable boolean not null default false,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_used_at timestamptz
);
create unique index sessions_token_hash_key on sessions (token_hash);
create index sessions_user_idx on sessions (user_id);
