import type { Executor } from '../db/database.ts';
import type { OrganizationRow } from '../db/schema.ts';

export interface OrgWithRole extends OrganizationRow {
  role: 'admin' | 'member';
  membership_id: string;
}

export async function listForUser(exec: Executor, userId: string): Promise<OrgWithRole[]> {
  return exec
    .selectFrom('organizations as o')
    .innerJoin('memberships as m', 'm.organization_id', 'o.id')
    .selectAll('o')
    .select(['m.role', 'm.id as membership_id'])
    .where('m.user_id', '=', userId)
    .orderBy('m.created_at', 'asc')
    .orderBy('o.id')
    .execute();
}

export async function findById(exec: Executor, id: string): Promise<OrganizationRow | undefined> {
  return exec.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function slugExists(exec: Executor, slug: string): Promise<boolean> {
  const row = await exec.selectFrom('organizations').select('id').where('slug', '=', slug).executeTakeFirst();
  return row !== undefined;
}

export async function insert(
  exec: Executor,
  row: { id: string; name: string; slug: string; namespace: string; description: string },
): Promise<OrganizationRow> {
  return exec.insertInto('organizations').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function remove(exec: Executor, id: string): Promise<void> {
  await exec.deleteFrom('organizations').where('id', '=', id).execute();
}

/** A new organization gets every zone whose cluster is enabled for all organizations. */
export async function enableDefaultZones(exec: Executor, organizationId: string): Promise<void> {
  await exec
    .insertInto('org_zones')
    .columns(['organization_id', 'cluster_id', 'enabled'])
    .expression((eb) => eb.selectFrom('clusters').select([eb.val(organizationId).as('organization_id'), 'id', eb.val(true).as('enabled')]).where('auto_enable', '=', true))
    .onConflict((oc) => oc.doNothing())
    .execute();
}
