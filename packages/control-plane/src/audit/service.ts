import type { AuditEntry, AuditList, AuditQuery } from '@satusky/contracts';
import { AppError } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import type { AuditLogRow } from '../db/schema.ts';
import type { Actor } from '../http/context.ts';
import { requireAdmin } from '../orgs/service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toAuditEntry(row: AuditLogRow): AuditEntry {
  return {
    id: row.id,
    organization_id: row.organization_id,
    actor: { user_id: row.actor_user_id, email: row.actor_email, token_id: row.actor_token_id },
    action: row.action,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    resource_name: row.resource_name,
    request_id: row.request_id,
    idempotency_key: row.idempotency_key,
    changes: row.changes,
    ip: row.ip,
    user_agent: row.user_agent,
    created_at: row.created_at.toISOString(),
  };
}

export async function list(exec: Executor, actor: Actor, query: AuditQuery): Promise<AuditList> {
  requireAdmin(actor);
  const limit = query.limit ?? 50;
  let q = exec.selectFrom('audit_log').selectAll().where('organization_id', '=', actor.organization.id);
  if (query.action) {
    // `member` matches member.add, member.remove, member.role.change; `member.add` matches itself.
    q = q.where((eb) => eb.or([eb('action', '=', query.action!), eb('action', 'like', `${query.action!.replace(/[%_\\]/g, '\\$&')}.%`)]));
  }
  if (query.actor) {
    q = UUID.test(query.actor)
      ? q.where('actor_user_id', '=', query.actor)
      : q.where('actor_email', '=', query.actor);
  }
  if (query.before) q = q.where('id', '<', query.before);
  const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  return {
    items: page.map(toAuditEntry),
    next_cursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

export async function get(exec: Executor, actor: Actor, entryId: number): Promise<AuditEntry> {
  requireAdmin(actor);
  const row = await exec
    .selectFrom('audit_log')
    .selectAll()
    .where('organization_id', '=', actor.organization.id)
    .where('id', '=', entryId)
    .executeTakeFirst();
  if (!row) throw new AppError('SATUSKY_AUDIT_ENTRY_NOT_FOUND');
  return toAuditEntry(row);
}
