import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from '../helpers.ts';

export const MAIN = path.resolve(import.meta.dirname, '../../src/main.ts');

/** A free TCP port on loopback (released again before it is used: good enough for tests). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A `satusky` process (serve or dev) with its output kept line by line. */
export class ControlPlaneProcess {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly #waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];

  constructor(args: string[], env: Record<string, string>, onLine?: (line: string) => void) {
    this.proc = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const split = (stream: NodeJS.ReadableStream) => {
      let buffer = '';
      stream.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          this.lines.push(line);
          onLine?.(line);
          for (const waiter of [...this.#waiters]) {
            const match = waiter.re.exec(line);
            if (match) {
              this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
              waiter.resolve(match);
            }
          }
        }
      });
    };
    split(this.proc.stdout!);
    split(this.proc.stderr!);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** The first line (already printed or still to come) that matches. */
  async line(re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    for (const line of this.lines) {
      const match = re.exec(line);
      if (match) return match;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join('\n')}`)), timeoutMs);
      this.#waiters.push({
        re,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.proc.kill(signal);
  }

  /** SIGKILL (default) and wait for the exit; a stopped process is continued first so it can die. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.kill(signal);
      if (signal === 'SIGKILL') return;
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      timer.unref();
    });
  }
}

/** Waits until /readyz answers 200 (the database is reachable and migrated). */
export async function waitReady(base: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
      return response?.ok ?? false;
    },
    { timeoutMs, intervalMs: 50, message: `control plane at ${base} ready` },
  );
}
