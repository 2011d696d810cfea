import type { Logger } from 'pino';
import type { RemovalReport } from '../apps/service.ts';
import type { Placement } from '@satusky/contracts';
import { renderBackupSchedule, renderRestore, VELERO_NAMESPACE } from '../core/backups.ts';
import { APPLIED_HASH_ANNOTATION, extraDataKeys, isSubset, needsApply, withAppliedHash } from '../core/drift.ts';
import type { Keyring } from '../core/keyring.ts';
import { APP_KINDS, LABELS, renderAcmeIssuer, renderApp, renderEdgeGateway, renderNamespace, TLS_OF_LABEL, type KubeObject } from '../core/render.ts';
import type { Database } from '../db/database.ts';
import type { ClusterRow, DeploymentRow, OrganizationRow, TargetRow } from '../db/schema.ts';
import { recordEvent } from '../events/repository.ts';
import { revealSecrets } from '../secrets/store.ts';
import type { ClusterInformers } from './informers.ts';
import { KubeError, type KubeClient } from './kube-client.ts';
import type { Lease } from './lease.ts';
import type { WorkResult } from './work-queue.ts';

export interface ReconcilerDeps {
  database: Database;
  keyring: Keyring;
  lease: Lease;
  log: Logger;
  clock: () => Date;
  /** Refuse to delete more than this share of a cluster's managed objects in one pass. */
  massDeletionRatio: number;
  /** Certificates and HTTPS listeners (ACME through the edge), or plain HTTP routes only. */
  routing: { tls: boolean; acme: { server: string; email: string } };
}

/** Route and certificate objects come and go with domains; they do not count toward the mass-deletion guard. */
const ROUTING_KINDS = new Set(['HTTPRoute', 'Ingress', 'Certificate', 'ListenerSet']);

export interface ClusterContext {
  /** Refreshed by the manager when the row changes (edge address, gateway class…). */
  cluster: ClusterRow;
  client: KubeClient;
  informers: ClusterInformers;
  /** Namespaces and the edge Gateway already ensured in this cluster (until the next resync). */
  ensured: Set<string>;
  /** Namespaces being ensured right now: concurrent passes for apps of one org wait for the one check. */
  ensuring: Map<string, Promise<unknown>>;
}

const CLUSTER_FAULTS = new Set(['unreachable', 'timeout', 'server', 'throttled']);

/**
 * Server-side apply, then — when the result still differs from what was applied (a list carries items
 * another field manager added by hand, which apply leaves alone) — a merge patch that replaces those
 * lists. Without it such drift is "restored" on every pass and never goes away.
 */
async function applyExactly(ctx: ClusterContext, object: KubeObject): Promise<void> {
  const applied = await ctx.client.apply(object);
  // Keys added by hand to a ConfigMap or Secret go too: null in a merge patch removes a key.
  const extra = extraDataKeys(object, applied);
  if (!isSubset(object, applied) || extra.length > 0) {
    const data = (object as { data?: Record<string, unknown> }).data;
    await ctx.client.mergePatch(extra.length > 0 ? { ...object, data: { ...data, ...Object.fromEntries(extra.map((key) => [key, null])) } } : object);
  }
}

function ref(o: { kind?: string; metadata?: { name?: string } }): string {
  return `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`;
}

/** A managed object found in the cluster, with the identity the list answer may leave out. */
interface OwnedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

/**
 * Makes one cluster run what one app's current release says, or removes the app from it.
 * Level-triggered and idempotent: it compares the rendered objects with what the cluster has and
 * writes only what differs; it prunes only from a complete, synced view; every database write is
 * fenced by the controller lease.
 */
