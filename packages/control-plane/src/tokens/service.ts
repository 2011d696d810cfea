import { randomUUID } from 'node:crypto';
import type { ApiToken, CreateApiTokenBody, CreatedApiToken, UpdateApiTokenBody } from '@satusky/contracts';
import { AppError, forbidden } from '../core/errors.ts';
import { generateToken, hashToken, tokenHint } from '../core/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { Actor } from '../http/context.ts';
import type { AuditEvent } from '../http/mutation.ts';
import * as repo from './repository.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export function toApiToken(row: repo.TokenWithOwner, now: Date): ApiToken {
  const expired = row.expires_at !== null && row.expires_at.getTime() <= now.getTime();
  return {
    id: row.id,
    name: row.name,
    membership_id: row.membership_id,
    organization_id: row.organization_id,
    user_id: row.user_id,
    user_email: row.user_email,
    hint: row.hint,
    enabled: row.enabled,
    status: !row.enabled ? 'disabled' : expired ? 'expired' : 'active',
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}

/** Mints a token for a membership. The value is returned once; only its hash is stored. */
export async function issueToken(
  exec: Executor,
  input: { membershipId: string; organizationId: string; name: string; expiresInDays?: number | undefined },
  now: Date,
): Promise<CreatedApiToken> {
  const token = generateToken();
  const id = randomUUID();
  await repo.insert(exec, {
    id,
    membership_id: input.membershipId,
    name: input.name,
    token_hash: hashToken(token),
    hint: tokenHint(token),
    expires_at: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * DAY_MS) : null,
  });
  const row = await repo.findInOrg(exec, input.organizationId, id);
  if (!row) throw new Error('token vanished right after insert');
  return { ...toApiToken(row, now), token };
}

/** Members see and manage their own tokens; admins may see and manage every token in the org. */
function canManage(actor: Actor, row: repo.TokenWithOwner): boolean {
  return row.membership_id === actor.membership.id || actor.membership.role === 'admin';
}

async function findManageable(exec: Executor, actor: Actor, tokenId: string): Promise<repo.TokenWithOwner> {
  const row = await repo.findInOrg(exec, actor.organization.id, tokenId);
  // Someone else's token in the org looks absent to a member, exactly like a foreign one.
  if (!row || !canManage(actor, row)) throw new AppError('SATUSKY_TOKEN_NOT_FOUND');
  return row;
}

export async function list(exec: Executor, actor: Actor, all: boolean, now: Date): Promise<ApiToken[]> {
  if (all && actor.membership.role !== 'admin') throw forbidden('Only organization admins can list every token.');
  const rows = await repo.listInOrg(exec, actor.organization.id, all ? {} : { membershipId: actor.membership.id });
  return rows.map((row) => toApiToken(row, now));
}

export async function get(exec: Executor, actor: Actor, tokenId: string, now: Date): Promise<ApiToken> {
  return toApiToken(await findManageable(exec, actor, tokenId), now);
}

export async function create(
  exec: Executor,
  actor: Actor,
  body: CreateApiTokenBody,
  now: Date,
  audit: (event: AuditEvent) => void,
): Promise<CreatedApiToken> {
  const created = await issueToken(
    exec,
    { membershipId: actor.membership.id, organizationId: actor.organization.id, name: body.name, expiresInDays: body.expires_in_days },
    now,
  );
  audit({
    action: 'token.create',
    resourceType: 'api_token',
    resourceId: created.id,
    resourceName: created.name,
    changes: { name: created.name, expires_at: created.expires_at },
  });
  return created;
}

export async function update(
  exec: Executor,
  actor: Actor,
  tokenId: string,
  body: UpdateApiTokenBody,
  now: Date,
  audit: (event: AuditEvent) => void,
): Promise<ApiToken> {
  const row = await findManageable(exec, actor, tokenId);
  const patch: { enabled?: boolean; name?: string } = {};
  if (body.enabled !== undefined && body.enabled !== row.enabled) patch.enabled = body.enabled;
  if (body.name !== undefined && body.name !== row.name) patch.name = body.name;
  if (Object.keys(patch).length > 0) {
    await repo.update(exec, tokenId, patch);
    const action = patch.enabled === undefined ? 'token.update' : patch.enabled ? 'token.enable' : 'token.disable';
    audit({
      action,
      resourceType: 'api_token',
      resourceId: tokenId,
      resourceName: patch.name ?? row.name,
      changes: Object.fromEntries(
        Object.entries(patch).map(([k, v]) => [k, { from: row[k as keyof typeof patch], to: v }]),
      ),
    });
  }
  return get(exec, actor, tokenId, now);
}

export async function remove(
  exec: Executor,
  actor: Actor,
  tokenId: string,
  audit: (event: AuditEvent) => void,
): Promise<{ deleted: true; id: string }> {
  const row = await findManageable(exec, actor, tokenId);
  await repo.remove(exec, tokenId);
  audit({ action: 'token.delete', resourceType: 'api_token', resourceId: tokenId, resourceName: row.name });
  return { deleted: true, id: tokenId };
}
