// The one place tests run the real kubectl: a temporary KUBECACHEDIR per test file, the cluster's
// kubeconfig, bounded run times, and helpers to wait on conditions with deadlines (no sleeps).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { SimCluster, SimClusterOptions } from '../../src/index.ts';
import { startTestCluster } from './cluster.ts';
import { text } from '../../src/util/json.ts';

function findKubectl(): string | undefined {
  const candidates = ['/usr/bin/kubectl', ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'kubectl'))];
  return candidates.find((c) => c !== '' && existsSync(c));
}

export const KUBECTL = findKubectl();
export const kubectlMissing = KUBECTL === undefined;
export const SKIP_MESSAGE = 'kubectl is not installed on this machine: skipping the kubectl acceptance tests';
if (kubectlMissing) console.warn(SKIP_MESSAGE);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Kubectl {
  readonly kubeconfig: string;
  readonly cacheDir: string;
  run(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Runs and throws (with stderr) unless the exit code is 0. */
  ok(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Runs and throws unless the command fails; returns stderr. */
  fails(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Starts a long-running kubectl (e.g. `get -w`); the caller kills it. */
  spawn(args: string[]): ChildProcessWithoutNullStreams;
}

export function kubectlFor(kubeconfig: string, cacheDir: string): Kubectl {
  const env = { ...process.env, KUBECACHEDIR: cacheDir, KUBECONFIG: kubeconfig };
  const bin = KUBECTL ?? 'kubectl';
  const run = (args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(bin, ['--kubeconfig', kubeconfig, ...args], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started });
      });
      child.stdin.end(options.input ?? '');
    });
  return {
    kubeconfig,
    cacheDir,
    run,
    async ok(args, options) {
      const r = await run(args, options);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
      return r.stdout;
    },
    async fails(args, options) {
      const r = await run(args, options);
      if (r.code === 0) throw new Error(`kubectl ${args.join(' ')} unexpectedly succeeded: ${r.stdout}`);
      return r.stderr;
    },
    spawn(args) {
      return spawn(bin, ['--kubeconfig', kubeconfig, ...args], { env });
    },
  };
}

export interface KubectlCluster {
  cluster: SimCluster;
  /** Warnings and errors the simulator logged; `close()` fails when there are any. */
  problems: string[];
  kubectl: Kubectl;
  dir: string;
  close(): Promise<void>;
}

/** Starts a cluster with zero delays, writes its kubeconfig and gives a kubectl bound to it. */
export async function startKubectlCluster(options: Partial<SimClusterOptions> = {}): Promise<KubectlCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'satusky-sim-test-'));
  const { cluster, problems } = await startTestCluster({ name: 'test', ...options });
  const kubeconfig = join(dir, 'kubeconfig');
  await cluster.writeKubeconfig(kubeconfig);
  return {
    cluster,
    problems,
    kubectl: kubectlFor(kubeconfig, join(dir, 'cache')),
    dir,
    async close() {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
      if (problems.length > 0) throw new Error(`the simulator logged problems:\n${problems.join('\n')}`);
    },
  };
}

export async function writeManifest(dir: string, name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after the deadline. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${last ? `: ${text(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}

/** Accumulates a long-running child's output from the start, so nothing is missed between waits. */
export interface Collector {
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with stdout once `predicate` holds on it; rejects after the deadline. */
  until(predicate: (out: string) => boolean, timeoutMs?: number): Promise<string>;
  kill(): void;
}

export function collect(child: ChildProcessWithoutNullStreams): Collector {
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) w();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return {
    stdout: () => out,
    stderr: () => err,
    until(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (predicate(out)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(out);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; stdout so far:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    kill() {
      child.kill('SIGTERM');
    },
  };
}
