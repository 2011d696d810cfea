import { randomUUID } from 'node:crypto';
import type { CreatedApiToken } from '@satusky/contracts';
import { hashToken, isWellFormedToken } from './core/tokens.ts';
import type { Database } from './db/database.ts';
import { issueToken } from './tokens/service.ts';
import * as tokens from './tokens/repository.ts';

export interface BootstrapResult {
  /** Set when a token was minted now; it is shown once and never stored in plaintext. */
  token: CreatedApiToken | null;
  organization: { id: string; slug: string; name: string };
  adminEmail: string;
}

/**
 * First start: creates the platform admin, their organization and a token. Later starts create
 * nothing, unless `existingToken` (e.g. from the CLI profile) no longer works, in which case a
 * fresh admin token is minted so the developer is never locked out of their own dev install.
 */
export async function bootstrapAdmin(
  database: Database,
  options: { adminEmail: string; orgName: string; orgSlug: string; existingToken?: string | null; now: Date },
): Promise<BootstrapResult> {
  return database.db.transaction().execute(async (tx) => {
    let admin = await tx
      .selectFrom('users')
      .selectAll()
      .where('is_platform_admin', '=', true)
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    if (!admin) {
      admin = await tx
        .insertInto('users')
        .values({ id: randomUUID(), email: options.adminEmail, name: 'Platform admin', password_hash: null, is_platform_admin: true })
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    let membership = await tx
      .selectFrom('memberships as m')
      .innerJoin('organizations as o', 'o.id', 'm.organization_id')
      .select(['m.id', 'o.id as org_id', 'o.slug', 'o.name'])
      .where('m.user_id', '=', admin.id)
      .where('m.role', '=', 'admin')
      .orderBy('m.created_at')
      .limit(1)
      .executeTakeFirst();
    if (!membership) {
      const orgId = randomUUID();
      await tx
        .insertInto('organizations')
        .values({ id: orgId, name: options.orgName, slug: options.orgSlug, namespace: `org-${options.orgSlug}`, description: 'Created at first start' })
        .execute();
      const membershipId = randomUUID();
      await tx.insertInto('memberships').values({ id: membershipId, organization_id: orgId, user_id: admin.id, role: 'admin' }).execute();
      membership = { id: membershipId, org_id: orgId, slug: options.orgSlug, name: options.orgName };
    }
    const organization = { id: membership.org_id, slug: membership.slug, name: membership.name };
    if (options.existingToken && isWellFormedToken(options.existingToken)) {
      const row = await tokens.findByHash(tx, hashToken(options.existingToken));
      const usable = row && row.enabled && (!row.expires_at || row.expires_at > options.now);
      if (usable) return { token: null, organization, adminEmail: admin.email };
    }
    const anyToken = await tx.selectFrom('api_tokens').select('id').where('membership_id', '=', membership.id).limit(1).executeTakeFirst();
    if (anyToken && options.existingToken === undefined) return { token: null, organization, adminEmail: admin.email };
    const token = await issueToken(tx, { membershipId: membership.id, organizationId: organization.id, name: 'bootstrap admin' }, options.now);
    await tx
      .insertInto('audit_log')
      .values({
        organization_id: organization.id,
        actor_user_id: admin.id,
        actor_email: admin.email,
        action: 'token.create',
        resource_type: 'api_token',
        resource_id: token.id,
        resource_name: token.name,
        request_id: 'bootstrap',
        changes: JSON.stringify({ name: token.name, via: 'bootstrap' }),
      })
      .execute();
    return { token, organization, adminEmail: admin.email };
  });
}
