import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { recordEvent } from '../events/repository.ts';
import { routeFor } from '../core/routing.ts';
import { bumpRouting, lookUpOwnership, markVerified, RECHECK_VERIFIED_MS } from '../domains/service.ts';
import type { DomainProber } from './domain-probe.ts';
import type { Lease } from './lease.ts';

export interface DomainControllerOptions {
  /** How often the loop runs; pending domains are first re-checked this often, backing off. */
  intervalMs: number;
  /** Resolve every app hostname and verified domain through the public resolvers (DNSReady). */
  dnsChecks: boolean;
  concurrency: number;
}

export interface DomainControllerDeps {
  database: Database;
  lease: Lease;
  log: Logger;
  clock: () => Date;
  prober: DomainProber;
  options: DomainControllerOptions;
  wake: (clusterIds: readonly string[]) => void;
}

const MAX_BACKOFF_MS = 10 * 60_000;

/** Pending domains are re-checked quickly at first, then less often (a forgotten TXT costs little). */
export function nextCheckDelay(attempts: number, intervalMs: number): number {
  return Math.min(intervalMs * 2 ** Math.min(attempts, 20), MAX_BACKOFF_MS);
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

/**
 * On the controller leader: verifies pending domains (TXT through the public resolvers, with
 * backoff) and re-checks verified ones; records how every app hostname and verified domain
 * resolves (DNSReady and `domains check` read it); and finishes `routing migrate` by dropping a
 * domain's Ingress once its HTTPRoute is accepted in every zone that serves the app.
 */
export class DomainController {
  readonly #deps: DomainControllerDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(deps: DomainControllerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => this.poke(), this.#deps.options.intervalMs);
    this.#timer.unref();
    this.poke();
  }

  poke(): void {
    if (this.#stopped || this.#running) return;
    this.#running = this.tick()
      .catch((error: unknown) => this.#deps.log.error({ err: error }, 'domain run failed'))
      .finally(() => {
        this.#running = null;
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** One run (also the test hook). */
  async tick(): Promise<void> {
    await this.#verify();
    await this.#finishMigrations();
    if (this.#deps.options.dnsChecks) await this.#observeDns();
  }

  async #verify(): Promise<void> {
    const { database, clock, prober, lease, options } = this.#deps;
    const now = clock();
    const due = await database.db
      .selectFrom('domains')
      .selectAll()
      .where('status', '!=', 'removed')
      .where('next_check_at', '<=', now)
      .orderBy('next_check_at')
      .limit(100)
      .execute();
    await eachLimited(due, options.concurrency, async (row) => {
      if (this.#stopped) return;
      const seen = await lookUpOwnership(prober, row);
      const at = clock();
      if (row.status === 'pending' && seen.proven) {
        let woken: string[] = [];
        await lease.inFence(async (tx) => {
          woken = await markVerified(tx, row, at);
          return true;
        });
        this.#deps.log.info({ hostname: row.hostname }, 'domain verified');
        this.#deps.wake(woken);
        return;
      }
      const pending = row.status === 'pending';
      await lease.inFence(async (tx) => {
        await tx
          .updateTable('domains')
          .set({
            last_checked_at: at,
            last_check_error: seen.proven ? null : pending ? seen.observed : `verified earlier, but now: ${seen.observed}`,
            check_attempts: pending ? row.check_attempts + 1 : 0,
            next_check_at: new Date(at.getTime() + (pending ? nextCheckDelay(row.check_attempts, options.intervalMs) : RECHECK_VERIFIED_MS)),
          })
          .where('id', '=', row.id)
          .where('status', '=', row.status)
          .execute();
        return true;
      });
    });
  }

  async #finishMigrations(): Promise<void> {
    const { database, lease, clock } = this.#deps;
    const migrating = await database.db
      .selectFrom('domains as d')
      .innerJoin('deployments as a', 'a.id', 'd.deployment_id')
      .select(['d.id', 'd.hostname', 'd.deployment_id', 'a.organization_id', 'a.generation', 'a.routing_generation'])
      .where('d.ingress_retained', '=', true)
      .where('d.status', '=', 'verified')
      .execute();
    for (const domain of migrating) {
      const targets = await database.db
        .selectFrom('deployment_targets as t')
        .leftJoin('deployment_observations as o', (join) => join.onRef('o.deployment_id', '=', 't.deployment_id').onRef('o.cluster_id', '=', 't.cluster_id'))
        .select(['t.cluster_id', 't.applied_routing_generation', 'o.routing'])
        .where('t.deployment_id', '=', domain.deployment_id!)
        .where('t.state', '=', 'active')
        .execute();
      const accepted = targets.every((t) => {
        const route = routeFor(t.routing, domain.hostname);
        return t.applied_routing_generation >= domain.routing_generation && route?.kind === 'HTTPRoute' && route.accepted === true && route.resolvedRefs !== false;
      });
      if (!accepted || targets.length === 0) continue;
      let clusterIds: string[] = [];
      await lease.inFence(async (tx) => {
        const updated = await tx.updateTable('domains').set({ ingress_retained: false }).where('id', '=', domain.id).where('ingress_retained', '=', true).executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) return false;
        clusterIds = await bumpRouting(tx, domain.deployment_id!);
        await recordEvent(tx, {
          deploymentId: domain.deployment_id!,
          organizationId: domain.organization_id,
          generation: domain.generation,
          category: 'route',
          type: 'RouteMigrated',
          message: `${domain.hostname}: the HTTPRoute is accepted in every zone; removing the legacy Ingress`,
          detail: { hostname: domain.hostname, at: clock().toISOString() },
        });
        return true;
      });
      this.#deps.wake(clusterIds);
    }
  }

  async #observeDns(): Promise<void> {
    const { database, prober, options, lease, clock } = this.#deps;
    const apps = await database.db
      .selectFrom('deployments')
      .select(['id', 'hostname'])
      .where('state', '=', 'active')
      .where('current_release_id', 'is not', null)
      .execute();
    const domains = await database.db
      .selectFrom('domains')
      .select(['hostname', 'deployment_id'])
      .where('status', '=', 'verified')
      .where('deployment_id', 'is not', null)
      .execute();
    const names = [...apps.map((a) => ({ hostname: a.hostname.toLowerCase(), deploymentId: a.id })), ...domains.map((d) => ({ hostname: d.hostname, deploymentId: d.deployment_id! }))];
    await eachLimited(names, options.concurrency, async ({ hostname, deploymentId }) => {
      if (this.#stopped) return;
      const result = await prober.resolve(hostname);
      const values = {
        deployment_id: deploymentId,
        rcode: result.rcode,
        answers: JSON.stringify(result.answers),
        addresses: JSON.stringify(result.addresses),
        error: result.error,
        observed_at: clock(),
      };
      await lease.inFence(async (tx) => {
        await tx
          .insertInto('dns_observations')
          .values({ hostname, ...values })
          .onConflict((oc) => oc.column('hostname').doUpdateSet(values))
          .execute();
        return true;
      });
    });
    // Names no longer served (apps deleted, domains removed) are forgotten.
    const keep = new Set(names.map((n) => n.hostname));
    const stored = await database.db.selectFrom('dns_observations').select('hostname').execute();
    const gone = stored.map((s) => s.hostname).filter((h) => !keep.has(h));
    if (gone.length > 0) {
      await lease.inFence(async (tx) => {
        await tx.deleteFrom('dns_observations').where('hostname', 'in', gone).execute();
        return true;
      });
    }
  }
}
