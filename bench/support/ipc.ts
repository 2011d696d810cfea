// Child processes for the benchmarks: the driver forks a support module (bench/support/*-child.ts),
// waits for its `ready` message, then calls named handlers over IPC. Children end with the driver
// (they exit when the IPC channel closes) and the driver kills every child it started on exit.
import { fork, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

interface ReadyMessage<R> {
  kind: 'ready';
  ready: R;
}
interface ReplyMessage {
  kind: 'reply';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
interface CallMessage {
  kind: 'call';
  id: number;
  type: string;
  payload?: unknown;
}

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** A forked support process: `call(type, payload)` runs one of its handlers and answers its result. */
export class ChildHandle<R> {
  readonly process: ChildProcess;
  readonly ready: R;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #next = 0;
  #exited = false;

  private constructor(child: ChildProcess, ready: R) {
    this.process = child;
    this.ready = ready;
    child.on('message', (raw: unknown) => {
      const m = raw as ReplyMessage;
      if (m.kind !== 'reply') return;
      const waiter = this.#pending.get(m.id);
      if (!waiter) return;
      this.#pending.delete(m.id);
      clearTimeout(waiter.timer);
      if (m.ok) waiter.resolve(m.result);
      else waiter.reject(new Error(m.error ?? 'child call failed'));
    });
    child.on('exit', (code, signal) => {
      this.#exited = true;
      live.delete(child);
      for (const [, waiter] of this.#pending) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`child exited (${code ?? signal}) before answering`));
      }
      this.#pending.clear();
    });
  }

  /** Forks `module` (a path) with `args`; resolves once it sent `ready`. */
  static start<R>(module: string, args: string[] = [], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ChildHandle<R>> {
    hookExit();
    // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there when it exits (for diagnosis).
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    const child = fork(module, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...profile], ...(options.env ? { env: options.env } : {}) });
    live.add(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${module} did not become ready within ${options.timeoutMs ?? 120_000} ms`));
      }, options.timeoutMs ?? 120_000);
      const onMessage = (raw: unknown) => {
        const m = raw as ReadyMessage<R>;
        if (m.kind !== 'ready') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(new ChildHandle<R>(child, m.ready));
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        live.delete(child);
        reject(new Error(`${module} exited with ${String(code)} before it was ready`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  call<T>(type: string, payload?: unknown, timeoutMs = 120_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`child ${this.pid} has exited`));
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`child call ${type} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const message: CallMessage = { kind: 'call', id, type, ...(payload === undefined ? {} : { payload }) };
      this.process.send(message);
    });
  }

  /** Asks the child to stop cleanly (its `stop` handler), then kills it if it lingers. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    await this.call('stop', undefined, timeoutMs).catch(() => {});
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

export type Handlers = Record<string, (payload: never) => unknown>;

/**
 * The child side: answers calls with `handlers` (a `stop` handler is added that runs `onStop`
 * and exits), announces `ready`, and exits when the driver goes away.
 */
export function serveChild<R>(ready: R, handlers: Handlers, onStop: () => Promise<void>): void {
  process.on('disconnect', () => process.exit(0));
  usage(); // starts the event-loop delay histogram
  process.on('message', (raw: unknown) => {
    const m = raw as CallMessage;
    if (m.kind !== 'call') return;
    const reply = (r: Omit<ReplyMessage, 'kind' | 'id'>) => process.send?.({ kind: 'reply', id: m.id, ...r } satisfies ReplyMessage);
    if (m.type === 'stop') {
      void onStop()
        .catch(() => {})
        .finally(() => {
          reply({ ok: true });
          setTimeout(() => process.exit(0), 50);
        });
      return;
    }
    const handler = handlers[m.type];
    if (!handler) {
      reply({ ok: false, error: `no handler ${m.type}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(m.payload as never))
      .then(
        (result) => reply({ ok: true, result }),
        (error: unknown) => reply({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.send?.({ kind: 'ready', ready } satisfies ReadyMessage<R>);
}

/** CPU and memory of the current process, for `usage` handlers. */
export interface Usage {
  cpuUserUs: number;
  cpuSystemUs: number;
  wallMs: number;
  rss: number;
  heapUsed: number;
  /** Event-loop delay since the previous `usage()` call: p99 and max, in ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

let loop: ELDHistogram | null = null;

export function usage(): Usage {
  if (!loop) {
    loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
  }
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const result: Usage = {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    wallMs: performance.timeOrigin + performance.now(),
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    loopDelayP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : 0,
    loopDelayMaxMs: loop.count > 0 ? loop.max / 1e6 : 0,
  };
  loop.reset();
  return result;
}

/** Share of one core used between two `usage()` samples (1.0 = one core fully busy). */
export function coreShare(a: Usage, b: Usage): number {
  const cpuMs = (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000;
  return cpuMs / Math.max(1, b.wallMs - a.wallMs);
}
