import { randomUUID } from 'node:crypto';
import type { Cluster, RegisterClusterBody, UpdateClusterBody, Zone } from '@satusky/contracts';
import { sql } from 'kysely';
import { AppError, forbidden } from '../core/errors.ts';
import type { Keyring } from '../core/keyring.ts';
import type { ZoneOption } from '../core/placement.ts';
import type { Executor } from '../db/database.ts';
import type { ClusterRow } from '../db/schema.ts';
import type { Actor } from '../http/context.ts';
import type { AuditEvent } from '../http/mutation.ts';
import { loadKubeConfig, serverOf } from './kubeconfig.ts';

export const kubeconfigAad = (clusterId: string) => `cluster-kubeconfig:${clusterId}`;

function requirePlatformAdmin(actor: Actor): void {
  if (!actor.user.isPlatformAdmin) throw forbidden('Registering and changing clusters needs a platform admin.');
}

export function toCluster(row: ClusterRow, keyring: Keyring): Cluster {
  let endpoint: string;
  try {
    const { kubeconfig, context } = openKubeconfig(row, keyring);
    endpoint = serverOf(loadKubeConfig(kubeconfig, context));
  } catch {
    endpoint = '(unreadable kubeconfig)';
  }
  return {
    id: row.id,
    name: row.name,
    zone: row.zone,
    display_name: row.display_name,
    region: row.region,
    priority: row.priority,
    is_default: row.is_default,
    labels: row.labels,
    edge_address: row.edge_address,
    gateway_class: row.gateway_class,
    ingress_class: row.ingress_class,
    endpoint,
    enabled: row.enabled,
    auto_enable: row.auto_enable,
    health: healthOf(row),
    created_at: row.created_at.toISOString(),
  };
}

export function healthOf(row: ClusterRow): Cluster['health'] {
  return {
    state: row.health_state,
    reason: row.health_reason,
    checked_at: row.health_checked_at?.toISOString() ?? null,
    last_heard_at: row.last_heard_at?.toISOString() ?? null,
    latency_ms: row.api_latency_ms,
    nodes_ready: row.nodes_ready,
    nodes_total: row.nodes_total,
  };
}

export async function findCluster(exec: Executor, ref: string): Promise<ClusterRow> {
  const row = await exec
    .selectFrom('clusters')
    .selectAll()
    .where((eb) => eb.or([eb('name', '=', ref), eb('zone', '=', ref), ...(/^[0-9a-f-]{36}$/.test(ref) ? [eb('id', '=', ref)] : [])]))
    .executeTakeFirst();
  if (!row) throw new AppError('SATUSKY_CLUSTER_NOT_FOUND');
  return row;
}

