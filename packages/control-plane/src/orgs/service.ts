import { randomBytes, randomUUID } from 'node:crypto';
import type {
  CreateOrganizationBody,
  CreateOrganizationResponse,
  DeleteOrganizationResponse,
  Organization,
} from '@satusky/contracts';
import { AppError, forbidden, invalid } from '../core/errors.ts';
import { isReservedSlug, namespaceForSlug, slugify } from '../core/names.ts';
import type { Executor } from '../db/database.ts';
import type { OrganizationRow } from '../db/schema.ts';
import type { Actor } from '../http/context.ts';
import type { AuditEvent } from '../http/mutation.ts';
import { issueToken } from '../tokens/service.ts';
import * as repo from './repository.ts';

/**
 * What an organization may still own. Features that create org-owned resources (deployments,
 * domains, …) register a counter here; deleting an org is refused while any count is non-zero.
 */
export type OwnedResourceCounter = (exec: Executor, organizationId: string) => Promise<{ kind: string; count: number }>;

export function toOrganization(row: OrganizationRow, role: 'admin' | 'member', current: boolean): Organization {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    namespace: row.namespace,
    description: row.description,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    role,
    current,
  };
}

export async function listMine(exec: Executor, actor: Actor): Promise<Organization[]> {
  const rows = await repo.listForUser(exec, actor.user.id);
  return rows.map((row) => toOrganization(row, row.role, row.id === actor.organization.id));
}

/**
 * A token acts in exactly one organization. Any other reference — a foreign org, an org the user
 * belongs to through another membership, or an org that does not exist — answers the same 404.
 */
export function assertCurrentOrg(actor: Actor, orgRef: string): void {
  if (orgRef !== actor.organization.id && orgRef !== actor.organization.slug) {
    throw new AppError('SATUSKY_ORG_NOT_FOUND');
  }
}

export function requireAdmin(actor: Actor): void {
  if (actor.membership.role !== 'admin') throw forbidden('This needs the admin role in the organization.');
}

export async function get(exec: Executor, actor: Actor, orgRef: string): Promise<Organization> {
  assertCurrentOrg(actor, orgRef);
  const row = await repo.findById(exec, actor.organization.id);
  if (!row) throw new AppError('SATUSKY_ORG_NOT_FOUND');
  return toOrganization(row, actor.membership.role, true);
}

export async function create(
  exec: Executor,
  actor: Actor,
  body: CreateOrganizationBody,
  now: Date,
  audit: (event: AuditEvent) => void,
): Promise<CreateOrganizationResponse> {
  let slug = body.slug ?? slugify(body.name);
  if (isReservedSlug(slug)) {
    if (body.slug) throw invalid(`The slug "${slug}" is reserved.`, { field: 'slug' });
    slug = `${slug}-org`;
  }
  if (await repo.slugExists(exec, slug)) {
    if (body.slug) throw new AppError('SATUSKY_ORG_SLUG_TAKEN', `The slug "${slug}" is taken.`);
    // A derived slug may collide with someone else's; a short random suffix keeps names readable.
    slug = `${slug.slice(0, 35)}-${randomBytes(2).toString('hex')}`;
  }
  const org = await repo.insert(exec, {
    id: randomUUID(),
    name: body.name,
    slug,
    namespace: namespaceForSlug(slug),
    description: body.description ?? '',
  });
  const membershipId = randomUUID();
  await exec
    .insertInto('memberships')
    .values({ id: membershipId, organization_id: org.id, user_id: actor.user.id, role: 'admin' })
    .execute();
  await repo.enableDefaultZones(exec, org.id);
  const token = await issueToken(
    exec,
    { membershipId, organizationId: org.id, name: `created with ${org.slug}`, expiresInDays: undefined },
    now,
  );
  audit({
    action: 'org.create',
    resourceType: 'organization',
    resourceId: org.id,
    resourceName: org.slug,
    organizationId: org.id,
    changes: { name: org.name, slug: org.slug, namespace: org.namespace, description: org.description },
  });
  audit({
    action: 'token.create',
    resourceType: 'api_token',
    resourceId: token.id,
    resourceName: token.name,
    organizationId: org.id,
    changes: { name: token.name, membership_id: membershipId },
  });
  return { organization: toOrganization(org, 'admin', false), token };
}

export async function remove(
  exec: Executor,
  actor: Actor,
  orgRef: string,
  counters: readonly OwnedResourceCounter[],
  audit: (event: AuditEvent) => void,
): Promise<DeleteOrganizationResponse> {
  assertCurrentOrg(actor, orgRef);
  requireAdmin(actor);
  const org = await repo.findById(exec, actor.organization.id);
  if (!org) throw new AppError('SATUSKY_ORG_NOT_FOUND');
  const owned = (await Promise.all(counters.map((count) => count(exec, org.id)))).filter((c) => c.count > 0);
  if (owned.length > 0) {
    const summary = owned.map((c) => `${c.count} ${c.kind}`).join(', ');
    throw new AppError('SATUSKY_ORG_NOT_EMPTY', `The organization still owns ${summary}; delete them first.`, {
      details: { owned },
    });
  }
  await repo.remove(exec, org.id);
  audit({
    action: 'org.delete',
    resourceType: 'organization',
    resourceId: org.id,
    resourceName: org.slug,
    changes: { name: org.name, slug: org.slug },
  });
  return { deleted: true, organization: { id: org.id, slug: org.slug, namespace: org.namespace } };
}
