import { randomBytes, randomUUID } from 'node:crypto';
import type {
  App,
  AppEvent,
  AppSpec,
  AppStatus,
  ConfigChangeAccepted,
  DeployAccepted,
  DeployBody,
  EnvList,
  KeyValuePatch,
  Operation,
  Placement,
  Release,
  SecretList,
  FailoverStateView,
  Traffic,
} from '@satusky/contracts';
import { backupStatus } from '../core/backups.ts';
import { domainHealth } from '../core/domain-check.ts';
import { initialFailoverState, type FailoverCommand, type FailoverState } from '../core/failover.ts';
import { ENV_KEY, resolveAppSpec, sameSpec } from '../core/app-spec.ts';
import { canonicalJson } from '../core/canonical.ts';
import { AppError } from '../core/errors.ts';
import type { Keyring } from '../core/keyring.ts';
import { resolvePlacement } from '../core/placement.ts';
import { aggregateStatus, type ClusterFact, type ObservationFact, type TargetFact } from '../core/status.ts';
import type { Executor } from '../db/database.ts';
import type { ClusterRow, DeploymentRow, EdgeProbeRow, ObservationRow, ReleaseReason, ReleaseRow, TargetRow } from '../db/schema.ts';
import { listEvents, recordEvent } from '../events/repository.ts';
import type { Actor } from '../http/context.ts';
import type { AuditEvent } from '../http/mutation.ts';
import { zoneOptions } from '../clusters/service.ts';
import { changeSecrets, listSecretKeys } from '../secrets/store.ts';
import * as repo from './repository.ts';

export interface AppsContext {
  keyring: Keyring;
  now: Date;
  /** The platform DNS zone app hostnames are generated in, e.g. `satusky.test`. */
  platformDomain: string;
  /** A cluster silent for longer than this makes its conditions Unknown. */
  staleAfterMs: number;
  /** Wakes the controllers of these clusters once the transaction has committed. */
  wake: (clusterIds: readonly string[], deploymentIds?: readonly string[]) => void;
  afterCommit: (fn: () => void) => void;
  audit: (event: AuditEvent) => void;
}

export type ReadContext = Pick<AppsContext, 'now' | 'staleAfterMs'> & {
  /** Whether certificates are expected (TLSReady) and DNS is checked (DNSReady). */
  routing?: { tls: boolean; dns: { ttlMs: number; staleAfterMs: number } | null };
};

async function requireApp(exec: Executor, actor: Actor, ref: string, forUpdate = false): Promise<DeploymentRow> {
  const row = await repo.findDeployment(exec, actor.organization.id, ref, { forUpdate });
  if (!row) throw new AppError('SATUSKY_APP_NOT_FOUND', `No app "${ref}" in ${actor.organization.slug}.`);
  return row;
}

function requireActive(row: DeploymentRow): void {
  if (row.state === 'deleting') throw new AppError('SATUSKY_APP_DELETING', `${row.name} is being deleted.`);
}

function newHostname(name: string, domain: string): string {
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
  return `${name.slice(0, 50)}-${suffix}.${domain}`;
}

/** Fields that change the pod template: a release changing only these others keeps its pods. */
function templateOf(spec: AppSpec, secretsVersion: number, restartNonce: string | null): string {
  const { replicas: _replicas, hpa: _hpa, pdb: _pdb, ...template } = spec;
  return canonicalJson({ template, secretsVersion, restartNonce });
}

export function toRelease(row: ReleaseRow, currentId: string | null): Release {
  return {
    version: row.version,
    generation: row.generation,
    image: row.spec.image,
    reason: row.reason,
    status: row.id === currentId ? 'active' : 'superseded',
    rollback_of: row.rollback_of,
    spec: row.spec,
    placement: row.placement,
    secret_keys: row.secret_keys,
    secrets_version: row.secrets_version,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
  };
}

interface NewRelease {
  spec: AppSpec;
  placement: Placement;
  secretKeys: string[];
  secretsVersion: number;
  reason: ReleaseReason;
  rollbackOf?: number;
  restartNonce?: string | null;
}

/**
 * Writes an immutable release, bumps the generation and points every placed cluster at it; clusters
 * the placement no longer selects are marked for removal. The caller's transaction makes it atomic.
 */
