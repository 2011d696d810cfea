import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Placement } from '@satusky/contracts';
import { scheduleName } from '../core/backups.ts';
import { canonicalJson } from '../core/canonical.ts';
import { initialFailoverState, stepFailover, type FailoverCommand, type FailoverState, type ZoneSignal } from '../core/failover.ts';
import { decideTraffic, planSingleZoneProbes, type ZoneTraffic } from '../core/traffic.ts';
import type { Database } from '../db/database.ts';
import type { DB, NewEdgeProbeRow } from '../db/schema.ts';
import { recordEvent } from '../events/repository.ts';
import { probeThroughEdge, type EdgeProbeResult } from './edge-probe.ts';
import type { Lease } from './lease.ts';

export interface TrafficOptions {
  /** How often the traffic loop runs; multi-zone apps are probed on every run. */
  intervalMs: number;
  /** Single-zone apps are probed this often (their DNS does not depend on it)... */
  singleZoneProbeMs: number;
  /**
   * ...but at most this many of them a second, the longest-unprobed first (default 200): with
   * thousands of single-zone apps the interval stretches instead of the edges taking thousands of
   * probes a second.
   */
  singleZoneProbesPerSecond?: number;
  edgeHttpPort: number;
  probeTimeoutMs: number;
  dnsTtl: number;
  staleAfterMs: number;
  concurrency: number;
}

export interface TrafficDeps {
  database: Database;
  lease: Lease;
  log: Logger;
  clock: () => Date;
  options: TrafficOptions;
  /** Replaceable for tests. */
  probe?: typeof probeThroughEdge;
}

/** Every active target of every active app (or of `only` these), with its cluster, observation and last probe: one query per run. */
function loadTargets(db: Database['db'], only?: readonly string[]) {
  return db
    .selectFrom('deployment_targets as t')
    .innerJoin('deployments as d', 'd.id', 't.deployment_id')
    .innerJoin('clusters as c', 'c.id', 't.cluster_id')
    .leftJoin('deployment_observations as o', (join) => join.onRef('o.deployment_id', '=', 't.deployment_id').onRef('o.cluster_id', '=', 't.cluster_id'))
    .leftJoin('edge_probes as p', (join) => join.onRef('p.deployment_id', '=', 't.deployment_id').onRef('p.cluster_id', '=', 't.cluster_id'))
    .select([
      't.deployment_id',
      't.cluster_id',
      't.role',
      't.applied_generation',
      'c.zone',
      'c.edge_address',
      'c.last_heard_at',
      'o.ready_replicas',
      'o.desired_replicas',
      'o.observed_generation',
      'o.workload',
      'p.ok as probe_ok',
      'p.detail as probe_detail',
      'p.probed_at',
      'p.streak',
    ])
    .where('d.state', '=', 'active')
    .where('t.state', '=', 'active')
    .$if(only !== undefined, (qb) => qb.where('t.deployment_id', 'in', only!))
    .execute();
}

type TargetRow = Awaited<ReturnType<typeof loadTargets>>[number];

interface AppRow {
  id: string;
  name: string;
  organization_id: string;
  hostname: string;
  generation: number;
  placement: Placement;
  health_path: string | null;
}

/**
 * Moves traffic. On the controller leader, on every run: probes each app through each zone's edge,
 * steps the failover state machine of active-passive apps, and publishes the platform DNS records
 * (each app hostname answers with the edges that should receive its traffic). Every write is fenced
 * by the controller lease; the DNS zone serial moves only when a record set changed.
 */
export class TrafficController {
  readonly #deps: TrafficDeps;
  readonly #lastProbe = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  /** Apps poked since the last run started (run soon, alone), or every app. */
  readonly #poked = new Set<string>();
  #pokedAll = false;
  /** The single-zone probe interval the last full run planned (a run over a few apps cannot tell). */
  #singleIntervalMs = 0;

