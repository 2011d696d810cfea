import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { canonicalJson } from '../core/canonical.ts';
import { FINISHED_FAILED, observeBackups, VELERO_NAMESPACE, type BackupObservation } from '../core/backups.ts';
import { observeWorkload } from '../core/observe.ts';
import { isPendingCertificate, observeRouting, type RoutingObservation } from '../core/routing.ts';
import { LABELS } from '../core/render.ts';
import type { ObservationFact } from '../core/status.ts';
import type { Database } from '../db/database.ts';
import { recordEvent } from '../events/repository.ts';
import type { ClusterInformers, InformerVerb, WatchedKind } from './informers.ts';
import type { Lease } from './lease.ts';

export interface ObserverDeps {
  database: Database;
  lease: Lease;
  log: Logger;
  clock: () => Date;
  /** A managed object changed or vanished: let the reconciler check for drift. */
  onDrift: (deploymentId: string) => void;
}

const withoutTime = (fact: ObservationFact, routing: RoutingObservation | null, backups: BackupObservation | null) => canonicalJson({ ...fact, observedAt: null, routing, backups });

const ROUTING_KINDS = new Set<WatchedKind>(['HTTPRoute', 'Ingress', 'Certificate', 'ListenerSet']);
const VELERO_KINDS = new Set<WatchedKind>(['Schedule', 'Backup', 'Restore']);

/**
 * Turns one cluster's watch events into observations per app: what the Deployment and its pods show,
 * written when it changes, with an event when readiness flips or a pod problem appears. Any change
 * to another managed object is handed to the reconciler, which restores drift.
 */
export class Observer {
  readonly #deps: ObserverDeps;
  readonly #clusterId: string;
  readonly #zone: string;
  readonly #informers: ClusterInformers;
  readonly #dirty = new Set<string>();
  readonly #last = new Map<string, string>();
  /** The org namespace of each app seen (an app never changes organization). */
  readonly #namespaces = new Map<string, string>();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #stopped = false;

  constructor(deps: ObserverDeps, cluster: { id: string; zone: string }, informers: ClusterInformers) {
    this.#deps = deps;
    this.#clusterId = cluster.id;
    this.#zone = cluster.zone;
    this.#informers = informers;
    informers.on((kind, verb, object) => this.#onEvent(kind, verb, object));
  }

  #onEvent(kind: WatchedKind, verb: InformerVerb, object: KubernetesObject): void {
    const deploymentId = object.metadata?.labels?.[LABELS.deploymentId];
    if (!deploymentId) return;
    if (kind === 'Deployment' || kind === 'Pod' || ROUTING_KINDS.has(kind) || VELERO_KINDS.has(kind)) this.markDirty(deploymentId);
    // Status churn of Pods, Backups and Restores is not drift; anything else changed or gone may be.
    if (kind !== 'Pod' && kind !== 'Backup' && kind !== 'Restore' && (verb === 'delete' || verb === 'update')) this.#deps.onDrift(deploymentId);
  }