export async function register(
  exec: Executor,
  actor: Actor,
  body: RegisterClusterBody,
  keyring: Keyring,
  audit: (event: AuditEvent) => void,
): Promise<Cluster> {
  requirePlatformAdmin(actor);
  loadKubeConfig(body.kubeconfig, body.context);
  const clash = await exec
    .selectFrom('clusters')
    .select(['name', 'zone'])
    .where((eb) => eb.or([eb('name', '=', body.name), eb('zone', '=', body.zone)]))
    .executeTakeFirst();
  if (clash) {
    throw new AppError('SATUSKY_CLUSTER_EXISTS', clash.name === body.name ? `A cluster named "${body.name}" exists.` : `Zone "${body.zone}" already has a cluster.`);
  }
  const id = randomUUID();
  const kubeconfig = body.context ? JSON.stringify({ kubeconfig: body.kubeconfig, context: body.context }) : body.kubeconfig;
  if (body.is_default) await exec.updateTable('clusters').set({ is_default: false }).execute();
  const row = await exec
    .insertInto('clusters')
    .values({
      id,
      name: body.name,
      zone: body.zone,
      display_name: body.display_name ?? body.zone,
      region: body.region ?? '',
      priority: body.priority ?? 100,
      is_default: body.is_default ?? false,
      labels: JSON.stringify(body.labels ?? {}),
      kubeconfig_sealed: keyring.seal(kubeconfig, kubeconfigAad(id)),
      edge_address: body.edge_address ?? null,
      gateway_class: body.gateway_class ?? 'satusky-edge',
      ingress_class: body.ingress_class ?? 'nginx',
      enabled: body.enabled ?? true,
      auto_enable: body.auto_enable ?? true,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (row.auto_enable) {
    await sql`insert into org_zones (organization_id, cluster_id, enabled) select id, ${id}, true from organizations on conflict do nothing`.execute(exec);
  }
  audit({
    action: 'cluster.register',
    resourceType: 'cluster',
    resourceId: id,
    resourceName: body.name,
    changes: { name: body.name, zone: body.zone, region: body.region ?? '', priority: row.priority, kubeconfig: '[sealed]' },
  });
  return toCluster(row, keyring);
}

/** A registered kubeconfig, opened: `{kubeconfig, context}` or plain YAML. */
export function openKubeconfig(row: Pick<ClusterRow, 'id' | 'kubeconfig_sealed'>, keyring: Keyring): { kubeconfig: string; context: string | null } {
  const text = keyring.open(row.kubeconfig_sealed, kubeconfigAad(row.id)).toString('utf8');
  if (text.startsWith('{"kubeconfig"')) {
    const parsed = JSON.parse(text) as { kubeconfig: string; context: string };
    return { kubeconfig: parsed.kubeconfig, context: parsed.context };
  }
  return { kubeconfig: text, context: null };
}

export async function update(
  exec: Executor,
  actor: Actor,
  ref: string,
  body: UpdateClusterBody,
  keyring: Keyring,
  audit: (event: AuditEvent) => void,
): Promise<Cluster> {
  requirePlatformAdmin(actor);
  const row = await findCluster(exec, ref);
  const patch: Record<string, unknown> = { updated_at: new Date() };
  const changes: Record<string, unknown> = {};
  for (const key of ['display_name', 'region', 'priority', 'is_default', 'edge_address', 'enabled', 'auto_enable'] as const) {
    if (body[key] !== undefined) {
      patch[key] = body[key];
      changes[key] = { from: row[key], to: body[key] };
    }
  }
  if (body.labels !== undefined) {
    patch.labels = JSON.stringify(body.labels);
    changes.labels = { from: row.labels, to: body.labels };
  }
  if (body.kubeconfig !== undefined) {
    loadKubeConfig(body.kubeconfig, body.context);
    const text = body.context ? JSON.stringify({ kubeconfig: body.kubeconfig, context: body.context }) : body.kubeconfig;
    patch.kubeconfig_sealed = keyring.seal(text, kubeconfigAad(row.id));
    changes.kubeconfig = '[sealed]';
  }
  if (body.is_default) await exec.updateTable('clusters').set({ is_default: false }).where('id', '!=', row.id).execute();
  const updated = await exec.updateTable('clusters').set(patch).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
  audit({ action: 'cluster.update', resourceType: 'cluster', resourceId: row.id, resourceName: row.name, changes });
  return toCluster(updated, keyring);
}

export async function remove(exec: Executor, actor: Actor, ref: string, audit: (event: AuditEvent) => void): Promise<{ deleted: true; id: string }> {
  requirePlatformAdmin(actor);
  const row = await findCluster(exec, ref);
  const inUse = await exec
    .selectFrom('deployment_targets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('cluster_id', '=', row.id)
    .where('state', '!=', 'removed')
    .executeTakeFirstOrThrow();
  if (Number(inUse.n) > 0) {
    throw new AppError('SATUSKY_CLUSTER_IN_USE', `${row.name} still runs ${inUse.n} deployment(s); move or delete them first.`);
  }
  await exec.deleteFrom('deployment_observations').where('cluster_id', '=', row.id).execute();
  await exec.deleteFrom('deployment_targets').where('cluster_id', '=', row.id).execute();
  await exec.deleteFrom('clusters').where('id', '=', row.id).execute();
  audit({ action: 'cluster.delete', resourceType: 'cluster', resourceId: row.id, resourceName: row.name });
  return { deleted: true, id: row.id };
}

export async function listAll(exec: Executor, actor: Actor, keyring: Keyring): Promise<Cluster[]> {
  requirePlatformAdmin(actor);
  const rows = await exec.selectFrom('clusters').selectAll().orderBy('priority').orderBy('name').execute();
  return rows.map((r) => toCluster(r, keyring));
}

export async function get(exec: Executor, actor: Actor, ref: string, keyring: Keyring): Promise<Cluster> {
  requirePlatformAdmin(actor);
  return toCluster(await findCluster(exec, ref), keyring);
}

/** How fresh a cluster's last answer must be for its zone to count as available. */
export interface Freshness {
  now: Date;
  staleAfterMs: number;
}

function availability(row: ClusterRow, orgEnabled: boolean | null, freshness: Freshness): { available: boolean; reason: string } {
  if (orgEnabled === null || !orgEnabled) return { available: false, reason: 'not enabled for this organization (contact support)' };
  if (!row.enabled) return { available: false, reason: 'closed to new deployments by the platform' };
  if (row.health_state === 'offline') return { available: false, reason: `offline: ${row.health_reason}` };
  if (row.last_heard_at && freshness.now.getTime() - row.last_heard_at.getTime() > freshness.staleAfterMs) {
    return { available: false, reason: `not heard from since ${row.last_heard_at.toISOString()}` };
  }
  return { available: true, reason: row.health_state === 'degraded' ? `available (degraded: ${row.health_reason})` : 'available' };
}

async function zoneRows(exec: Executor, organizationId: string) {
  return exec
    .selectFrom('clusters as c')
    .leftJoin('org_zones as z', (join) => join.onRef('z.cluster_id', '=', 'c.id').on('z.organization_id', '=', organizationId))
    .selectAll('c')
    .select('z.enabled as org_enabled')
    .orderBy('c.priority')
    .orderBy('c.zone')
    .execute();
}

/** Zones as one organization sees them: every registered zone, with whether it can deploy there. */
export async function zonesFor(exec: Executor, organizationId: string, freshness: Freshness): Promise<Zone[]> {
  return (await zoneRows(exec, organizationId)).map((row) => {
    const { available, reason } = availability(row, row.org_enabled, freshness);
    return {
      zone: row.zone,
      label: row.display_name,
      region: row.region,
      cluster_id: row.id,
      cluster: row.name,
      is_default: row.is_default,
      enabled: row.org_enabled === true,
      status: available ? 'available' : 'unavailable',
      reason,
      health: healthOf(row),
    };
  });
}

export async function zoneOptions(exec: Executor, organizationId: string, freshness: Freshness): Promise<ZoneOption[]> {
  return (await zoneRows(exec, organizationId)).map((row) => {
    const { available, reason } = availability(row, row.org_enabled, freshness);
    return {
      clusterId: row.id,
      cluster: row.name,
      zone: row.zone,
      priority: row.priority,
      isDefault: row.is_default,
      labels: row.labels,
      available,
      reason,
    };
  });
}

export async function setOrgZone(
  exec: Executor,
  actor: Actor,
  organizationRef: string,
  zone: string,
  enabled: boolean,
  freshness: Freshness,
  audit: (event: AuditEvent) => void,
): Promise<Zone> {
  requirePlatformAdmin(actor);
  const org = await exec
    .selectFrom('organizations')
    .select(['id', 'slug'])
    .where((eb) => eb.or([eb('slug', '=', organizationRef), ...(/^[0-9a-f-]{36}$/.test(organizationRef) ? [eb('id', '=', organizationRef)] : [])]))
    .executeTakeFirst();
  if (!org) throw new AppError('SATUSKY_ORG_NOT_FOUND');
  const cluster = await exec.selectFrom('clusters').select('id').where('zone', '=', zone).executeTakeFirst();
  if (!cluster) throw new AppError('SATUSKY_ZONE_NOT_FOUND');
  await exec
    .insertInto('org_zones')
    .values({ organization_id: org.id, cluster_id: cluster.id, enabled })
    .onConflict((oc) => oc.columns(['organization_id', 'cluster_id']).doUpdateSet({ enabled }))
    .execute();
  audit({ action: enabled ? 'zone.enable' : 'zone.disable', resourceType: 'zone', resourceId: cluster.id, resourceName: zone, organizationId: org.id });
  const zones = await zonesFor(exec, org.id, freshness);
  return zones.find((z) => z.zone === zone)!;
}
