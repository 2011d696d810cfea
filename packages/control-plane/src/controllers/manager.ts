import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { Keyring } from '../core/keyring.ts';
import type { Database } from '../db/database.ts';
import type { ClusterRow } from '../db/schema.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { judgeHealth, probeCluster } from './health.ts';
import { ClusterInformers } from './informers.ts';
import { Lease } from './lease.ts';
import { Observer } from './observer.ts';
import { Reconciler, type ClusterContext } from './reconciler.ts';
import { TrafficController, type TrafficOptions } from './traffic.ts';
import { DomainController, type DomainControllerOptions } from './domains.ts';
import type { DomainProber } from './domain-probe.ts';
import { WorkQueue } from './work-queue.ts';

export interface ControllerOptions {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** Every target is re-checked this often, so state converges even if every watch event is lost. */
  resyncIntervalMs: number;
  /** How often pending work is picked up from the database (wake-ups make it immediate). */
  pollIntervalMs: number;
  concurrencyPerCluster: number;
  leaseTtlMs: number;
  slowApiMs: number;
  massDeletionRatio: number;
}

export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = {
  probeIntervalMs: 2_000,
  probeTimeoutMs: 2_000,
  resyncIntervalMs: 60_000,
  pollIntervalMs: 1_000,
  concurrencyPerCluster: 4,
  leaseTtlMs: 15_000,
  slowApiMs: 1_500,
  massDeletionRatio: 0.1,
};

export interface ControllerDeps {
  database: Database;
  keyring: Keyring;
  access: ClusterAccess;
  log: Logger;
  clock: () => Date;
  options: ControllerOptions;
  /** Identifies this process in the lease (default: host, pid and a random suffix). */
  holder?: string;
  traffic: TrafficOptions;
  routing: { tls: boolean; acme: { server: string; email: string } };
  domains: { prober: DomainProber; options: DomainControllerOptions };
}

/** The periodic resync of one cluster, for operators and benchmarks. */
export interface ResyncStats {
  zone: string;
  /** Passes completed since the controllers started here. */
  passes: number;
  inProgress: boolean;
  /** Wall-clock time of the last pass (it waits behind new desired state, so load stretches it). */
  lastPassMs: number;
  /** Worker time the last pass used: its reconciles' durations over the workers. Paces the next one. */
  lastPassWorkMs: number;
  lastPassApps: number;
}

class ClusterWorker {
  readonly ctx: ClusterContext;
  readonly queue: WorkQueue;
  readonly fingerprint: string;
  readonly #observer: Observer;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #manager: ControllerManager;
  #health: ClusterRow['health_state'];
  #probing = false;
  #stopped = false;
  /** Apps of the resync pass in progress not yet reconciled (null: no pass in progress). */
  #resyncLeft: Set<string> | null = null;
  #resyncStarted = 0;
  #resyncApps = 0;
  #resyncPasses = 0;
  #lastResyncMs = 0;
  #resyncWorkMs = 0;
  #lastResyncWorkMs = 0;
  #lastResyncEnded = 0;

  constructor(manager: ControllerManager, ctx: ClusterContext, fingerprint: string) {
    this.#manager = manager;
    this.ctx = ctx;
    this.fingerprint = fingerprint;
    this.#health = ctx.cluster.health_state;
    const deps = manager.deps;
    this.queue = new WorkQueue({
      name: ctx.cluster.zone,
      concurrency: deps.options.concurrencyPerCluster,
      handler: async (deploymentId) => {
        const started = performance.now();
        try {
          return await manager.reconciler.reconcile(ctx, deploymentId);
        } finally {
          if (this.#resyncLeft?.has(deploymentId)) this.#resyncWorkMs += performance.now() - started;
          this.#resyncVisited(deploymentId);
        }
      },
      onUnexpected: (key, error) => deps.log.error({ err: error, zone: ctx.cluster.zone, deployment: key }, 'reconcile crashed'),
    });
    this.#observer = new Observer(
      { database: deps.database, lease: manager.lease, log: deps.log, clock: deps.clock, onDrift: (id) => this.queue.add(id, 0, { ifIdle: true }) },
      { id: ctx.cluster.id, zone: ctx.cluster.zone },
      ctx.informers,
    );
  }