  constructor(deps: TrafficDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    // A full run every interval; one due while another runs follows it (pokes must not starve it).
    this.#timer = setInterval(() => {
      this.#pokedAll = true;
      this.#runPoked();
    }, this.#deps.options.intervalMs);
    this.#timer.unref();
  }

  #run(only: ReadonlySet<string> | undefined): void {
    this.#running = this.tick(only)
      .catch((error: unknown) => this.#deps.log.error({ err: error }, 'traffic run failed'))
      .finally(() => {
        this.#running = null;
        this.#runPoked();
      });
  }

  #runPoked(): void {
    if (this.#stopped || this.#running || !this.#timer) return;
    if (!this.#pokedAll && this.#poked.size === 0) return;
    // Pokes are for a handful of apps; a burst of thousands is a full run anyway.
    const only = this.#pokedAll || this.#poked.size > 1000 ? undefined : new Set(this.#poked);
    this.#pokedAll = false;
    this.#poked.clear();
    this.#run(only);
  }

  /**
   * Runs soon rather than at the next interval (a failover command, a new release): for the named
   * apps only, or for every app. A poke during a run is kept and runs when that one ends.
   */
  poke(deploymentIds?: readonly string[]): void {
    if (this.#stopped || !this.#timer) return;
    if (deploymentIds) for (const id of deploymentIds) this.#poked.add(id);
    else this.#pokedAll = true;
    this.#runPoked();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** One run over every app, or over `only` these (also the test and benchmark hook). */
  async tick(only?: ReadonlySet<string>): Promise<void> {
    const { database, options } = this.#deps;
    if (only && only.size === 0) return;
    const ids = only ? [...only] : undefined;
    const apps = (await database.db
      .selectFrom('deployments as d')
      .innerJoin('releases as r', 'r.id', 'd.current_release_id')
      .select(['d.id', 'd.name', 'd.organization_id', 'd.hostname', 'd.generation', 'r.placement', sql<string | null>`r.spec->>'health_path'`.as('health_path')])
      .where('d.state', '=', 'active')
      .$if(ids !== undefined, (qb) => qb.where('d.id', 'in', ids!))
      .execute()).map((r) => ({ id: r.id, name: r.name, organization_id: r.organization_id, hostname: r.hostname, generation: r.generation, placement: r.placement, health_path: r.health_path })) satisfies AppRow[];
    // Read once for the whole run, not once per app: at thousands of apps the per-app queries
    // were most of the control plane's idle CPU.
    const targets = new Map<string, TargetRow[]>();
    for (const t of await loadTargets(database.db, ids)) targets.set(t.deployment_id, [...(targets.get(t.deployment_id) ?? []), t]);
    const records = new Map<string, { name: string; value: string }[]>();
    const published = await database.db
      .selectFrom('dns_records')
      .select(['deployment_id', 'name', 'value'])
      .where('type', '=', 'A')
      .where('deployment_id', 'is not', null)
      .$if(ids !== undefined, (qb) => qb.where('deployment_id', 'in', ids!))
      .execute();
    for (const r of published) records.set(r.deployment_id!, [...(records.get(r.deployment_id!) ?? []), r]);
    const singles = planSingleZoneProbes(
      apps.filter((a) => a.placement.mode === 'single').map((a) => a.id),
      (id) => this.#lastProbe.get(id),
      this.#deps.clock().getTime(),
      { singleZoneProbeMs: options.singleZoneProbeMs, runIntervalMs: options.intervalMs, perSecond: options.singleZoneProbesPerSecond ?? 200 },
    );
    if (!only) this.#singleIntervalMs = singles.intervalMs;
    const singleIntervalMs = Math.max(singles.intervalMs, this.#singleIntervalMs);
    const probeRows: NewEdgeProbeRow[] = [];
    const queue = [...apps];
    const workers = Array.from({ length: Math.min(options.concurrency, queue.length) }, async () => {
      for (let app = queue.shift(); app && !this.#stopped; app = queue.shift()) {
        try {
          const name = app.hostname.toLowerCase();
          await this.#runApp(app, {
            targets: targets.get(app.id) ?? [],
            records: (records.get(app.id) ?? []).filter((r) => r.name === name).map((r) => r.value),
            probe: app.placement.mode !== 'single' || singles.due.has(app.id),
            probeFreshMs: Math.max(options.intervalMs, app.placement.mode === 'single' ? singleIntervalMs : options.singleZoneProbeMs) * 3,
            probeRows,
          });
        } catch (error) {
          this.#deps.log.warn({ err: error, deployment: app.id }, 'traffic run for app failed');
        }
      }
    });
    await Promise.all(workers);
    await this.#writeProbes(probeRows);
    if (!only) await this.#removeOrphanRecords(new Set(apps.map((a) => a.id)));
  }

  /**
   * The run's probe results, a few hundred rows to a statement. Fenced like every controller write:
   * a paused process that lost the lease must not feed stale probe results (and streaks, which
   * drive failover) into the database. One transaction per probe was, at thousands of apps, most
   * of the database's load.
   */
  async #writeProbes(rows: NewEdgeProbeRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await this.#deps.lease.inFence((tx) =>
        tx
          .insertInto('edge_probes')
          .values(chunk)
          .onConflict((oc) =>
            oc.columns(['deployment_id', 'cluster_id']).doUpdateSet((eb) => ({
              ok: eb.ref('excluded.ok'),
              status_code: eb.ref('excluded.status_code'),
              detail: eb.ref('excluded.detail'),
              latency_ms: eb.ref('excluded.latency_ms'),
              answered_by: eb.ref('excluded.answered_by'),
              probed_at: eb.ref('excluded.probed_at'),
              streak: eb.ref('excluded.streak'),
            })),
          )
          .execute(),
      );
    }
  }

  async #runApp(app: AppRow, input: { targets: TargetRow[]; records: string[]; probe: boolean; probeFreshMs: number; probeRows: NewEdgeProbeRow[] }, command?: FailoverCommand): Promise<void> {
    const { options, clock } = this.#deps;
    const now = clock();
    const targets = input.targets;
    if (targets.length === 0) return;

    const probes = new Map<string, EdgeProbeResult>();
    if (input.probe) {
      this.#lastProbe.set(app.id, now.getTime());
      await Promise.all(
        targets
          .filter((t) => t.edge_address && t.applied_generation > 0)
          .map(async (t) => {
            const result = await (this.#deps.probe ?? probeThroughEdge)({
              address: t.edge_address!,
              port: options.edgeHttpPort,
              hostname: app.hostname,
              path: app.health_path ?? '/',
              timeoutMs: options.probeTimeoutMs,
            });
            probes.set(t.cluster_id, result);
            const streak = t.probe_ok === result.ok ? (t.streak ?? 0) + 1 : 1;
            input.probeRows.push({
              deployment_id: app.id,
              cluster_id: t.cluster_id,
              ok: result.ok,
              status_code: result.statusCode,
              detail: result.detail,
              latency_ms: result.latencyMs,
              answered_by: result.answeredBy,
              probed_at: now,
              streak,
            });
          }),
      );
    }

    const zones: ZoneTraffic[] = targets.map((t) => {
      const fresh = t.last_heard_at !== null && now.getTime() - t.last_heard_at.getTime() <= options.staleAfterMs;
      const probe = probes.get(t.cluster_id);
      const probeFresh = t.probed_at !== null && now.getTime() - t.probed_at.getTime() <= input.probeFreshMs;
      const edgeOk = probe ? probe.ok : probeFresh ? (t.probe_ok ?? null) : null;
      const workloadReady = !fresh
        ? null
        : t.observed_generation !== null &&
          (t.ready_replicas ?? 0) >= (t.desired_replicas ?? 0) &&
          !(t.workload?.problems ?? []).some((p) => p.severity === 'failure');
      const signal: ZoneSignal = {
        zone: t.zone,
        edgeOk,
        edgeDetail: probe?.detail ?? t.probe_detail ?? 'not probed',
        apiReachable: fresh,
        workloadReady,
      };
      return { zone: t.zone, clusterId: t.cluster_id, role: t.role, edgeAddress: t.edge_address, applied: t.applied_generation > 0, signal };
    });

    let failover: FailoverState | null = null;
    if (app.placement.mode === 'active-passive') failover = await this.#stepFailover(app, zones, now, command);
    const decision = decideTraffic(app.placement, zones, failover);
    await this.#publish(app, input.records, decision.addresses, decision.zones, decision.reason, now);
  }

  async #stepFailover(app: AppRow, zones: ZoneTraffic[], now: Date, command?: FailoverCommand): Promise<FailoverState> {
    const { database, lease } = this.#deps;
    const mc = app.placement.multicluster;
    const primary = mc?.primary ?? app.placement.zones.find((z) => z.role === 'serving')?.zone ?? zones[0]!.zone;
    const row = await database.db.selectFrom('failover_states').selectAll().where('deployment_id', '=', app.id).executeTakeFirst();
    let state = row?.state ?? initialFailoverState(primary, now);
    if (state.primary !== primary) {
      // The primary was changed by a deploy: the new placement's primary serves from now on.
      state = { ...initialFailoverState(primary, now), epoch: state.epoch + 1 };
    }
    const pending = command ?? row?.pending_command ?? undefined;
    const result = stepFailover(
      state,
      zones.map((z) => z.signal),
      {
        failureThreshold: mc?.failure_threshold ?? 3,
        failback: mc?.failback ?? 'auto',
        failbackAfterMs: (mc?.failback_after_seconds ?? 60) * 1000,
        preference: app.placement.zones.map((z) => z.zone),
      },
      now,
      pending,
    );
    const changed = canonicalJson(result.state) !== canonicalJson(row?.state ?? null) || pending !== undefined;
    if (!changed) return result.state;
    const written = await lease.inFence(async (tx) => {
      if (row) {
        const updated = await tx
          .updateTable('failover_states')
          .set({ state: JSON.stringify(result.state), epoch: result.state.epoch, version: row.version + 1, pending_command: null, updated_at: now })
          .where('deployment_id', '=', app.id)
          .where('version', '=', row.version)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) return false;
      } else {
        await tx
          .insertInto('failover_states')
          .values({ deployment_id: app.id, state: JSON.stringify(result.state), epoch: result.state.epoch })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      const started = result.events.find((e) => e.type === 'FailoverStarted');
      if (started) await this.#requestRestore(tx, app, zones, result.state, now);
      for (const event of result.events) {
        await recordEvent(tx, {
          deploymentId: app.id,
          organizationId: app.organization_id,
          generation: app.generation,
          zone: typeof event.detail.to === 'string' ? event.detail.to : typeof event.detail.zone === 'string' ? event.detail.zone : null,
          category: 'failover',
          type: event.type,
          level: event.level,
          message: event.message,
          detail: { ...event.detail, phase: result.state.phase, epoch: result.state.epoch },
        });
      }
      return true;
    });
    return written ? result.state : state;
  }

  /**
   * restore_on_failover: the new serving zone restores the newest completed backup of the app's
   * volumes (the reconciler there renders the Velero Restore). Without one, says so.
   */
  async #requestRestore(tx: Transaction<DB>, app: AppRow, zones: ZoneTraffic[], state: FailoverState, now: Date): Promise<void> {
    const mc = app.placement.multicluster;
    if (!mc?.restore_on_failover || !mc.backup) return;
    const target = zones.find((z) => z.zone === state.serving);
    if (!target) return;
    const rows = await tx.selectFrom('deployment_observations').select(['cluster_id', 'backups']).where('deployment_id', '=', app.id).execute();
    const completed = rows
      .flatMap((r) => r.backups?.backups ?? [])
      .filter((b) => b.phase === 'Completed')
      .sort((a, b) => (b.completedAt ?? '').localeCompare(a.completedAt ?? ''));
    const newest = completed[0];
    const base = { deploymentId: app.id, organizationId: app.organization_id, generation: app.generation, zone: state.serving, category: 'backup' as const };
    if (!newest) {
      await recordEvent(tx, { ...base, type: 'RestoreSkipped', level: 'warning', message: `failover to ${state.serving}: no completed backup of ${app.name} to restore; it serves with the volume data it has` });
      return;
    }
    const name = `${scheduleName(app)}-r${state.epoch}`;
    await tx
      .insertInto('backup_restores')
      .values({ id: randomUUID(), deployment_id: app.id, cluster_id: target.clusterId, name, backup_name: newest.name, epoch: state.epoch, reason: `failover to ${state.serving}`, requested_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
    // The zone's reconciler renders the Restore on its next pass.
    await tx.updateTable('deployments').set((eb) => ({ routing_generation: eb('routing_generation', '+', 1) })).where('id', '=', app.id).execute();
    await recordEvent(tx, {
      ...base,
      type: 'RestoreRequested',
      message: `failover to ${state.serving}: restoring backup ${newest.name} (recovery point ${newest.completedAt ?? '?'}); data written after it is not in it`,
      detail: { restore: name, backup: newest.name, recovery_point: newest.completedAt },
    });
  }

  async #publish(app: AppRow, current: string[], addresses: string[], zones: string[], reason: string, now: Date): Promise<void> {
    const { lease, options } = this.#deps;
    const name = app.hostname.toLowerCase();
    const before = [...current].sort();
    if (canonicalJson(before) === canonicalJson(addresses)) return;
    await lease.inFence(async (tx) => {
      await tx.deleteFrom('dns_records').where('deployment_id', '=', app.id).execute();
      if (addresses.length > 0) {
        await tx
          .insertInto('dns_records')
          .values(addresses.map((value) => ({ name, type: 'A' as const, value, ttl: options.dnsTtl, deployment_id: app.id, updated_at: now })))
          .execute();
      }
      await tx.updateTable('dns_zone').set((eb) => ({ serial: eb('serial', '+', 1), updated_at: now })).where('id', '=', 1).execute();
      await recordEvent(tx, {
        deploymentId: app.id,
        organizationId: app.organization_id,
        generation: app.generation,
        category: 'dns',
        type: 'DnsPublished',
        message: `${name} now answers ${addresses.length ? addresses.join(', ') : 'nothing'}${zones.length ? ` (${zones.join(', ')})` : ''}: ${reason}`,
        detail: { hostname: name, from: before, to: addresses, zones, reason, at: now.toISOString() },
      });
      return true;
    });
  }

  async #removeOrphanRecords(active: Set<string>): Promise<void> {
    const { database, lease } = this.#deps;
    const owners = await database.db.selectFrom('dns_records').select('deployment_id').distinct().where('deployment_id', 'is not', null).execute();
    const orphans = owners.map((o) => o.deployment_id!).filter((id) => !active.has(id));
    if (orphans.length === 0) return;
    await lease.inFence(async (tx) => {
      await tx.deleteFrom('dns_records').where('deployment_id', 'in', orphans).execute();
      await tx.updateTable('dns_zone').set((eb) => ({ serial: eb('serial', '+', 1) })).where('id', '=', 1).execute();
      return true;
    });
  }
}
