// A small controller runtime: level-triggered reconcilers with deduplicating work queues, delayed
// requeues and retry backoff. Reconcilers run synchronously against the in-memory storage between
// I/O turns of the event loop, so they never race one another.

import type { Registry, ResourceType } from '../api/registry.ts';
import type { ApiStorage } from '../store/storage.ts';
import type { Store, StoreEvent } from '../store/store.ts';
import type { EventRecorder } from './events.ts';

export type Logger = (level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;

export interface ControllerContext {
  readonly storage: ApiStorage;
  readonly store: Store;
  readonly registry: Registry;
  readonly events: EventRecorder;
  readonly log: Logger;
  now(): number;
  /** A built-in (or currently registered) resource type by key, e.g. `apps/deployments`. */
  rt(key: string): ResourceType;
  /** The type if registered (CRD-backed types may be absent). */
  maybeRt(key: string): ResourceType | undefined;
}

export interface Queue {
  add(key: string, delayMs?: number): void;
}

export interface Controller {
  readonly name: string;
  /** Maps a store event to work keys. */
  onEvent(e: StoreEvent, queue: Queue): void;
  /** Enqueues the initial work (start and restart). */
  resync(queue: Queue): void;
  /** Reconciles one key. May return a delay in ms after which to reconcile the key again. */
  reconcile(key: string, queue: Queue): number | undefined | void;
  stop?(): void;
}

interface ControllerState {
  c: Controller;
  ready: Set<string>;
  timers: Map<string, { at: number; timer: NodeJS.Timeout }>;
  failures: Map<string, number>;
  queue: Queue;
}

const BATCH = 2000;

export class ControllerManager {
  readonly #ctx: ControllerContext;
  readonly #states: ControllerState[] = [];
  #scheduled = false;
  #running = false;
  #unsubscribe: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  add(c: Controller): void {
    const state: ControllerState = { c, ready: new Set(), timers: new Map(), failures: new Map(), queue: { add: () => undefined } };
    state.queue = { add: (key, delayMs) => this.#enqueue(state, key, delayMs ?? 0) };
    this.#states.push(state);
  }

  get(name: string): Controller | undefined {
    return this.#states.find((s) => s.c.name === name)?.c;
  }

  queueFor(name: string): Queue {
    const s = this.#states.find((x) => x.c.name === name);
    if (!s) throw new Error(`no controller ${name}`);
    return s.queue;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.#ctx.store.subscribe((e) => {
      for (const s of this.#states) {
        try {
          s.c.onEvent(e, s.queue);
        } catch (err) {
          this.#ctx.log('error', 'controller event mapping failed', { controller: s.c.name, error: String(err) });
        }
      }
    });
    for (const s of this.#states) s.c.resync(s.queue);
  }

  stop(): void {
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const s of this.#states) {
      for (const t of s.timers.values()) clearTimeout(t.timer);
      s.timers.clear();
      s.ready.clear();
      s.failures.clear();
      s.c.stop?.();
    }
    this.#wakeIdle();
  }

  #enqueue(s: ControllerState, key: string, delayMs: number): void {
    if (!this.#running) return;
    if (delayMs <= 0) {
      const t = s.timers.get(key);
      if (t) {
        clearTimeout(t.timer);
        s.timers.delete(key);
      }
      s.ready.add(key);
      this.#schedule();
      return;
    }
    if (s.ready.has(key)) return;
    const at = Date.now() + delayMs;
    const existing = s.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      s.timers.delete(key);
      if (!this.#running) return;
      s.ready.add(key);
      this.#schedule();
    }, delayMs);
    timer.unref();
    s.timers.set(key, { at, timer });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    if (!this.#running) return;
    let budget = BATCH;
    let more = true;
    while (budget > 0 && more) {
      more = false;
      for (const s of this.#states) {
        const next = s.ready.values().next();
        if (next.done) continue;
        more = true;
        const key = next.value;
        s.ready.delete(key);
        budget--;
        try {
          const again = s.c.reconcile(key, s.queue);
          s.failures.delete(key);
          if (typeof again === 'number' && again >= 0) this.#enqueue(s, key, Math.max(again, 1));
        } catch (err) {
          const n = (s.failures.get(key) ?? 0) + 1;
          s.failures.set(key, n);
          const delay = Math.min(50 * 2 ** (n - 1), 30_000);
          this.#ctx.log('warn', 'reconcile failed; retrying', { controller: s.c.name, key, attempt: n, error: err instanceof Error ? err.message : String(err) });
          this.#enqueue(s, key, delay);
        }
      }
    }
    if (this.#states.some((s) => s.ready.size > 0)) this.#schedule();
    else this.#wakeIdle();
  }

  /** True when no reconcile is pending right now (delayed timers may still be armed). */
  get idle(): boolean {
    return this.#states.every((s) => s.ready.size === 0);
  }

  /** Resolves when the ready queues are empty (benchmarks and tests). */
  async whenIdle(): Promise<void> {
    if (this.idle) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