  start(): void {
    const { options } = this.#manager.deps;
    const every = (ms: number, fn: () => Promise<void>) => {
      const timer = setInterval(() => {
        fn().catch((error: unknown) => this.#manager.deps.log.error({ err: error, zone: this.ctx.cluster.zone }, 'controller task failed'));
      }, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(options.probeIntervalMs, () => this.probe());
    every(options.pollIntervalMs, () => this.pollPending(true));
    every(options.resyncIntervalMs, () => this.resync());
    void this.probe().catch(() => {});
    this.ctx.informers
      .start()
      .then(
        () => this.resync(true),
        (error: unknown) => this.#manager.deps.log.warn({ err: error, zone: this.ctx.cluster.zone }, 'informers did not start'),
      )
      // The first resync reads the database, which may be down: the periodic resync tries again.
      .catch((error: unknown) => this.#manager.deps.log.error({ err: error, zone: this.ctx.cluster.zone }, 'controller task failed'));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.queue.stop();
    // Reconciles already running finish (they were told to abort) before the caller closes the database.
    await this.queue.settled();
    await this.#observer.stop();
    await this.ctx.informers.stop();
  }

  /** Targets of this cluster with work to do. `ifIdle` leaves keys that are backing off alone. */
  async pollPending(ifIdle: boolean): Promise<void> {
    if (this.#stopped) return;
    const rows = await this.#manager.deps.database.db
      .selectFrom('deployment_targets')
      .select('deployment_id')
      .innerJoin('deployments', 'deployments.id', 'deployment_targets.deployment_id')
      .where('cluster_id', '=', this.ctx.cluster.id)
      .where((eb) =>
        eb.or([
          eb('applied_generation', '<', eb.ref('desired_generation')),
          eb('deployment_targets.state', '=', 'removing'),
          eb.and([eb('deployment_targets.state', '=', 'active'), eb('applied_routing_generation', '<', eb.ref('deployments.routing_generation'))]),
        ]),
      )
      .execute();
    for (const row of rows) this.queue.add(row.deployment_id, 0, { ifIdle });
  }

  /**
   * Re-checks everything placed here and re-verifies namespaces and the edge Gateway. This is the
   * safety net under the watches, so the periodic pass gets at most a quarter of the workers' time:
   * it is skipped while the last pass has apps left, or until three times the worker time that
   * pass used has gone by (a pass over 10,000 apps takes longer than the one-minute default
   * interval). `force` (the first pass, and after an outage) always runs.
   */
  async resync(force = false): Promise<void> {
    if (this.#stopped) return;
    if (!force && (this.#resyncLeft !== null || Date.now() - this.#lastResyncEnded < this.#lastResyncWorkMs * 3)) return;
    this.ctx.ensured.clear();
    const rows = await this.#manager.deps.database.db
      .selectFrom('deployment_targets')
      .select('deployment_id')
      .where('cluster_id', '=', this.ctx.cluster.id)
      .where('state', '!=', 'removed')
      .execute();
    this.#resyncStarted = Date.now();
    this.#resyncWorkMs = 0;
    this.#resyncApps = rows.length;
    this.#resyncLeft = new Set(rows.map((r) => r.deployment_id));
    if (rows.length === 0) this.#resyncVisited(undefined);
    for (const row of rows) {
      this.queue.add(row.deployment_id, 0, { ifIdle: true });
      this.#observer.markDirty(row.deployment_id);
    }
  }

  #resyncVisited(deploymentId: string | undefined): void {
    const left = this.#resyncLeft;
    if (!left) return;
    if (deploymentId !== undefined) left.delete(deploymentId);
    if (left.size > 0) return;
    this.#resyncLeft = null;
    this.#lastResyncEnded = Date.now();
    this.#lastResyncMs = this.#lastResyncEnded - this.#resyncStarted;
    this.#lastResyncWorkMs = this.#resyncWorkMs / Math.max(1, this.#manager.deps.options.concurrencyPerCluster);
    this.#resyncPasses += 1;
    this.#manager.deps.log.info({ zone: this.ctx.cluster.zone, ms: this.#lastResyncMs, workMs: Math.round(this.#lastResyncWorkMs), apps: this.#resyncApps }, 'resync pass finished');
  }

  resyncStats(): ResyncStats {
    return { zone: this.ctx.cluster.zone, passes: this.#resyncPasses, inProgress: this.#resyncLeft !== null, lastPassMs: this.#lastResyncMs, lastPassWorkMs: this.#lastResyncWorkMs, lastPassApps: this.#resyncApps };
  }

  async probe(): Promise<void> {
    if (this.#probing || this.#stopped) return;
    this.#probing = true;
    try {
      const { database, options, clock, log } = this.#manager.deps;
      const verdict = judgeHealth(await probeCluster(this.ctx.client, options.probeTimeoutMs), { slowMs: options.slowApiMs });
      const now = clock();
      await database.db
        .updateTable('clusters')
        .set({
          health_state: verdict.state,
          health_reason: verdict.reason,
          health_checked_at: now,
          api_latency_ms: verdict.latencyMs,
          nodes_ready: verdict.nodesReady,
          nodes_total: verdict.nodesTotal,
          ...(verdict.heard ? { last_heard_at: now } : {}),
        })
        .where('id', '=', this.ctx.cluster.id)
        .where(this.#manager.lease.fenced)
        .execute();
      const previous = this.#health;
      this.#health = verdict.state;
      if (previous !== verdict.state) {
        log.info({ zone: this.ctx.cluster.zone, from: previous, to: verdict.state, reason: verdict.reason }, 'cluster health changed');
        if (previous === 'offline' && verdict.heard) {
          // Back from an outage: watches may be wedged; list afresh and re-check everything.
          await this.ctx.informers.restart();
          await this.resync(true);
        }
      }
    } finally {
      this.#probing = false;
    }
  }
}

/**
 * Runs the controllers while this process holds the lease: per cluster a work queue, informers,
 * an observer, a health probe and a periodic resync. One dead cluster slows only itself.
 */
export class ControllerManager {
  readonly deps: ControllerDeps;
  readonly lease: Lease;
  readonly reconciler: Reconciler;
  readonly traffic: TrafficController;
  readonly domains: DomainController;
  readonly #workers = new Map<string, ClusterWorker>();
  #leaseTimer: NodeJS.Timeout | null = null;
  #discoverTimer: NodeJS.Timeout | null = null;
  #leader = false;
  #stopped = false;
  #tick: Promise<void> = Promise.resolve();

  constructor(deps: ControllerDeps) {
    this.deps = deps;
    this.lease = new Lease(deps.database, deps.holder ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, deps.options.leaseTtlMs);
    this.reconciler = new Reconciler({
      database: deps.database,
      keyring: deps.keyring,
      lease: this.lease,
      log: deps.log,
      clock: deps.clock,
      massDeletionRatio: deps.options.massDeletionRatio,
      routing: deps.routing,
    });
    this.traffic = new TrafficController({ database: deps.database, lease: this.lease, log: deps.log.child({ loop: 'traffic' }), clock: deps.clock, options: deps.traffic });
    this.domains = new DomainController({
      database: deps.database,
      lease: this.lease,
      log: deps.log.child({ loop: 'domains' }),
      clock: deps.clock,
      prober: deps.domains.prober,
      options: deps.domains.options,
      wake: (clusterIds) => this.wake(clusterIds),
    });
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#leaseTick();
    this.#leaseTimer = setInterval(() => {
      this.#tick = this.#tick.then(() => this.#leaseTick()).catch((error: unknown) => this.deps.log.error({ err: error }, 'lease tick failed'));
    }, Math.max(200, Math.floor(this.deps.options.leaseTtlMs / 3)));
    this.#leaseTimer.unref();
    this.#discoverTimer = setInterval(() => {
      if (this.#leader) this.#tick = this.#tick.then(() => this.#discover()).catch((error: unknown) => this.deps.log.error({ err: error }, 'cluster discovery failed'));
    }, Math.max(500, this.deps.options.pollIntervalMs * 2));
    this.#discoverTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#leaseTimer) clearInterval(this.#leaseTimer);
    if (this.#discoverTimer) clearInterval(this.#discoverTimer);
    await this.#tick;
    await this.traffic.stop();
    await this.domains.stop();
    await this.#stopWorkers();
    if (this.#leader) await this.lease.release().catch(() => {});
    this.#leader = false;
  }

  /**
   * New desired state was committed for these clusters: look at it now, not at the next poll. When
   * the apps are named, only they are queued and re-run by traffic; a full poll and traffic run per
   * deploy made every deploy cost as much as the whole fleet (quadratic at thousands of apps).
   */
  wake(clusterIds: readonly string[], deploymentIds?: readonly string[]): void {
    if (this.#leader) {
      this.traffic.poke(deploymentIds);
      this.domains.poke();
    }
    for (const id of new Set(clusterIds)) {
      const worker = this.#workers.get(id);
      if (!worker) continue;
      if (deploymentIds) for (const deploymentId of deploymentIds) worker.queue.add(deploymentId);
      else void worker.pollPending(false).catch(() => {});
    }
    if ([...new Set(clusterIds)].some((id) => !this.#workers.has(id)) && this.#leader) {
      this.#tick = this.#tick.then(() => this.#discover()).catch(() => {});
    }
  }

  /** The resync of every cluster this process runs controllers for. */
  resyncStats(): ResyncStats[] {
    return [...this.#workers.values()].map((w) => w.resyncStats());
  }

  /** Test and benchmark hook: probes every cluster now. */
  async probeAll(): Promise<void> {
    await Promise.all([...this.#workers.values()].map((w) => w.probe()));
  }

  /** Test and benchmark hook: the queue of one cluster. */
  queueOf(clusterId: string): WorkQueue | undefined {
    return this.#workers.get(clusterId)?.queue;
  }

  async #leaseTick(): Promise<void> {
    if (this.#stopped) return;
    let held = false;
    try {
      held = (await this.lease.acquireOrRenew({ takeOver: !this.#leader && this.deps.database.kind === 'pglite' })).held;
    } catch (error) {
      this.deps.log.warn({ err: error }, 'cannot reach the database to renew the controller lease');
    }
    if (held && !this.#leader) {
      this.#leader = true;
      this.deps.log.info({ holder: this.lease.holder, epoch: this.lease.epoch }, 'controller lease acquired');
      await this.#discover();
      this.traffic.start();
      this.domains.start();
    } else if (!held && this.#leader) {
      this.#leader = false;
      this.deps.log.warn({ holder: this.lease.holder }, 'controller lease lost; stopping controllers');
      await this.traffic.stop();
      await this.domains.stop();
      await this.#stopWorkers();
    }
  }

  async #discover(): Promise<void> {
    if (!this.#leader || this.#stopped) return;
    const clusters = await this.deps.database.db.selectFrom('clusters').selectAll().execute();
    const seen = new Set<string>();
    for (const cluster of clusters) {
      seen.add(cluster.id);
      const fingerprint = createHash('sha256').update(cluster.kubeconfig_sealed).digest('hex');
      const existing = this.#workers.get(cluster.id);
      if (existing && existing.fingerprint === fingerprint) {
        existing.ctx.cluster = cluster;
        continue;
      }
      if (existing) {
        await existing.stop();
        this.#workers.delete(cluster.id);
        this.deps.access.forget(cluster.id);
      }
      try {
        const client = await this.deps.access.client(cluster.id);
        const informers = new ClusterInformers(client, this.deps.log.child({ zone: cluster.zone }), () => {});
        const worker = new ClusterWorker(this, { cluster, client, informers, ensured: new Set(), ensuring: new Map() }, fingerprint);
        this.#workers.set(cluster.id, worker);
        worker.start();
      } catch (error) {
        this.deps.log.error({ err: error, zone: cluster.zone }, 'cannot start controllers for cluster');
      }
    }
    for (const [id, worker] of this.#workers) {
      if (!seen.has(id)) {
        await worker.stop();
        this.#workers.delete(id);
        this.deps.access.forget(id);
      }
    }
  }

  async #stopWorkers(): Promise<void> {
    const workers = [...this.#workers.values()];
    this.#workers.clear();
    await Promise.all(workers.map((w) => w.stop()));
  }
}
