import type { Executor } from '../db/database.ts';
import type { ClusterRow, DeploymentRow, ObservationRow, ReleaseRow, TargetRow } from '../db/schema.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An app of the org by name or id; deleted apps are gone. */
export async function findDeployment(
  exec: Executor,
  organizationId: string,
  ref: string,
  options: { forUpdate?: boolean } = {},
): Promise<DeploymentRow | undefined> {
  let query = exec
    .selectFrom('deployments')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('state', '!=', 'deleted')
    .where((eb) => eb.or([eb('name', '=', ref), ...(UUID.test(ref) ? [eb('id', '=', ref)] : [])]));
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function listDeployments(exec: Executor, organizationId: string): Promise<DeploymentRow[]> {
  return exec
    .selectFrom('deployments')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('state', '!=', 'deleted')
    .orderBy('name')
    .execute();
}

export async function releaseById(exec: Executor, id: string): Promise<ReleaseRow | undefined> {
  return exec.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function releasesOf(exec: Executor, deploymentIds: readonly string[]): Promise<ReleaseRow[]> {
  if (deploymentIds.length === 0) return [];
  return exec.selectFrom('releases').selectAll().where('deployment_id', 'in', [...deploymentIds]).orderBy('version', 'desc').execute();
}

export async function releaseByVersion(exec: Executor, deploymentId: string, version: number): Promise<ReleaseRow | undefined> {
  return exec.selectFrom('releases').selectAll().where('deployment_id', '=', deploymentId).where('version', '=', version).executeTakeFirst();
}

export async function targetsOf(exec: Executor, deploymentIds: readonly string[]): Promise<TargetRow[]> {
  if (deploymentIds.length === 0) return [];
  return exec.selectFrom('deployment_targets').selectAll().where('deployment_id', 'in', [...deploymentIds]).execute();
}

export async function observationsOf(exec: Executor, deploymentIds: readonly string[]): Promise<ObservationRow[]> {
  if (deploymentIds.length === 0) return [];
  return exec.selectFrom('deployment_observations').selectAll().where('deployment_id', 'in', [...deploymentIds]).execute();
}

export async function clustersById(exec: Executor, ids: readonly string[]): Promise<Map<string, ClusterRow>> {
  if (ids.length === 0) return new Map();
  const rows = await exec.selectFrom('clusters').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, r]));
}
