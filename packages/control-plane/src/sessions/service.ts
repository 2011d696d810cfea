import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { hashPassword, verifyPassword } from '../core/passwords.ts';
import { hashToken, isWellFormedToken } from '../core/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { Actor } from '../http/context.ts';
import type { AuditEvent } from '../http/mutation.ts';
import * as orgs from '../orgs/repository.ts';
import * as tokens from '../tokens/repository.ts';
import * as users from '../users/repository.ts';

export const SESSION_COOKIE = 'satusky_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const hashSession = (token: string) => createHash('sha256').update(`session:${token}`).digest('hex');

/** Resolves a session cookie to its actor; an expired or unknown session is refused. */
export async function actorFromSession(exec: Executor, token: string, now: Date): Promise<Actor> {
  const row = await exec
    .selectFrom('sessions as s')
    .innerJoin('memberships as m', 'm.id', 's.membership_id')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select([
      's.id',
      's.expires_at',
      's.last_used_at',
      'm.role',
      'm.id as membership_id',
      'u.id as user_id',
      'u.email',
      'u.name',
      'u.is_platform_admin',
      'o.id as org_id',
      'o.slug',
      'o.name as org_name',
      'o.namespace',
    ])
    .where('s.token_hash', '=', hashSession(token))
    .executeTakeFirst();
  if (!row) throw new AppError('SATUSKY_UNAUTHENTICATED', 'Your session has ended; sign in again.');
  if (row.expires_at.getTime() <= now.getTime()) throw new AppError('SATUSKY_UNAUTHENTICATED', 'Your session has expired; sign in again.');
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
    await exec.updateTable('sessions').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return {
    user: { id: row.user_id, email: row.email, name: row.name, isPlatformAdmin: row.is_platform_admin },
    organization: { id: row.org_id, slug: row.slug, name: row.org_name, namespace: row.namespace },
    membership: { id: row.membership_id, role: row.role },
    token: { id: row.id, name: 'browser session', expiresAt: row.expires_at },
    credential: 'session',
  };
}

export interface SessionCreated {
  cookie: string;
  expiresAt: Date;
  organization: { id: string; slug: string; name: string };
  user: { id: string; email: string };
}

/**
 * Opens a browser session with email and password (may switch between the user's organizations) or
 * with an API token (stays in that token's organization). Every failure is the same 401.
 */
export async function createSession(
  exec: Executor,
  input: { email?: string | undefined; password?: string | undefined; token?: string | undefined; organization?: string | undefined },
  now: Date,
  audit: (event: AuditEvent) => void,
): Promise<SessionCreated> {
  const refused = new AppError('SATUSKY_UNAUTHENTICATED', input.token ? 'Invalid API token.' : 'Wrong email or password.');
  let userId: string;
  let email: string;
  let membershipId: string;
  let switchable: boolean;
  if (input.token) {
    if (!isWellFormedToken(input.token)) throw refused;
    const row = await tokens.findByHash(exec, hashToken(input.token));
    if (!row || !row.enabled || (row.expires_at && row.expires_at <= now)) throw refused;
    userId = row.user_id;
    email = row.user_email;
    membershipId = row.membership_id;
    switchable = false;
  } else {
    if (!input.email || !input.password) throw refused;
    const user = await users.findByEmail(exec, input.email);
    if (!user?.password_hash) {
      await hashPassword(input.password);
      throw refused;
    }
    if (!(await verifyPassword(input.password, user.password_hash))) throw refused;
    const memberships = await orgs.listForUser(exec, user.id);
    const chosen = input.organization ? memberships.find((m) => m.id === input.organization || m.slug === input.organization) : memberships[0];
    if (!chosen) throw new AppError('SATUSKY_UNAUTHENTICATED', input.organization ? 'You are not a member of that organization.' : 'You are not a member of any organization.');
    userId = user.id;
    email = user.email;
    membershipId = chosen.membership_id;
    switchable = true;
  }
  const cookie = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const id = randomUUID();
  await exec.insertInto('sessions').values({ id, token_hash: hashSession(cookie), user_id: userId, membership_id: membershipId, switchable, expires_at: expiresAt }).execute();
  const org = await exec
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select(['o.id', 'o.slug', 'o.name'])
    .where('m.id', '=', membershipId)
    .executeTakeFirstOrThrow();
  audit({
    action: 'session.create',
    resourceType: 'session',
    resourceId: id,
    organizationId: org.id,
    actor: { userId, email, tokenId: null },
    changes: { via: input.token ? 'token' : 'password', expires_at: expiresAt.toISOString() },
  });
  return { cookie, expiresAt, organization: org, user: { id: userId, email } };
}

export async function endSession(exec: Executor, actor: Actor, audit: (event: AuditEvent) => void): Promise<void> {
  if (actor.credential !== 'session') throw new AppError('SATUSKY_INVALID_INPUT', 'This request is not authenticated with a session.');
  await exec.deleteFrom('sessions').where('id', '=', actor.token.id).execute();
  audit({ action: 'session.end', resourceType: 'session', resourceId: actor.token.id });
}

/** Moves a password session to another of the user's organizations. */
export async function switchOrganization(exec: Executor, actor: Actor, organization: string, audit: (event: AuditEvent) => void): Promise<{ id: string; slug: string; name: string }> {
  if (actor.credential !== 'session') throw new AppError('SATUSKY_INVALID_INPUT', 'Only browser sessions switch organizations; API tokens are scoped to one.');
  const session = await exec.selectFrom('sessions').select(['switchable']).where('id', '=', actor.token.id).executeTakeFirstOrThrow();
  if (!session.switchable) throw new AppError('SATUSKY_FORBIDDEN', 'This session was opened with an API token and stays in its organization.');
  const memberships = await orgs.listForUser(exec, actor.user.id);
  const target = memberships.find((m) => m.id === organization || m.slug === organization);
  if (!target) throw new AppError('SATUSKY_ORG_NOT_FOUND');
  await exec.updateTable('sessions').set({ membership_id: target.membership_id }).where('id', '=', actor.token.id).execute();
  audit({ action: 'session.switch', resourceType: 'session', resourceId: actor.token.id, organizationId: target.id, changes: { organization: target.slug } });
  return { id: target.id, slug: target.slug, name: target.name };
}
