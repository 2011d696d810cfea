import type { Executor } from '../db/database.ts';
import type { ApiTokenRow } from '../db/schema.ts';

export interface TokenWithOwner extends ApiTokenRow {
  role: 'admin' | 'member';
  organization_id: string;
  user_id: string;
  user_email: string;
  user_name: string;
  is_platform_admin: boolean;
  org_slug: string;
  org_name: string;
  org_namespace: string;
}

const tokenWithOwner = (exec: Executor) =>
  exec
    .selectFrom('api_tokens as t')
    .innerJoin('memberships as m', 'm.id', 't.membership_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .selectAll('t')
    .select([
      'm.role',
      'm.organization_id',
      'm.user_id',
      'u.email as user_email',
      'u.name as user_name',
      'u.is_platform_admin',
      'o.slug as org_slug',
      'o.name as org_name',
      'o.namespace as org_namespace',
    ]);

export async function findByHash(exec: Executor, tokenHash: string): Promise<TokenWithOwner | undefined> {
  return tokenWithOwner(exec).where('t.token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findInOrg(exec: Executor, organizationId: string, tokenId: string): Promise<TokenWithOwner | undefined> {
  return tokenWithOwner(exec).where('t.id', '=', tokenId).where('m.organization_id', '=', organizationId).executeTakeFirst();
}

export async function listInOrg(
  exec: Executor,
  organizationId: string,
  options: { membershipId?: string },
): Promise<TokenWithOwner[]> {
  let query = tokenWithOwner(exec).where('m.organization_id', '=', organizationId);
  if (options.membershipId) query = query.where('t.membership_id', '=', options.membershipId);
  return query.orderBy('t.created_at', 'asc').orderBy('t.id').execute();
}

export async function insert(
  exec: Executor,
  row: { id: string; membership_id: string; name: string; token_hash: string; hint: string; expires_at: Date | null },
): Promise<void> {
  await exec.insertInto('api_tokens').values(row).execute();
}

export async function update(exec: Executor, tokenId: string, patch: { enabled?: boolean; name?: string }): Promise<void> {
  await exec.updateTable('api_tokens').set(patch).where('id', '=', tokenId).execute();
}

export async function remove(exec: Executor, tokenId: string): Promise<void> {
  await exec.deleteFrom('api_tokens').where('id', '=', tokenId).execute();
}

export const LAST_USED_RESOLUTION_MS = 60_000;

/** Marks use at most once a minute per token, so reads don't turn into a write each. */
export async function touchLastUsed(exec: Executor, tokenId: string, now: Date): Promise<void> {
  const threshold = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  await exec
    .updateTable('api_tokens')
    .set({ last_used_at: now })
    .where('id', '=', tokenId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', threshold)]))
    .execute();
}
