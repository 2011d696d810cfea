import type { CreatedApiToken, PasswordLoginBody } from '@satusky/contracts';
import { AppError } from '../core/errors.ts';
import { hashPassword, verifyPassword } from '../core/passwords.ts';
import type { Executor } from '../db/database.ts';
import type { AuditEvent } from '../http/mutation.ts';
import * as orgs from '../orgs/repository.ts';
import { issueToken } from '../tokens/service.ts';
import * as users from '../users/repository.ts';

// Verifying against a real hash when the email is unknown keeps the response time from telling
// which addresses have accounts.
let decoyHash: Promise<string> | undefined;

/**
 * Email and password sign-in: answers a new token scoped to one of the user's memberships. Every
 * failure — unknown email, wrong password, no password, not a member — is the same 401.
 */
export async function passwordLogin(
  exec: Executor,
  body: PasswordLoginBody,
  now: Date,
  audit: (event: AuditEvent) => void,
): Promise<{ token: CreatedApiToken; organization: { id: string; slug: string; name: string } }> {
  const refused = new AppError('SATUSKY_UNAUTHENTICATED', 'Wrong email or password.');
  const user = await users.findByEmail(exec, body.email);
  if (!user?.password_hash) {
    decoyHash ??= hashPassword('decoy-password-for-timing');
    await verifyPassword(body.password, await decoyHash);
    throw refused;
  }
  if (!(await verifyPassword(body.password, user.password_hash))) throw refused;
  const memberships = await orgs.listForUser(exec, user.id);
  const membership = body.organization
    ? memberships.find((m) => m.id === body.organization || m.slug === body.organization)
    : memberships[0];
  if (!membership) {
    throw new AppError(
      'SATUSKY_UNAUTHENTICATED',
      body.organization ? 'You are not a member of that organization.' : 'You are not a member of any organization.',
    );
  }
  const token = await issueToken(
    exec,
    {
      membershipId: membership.membership_id,
      organizationId: membership.id,
      name: body.token_name ?? 'password sign-in',
      expiresInDays: body.expires_in_days ?? 30,
    },
    now,
  );
  audit({
    action: 'token.create',
    resourceType: 'api_token',
    resourceId: token.id,
    resourceName: token.name,
    organizationId: membership.id,
    actor: { userId: user.id, email: user.email, tokenId: null },
    changes: { name: token.name, via: 'password', expires_at: token.expires_at },
  });
  return { token, organization: { id: membership.id, slug: membership.slug, name: membership.name } };
}
