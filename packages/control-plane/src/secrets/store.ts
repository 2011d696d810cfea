import { randomBytes, randomUUID } from 'node:crypto';
import { createKeyring, type Keyring } from '../core/keyring.ts';
import type { Executor } from '../db/database.ts';

/**
 * App secrets are sealed with their organization's data key (AES-256-GCM), and the data key is
 * sealed with the master keyring. Rotating the master key re-seals only data keys; rotating a data
 * key re-seals that org's values. Associated data binds every ciphertext to its owner, so a value
 * copied to another app or org does not open.
 */
const dataKeyAad = (organizationId: string) => `org-data-key:${organizationId}`;
const valueAad = (deploymentId: string, key: string) => `app-secret:${deploymentId}:${key}`;

async function activeDataKey(exec: Executor, master: Keyring, organizationId: string): Promise<{ id: string; box: Keyring }> {
  const row = await exec
    .selectFrom('org_data_keys')
    .select(['id', 'wrapped_key'])
    .where('organization_id', '=', organizationId)
    .where('active', '=', true)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row) return { id: row.id, box: createKeyring([master.open(row.wrapped_key, dataKeyAad(organizationId))]) };
  const key = randomBytes(32);
  const id = randomUUID();
  await exec
    .insertInto('org_data_keys')
    .values({ id, organization_id: organizationId, wrapped_key: master.seal(key, dataKeyAad(organizationId)) })
    .execute();
  return { id, box: createKeyring([key]) };
}

export interface SecretEntry {
  key: string;
  version: number;
  updatedAt: Date;
}

export async function listSecretKeys(exec: Executor, deploymentId: string): Promise<SecretEntry[]> {
  const rows = await exec
    .selectFrom('app_secrets')
    .select(['key', 'version', 'updated_at'])
    .where('deployment_id', '=', deploymentId)
    .orderBy('key')
    .execute();
  return rows.map((r) => ({ key: r.key, version: r.version, updatedAt: r.updated_at }));
}

/** Sets and unsets values; answers the keys that actually changed and the new secrets version. */
export async function changeSecrets(
  exec: Executor,
  master: Keyring,
  input: { organizationId: string; deploymentId: string; set: Record<string, string>; unset: string[] },
): Promise<{ changed: string[]; version: number }> {
  const existing = await exec
    .selectFrom('app_secrets')
    .select(['key', 'value_sealed', 'data_key_id', 'version'])
    .where('deployment_id', '=', input.deploymentId)
    .forUpdate()
    .execute();
  const byKey = new Map(existing.map((r) => [r.key, r]));
  let version = Math.max(0, ...existing.map((r) => r.version));
  const changed: string[] = [];
  const dataKey = Object.keys(input.set).length > 0 ? await activeDataKey(exec, master, input.organizationId) : null;
  for (const [key, value] of Object.entries(input.set)) {
    const current = byKey.get(key);
    if (current) {
      const box = await dataKeyById(exec, master, input.organizationId, current.data_key_id);
      if (box.open(current.value_sealed, valueAad(input.deploymentId, key)).toString('utf8') === value) continue;
    }
    version += 1;
    const sealed = dataKey!.box.seal(value, valueAad(input.deploymentId, key));
    await exec
      .insertInto('app_secrets')
      .values({ deployment_id: input.deploymentId, key, value_sealed: sealed, data_key_id: dataKey!.id, version })
      .onConflict((oc) =>
        oc.columns(['deployment_id', 'key']).doUpdateSet({ value_sealed: sealed, data_key_id: dataKey!.id, version, updated_at: new Date() }),
      )
      .execute();
    changed.push(key);
  }
  for (const key of input.unset) {
    if (!byKey.has(key)) continue;
    await exec.deleteFrom('app_secrets').where('deployment_id', '=', input.deploymentId).where('key', '=', key).execute();
    version += 1;
    changed.push(key);
  }
  return { changed, version };
}

async function dataKeyById(exec: Executor, master: Keyring, organizationId: string, id: string): Promise<Keyring> {
  const row = await exec.selectFrom('org_data_keys').select('wrapped_key').where('id', '=', id).executeTakeFirstOrThrow();
  return createKeyring([master.open(row.wrapped_key, dataKeyAad(organizationId))]);
}

/** Decrypted values of the given keys, for rendering the cluster Secret. Never logged or returned. */
export async function revealSecrets(
  exec: Executor,
  master: Keyring,
  organizationId: string,
  deploymentId: string,
  keys: readonly string[],
): Promise<Record<string, string>> {
  if (keys.length === 0) return {};
  const rows = await exec
    .selectFrom('app_secrets')
    .select(['key', 'value_sealed', 'data_key_id'])
    .where('deployment_id', '=', deploymentId)
    .where('key', 'in', [...keys])
    .execute();
  const boxes = new Map<string, Keyring>();
  const values: Record<string, string> = {};
  for (const row of rows) {
    let box = boxes.get(row.data_key_id);
    if (!box) {
      box = await dataKeyById(exec, master, organizationId, row.data_key_id);
      boxes.set(row.data_key_id, box);
    }
    values[row.key] = box.open(row.value_sealed, valueAad(deploymentId, row.key)).toString('utf8');
  }
  return values;
}

/** Re-seals every org data key with the keyring's active master key (after a master key rotation). */
export async function rewrapDataKeys(exec: Executor, master: Keyring): Promise<number> {
  const rows = await exec.selectFrom('org_data_keys').select(['id', 'organization_id', 'wrapped_key']).execute();
  let count = 0;
  for (const row of rows) {
    if (master.keyIdOf(row.wrapped_key) === master.activeKeyId) continue;
    const key = master.open(row.wrapped_key, dataKeyAad(row.organization_id));
    await exec.updateTable('org_data_keys').set({ wrapped_key: master.seal(key, dataKeyAad(row.organization_id)) }).where('id', '=', row.id).execute();
    count += 1;
  }
  return count;
}