async function createRelease(
  exec: Executor,
  actor: Actor,
  deployment: DeploymentRow,
  previous: ReleaseRow | null,
  input: NewRelease,
  ctx: AppsContext,
): Promise<ReleaseRow> {
  const generation = deployment.generation + 1;
  const version = (previous?.version ?? 0) + 1;
  const restartNonce = input.restartNonce === undefined ? (previous?.restart_nonce ?? null) : input.restartNonce;
  const templateChanged =
    !previous || templateOf(previous.spec, previous.secrets_version, previous.restart_nonce) !== templateOf(input.spec, input.secretsVersion, restartNonce);
  const release = await exec
    .insertInto('releases')
    .values({
      id: randomUUID(),
      deployment_id: deployment.id,
      version,
      generation,
      spec: JSON.stringify(input.spec),
      placement: JSON.stringify(input.placement),
      secret_keys: JSON.stringify(input.secretKeys),
      secrets_version: input.secretsVersion,
      template_version: templateChanged ? version : previous.template_version,
      reason: input.reason,
      rollback_of: input.rollbackOf ?? null,
      restart_nonce: restartNonce,
      created_by: actor.user.id,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await exec
    .updateTable('deployments')
    .set({ generation, current_release_id: release.id, updated_at: ctx.now })
    .where('id', '=', deployment.id)
    .execute();

  const placed = new Set(input.placement.zones.map((z) => z.cluster_id));
  for (const zone of input.placement.zones) {
    await exec
      .insertInto('deployment_targets')
      .values({ deployment_id: deployment.id, cluster_id: zone.cluster_id, role: zone.role, desired_generation: generation })
      .onConflict((oc) =>
        oc.columns(['deployment_id', 'cluster_id']).doUpdateSet({
          role: zone.role,
          state: 'active',
          desired_generation: generation,
          attempts: 0,
          last_error: null,
          last_error_at: null,
          next_attempt_at: null,
          removal: null,
          updated_at: ctx.now,
        }),
      )
      .execute();
  }
  const existing = await repo.targetsOf(exec, [deployment.id]);
  const leaving = existing.filter((t) => !placed.has(t.cluster_id) && t.state === 'active');
  for (const target of leaving) {
    await exec
      .updateTable('deployment_targets')
      .set({ state: 'removing', desired_generation: generation, attempts: 0, next_attempt_at: null, updated_at: ctx.now })
      .where('deployment_id', '=', deployment.id)
      .where('cluster_id', '=', target.cluster_id)
      .execute();
  }
  await recordEvent(exec, {
    deploymentId: deployment.id,
    organizationId: deployment.organization_id,
    generation,
    category: 'deploy',
    type: 'ReleaseCreated',
    message: `release ${version} (${input.reason}) accepted: ${input.spec.image} in ${input.placement.zones.map((z) => z.zone).join(', ')}`,
    detail: { version, reason: input.reason, image: input.spec.image, zones: input.placement.zones.map((z) => z.zone), rollback_of: input.rollbackOf ?? null },
  });
  const clusterIds = [...placed, ...leaving.map((t) => t.cluster_id)];
  ctx.afterCommit(() => ctx.wake(clusterIds, [deployment.id]));
  return release;
}

async function currentRelease(exec: Executor, deployment: DeploymentRow): Promise<ReleaseRow | null> {
  return deployment.current_release_id ? ((await repo.releaseById(exec, deployment.current_release_id)) ?? null) : null;
}

function acceptedBody(
  deployment: DeploymentRow,
  namespace: string,
  release: ReleaseRow,
  changed: boolean,
  missing: string[],
  orgSlug: string,
): DeployAccepted {
  return {
    deployment_id: deployment.id,
    name: deployment.name,
    namespace,
    hostname: deployment.hostname,
    generation: release.generation,
    release: release.version,
    changed,
    placement: release.placement,
    status_url: `/v1/orgs/${orgSlug}/apps/${deployment.name}/status`,
    missing_required_secrets: missing,
  };
}

/**
 * The deploy intent. Creates the app on first use; a new immutable release when anything differs
 * from the current one; nothing (and `changed: false`) when the intent matches what is running.
 */
export async function deploy(exec: Executor, actor: Actor, name: string, body: DeployBody, ctx: AppsContext): Promise<DeployAccepted> {
  let deployment = await repo.findDeployment(exec, actor.organization.id, name, { forUpdate: true });
  if (deployment) requireActive(deployment);
  if (deployment && deployment.name !== name) throw new AppError('SATUSKY_APP_NOT_FOUND', 'Deploy by name, not by id.');
  const previous = deployment ? await currentRelease(exec, deployment) : null;
  const spec = resolveAppSpec(body, previous?.spec ?? null);
  const placement = resolvePlacement({
    zone: body.zone,
    multicluster: body.multicluster,
    volumes: spec.volumes,
    current: previous?.placement ?? null,
    zones: await zoneOptions(exec, actor.organization.id, { now: ctx.now, staleAfterMs: ctx.staleAfterMs }),
  });

  if (!deployment) {
    deployment = await exec
      .insertInto('deployments')
      .values({ id: randomUUID(), organization_id: actor.organization.id, name, hostname: newHostname(name, ctx.platformDomain) })
      .returningAll()
      .executeTakeFirstOrThrow();
    ctx.audit({ action: 'app.create', resourceType: 'app', resourceId: deployment.id, resourceName: name, changes: { hostname: deployment.hostname } });
  }
  const secrets = await listSecretKeys(exec, deployment.id);
  const secretKeys = secrets.map((s) => s.key);
  const secretsVersion = Math.max(0, ...secrets.map((s) => s.version));
  const missing = spec.required_secrets.filter((key) => !secretKeys.includes(key));

  const unchanged =
    previous &&
    sameSpec(previous.spec, spec) &&
    canonicalJson({ ...previous.placement, reason: null }) === canonicalJson({ ...placement, reason: null }) &&
    previous.secrets_version === secretsVersion &&
    canonicalJson(previous.secret_keys) === canonicalJson(secretKeys);
  if (unchanged) return acceptedBody(deployment, actor.organization.namespace, previous, false, missing, actor.organization.slug);

  const release = await createRelease(exec, actor, deployment, previous, { spec, placement, secretKeys, secretsVersion, reason: 'deploy' }, ctx);
  ctx.audit({
    action: 'app.deploy',
    resourceType: 'app',
    resourceId: deployment.id,
    resourceName: name,
    changes: { release: release.version, generation: release.generation, image: spec.image, zones: placement.zones.map((z) => z.zone), env_keys: Object.keys(spec.env) },
  });
  return acceptedBody(deployment, actor.organization.namespace, release, true, missing, actor.organization.slug);
}

export async function rollback(exec: Executor, actor: Actor, ref: string, version: number | undefined, ctx: AppsContext): Promise<DeployAccepted> {
  const deployment = await requireApp(exec, actor, ref, true);
  requireActive(deployment);
  const current = await currentRelease(exec, deployment);
  if (!current) throw new AppError('SATUSKY_APP_NOT_DEPLOYED');
  const targetVersion = version ?? current.version - 1;
  if (targetVersion < 1 || targetVersion === current.version) {
    throw new AppError('SATUSKY_NOTHING_TO_ROLL_BACK', version ? `Release ${version} is the current release.` : 'There is no release before the current one.');
  }
  const target = await repo.releaseByVersion(exec, deployment.id, targetVersion);
  if (!target) throw new AppError('SATUSKY_RELEASE_NOT_FOUND', `${deployment.name} has no release ${targetVersion}.`);
  // The app's spec comes back; placement and secrets stay current (secret values cannot be rolled back).
  const release = await createRelease(
    exec,
    actor,
    deployment,
    current,
    { spec: target.spec, placement: current.placement, secretKeys: current.secret_keys, secretsVersion: current.secrets_version, reason: 'rollback', rollbackOf: targetVersion },
    ctx,
  );
  ctx.audit({ action: 'app.rollback', resourceType: 'app', resourceId: deployment.id, resourceName: deployment.name, changes: { to_version: targetVersion, release: release.version, image: target.spec.image } });
  const missing = target.spec.required_secrets.filter((k) => !current.secret_keys.includes(k));
  return acceptedBody({ ...deployment, generation: release.generation }, actor.organization.namespace, release, true, missing, actor.organization.slug);
}

export async function restart(exec: Executor, actor: Actor, ref: string, ctx: AppsContext): Promise<DeployAccepted> {
  const deployment = await requireApp(exec, actor, ref, true);
  requireActive(deployment);
  const current = await currentRelease(exec, deployment);
  if (!current) throw new AppError('SATUSKY_APP_NOT_DEPLOYED');
  const release = await createRelease(
    exec,
    actor,
    deployment,
    current,
    {
      spec: current.spec,
      placement: current.placement,
      secretKeys: current.secret_keys,
      secretsVersion: current.secrets_version,
      reason: 'restart',
      restartNonce: ctx.now.toISOString(),
    },
    ctx,
  );
  ctx.audit({ action: 'app.restart', resourceType: 'app', resourceId: deployment.id, resourceName: deployment.name, changes: { release: release.version } });
  return acceptedBody(deployment, actor.organization.namespace, release, true, [], actor.organization.slug);
}

export async function scale(exec: Executor, actor: Actor, ref: string, replicas: number, ctx: AppsContext): Promise<DeployAccepted> {
  const deployment = await requireApp(exec, actor, ref, true);
  requireActive(deployment);
  const current = await currentRelease(exec, deployment);
  if (!current) throw new AppError('SATUSKY_APP_NOT_DEPLOYED');
  if (current.spec.hpa) {
    throw new AppError(
      'SATUSKY_SCALE_MANAGED_BY_HPA',
      `${deployment.name} is autoscaled between ${current.spec.hpa.min_replicas} and ${current.spec.hpa.max_replicas} replicas; change the autoscaler with deploy --hpa-min-replicas/--hpa-max-replicas, or turn it off.`,
    );
  }
  if (current.spec.replicas === replicas) return acceptedBody(deployment, actor.organization.namespace, current, false, [], actor.organization.slug);
  const spec = { ...current.spec, replicas };
  const release = await createRelease(
    exec,
    actor,
    deployment,
    current,
    { spec, placement: current.placement, secretKeys: current.secret_keys, secretsVersion: current.secrets_version, reason: 'scale' },
    ctx,
  );
  ctx.audit({ action: 'app.scale', resourceType: 'app', resourceId: deployment.id, resourceName: deployment.name, changes: { replicas: { from: current.spec.replicas, to: replicas } } });
  return acceptedBody(deployment, actor.organization.namespace, release, true, [], actor.organization.slug);
}

export async function getEnv(exec: Executor, actor: Actor, ref: string): Promise<EnvList> {
  const deployment = await requireApp(exec, actor, ref);
  const current = await currentRelease(exec, deployment);
  const env = current?.spec.env ?? {};
  return {
    items: Object.keys(env)
      .sort()
      .map((key) => ({ key, value: env[key]! })),
    release: current?.version ?? null,
  };
}

export async function patchEnv(exec: Executor, actor: Actor, ref: string, patch: KeyValuePatch, ctx: AppsContext): Promise<ConfigChangeAccepted> {
  const deployment = await requireApp(exec, actor, ref, true);
  requireActive(deployment);
  const current = await currentRelease(exec, deployment);
  if (!current) {
    throw new AppError('SATUSKY_APP_NOT_DEPLOYED', `${deployment.name} is not deployed yet; pass the environment with the first deploy (deploy --env KEY=VALUE).`);
  }
  const env = { ...current.spec.env };
  const changed: string[] = [];
  for (const [key, value] of Object.entries(patch.set ?? {})) {
    if (env[key] !== value) {
      env[key] = value;
      changed.push(key);
    }
  }
  for (const key of patch.unset ?? []) {
    if (key in env) {
      delete env[key];
      changed.push(key);
    }
  }
  if (changed.length === 0) return { changed: false, generation: deployment.generation, release: current.version, keys: [] };
  // Re-validated as a whole: a key may not be reserved or shadow a required secret.
  const spec = resolveAppSpec({ image: current.spec.image }, { ...current.spec, env });
  const release = await createRelease(
    exec,
    actor,
    deployment,
    current,
    { spec, placement: current.placement, secretKeys: current.secret_keys, secretsVersion: current.secrets_version, reason: 'env' },
    ctx,
  );
  ctx.audit({ action: 'app.env.change', resourceType: 'app', resourceId: deployment.id, resourceName: deployment.name, changes: { keys: changed, release: release.version } });
  return { changed: true, generation: release.generation, release: release.version, keys: changed.sort() };
}

export async function listSecrets(exec: Executor, actor: Actor, ref: string): Promise<SecretList> {
  const deployment = await requireApp(exec, actor, ref);
  return {
    items: (await listSecretKeys(exec, deployment.id)).map((s) => ({ key: s.key, version: s.version, updated_at: s.updatedAt.toISOString() })),
  };
}

/**
 * Sets or unsets secret values. The app may not be deployed yet (it is created empty then, so the
 * first deploy finds its secrets); a deployed app gets a new release that rolls its pods.
 */
export async function patchSecrets(exec: Executor, actor: Actor, ref: string, patch: KeyValuePatch, ctx: AppsContext): Promise<ConfigChangeAccepted> {
  // Secrets become environment variables: a name Kubernetes refuses would make a release that never applies.
  const badKeys = Object.keys(patch.set ?? {}).filter((key) => !ENV_KEY.test(key));
  if (badKeys.length > 0) {
    throw new AppError('SATUSKY_INVALID_INPUT', `secret names must be letters, digits and _, not starting with a digit: ${badKeys.map((k) => JSON.stringify(k)).join(', ')}`, {
      details: badKeys.map((key) => ({ field: `set.${key}`, message: 'not a valid environment variable name' })),
    });
  }
  let deployment = await repo.findDeployment(exec, actor.organization.id, ref, { forUpdate: true });
  if (!deployment) {
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(ref) || ref.length > 63) throw new AppError('SATUSKY_APP_NOT_FOUND');
    deployment = await exec
      .insertInto('deployments')
      .values({ id: randomUUID(), organization_id: actor.organization.id, name: ref, hostname: newHostname(ref, ctx.platformDomain) })
      .returningAll()
      .executeTakeFirstOrThrow();
    ctx.audit({ action: 'app.create', resourceType: 'app', resourceId: deployment.id, resourceName: ref, changes: { hostname: deployment.hostname, via: 'secrets' } });
  }
  requireActive(deployment);
  const { changed, version } = await changeSecrets(exec, ctx.keyring, {
    organizationId: actor.organization.id,
    deploymentId: deployment.id,
    set: patch.set ?? {},
    unset: patch.unset ?? [],
  });
  if (changed.length === 0) {
    const current = await currentRelease(exec, deployment);
    return { changed: false, generation: deployment.generation, release: current?.version ?? null, keys: [] };
  }
  ctx.audit({ action: 'app.secrets.change', resourceType: 'app', resourceId: deployment.id, resourceName: deployment.name, changes: { keys: changed } });
  const current = await currentRelease(exec, deployment);
  if (!current) return { changed: true, generation: deployment.generation, release: null, keys: changed.sort() };
  const keys = (await listSecretKeys(exec, deployment.id)).map((s) => s.key);
  const release = await createRelease(
    exec,
    actor,
    deployment,
    current,
    { spec: current.spec, placement: current.placement, secretKeys: keys, secretsVersion: version, reason: 'secrets' },
    ctx,
  );
  return { changed: true, generation: release.generation, release: release.version, keys: changed.sort() };
}

export async function listReleases(exec: Executor, actor: Actor, ref: string): Promise<Release[]> {
  const deployment = await requireApp(exec, actor, ref);
  return (await repo.releasesOf(exec, [deployment.id])).map((r) => toRelease(r, deployment.current_release_id));
}

// ---- status ---------------------------------------------------------------------------------

function targetFact(t: TargetRow, cluster: ClusterRow | undefined, probe: EdgeProbeRow | undefined, observation?: ObservationRow, dnsExpected?: boolean): TargetFact {
  return {
    routing: observation?.routing ?? null,
    ...(dnsExpected !== undefined ? { dnsExpected } : {}),
    edge: cluster?.edge_address
      ? { address: cluster.edge_address, probe: probe ? { ok: probe.ok, detail: probe.detail, probedAt: probe.probed_at } : null }
      : undefined,
    clusterId: t.cluster_id,
    cluster: cluster?.name ?? t.cluster_id,
    zone: cluster?.zone ?? t.cluster_id,
    role: t.role,
    desiredGeneration: t.desired_generation,
    appliedGeneration: t.applied_generation,
    appliedAt: t.applied_at,
    lastError: t.last_error,
    lastErrorAt: t.last_error_at,
    lastErrorTerminal: t.last_error?.startsWith('rejected:') ?? false,
    acceptedAt: t.updated_at,
  };
}

function observationFact(o: ObservationRow): ObservationFact {
  return {
    observedGeneration: o.observed_generation,
    releaseVersion: o.release_version,
    desiredReplicas: o.desired_replicas,
    replicas: o.replicas,
    readyReplicas: o.ready_replicas,
    updatedReplicas: o.updated_replicas,
    availableReplicas: o.available_replicas,
    workload: o.workload,
    observedAt: o.observed_at,
  };
}

function clusterFact(c: ClusterRow): ClusterFact {
  return { healthState: c.health_state, healthReason: c.health_reason, lastHeardAt: c.last_heard_at };
}

async function statusesFor(exec: Executor, deployments: DeploymentRow[], ctx: ReadContext) {
  const ids = deployments.map((d) => d.id);
  const hostnames = deployments.map((d) => d.hostname.toLowerCase());
  const [targets, observations, releases, probes, failovers, records, resolutions] = await Promise.all([
    repo.targetsOf(exec, ids),
    repo.observationsOf(exec, ids),
    repo.releasesOf(exec, ids),
    ids.length ? exec.selectFrom('edge_probes').selectAll().where('deployment_id', 'in', ids).execute() : Promise.resolve([]),
    ids.length ? exec.selectFrom('failover_states').select(['deployment_id', 'state']).where('deployment_id', 'in', ids).execute() : Promise.resolve([]),
    ids.length && ctx.routing?.dns
      ? exec.selectFrom('dns_records').select(['deployment_id', 'value', 'updated_at']).where('deployment_id', 'in', ids).where('type', '=', 'A').execute()
      : Promise.resolve([]),
    ids.length && ctx.routing?.dns ? exec.selectFrom('dns_observations').selectAll().where('hostname', 'in', hostnames).execute() : Promise.resolve([]),
  ]);
  const clusters = await repo.clustersById(exec, targets.map((t) => t.cluster_id));
  const clusterFacts = new Map([...clusters.values()].map((c) => [c.id, clusterFact(c)]));
  const results = new Map<string, { status: ReturnType<typeof aggregateStatus>; release: ReleaseRow | null }>();
  for (const deployment of deployments) {
    const release = releases.find((r) => r.id === deployment.current_release_id) ?? null;
    const own = targets.filter((t) => t.deployment_id === deployment.id && t.state === 'active');
    const failover = failovers.find((f) => f.deployment_id === deployment.id)?.state ?? null;
    const placement = release?.placement;
    const primary = placement?.multicluster?.primary ?? placement?.zones.find((z) => z.role === 'serving')?.zone ?? null;
    const expected = (t: TargetRow) =>
      placement?.mode === 'active-passive' ? clusters.get(t.cluster_id)?.zone === (failover?.serving ?? primary) : t.role === 'serving';
    const published = records.filter((r) => r.deployment_id === deployment.id);
    const resolution = resolutions.find((r) => r.hostname === deployment.hostname.toLowerCase());
    const dns = ctx.routing?.dns
      ? {
          published: published.map((r) => r.value),
          publishedAt: published.reduce<Date | null>((latest, r) => (latest && latest > r.updated_at ? latest : r.updated_at), null),
          observation: resolution ? { rcode: resolution.rcode, addresses: resolution.addresses, observedAt: resolution.observed_at } : null,
          ttlMs: ctx.routing.dns.ttlMs,
          staleAfterMs: ctx.routing.dns.staleAfterMs,
        }
      : null;
    const status = aggregateStatus({
      hostname: deployment.hostname.toLowerCase(),
      tls: ctx.routing?.tls ?? false,
      dns,
      generation: deployment.generation,
      releaseVersion: release?.version ?? null,
      targets: own.map((t) =>
        targetFact(
          t,
          clusters.get(t.cluster_id),
          probes.find((p) => p.deployment_id === deployment.id && p.cluster_id === t.cluster_id),
          observations.find((o) => o.deployment_id === deployment.id && o.cluster_id === t.cluster_id),
          expected(t),
        ),
      ),
      observations: new Map(observations.filter((o) => o.deployment_id === deployment.id).map((o) => [o.cluster_id, observationFact(o)])),
      clusters: clusterFacts,
      now: ctx.now,
      staleAfterMs: ctx.staleAfterMs,
      probeStaleAfterMs: Math.max(30_000, ctx.staleAfterMs * 3),
    });
    results.set(deployment.id, { status, release });
  }
  return { results, releases, probes, clusters, observations };
}

function toApp(deployment: DeploymentRow, namespace: string, release: ReleaseRow | null, status: ReturnType<typeof aggregateStatus>): App {
  return {
    id: deployment.id,
    name: deployment.name,
    namespace,
    hostname: deployment.hostname,
    url: `https://${deployment.hostname}`,
    state: deployment.state,
    generation: deployment.generation,
    release: release ? toRelease(release, deployment.current_release_id) : null,
    status: deployment.state === 'deleting' ? 'progressing' : status.status,
    zones: status.clusters.map((c) => ({ zone: c.zone, role: c.role, status: c.status })),
    created_at: deployment.created_at.toISOString(),
    updated_at: deployment.updated_at.toISOString(),
  };
}

export async function list(exec: Executor, actor: Actor, ctx: ReadContext): Promise<App[]> {
  const deployments = await repo.listDeployments(exec, actor.organization.id);
  const { results } = await statusesFor(exec, deployments, ctx);
  return deployments.map((d) => {
    const r = results.get(d.id)!;
    return toApp(d, actor.organization.namespace, r.release, r.status);
  });
}

export async function get(exec: Executor, actor: Actor, ref: string, ctx: ReadContext): Promise<App> {
  const deployment = await requireApp(exec, actor, ref);
  const { results } = await statusesFor(exec, [deployment], ctx);
  const r = results.get(deployment.id)!;
  return toApp(deployment, actor.organization.namespace, r.release, r.status);
}

export async function status(exec: Executor, actor: Actor, ref: string, ctx: ReadContext): Promise<AppStatus> {
  const deployment = await requireApp(exec, actor, ref);
  const { results, probes, clusters, observations } = await statusesFor(exec, [deployment], ctx);
  const { status: s, release } = results.get(deployment.id)!;
  let traffic: Traffic | null = null;
  if (release) {
    const records = await exec
      .selectFrom('dns_records')
      .select('value')
      .where('deployment_id', '=', deployment.id)
      .where('name', '=', deployment.hostname.toLowerCase())
      .where('type', '=', 'A')
      .execute();
    const addresses = records.map((r) => r.value).sort();
    const zoneOf = (address: string) => [...clusters.values()].find((c) => c.edge_address === address)?.zone ?? address;
    const failover = await exec.selectFrom('failover_states').select('state').where('deployment_id', '=', deployment.id).executeTakeFirst();
    traffic = {
      mode: release.placement.mode,
      hostname: deployment.hostname,
      addresses,
      zones: addresses.map(zoneOf),
      failover: failover ? toFailoverView(failover.state) : null,
      probes: probes.map((p) => ({
        zone: clusters.get(p.cluster_id)?.zone ?? p.cluster_id,
        ok: p.ok,
        status_code: p.status_code,
        detail: p.detail,
        latency_ms: p.latency_ms,
        answered_by: p.answered_by,
        probed_at: p.probed_at.toISOString(),
      })),
    };
  }
  const domainRows = await exec
    .selectFrom('domains')
    .select(['hostname', 'status', 'route_kind', 'www_redirect', 'last_check_error'])
    .where('deployment_id', '=', deployment.id)
    .where('status', '!=', 'removed')
    .orderBy('hostname')
    .execute();
  const resolutions = domainRows.length
    ? await exec.selectFrom('dns_observations').select(['hostname', 'rcode', 'addresses']).where('hostname', 'in', domainRows.map((d) => d.hostname)).execute()
    : [];
  const published = traffic?.addresses ?? [];
  const domains = domainRows.map((d) => {
    const resolution = resolutions.find((r) => r.hostname === d.hostname);
    return {
      ...d,
      ...domainHealth({
        hostname: d.hostname,
        status: d.status,
        lastCheckError: d.last_check_error,
        dns: resolution ? { rcode: resolution.rcode, addresses: resolution.addresses } : null,
        expectedAddresses: published,
        zones: s.clusters.map((c) => ({ zone: c.zone, stale: c.stale, routing: observations.find((o) => o.cluster_id === c.cluster_id)?.routing ?? null })),
      }),
    };
  });
  const backups = backupStatus(
    release?.placement.multicluster?.backup ?? null,
    s.clusters.map((c) => ({
      zone: c.zone,
      stale: c.stale,
      observation: observations.find((o) => o.cluster_id === c.cluster_id)?.backups ?? null,
    })),
    ctx.now,
  );
  return {
    traffic,
    domains,
    backups,
    deployment_id: deployment.id,
    name: deployment.name,
    generation: deployment.generation,
    release: release?.version ?? null,
    status: deployment.state === 'deleting' ? 'progressing' : s.status,
    message: deployment.state === 'deleting' ? `${deployment.name} is being deleted.` : s.message,
    conditions: s.conditions,
    clusters: s.clusters,
    evaluated_at: ctx.now.toISOString(),
  };
}

export async function events(exec: Executor, actor: Actor, ref: string, after: number, limit: number): Promise<{ items: AppEvent[]; cursor: number }> {
  const deployment = await requireAppIncludingDeleted(exec, actor, ref);
  const items = await listEvents(exec, deployment.id, after, limit);
  return { items, cursor: items.at(-1)?.id ?? after };
}

/** Events stay readable while the app is being deleted and right after (the operation reports). */
async function requireAppIncludingDeleted(exec: Executor, actor: Actor, ref: string): Promise<DeploymentRow> {
  const live = await repo.findDeployment(exec, actor.organization.id, ref);
  if (live) return live;
  throw new AppError('SATUSKY_APP_NOT_FOUND', `No app "${ref}" in ${actor.organization.slug}.`);
}

// ---- delete ---------------------------------------------------------------------------------

/**
 * Deleting is an operation: every cluster the app ran in removes its objects (volumes are kept
 * unless purged); the operation reports, per zone, what was removed and what remains. A zone that
 * cannot be reached keeps its objects until it can be, and the report says so.
 */
export async function remove(exec: Executor, actor: Actor, ref: string, purgeVolumes: boolean, ctx: AppsContext): Promise<Operation> {
  const deployment = await requireApp(exec, actor, ref, true);
  if (deployment.state === 'deleting') {
    const existing = await exec
      .selectFrom('operations')
      .selectAll()
      .where('deployment_id', '=', deployment.id)
      .where('kind', '=', 'delete')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (existing) return getOperation(exec, actor, existing.id);
  }
  const generation = deployment.generation + 1;
  await exec.updateTable('deployments').set({ state: 'deleting', generation, updated_at: ctx.now }).where('id', '=', deployment.id).execute();
  const targets = await repo.targetsOf(exec, [deployment.id]);
  await exec
    .updateTable('deployment_targets')
    .set({ state: 'removing', desired_generation: generation, attempts: 0, next_attempt_at: null, last_error: null, removal: null, updated_at: ctx.now })
    .where('deployment_id', '=', deployment.id)
    .where('state', '!=', 'removed')
    .execute();
  const id = randomUUID();
  await exec
    .insertInto('operations')
    .values({ id, organization_id: actor.organization.id, deployment_id: deployment.id, kind: 'delete', request: JSON.stringify({ purge_volumes: purgeVolumes }), result: '{}' })
    .execute();
  await recordEvent(exec, {
    deploymentId: deployment.id,
    organizationId: deployment.organization_id,
    generation,
    category: 'delete',
    type: 'DeleteRequested',
    message: `delete requested${purgeVolumes ? ' (volumes purged)' : ' (volumes retained)'}`,
    detail: { operation_id: id, purge_volumes: purgeVolumes },
  });
  ctx.audit({ action: 'app.delete', resourceType: 'app', resourceId: deployment.id, resourceName: deployment.name, changes: { purge_volumes: purgeVolumes, operation_id: id } });
  const clusterIds = targets.map((t) => t.cluster_id);
  ctx.afterCommit(() => ctx.wake(clusterIds, [deployment.id]));
  return getOperation(exec, actor, id);
}

export interface RemovalReport {
  removed: string[];
  remaining: { object: string; reason: string }[];
  error?: string | null;
}

export async function getOperation(exec: Executor, actor: Actor, id: string): Promise<Operation> {
  const op = await exec
    .selectFrom('operations')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', actor.organization.id)
    .executeTakeFirst();
  if (!op) throw new AppError('SATUSKY_OPERATION_NOT_FOUND');
  const targets = op.deployment_id ? await repo.targetsOf(exec, [op.deployment_id]) : [];
  const clusters = await repo.clustersById(exec, targets.map((t) => t.cluster_id));
  return {
    id: op.id,
    kind: op.kind,
    state: op.state,
    deployment_id: op.deployment_id,
    result: {
      clusters: targets.map((t) => {
        const report = (t.removal ?? null) as RemovalReport | null;
        return {
          zone: clusters.get(t.cluster_id)?.zone ?? t.cluster_id,
          state: t.state === 'removed' ? 'done' : t.last_error ? 'unreachable' : 'pending',
          removed: report?.removed ?? [],
          remaining: report?.remaining ?? [],
          error: t.state === 'removed' ? null : t.last_error,
        };
      }),
    },
    status_url: `/v1/orgs/${actor.organization.slug}/operations/${op.id}`,
    created_at: op.created_at.toISOString(),
    finished_at: op.finished_at?.toISOString() ?? null,
  };
}

export function toFailoverView(state: FailoverState): FailoverStateView {
  return {
    phase: state.phase,
    epoch: state.epoch,
    primary: state.primary,
    serving: state.serving,
    since: state.since,
    failures: state.failures,
    primary_healthy_since: state.primaryHealthySince,
    detected_at: state.detectedAt,
    switched_at: state.switchedAt,
    first_healthy_at: state.firstHealthyAt,
    from: state.from,
    reason: state.reason,
  };
}

/** Org deletion is refused while it owns apps. */
export async function countApps(exec: Executor, organizationId: string): Promise<{ kind: string; count: number }> {
  const row = await exec
    .selectFrom('deployments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId)
    .where('state', '!=', 'deleted')
    .executeTakeFirstOrThrow();
  return { kind: 'apps', count: Number(row.n) };
}

/**
 * `failover --to ZONE` (a drill) and `failback`: checked here against the latest probes so a target
 * that is not ready is refused with the reason at once; otherwise queued for the traffic controller,
 * which moves traffic on its next run and records the timed transition.
 */
export async function requestFailover(
  exec: Executor,
  actor: Actor,
  ref: string,
  command: FailoverCommand,
  ctx: AppsContext,
): Promise<{ accepted: true; command: FailoverCommand; serving: string; target: string }> {
  const deployment = await requireApp(exec, actor, ref, true);
  requireActive(deployment);
  const release = await currentRelease(exec, deployment);
  if (!release || release.placement.mode !== 'active-passive') {
    throw new AppError('SATUSKY_NOT_MULTI_ZONE', `${deployment.name} does not run active-passive; ${release ? `it is ${release.placement.mode}` : 'it is not deployed'}.`);
  }
  const row = await exec.selectFrom('failover_states').selectAll().where('deployment_id', '=', deployment.id).executeTakeFirst();
  const primary = release.placement.multicluster?.primary ?? release.placement.zones.find((z) => z.role === 'serving')!.zone;
  const serving = row?.state.serving ?? primary;
  const target = command.kind === 'failover' ? command.to : (row?.state.primary ?? primary);
  const zone = release.placement.zones.find((z) => z.zone === target);
  if (!zone) throw new AppError('SATUSKY_ZONE_NOT_FOUND', `${deployment.name} does not run in ${target} (zones: ${release.placement.zones.map((z) => z.zone).join(', ')}).`);
  if (target === serving) throw new AppError('SATUSKY_FAILOVER_REFUSED', `${target} already serves ${deployment.name}.`);
  const probe = await exec.selectFrom('edge_probes').selectAll().where('deployment_id', '=', deployment.id).where('cluster_id', '=', zone.cluster_id).executeTakeFirst();
  const observation = await exec
    .selectFrom('deployment_observations')
    .selectAll()
    .where('deployment_id', '=', deployment.id)
    .where('cluster_id', '=', zone.cluster_id)
    .executeTakeFirst();
  const workloadReady = observation !== undefined && (observation.ready_replicas ?? 0) >= (observation.desired_replicas ?? 1) && !observation.workload.problems.some((p) => p.severity === 'failure');
  if (!probe?.ok || !workloadReady) {
    throw new AppError(
      'SATUSKY_FAILOVER_REFUSED',
      `${target} is not ready to serve (edge: ${probe ? probe.detail : 'not probed'}; workload: ${observation ? `${observation.ready_replicas ?? 0}/${observation.desired_replicas ?? 0} ready` : 'not observed'}); traffic stays on ${serving}.`,
      { details: { zone: target, edge_ok: probe?.ok ?? null, workload_ready: workloadReady } },
    );
  }
  if (row) {
    await exec.updateTable('failover_states').set({ pending_command: JSON.stringify(command), version: row.version + 1 }).where('deployment_id', '=', deployment.id).execute();
  } else {
    await exec
      .insertInto('failover_states')
      .values({ deployment_id: deployment.id, state: JSON.stringify(initialFailoverState(primary, ctx.now)), epoch: 1, pending_command: JSON.stringify(command) })
      .execute();
  }
  await recordEvent(exec, {
    deploymentId: deployment.id,
    organizationId: deployment.organization_id,
    generation: deployment.generation,
    category: 'failover',
    type: command.kind === 'failover' ? 'FailoverRequested' : 'FailbackRequested',
    message: `${command.kind === 'failover' ? 'failover drill' : 'failback'} to ${target} requested by ${actor.user.email}`,
    detail: { to: target, from: serving },
  });
  ctx.audit({ action: `app.${command.kind}`, resourceType: 'app', resourceId: deployment.id, resourceName: deployment.name, changes: { to: target, from: serving } });
  ctx.afterCommit(() => ctx.wake(release.placement.zones.map((z) => z.cluster_id), [deployment.id]));
  return { accepted: true, command, serving, target };
}
