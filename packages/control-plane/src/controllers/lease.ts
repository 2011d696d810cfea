import { sql, type ExpressionBuilder, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';

export const CONTROLLER_LEASE = 'controllers';

export interface LeaseState {
  held: boolean;
  epoch: number;
  holder: string;
}

/**
 * A lease in PostgreSQL: exactly one process runs the controllers at a time. Taking it over from an
 * expired holder bumps the epoch; controller writes carry the epoch (see `fenced`), so a paused
 * process that wakes up after losing the lease cannot write. Times are the database's clock.
 */
export class Lease {
  readonly holder: string;
  readonly #database: Database;
  readonly #ttlMs: number;
  #epoch = 0;

  constructor(database: Database, holder: string, ttlMs: number) {
    this.#database = database;
    this.holder = holder;
    this.#ttlMs = ttlMs;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Takes the lease if it is free or expired, or renews it if held; answers who holds it now.
   * `takeOver` takes it regardless: only for PGlite, whose data directory one process alone can
   * open, so a previous holder is certainly dead.
   */
  async acquireOrRenew(options: { takeOver?: boolean } = {}): Promise<LeaseState> {
    const ttl = `${this.#ttlMs} milliseconds`;
    const takeOver = options.takeOver === true;
    const result = await sql<{ holder: string; epoch: number }>`
      insert into leases (name, holder, epoch, expires_at, renewed_at)
      values (${CONTROLLER_LEASE}, ${this.holder}, 1, now() + ${ttl}::interval, now())
      on conflict (name) do update set
        holder = excluded.holder,
        epoch = case when leases.holder = excluded.holder then leases.epoch else leases.epoch + 1 end,
        expires_at = excluded.expires_at,
        renewed_at = now()
      where leases.holder = excluded.holder or leases.expires_at < now() or ${takeOver}
      returning holder, epoch`.execute(this.#database.db);
    const row = result.rows[0];
    if (row) {
      this.#epoch = Number(row.epoch);
      return { held: true, epoch: this.#epoch, holder: row.holder };
    }
    const current = await this.#database.db.selectFrom('leases').select(['holder', 'epoch']).where('name', '=', CONTROLLER_LEASE).executeTakeFirst();
    this.#epoch = 0;
    return { held: false, epoch: Number(current?.epoch ?? 0), holder: current?.holder ?? '' };
  }

  async release(): Promise<void> {
    await this.#database.db
      .updateTable('leases')
      .set({ expires_at: sql`now()` })
      .where('name', '=', CONTROLLER_LEASE)
      .where('holder', '=', this.holder)
      .execute();
    this.#epoch = 0;
  }

  /**
   * Runs `fn` in a transaction only while this process holds the lease, locking the lease row so a
   * takeover waits for the commit. Answers null when the lease is not held.
   */
  async inFence<T>(fn: (tx: Transaction<DB>) => Promise<T>): Promise<T | null> {
    return this.#database.db.transaction().execute(async (tx) => {
      const held = await tx
        .selectFrom('leases')
        .select('name')
        .where('name', '=', CONTROLLER_LEASE)
        .where('holder', '=', this.holder)
        .where('epoch', '=', this.#epoch)
        .where('expires_at', '>', sql<Date>`now()`)
        .forShare()
        .executeTakeFirst();
      if (!held) return null;
      return fn(tx);
    });
  }

  /**
   * A condition for controller writes: true only while this process holds the lease at the epoch it
   * acquired. Use as `.where(lease.fenced)`.
   */
  readonly fenced = (eb: ExpressionBuilder<DB, keyof DB>) =>
    eb.exists(
      eb
        .selectFrom('leases')
        .select('leases.name')
        .where('leases.name', '=', CONTROLLER_LEASE)
        .where('leases.holder', '=', this.holder)
        .where('leases.epoch', '=', this.#epoch)
        .where('leases.expires_at', '>', sql<Date>`now()`),
    );
}
