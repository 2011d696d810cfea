import type { Executor } from '../db/database.ts';

export interface MemberRow {
  id: string;
  user_id: string;
  email: string;
  name: string;
  role: 'admin' | 'member';
  created_at: Date;
}

const members = (exec: Executor) =>
  exec
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.id', 'm.user_id', 'u.email', 'u.name', 'm.role', 'm.created_at']);

export async function listInOrg(exec: Executor, organizationId: string): Promise<MemberRow[]> {
  return members(exec).where('m.organization_id', '=', organizationId).orderBy('m.created_at').orderBy('m.id').execute();
}

export async function findInOrg(exec: Executor, organizationId: string, membershipId: string): Promise<MemberRow | undefined> {
  return members(exec).where('m.organization_id', '=', organizationId).where('m.id', '=', membershipId).executeTakeFirst();
}

export async function findByUser(exec: Executor, organizationId: string, userId: string): Promise<MemberRow | undefined> {
  return members(exec).where('m.organization_id', '=', organizationId).where('m.user_id', '=', userId).executeTakeFirst();
}

/** Locks the org's admin memberships for the rest of the transaction and counts them. */
export async function lockAdmins(exec: Executor, organizationId: string): Promise<string[]> {
  const rows = await exec
    .selectFrom('memberships')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('role', '=', 'admin')
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map((r) => r.id);
}

export async function insert(
  exec: Executor,
  row: { id: string; organization_id: string; user_id: string; role: 'admin' | 'member' },
): Promise<void> {
  await exec.insertInto('memberships').values(row).execute();
}

export async function setRole(exec: Executor, membershipId: string, role: 'admin' | 'member'): Promise<void> {
  await exec.updateTable('memberships').set({ role, updated_at: new Date() }).where('id', '=', membershipId).execute();
}

export async function remove(exec: Executor, membershipId: string): Promise<void> {
  await exec.deleteFrom('memberships').where('id', '=', membershipId).execute();
}
