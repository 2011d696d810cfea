import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';

export async function findByEmail(exec: Executor, email: string): Promise<UserRow | undefined> {
  return exec
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

export async function findById(exec: Executor, id: string): Promise<UserRow | undefined> {
  return exec.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insert(
  exec: Executor,
  row: { id: string; email: string; name: string; password_hash: string | null; is_platform_admin?: boolean },
): Promise<UserRow> {
  return exec.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function setPasswordHash(exec: Executor, userId: string, hash: string): Promise<void> {
  await exec.updateTable('users').set({ password_hash: hash, updated_at: new Date() }).where('id', '=', userId).execute();
}
