/**
 * A keyed work queue for one cluster, in the manner of client-go's: a key is never processed by two
 * workers at once; adding a key that is queued is a no-op, adding one that is being processed runs
 * it once more afterwards; failures back off per key; and a circuit breaker stops hammering a
 * cluster that keeps failing, so one dead cluster slows only itself. Two lanes: a key added for
 * new desired state goes ahead of the periodic re-checks (`ifIdle`), so a deploy does not wait
 * behind a resync of thousands of apps.
 */
export type WorkResult =
  | { outcome: 'done' }
  /** The item failed; `clusterFault` feeds the breaker (unreachable, timeout, 5xx). */
  | { outcome: 'retry'; clusterFault: boolean };

export interface WorkQueueOptions {
  name: string;
  concurrency: number;
  handler: (key: string, signal: AbortSignal) => Promise<WorkResult>;
  /** Called when a handler throws unexpectedly; the key is retried with backoff. */
  onUnexpected: (key: string, error: unknown) => void;
  backoff?: { baseMs: number; maxMs: number };
  breaker?: { failureThreshold: number; openMs: number; maxOpenMs: number };
  random?: () => number;
}

export interface QueueStats {
  queued: number;
  processing: number;
  waiting: number;
  breaker: 'closed' | 'open' | 'half-open';
}

export class WorkQueue {
  readonly #options: Required<Pick<WorkQueueOptions, 'backoff' | 'breaker'>> & WorkQueueOptions;
  /** Periodic re-checks (resync, polls, drift). May hold keys since taken from `#urgent`: skipped. */
  readonly #queue: string[] = [];
  /** New desired state, retries and changes seen while processing: served first. */
  readonly #urgent: string[] = [];
  readonly #inUrgent = new Set<string>();
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #abort = new AbortController();
  #consecutiveClusterFaults = 0;
  #breakerState: 'closed' | 'open' | 'half-open' = 'closed';
  #breakerOpenMs: number;
  #breakerTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  readonly #idleWaiters: (() => void)[] = [];
  readonly #running = new Set<Promise<void>>();

  constructor(options: WorkQueueOptions) {
    this.#options = {
      backoff: { baseMs: 200, maxMs: 30_000 },
      breaker: { failureThreshold: 5, openMs: 2_000, maxOpenMs: 30_000 },
      ...options,
    };
    this.#breakerOpenMs = this.#options.breaker.openMs;
  }

  /**
   * Adds a key now, or after `delayMs`. An immediate add cancels a pending retry (new desired state
   * should not wait out the backoff of the old); `ifIdle` leaves a key alone that is queued,
   * processing or backing off (periodic polls and resyncs must not defeat the backoff).
   */
  add(key: string, delayMs = 0, options: { ifIdle?: boolean } = {}): void {
    if (this.#stopped) return;
    if (options.ifIdle && (this.#timers.has(key) || this.#processing.has(key) || this.#queued.has(key))) return;
    if (delayMs > 0) {
      if (this.#timers.has(key)) return;
      const timer = setTimeout(() => {
        this.#timers.delete(key);
        this.add(key);
      }, delayMs);
      timer.unref();
      this.#timers.set(key, timer);
      return;
    }
    const timer = this.#timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(key);
    }
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    const urgent = !options.ifIdle;
    if (this.#queued.has(key) && (!urgent || this.#inUrgent.has(key))) return;
    this.#queued.add(key);
    if (urgent) {
      this.#urgent.push(key);
      this.#inUrgent.add(key);
    } else {
      this.#queue.push(key);
    }
    this.#pump();
  }

  stats(): QueueStats {
    return { queued: this.#queued.size, processing: this.#processing.size, waiting: this.#timers.size, breaker: this.#breakerState };
  }

  /** Resolves when nothing is queued or processing (delayed retries may still be waiting). */
  async idle(): Promise<void> {
    if (this.#queued.size === 0 && this.#processing.size === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Resolves when the handlers running at the time have returned (after `stop()`, nothing new starts). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    if (this.#breakerTimer) clearTimeout(this.#breakerTimer);
    this.#queue.length = 0;
    this.#urgent.length = 0;
    this.#inUrgent.clear();
    this.#queued.clear();
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #pump(): void {
    while (!this.#stopped && this.#queued.size > 0 && this.#processing.size < this.#capacity()) {
      const key = this.#next();
      if (key === undefined) break;
      this.#queued.delete(key);
      this.#processing.add(key);
      const run = this.#run(key);
      this.#running.add(run);
      void run.finally(() => this.#running.delete(run));
    }
    if (this.#queued.size === 0 && this.#processing.size === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #next(): string | undefined {
    while (this.#urgent.length > 0) {
      const key = this.#urgent.shift()!;
      this.#inUrgent.delete(key);
      if (this.#queued.has(key)) return key;
    }
    while (this.#queue.length > 0) {
      const key = this.#queue.shift()!;
      if (this.#queued.has(key) && !this.#inUrgent.has(key)) return key;
    }
    return undefined;
  }

  #capacity(): number {
    if (this.#breakerState === 'open') return 0;
    if (this.#breakerState === 'half-open') return 1;
    return this.#options.concurrency;
  }

  async #run(key: string): Promise<void> {
    let result: WorkResult;
    try {
      result = await this.#options.handler(key, this.#abort.signal);
    } catch (error) {
      this.#options.onUnexpected(key, error);
      result = { outcome: 'retry', clusterFault: false };
    }
    this.#processing.delete(key);
    if (this.#stopped) return;
    if (result.outcome === 'done') {
      this.#failures.delete(key);
      this.#recordSuccess();
    } else {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      if (result.clusterFault) this.#recordClusterFault();
      else this.#recordSuccess();
      if (!this.#dirty.has(key)) this.add(key, this.backoffFor(failures));
    }
    if (this.#dirty.delete(key)) this.add(key);
    this.#pump();
  }

  /** Exponential backoff with full jitter on the upper half. */
  backoffFor(failures: number): number {
    const { baseMs, maxMs } = this.#options.backoff;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 20));
    return Math.round(ceiling / 2 + (this.#options.random ?? Math.random)() * (ceiling / 2));
  }

  #recordSuccess(): void {
    this.#consecutiveClusterFaults = 0;
    if (this.#breakerState !== 'closed') {
      this.#breakerState = 'closed';
      this.#breakerOpenMs = this.#options.breaker.openMs;
    }
  }

  #recordClusterFault(): void {
    this.#consecutiveClusterFaults += 1;
    const { failureThreshold, maxOpenMs } = this.#options.breaker;
    if (this.#breakerState === 'half-open' || this.#consecutiveClusterFaults >= failureThreshold) {
      if (this.#breakerState === 'half-open') this.#breakerOpenMs = Math.min(maxOpenMs, this.#breakerOpenMs * 2);
      this.#breakerState = 'open';
      if (this.#breakerTimer) clearTimeout(this.#breakerTimer);
      this.#breakerTimer = setTimeout(() => {
        this.#breakerTimer = null;
        this.#breakerState = 'half-open';
        this.#pump();
      }, this.#breakerOpenMs);
      this.#breakerTimer.unref();
    }
  }
}