  markDirty(deploymentId: string): void {
    if (this.#stopped) return;
    this.#dirty.add(deploymentId);
    if (!this.#timer) {
      // Batches bursts (a rollout touches many pods) into one write per app.
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#flushing = this.flush().finally(() => {
          this.#flushing = null;
        });
      }, 100);
      this.#timer.unref();
    }
  }

  async flush(): Promise<void> {
    const ids = [...this.#dirty];
    this.#dirty.clear();
    for (const id of ids) {
      try {
        await this.#observe(id);
      } catch (error) {
        this.#deps.log.warn({ err: error, deployment: id, zone: this.#zone }, 'observation failed');
        this.#dirty.add(id);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#flushing;
  }

  async #observe(deploymentId: string): Promise<void> {
    if (!this.#informers.synced('Deployment') || !this.#informers.synced('Pod')) {
      this.#dirty.add(deploymentId);
      return;
    }
    const { database } = this.#deps;
    const loadTarget = () =>
      database.db
        .selectFrom('deployment_targets as t')
        .innerJoin('deployments as d', 'd.id', 't.deployment_id')
        .innerJoin('organizations as org', 'org.id', 'd.organization_id')
        .select(['t.state', 't.desired_generation', 'd.organization_id', 'd.name', 'd.state as deployment_state', 'org.namespace'])
        .where('t.deployment_id', '=', deploymentId)
        .where('t.cluster_id', '=', this.#clusterId)
        .executeTakeFirst();
    // An app already observed here needs no query to see that nothing changed (the periodic resync
    // re-observes every app; at thousands of apps one query each was a steady load on the database).
    let target: Awaited<ReturnType<typeof loadTarget>> | undefined;
    let namespace = this.#last.has(deploymentId) ? this.#namespaces.get(deploymentId) : undefined;
    if (namespace === undefined) {
      target = await loadTarget();
      if (!target || target.state !== 'active') return;
      namespace = target.namespace;
      this.#namespaces.set(deploymentId, namespace);
    }
    const ns = namespace;

    // The app's objects live in its org's namespace; its Velero objects in Velero's.
    const deployments = this.#informers.owned('Deployment', deploymentId, ns);
    const pods = this.#informers.owned('Pod', deploymentId, ns);
    const fact = observeWorkload((deployments[0]) ?? null, pods, this.#deps.clock());
    const own = (kind: WatchedKind) => this.#informers.owned(kind, deploymentId, VELERO_KINDS.has(kind) ? VELERO_NAMESPACE : ns);
    // Routes and certificates only from complete caches: a half-synced view would report them missing.
    const routing =
      this.#informers.synced('HTTPRoute') && this.#informers.synced('Ingress') && this.#informers.synced('Certificate')
        ? observeRouting(own('HTTPRoute'), own('Ingress'), own('Certificate'))
        : null;
    const backups =
      this.#informers.synced('Schedule') && this.#informers.synced('Backup') && this.#informers.synced('Restore')
        ? observeBackups(own('Schedule'), own('Backup'), own('Restore'))
        : null;
    const key = withoutTime(fact, routing, backups);

    let previous = this.#last.get(deploymentId);
    let previousFact: ObservationFact | null = null;
    let previousRouting: RoutingObservation | null = null;
    let previousBackups: BackupObservation | null = null;
    if (previous === undefined) {
      const row = await database.db
        .selectFrom('deployment_observations')
        .selectAll()
        .where('deployment_id', '=', deploymentId)
        .where('cluster_id', '=', this.#clusterId)
        .executeTakeFirst();
      if (row) {
        previousFact = {
          observedGeneration: row.observed_generation,
          releaseVersion: row.release_version,
          desiredReplicas: row.desired_replicas,
          replicas: row.replicas,
          readyReplicas: row.ready_replicas,
          updatedReplicas: row.updated_replicas,
          availableReplicas: row.available_replicas,
          workload: row.workload,
          observedAt: row.observed_at,
        };
        previousRouting = row.routing;
        previousBackups = row.backups;
        previous = withoutTime(previousFact, previousRouting, row.backups);
      }
    } else {
      const parsed = JSON.parse(previous) as ObservationFact & { routing: RoutingObservation | null; backups: BackupObservation | null };
      previousFact = parsed;
      previousRouting = parsed.routing;
      previousBackups = parsed.backups;
    }
    if (previous === key) return;
    target ??= await loadTarget();
    if (!target || target.state !== 'active') return;

    const values = {
      observed_generation: fact.observedGeneration,
      release_version: fact.releaseVersion,
      desired_replicas: fact.desiredReplicas,
      replicas: fact.replicas,
      ready_replicas: fact.readyReplicas,
      updated_replicas: fact.updatedReplicas,
      available_replicas: fact.availableReplicas,
      workload: JSON.stringify(fact.workload),
      routing: routing ? JSON.stringify(routing) : null,
      backups: backups ? JSON.stringify(backups) : null,
      observed_at: fact.observedAt,
    };
    const written = await this.#deps.lease.inFence(async (tx) => {
      await tx
        .insertInto('deployment_observations')
        .values({ deployment_id: deploymentId, cluster_id: this.#clusterId, ...values })
        .onConflict((oc) => oc.columns(['deployment_id', 'cluster_id']).doUpdateSet(values))
        .execute();
      return true;
    });
    if (!written) return;
    this.#last.set(deploymentId, key);
    await this.#events(deploymentId, target.organization_id, target.desired_generation, previousFact, fact);
    if (routing) await this.#routingEvents(deploymentId, target.organization_id, target.desired_generation, previousRouting, routing);
    if (backups) await this.#backupEvents(deploymentId, target.organization_id, target.desired_generation, previousBackups, backups);
  }

  /** A backup finished or failed, a restore started, finished or failed: once each, on the timeline. */
  async #backupEvents(deploymentId: string, organizationId: string, generation: number, before: BackupObservation | null, after: BackupObservation): Promise<void> {
    const db = this.#deps.database.db;
    const base = { deploymentId, organizationId, clusterId: this.#clusterId, zone: this.#zone, generation, category: 'backup' as const };
    for (const b of after.backups) {
      const old = before?.backups.find((x) => x.name === b.name);
      if (old?.phase === b.phase) continue;
      if (b.phase === 'Completed') {
        await recordEvent(db, { ...base, type: 'BackupCompleted', message: `${this.#zone}: backup ${b.name} completed (${b.items ?? '?'} items); recovery point ${b.completedAt ?? '?'}`, detail: { backup: b.name } });
      } else if (FINISHED_FAILED.has(b.phase)) {
        await recordEvent(db, { ...base, type: 'BackupFailed', level: 'warning', message: `${this.#zone}: backup ${b.name} ${b.phase}${b.failureReason ? `: ${b.failureReason}` : ''}`, detail: { backup: b.name } });
      }
    }
    for (const r of after.restores) {
      const old = before?.restores.find((x) => x.name === r.name);
      if (old?.phase === r.phase) continue;
      if (r.phase === 'InProgress') {
        await recordEvent(db, { ...base, type: 'RestoreStarted', message: `${this.#zone}: restoring backup ${r.backupName} (${r.name})`, detail: { restore: r.name, backup: r.backupName } });
      } else if (r.phase === 'Completed') {
        await recordEvent(db, { ...base, type: 'RestoreCompleted', message: `${this.#zone}: restore ${r.name} of backup ${r.backupName} completed`, detail: { restore: r.name, backup: r.backupName } });
      } else if (FINISHED_FAILED.has(r.phase)) {
        await recordEvent(db, { ...base, type: 'RestoreFailed', level: 'error', message: `${this.#zone}: restore ${r.name} of backup ${r.backupName} ${r.phase}${r.message ? `: ${r.message}` : ''}`, detail: { restore: r.name, backup: r.backupName } });
      }
    }
  }

  /** A certificate issued or failing, a route accepted or refused: each change once, on the timeline. */
  async #routingEvents(deploymentId: string, organizationId: string, generation: number, before: RoutingObservation | null, after: RoutingObservation): Promise<void> {
    const db = this.#deps.database.db;
    const base = { deploymentId, organizationId, clusterId: this.#clusterId, zone: this.#zone, generation };
    for (const cert of after.certificates) {
      const old = before?.certificates.find((c) => c.name === cert.name);
      const names = cert.dnsNames.join(', ');
      if (cert.ready === true && old?.ready !== true) {
        await recordEvent(db, { ...base, category: 'tls', type: 'CertificateIssued', message: `${this.#zone}: certificate for ${names} issued${cert.notAfter ? `, valid until ${cert.notAfter}` : ''}` });
      } else if (cert.ready === false && !isPendingCertificate(cert) && (old?.reason !== cert.reason || old.ready !== false)) {
        await recordEvent(db, {
          ...base,
          category: 'tls',
          type: 'CertificateFailed',
          level: 'warning',
          message: `${this.#zone}: certificate for ${names} not issued: ${cert.reason}: ${cert.message}`,
          detail: { reason: cert.reason, dns_names: cert.dnsNames },
        });
      }
    }
    for (const route of after.routes) {
      const old = before?.routes.find((r) => r.name === route.name && r.kind === route.kind);
      if (route.accepted === true && old?.accepted !== true) {
        await recordEvent(db, { ...base, category: 'route', type: 'RouteAccepted', message: `${this.#zone}: ${route.kind} ${route.name} (${route.hostnames.join(', ')}) accepted` });
      } else if (route.accepted === false && old?.accepted !== false) {
        await recordEvent(db, { ...base, category: 'route', type: 'RouteRejected', level: 'warning', message: `${this.#zone}: ${route.kind} ${route.name} not accepted: ${route.reason}: ${route.message}` });
      }
    }
  }

  async #events(deploymentId: string, organizationId: string, generation: number, before: ObservationFact | null, after: ObservationFact): Promise<void> {
    const ready = (f: ObservationFact | null) =>
      f !== null &&
      f.observedGeneration !== null &&
      f.workload.problems.every((p) => p.severity !== 'failure') &&
      (f.readyReplicas ?? 0) >= (f.desiredReplicas ?? 0) &&
      (f.updatedReplicas ?? 0) >= (f.desiredReplicas ?? 0) &&
      (f.replicas ?? 0) <= (f.updatedReplicas ?? 0);
    const base = { deploymentId, organizationId, clusterId: this.#clusterId, zone: this.#zone, generation, category: 'workload' as const };
    const db = this.#deps.database.db;
    // Ready again, or ready at a new generation: each rolled-out generation gets its event.
    if (ready(after) && (!ready(before) || before?.observedGeneration !== after.observedGeneration)) {
      await recordEvent(db, { ...base, type: 'WorkloadReady', message: `${this.#zone}: ${after.readyReplicas}/${after.desiredReplicas} replicas of release ${after.releaseVersion} ready` });
    } else if (!ready(after) && ready(before)) {
      await recordEvent(db, {
        ...base,
        type: 'WorkloadNotReady',
        level: 'warning',
        message: `${this.#zone}: ${after.readyReplicas ?? 0}/${after.desiredReplicas ?? 0} replicas ready`,
      });
    }
    const seen = new Set((before?.workload.problems ?? []).map((p) => p.reason));
    for (const problem of after.workload.problems) {
      if (seen.has(problem.reason)) continue;
      await recordEvent(db, {
        ...base,
        type: problem.reason,
        level: problem.severity === 'failure' ? 'error' : 'warning',
        message: `${this.#zone}: ${problem.message}`,
        detail: { pods: problem.pods, severity: problem.severity },
      });
    }
  }
}
