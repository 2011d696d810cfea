import type { ChangePasswordBody, Me, MembershipSummary, User } from '@satusky/contracts';
import { AppError, forbidden } from '../core/errors.ts';
import { hashPassword, verifyPassword } from '../core/passwords.ts';
import type { Executor } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import type { Actor } from '../http/context.ts';
import type { AuditEvent } from '../http/mutation.ts';
import * as orgs from '../orgs/repository.ts';
import * as users from '../users/repository.ts';

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    is_platform_admin: row.is_platform_admin,
    has_password: row.password_hash !== null,
    created_at: row.created_at.toISOString(),
  };
}

export async function me(exec: Executor, actor: Actor): Promise<Me> {
  const user = await users.findById(exec, actor.user.id);
  if (!user) throw new AppError('SATUSKY_UNAUTHENTICATED');
  const memberships: MembershipSummary[] = (await orgs.listForUser(exec, actor.user.id)).map((o) => ({
    membership_id: o.membership_id,
    organization_id: o.id,
    organization_name: o.name,
    organization_slug: o.slug,
    namespace: o.namespace,
    role: o.role,
  }));
  const current = memberships.find((m) => m.membership_id === actor.membership.id);
  if (!current) throw new AppError('SATUSKY_UNAUTHENTICATED');
  return {
    user: toUser(user),
    organization: current,
    token: { id: actor.token.id, name: actor.token.name, expires_at: actor.token.expiresAt?.toISOString() ?? null },
    memberships,
  };
}

export async function changePassword(
  exec: Executor,
  actor: Actor,
  body: ChangePasswordBody,
  audit: (event: AuditEvent) => void,
): Promise<{ changed: true }> {
  const user = await users.findById(exec, actor.user.id);
  if (!user) throw new AppError('SATUSKY_UNAUTHENTICATED');
  if (user.password_hash) {
    // Holding a token is not enough to take over the account's password sign-in.
    if (!body.current_password || !(await verifyPassword(body.current_password, user.password_hash))) {
      throw forbidden('The current password is wrong.');
    }
  }
  await users.setPasswordHash(exec, user.id, await hashPassword(body.new_password));
  audit({ action: 'user.password.change', resourceType: 'user', resourceId: user.id, resourceName: user.email });
  return { changed: true };
}