export class Reconciler {
  readonly #deps: ReconcilerDeps;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
  }

  async reconcile(ctx: ClusterContext, deploymentId: string): Promise<WorkResult> {
    const { database } = this.#deps;
    const target = await database.db
      .selectFrom('deployment_targets')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .where('cluster_id', '=', ctx.cluster.id)
      .executeTakeFirst();
    if (!target || target.state === 'removed') return { outcome: 'done' };
    const deployment = await database.db.selectFrom('deployments').selectAll().where('id', '=', deploymentId).executeTakeFirst();
    if (!deployment) return { outcome: 'done' };
    const org = await database.db.selectFrom('organizations').selectAll().where('id', '=', deployment.organization_id).executeTakeFirst();
    if (!org) return { outcome: 'done' };
    try {
      if (target.state === 'removing') return await this.#remove(ctx, target, deployment);
      return await this.#apply(ctx, target, deployment, org);
    } catch (error) {
      if (!(error instanceof KubeError)) throw error;
      await this.#recordFailure(ctx, target, deployment, error);
      return { outcome: 'retry', clusterFault: CLUSTER_FAULTS.has(error.failure) };
    }
  }

  async #apply(ctx: ClusterContext, target: TargetRow, deployment: DeploymentRow, org: OrganizationRow): Promise<WorkResult> {
    const { database, keyring } = this.#deps;
    const release = deployment.current_release_id
      ? await database.db.selectFrom('releases').selectAll().where('id', '=', deployment.current_release_id).executeTakeFirst()
      : undefined;
    if (!release) return { outcome: 'done' };

    await this.#ensureCluster(ctx);
    const namespaceDrift = await this.#ensureNamespace(ctx, org);
    const secrets = await revealSecrets(database.db, keyring, org.id, deployment.id, release.secret_keys);
    // Only proven domains are routed: a hostname nobody verified gets no route and no certificate.
    const domains = await database.db
      .selectFrom('domains')
      .select(['hostname', 'route_kind', 'www_redirect', 'ingress_retained'])
      .where('deployment_id', '=', deployment.id)
      .where('status', '=', 'verified')
      .orderBy('hostname')
      .execute();
    const desired = renderApp({
      org: { id: org.id, slug: org.slug, namespace: org.namespace },
      app: { id: deployment.id, name: deployment.name, hostname: deployment.hostname },
      release: {
        version: release.template_version,
        generation: release.generation,
        spec: release.spec,
        secretKeys: release.secret_keys,
        secretsVersion: release.secrets_version,
        restartNonce: release.restart_nonce,
      },
      cluster: { zone: ctx.cluster.zone },
      secrets,
      routing: {
        tls: this.#deps.routing.tls,
        ingressClass: ctx.cluster.ingress_class,
        domains: domains.map((d) => ({ hostname: d.hostname, routeKind: d.route_kind, wwwRedirect: d.www_redirect, ingressRetained: d.ingress_retained })),
      },
    }).map(withAppliedHash);

    const changed: string[] = [...namespaceDrift];
    // A pass that applies a new generation writes anyway; only a pass over an applied generation
    // (a resync, a watch event) reports drift, so only that one double-checks the cache.
    const firstApply = target.applied_generation < target.desired_generation;
    const confirm = !firstApply;
    for (const object of desired) {
      if (needsApply(object, await this.#live(ctx, object)) && (!confirm || (await this.#stillNeedsApply(ctx, object)))) {
        await applyExactly(ctx, object);
        changed.push(ref(object));
      }
    }
    const pruned = await this.#prune(ctx, deployment, org.namespace, desired);
    const velero = await this.#applyVelero(ctx, deployment, org, release.placement, confirm);
    changed.push(...velero.changed);
    pruned.push(...velero.pruned);

    // A pass that found everything in place over an applied generation writes nothing: at 10,000
    // apps the resync would otherwise rewrite every target row each pass. `applied_at` stays the
    // time the generation (or its last correction) was applied.
    const nothingToRecord =
      !firstApply &&
      changed.length === 0 &&
      pruned.length === 0 &&
      target.applied_routing_generation === deployment.routing_generation &&
      target.attempts === 0 &&
      target.last_error === null &&
      target.next_attempt_at === null;
    if (nothingToRecord) return velero.waiting.length > 0 ? { outcome: 'retry', clusterFault: false } : { outcome: 'done' };
    const updated = await database.db
      .updateTable('deployment_targets')
      .set({
        applied_generation: target.desired_generation,
        applied_routing_generation: deployment.routing_generation,
        applied_at: this.#deps.clock(),
        attempts: 0,
        last_error: null,
        last_error_at: null,
        next_attempt_at: null,
      })
      .where('deployment_id', '=', deployment.id)
      .where('cluster_id', '=', ctx.cluster.id)
      .where('desired_generation', '=', target.desired_generation)
      .where('state', '=', 'active')
      .where(this.#deps.lease.fenced)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return { outcome: 'done' };
    if (firstApply) {
      await recordEvent(database.db, {
        deploymentId: deployment.id,
        organizationId: deployment.organization_id,
        clusterId: ctx.cluster.id,
        zone: ctx.cluster.zone,
        generation: target.desired_generation,
        category: 'rollout',
        type: 'Applied',
        message: `generation ${target.desired_generation} applied to ${ctx.cluster.zone} (${changed.length} object(s) changed${pruned.length ? `, ${pruned.length} pruned` : ''})`,
        detail: { changed, pruned },
      });
    } else if ((changed.length > 0 || pruned.length > 0) && target.applied_routing_generation < (await this.#routingGeneration(deployment))) {
      await recordEvent(database.db, {
        deploymentId: deployment.id,
        organizationId: deployment.organization_id,
        clusterId: ctx.cluster.id,
        zone: ctx.cluster.zone,
        generation: target.desired_generation,
        category: 'route',
        type: 'RoutesApplied',
        message: `routes updated in ${ctx.cluster.zone} (${[...changed, ...pruned.map((p) => `-${p}`)].join(', ')})`,
        detail: { changed, pruned, domains: domains.map((d) => d.hostname) },
      });
    } else if (changed.length > 0 || pruned.length > 0) {
      await recordEvent(database.db, {
        deploymentId: deployment.id,
        organizationId: deployment.organization_id,
        clusterId: ctx.cluster.id,
        zone: ctx.cluster.zone,
        generation: target.desired_generation,
        category: 'rollout',
        type: 'DriftCorrected',
        level: 'warning',
        message: `${ctx.cluster.zone} had drifted from release ${release.version}; restored ${[...changed, ...pruned].join(', ')}`,
        detail: { changed, pruned },
      });
    }
    // A restore whose backup has not reached this zone yet: come back for it.
    if (velero.waiting.length > 0) return { outcome: 'retry', clusterFault: false };
    return { outcome: 'done' };
  }

  /**
   * The deployment's routing generation now. A domain verified while this pass ran may have been
   * read (and routed) after the deployment row was: its change is still a routing change, not drift.
   */
  async #routingGeneration(deployment: DeploymentRow): Promise<number> {
    const row = await this.#deps.database.db.selectFrom('deployments').select('routing_generation').where('id', '=', deployment.id).executeTakeFirst();
    return Math.max(deployment.routing_generation, row?.routing_generation ?? 0);
  }

  /** The live object, from the informer cache when it is synced, else straight from the cluster. */
  async #live(ctx: ClusterContext, object: KubeObject): Promise<unknown> {
    const kind = object.kind as (typeof APP_KINDS)[number]['kind'];
    if (ctx.informers.synced(kind)) return ctx.informers.get(kind, object.metadata.namespace ?? '', object.metadata.name);
    return ctx.client.get({ apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name });
  }

  /**
   * The cache said the object is missing or different; ask the cluster itself before writing. An
   * informer lags a write by a moment, and acting on that lag would rewrite a fresh object and
   * report drift that never happened.
   */
  async #stillNeedsApply(ctx: ClusterContext, object: KubeObject): Promise<boolean> {
    // Without a synced cache the caller already read the cluster.
    if (!ctx.informers.synced(object.kind as Parameters<ClusterContext['informers']['synced']>[0])) return true;
    const live = await ctx.client.get({ apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name });
    return needsApply(object, live);
  }

  /** Everything this app has in the cluster, by kind: from a synced cache or a fresh list, never a guess. */
  async #owned(ctx: ClusterContext, deploymentId: string, namespace: string): Promise<OwnedObject[]> {
    const owned: OwnedObject[] = [];
    for (const { apiVersion, kind } of APP_KINDS) {
      const objects = ctx.informers.synced(kind)
        ? ctx.informers.owned(kind, deploymentId, namespace)
        : await ctx.client.list(apiVersion, kind, { namespace, labelSelector: `${LABELS.deploymentId}=${deploymentId}` });
      for (const o of objects) {
        if (o.metadata?.labels?.[LABELS.deploymentId] === deploymentId && o.metadata.name) {
          owned.push({ apiVersion, kind, metadata: { name: o.metadata.name } });
        }
      }
    }
    return owned;
  }

  /**
   * Deletes what this app no longer wants in the cluster: objects carrying its labels that the
   * release did not render. Volumes are never pruned here (their data outlives a release).
   */
  async #prune(ctx: ClusterContext, deployment: DeploymentRow, namespace: string, desired: KubeObject[]): Promise<string[]> {
    const wanted = new Set(desired.map((o) => `${o.kind}/${o.metadata.name}`));
    const owned = await this.#owned(ctx, deployment.id, namespace);
    const extra = owned.filter((o) => !wanted.has(ref(o)) && o.kind !== 'PersistentVolumeClaim');
    if (extra.length === 0) return [];
    const guarded = (list: OwnedObject[]) => list.filter((o) => !ROUTING_KINDS.has(o.kind)).length;
    this.#guardMassDeletion(ctx, guarded(extra), guarded(owned) + 1);
    for (const object of extra) {
      await ctx.client.delete({ apiVersion: object.apiVersion, kind: object.kind, namespace, name: object.metadata.name });
    }
    return extra.map(ref);
  }

  /**
   * The app's Velero objects in this zone: the backup Schedule (only in the backup zone) and the
   * Restores failovers asked for. They live in the velero namespace; anything of the app's there
   * that is not wanted goes (Backups stay: they are data, and expire by their TTL).
   */
  async #applyVelero(ctx: ClusterContext, deployment: DeploymentRow, org: OrganizationRow, placement: Placement, confirm: boolean): Promise<{ changed: string[]; pruned: string[]; waiting: string[] }> {
    const app = { id: deployment.id, name: deployment.name };
    const orgRef = { slug: org.slug, namespace: org.namespace };
    const backup = placement.multicluster?.backup ?? null;
    const wanted: KubeObject[] = [];
    if (backup && backup.zone === ctx.cluster.zone) wanted.push(renderBackupSchedule({ org: orgRef, app, backup }));
    const restores = await this.#deps.database.db
      .selectFrom('backup_restores')
      .select(['name', 'backup_name'])
      .where('deployment_id', '=', deployment.id)
      .where('cluster_id', '=', ctx.cluster.id)
      .execute();
    const existing = await this.#veleroOwned(ctx, deployment.id);
    const waiting: string[] = [];
    for (const r of restores) {
      const rendered = existing.some((o) => o.kind === 'Restore' && o.metadata?.name === r.name);
      // Velero validates a Restore against the backups this cluster knows; a backup completed in
      // another zone takes a moment to sync from the shared bucket. Until it is here, wait rather
      // than create a Restore that fails validation for good.
      if (!rendered && !(await ctx.client.get({ apiVersion: 'velero.io/v1', kind: 'Backup', namespace: VELERO_NAMESPACE, name: r.backup_name }))) {
        waiting.push(r.backup_name);
        continue;
      }
      wanted.push(renderRestore({ org: orgRef, app, restore: { name: r.name, backupName: r.backup_name } }));
    }
    if (wanted.length === 0 && existing.length === 0) return { changed: [], pruned: [], waiting };
    const changed: string[] = [];
    for (const object of wanted.map(withAppliedHash)) {
      const live = existing.find((o) => o.kind === object.kind && o.metadata?.name === object.metadata.name) ?? null;
      if (needsApply(object, live) && (!confirm || (await this.#stillNeedsApply(ctx, object)))) {
        await ctx.client.apply(object);
        changed.push(ref(object));
      }
    }
    const keep = new Set(wanted.map(ref));
    const pruned: string[] = [];
    for (const object of existing) {
      if (object.kind === 'Backup' || keep.has(ref(object))) continue;
      await ctx.client.delete({ apiVersion: 'velero.io/v1', kind: object.kind ?? 'Schedule', namespace: VELERO_NAMESPACE, name: object.metadata?.name ?? '' });
      pruned.push(ref(object));
    }
    return { changed, pruned, waiting };
  }

  /** The app's Schedules and Restores in this zone (from the cache when synced, else listed). */
  async #veleroOwned(ctx: ClusterContext, deploymentId: string): Promise<{ kind?: string; metadata?: { name?: string; labels?: Record<string, string> } }[]> {
    const found = [];
    for (const kind of ['Schedule', 'Restore'] as const) {
      const objects = ctx.informers.synced(kind)
        ? ctx.informers.owned(kind, deploymentId, VELERO_NAMESPACE)
        : await ctx.client.list('velero.io/v1', kind, { namespace: VELERO_NAMESPACE, labelSelector: `${LABELS.deploymentId}=${deploymentId}` }).catch((error: unknown) => {
            // A cluster without Velero has nothing of the app's to prune.
            if (error instanceof KubeError && error.status === 404) return [];
            throw error;
          });
      found.push(...objects.filter((o) => o.metadata?.labels?.[LABELS.deploymentId] === deploymentId).map((o) => ({ ...o, kind })));
    }
    return found;
  }

  #guardMassDeletion(ctx: ClusterContext, deleting: number, managed: number): void {
    if (deleting > 3 && deleting / Math.max(1, managed) > this.#deps.massDeletionRatio) {
      throw new KubeError('rejected', `refusing to delete ${deleting} of ${managed} managed objects in ${ctx.cluster.zone} in one pass`, null);
    }
  }

  async #remove(ctx: ClusterContext, target: TargetRow, deployment: DeploymentRow): Promise<WorkResult> {
    const { database } = this.#deps;
    const org = await database.db.selectFrom('organizations').select(['namespace']).where('id', '=', deployment.organization_id).executeTakeFirstOrThrow();
    const operation = await database.db
      .selectFrom('operations')
      .select(['id', 'request'])
      .where('deployment_id', '=', deployment.id)
      .where('kind', '=', 'delete')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    const purge = deployment.state === 'deleting' && (operation?.request as { purge_volumes?: boolean } | undefined)?.purge_volumes === true;

    const owned = await this.#owned(ctx, deployment.id, org.namespace);
    const report: RemovalReport = { removed: [], remaining: [] };
    for (const object of owned) {
      if (object.kind === 'PersistentVolumeClaim' && !purge) {
        report.remaining.push({
          object: ref(object),
          reason: deployment.state === 'deleting' ? 'retained volume: delete again with --purge-volumes to remove its data' : `retained volume: the app moved out of ${ctx.cluster.zone}; its data stays here`,
        });
        continue;
      }
      await ctx.client.delete({ apiVersion: object.apiVersion, kind: object.kind, namespace: org.namespace, name: object.metadata.name });
      report.removed.push(ref(object));
    }
    // The backup Schedule and Restores go; Backups are data and stay until their TTL expires.
    for (const object of await this.#veleroOwned(ctx, deployment.id)) {
      await ctx.client.delete({ apiVersion: 'velero.io/v1', kind: object.kind ?? 'Schedule', namespace: VELERO_NAMESPACE, name: object.metadata?.name ?? '' });
      report.removed.push(ref(object));
    }
    // cert-manager leaves a certificate's Secret behind; it carries the app's id, so it goes too.
    const tlsSecrets = await ctx.client.list('v1', 'Secret', { namespace: org.namespace, labelSelector: `${TLS_OF_LABEL}=${deployment.id}` });
    for (const secret of tlsSecrets) {
      if (!secret.metadata?.name) continue;
      await ctx.client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: org.namespace, name: secret.metadata.name });
      report.removed.push(`Secret/${secret.metadata.name}`);
    }

    const updated = await database.db
      .updateTable('deployment_targets')
      .set({ state: 'removed', removal: JSON.stringify(report), applied_generation: target.desired_generation, applied_at: this.#deps.clock(), last_error: null, attempts: 0 })
      .where('deployment_id', '=', deployment.id)
      .where('cluster_id', '=', ctx.cluster.id)
      .where('state', '=', 'removing')
      .where(this.#deps.lease.fenced)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return { outcome: 'done' };
    await database.db.deleteFrom('deployment_observations').where('deployment_id', '=', deployment.id).where('cluster_id', '=', ctx.cluster.id).execute();
    await recordEvent(database.db, {
      deploymentId: deployment.id,
      organizationId: deployment.organization_id,
      clusterId: ctx.cluster.id,
      zone: ctx.cluster.zone,
      generation: target.desired_generation,
      category: 'delete',
      type: 'RemovedFromZone',
      message: `removed from ${ctx.cluster.zone}: ${report.removed.length} object(s)${report.remaining.length ? `; kept ${report.remaining.map((r) => r.object).join(', ')}` : ''}`,
      detail: { ...report },
    });
    if (deployment.state === 'deleting') await this.#finishDeletion(deployment, operation?.id ?? null);
    return { outcome: 'done' };
  }

  async #finishDeletion(deployment: DeploymentRow, operationId: string | null): Promise<void> {
    const { database } = this.#deps;
    await database.db.transaction().execute(async (tx) => {
      const pending = await tx
        .selectFrom('deployment_targets')
        .select('cluster_id')
        .where('deployment_id', '=', deployment.id)
        .where('state', '!=', 'removed')
        .execute();
      if (pending.length > 0) return;
      const now = this.#deps.clock();
      const done = await tx
        .updateTable('deployments')
        .set({ state: 'deleted', deleted_at: now, updated_at: now })
        .where('id', '=', deployment.id)
        .where('state', '=', 'deleting')
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return;
      if (operationId) {
        await tx.updateTable('operations').set({ state: 'succeeded', finished_at: now, updated_at: now }).where('id', '=', operationId).execute();
      }
      await recordEvent(tx, {
        deploymentId: deployment.id,
        organizationId: deployment.organization_id,
        generation: deployment.generation,
        category: 'delete',
        type: 'Deleted',
        message: `${deployment.name} is deleted from every zone`,
      });
    });
  }

  async #recordFailure(ctx: ClusterContext, target: TargetRow, deployment: DeploymentRow, error: KubeError): Promise<void> {
    const { database } = this.#deps;
    const message = `${error.failure === 'rejected' ? 'rejected: ' : ''}${error.message}`.slice(0, 1000);
    this.#deps.log.warn({ zone: ctx.cluster.zone, deployment: deployment.name, failure: error.failure, err: error.message }, 'reconcile failed');
    await database.db
      .updateTable('deployment_targets')
      .set({ last_error: message, last_error_at: this.#deps.clock(), attempts: target.attempts + 1 })
      .where('deployment_id', '=', deployment.id)
      .where('cluster_id', '=', ctx.cluster.id)
      .where(this.#deps.lease.fenced)
      .execute();
    if (target.last_error !== message) {
      await recordEvent(database.db, {
        deploymentId: deployment.id,
        organizationId: deployment.organization_id,
        clusterId: ctx.cluster.id,
        zone: ctx.cluster.zone,
        generation: target.desired_generation,
        category: target.state === 'removing' ? 'delete' : 'rollout',
        type: target.state === 'removing' ? 'RemoveFailed' : 'ApplyFailed',
        level: error.retryable ? 'warning' : 'error',
        message: `${ctx.cluster.zone}: ${error.message}${error.retryable ? ' (will retry)' : ''}`,
        detail: { failure: error.failure, status: error.status },
      });
    }
  }

  async #ensureCluster(ctx: ClusterContext): Promise<void> {
    if (ctx.ensured.has('cluster')) return;
    const objects = [...renderEdgeGateway(ctx.cluster.gateway_class), ...(this.#deps.routing.tls ? [renderAcmeIssuer(this.#deps.routing.acme)] : [])];
    for (const object of objects.map(withAppliedHash)) {
      const live = await ctx.client.get({ apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name });
      if (needsApply(object, live)) await ctx.client.apply(object);
    }
    ctx.ensured.add('cluster');
  }

  /**
   * The org's namespace and its security objects (Pod Security labels, network policies, quota,
   * limits). Answers the objects it restored after someone edited or deleted them by hand — not
   * those it created for the first time or changed because the template did — so the timeline can
   * say so.
   */
  async #ensureNamespace(ctx: ClusterContext, org: OrganizationRow): Promise<string[]> {
    const key = `ns:${org.namespace}`;
    if (ctx.ensured.has(key)) return [];
    const running = ctx.ensuring.get(key);
    if (running) {
      // Another pass is checking this namespace; it reports what it restores. If it failed, check here.
      await running.catch(() => {});
      if (ctx.ensured.has(key)) return [];
    }
    const check = this.#checkNamespace(ctx, org, key);
    ctx.ensuring.set(key, check);
    try {
      return await check;
    } finally {
      if (ctx.ensuring.get(key) === check) ctx.ensuring.delete(key);
    }
  }

  async #checkNamespace(ctx: ClusterContext, org: OrganizationRow, key: string): Promise<string[]> {
    const restored: string[] = [];
    let namespaceExisted = false;
    for (const object of renderNamespace({ org: { id: org.id, slug: org.slug, namespace: org.namespace } }).map(withAppliedHash)) {
      const found = await ctx.client.get({ apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name });
      const live = found as KubeObject | null;
      if (object.kind === 'Namespace') namespaceExisted = live !== null;
      if (!needsApply(object, live)) continue;
      await applyExactly(ctx, object);
      const sameIntent = live ? live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === object.metadata.annotations?.[APPLIED_HASH_ANNOTATION] : namespaceExisted;
      if (sameIntent) restored.push(ref(object));
    }
    ctx.ensured.add(key);
    return restored;
  }
}
