// Test helpers: temporary directories, waiting on conditions with deadlines (no sleeps), the real
// kubectl with a temporary KUBECACHEDIR, dig, and HTTP(S) clients that resolve names through the
// world DNS the way a browser on the world's internet would.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `satusky-world-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls `fn` until it returns something other than undefined/false, or fails after the deadline. */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, options: { timeoutMs?: number; what?: string; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

function findBinary(name: string): string | undefined {
  const candidates = [`/usr/local/bin/${name}`, `/usr/bin/${name}`, ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, name))];
  return candidates.find((c) => c !== '' && !c.startsWith(join('node_modules', '.bin')) && existsSync(c));
}

export const KUBECTL = findBinary('kubectl');
export const DIG = findBinary('dig');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program with a deadline (killed after it). */
export function run(bin: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(bin, args, { env: options.env ?? process.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
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
}

export interface Kubectl {
  run(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  ok(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
}

export function kubectlFor(kubeconfig: string, cacheDir: string): Kubectl {
  const env = { ...process.env, KUBECACHEDIR: cacheDir, KUBECONFIG: kubeconfig };
  const exec = (args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> => run(KUBECTL ?? 'kubectl', ['--kubeconfig', kubeconfig, ...args], { env, ...options });
  return {
    run: exec,
    async ok(args, options) {
      const r = await exec(args, options);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
      return r.stdout;
    },
  };
}

/** dig against the world DNS (asynchronous: the server usually runs in this process); the caller checks DIG first. */
export async function dig(dns: { host: string; port: number }, args: string[]): Promise<string> {
  const r = await run(DIG ?? 'dig', [`@${dns.host}`, '-p', String(dns.port), '+time=2', '+tries=1', ...args], { timeoutMs: 10_000 });
  return r.stdout;
}

/** A `lookup` for http(s).request that resolves through the given DNS server (A records). */
export function lookupVia(dns: { host: string; port: number }): LookupFunction {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`${dns.host}:${dns.port}`]);
  return ((hostname: string, options: { all?: boolean }, callback: (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void) => {
    resolver.resolve4(hostname).then(
      (addresses) => {
        if (options.all) callback(null, addresses.map((address) => ({ address, family: 4 })));
        else callback(null, addresses[0] ?? '', 4);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  });
}

export interface FetchResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: () => Record<string, unknown>;
  /** TLS only. */
  peer?: PeerCertificate;
  authorized?: boolean;
  authorizationError?: string;
}

/**
 * GET (or another method) over HTTP or HTTPS with real name resolution through `dns` (or a fixed
 * address), certificate verification against `ca` when given.
 */
export function fetchVia(
  url: string,
  options: { dns?: { host: string; port: number }; address?: string; ca?: string; rejectUnauthorized?: boolean; method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<FetchResult> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const lookup: LookupFunction | undefined = options.address
      ? (((_h: string, o: { all?: boolean }, cb: (err: null, a: string | { address: string; family: number }[], f?: number) => void) => {
          if (o.all) cb(null, [{ address: options.address as string, family: 4 }]);
          else cb(null, options.address as string, 4);
        }))
      : options.dns
        ? lookupVia(options.dns)
        : undefined;
    const common = {
      host: u.hostname,
      port: Number(u.port || (isHttps ? 443 : 80)),
      path: `${u.pathname}${u.search}`,
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      agent: false as const,
      ...(lookup ? { lookup } : {}),
    };
    const onResponse = (res: http.IncomingMessage): void => {
      const socket = res.socket as TLSSocket | null;
      const tls = isHttps && socket !== null && typeof socket.getPeerCertificate === 'function';
      const tlsInfo = tls ? { peer: socket.getPeerCertificate(), authorized: socket.authorized, ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}) } : {};
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as Record<string, unknown>, ...tlsInfo });
      });
    };
    const req = isHttps
      ? https.request({ ...common, servername: u.hostname, ...(options.ca ? { ca: options.ca } : {}), rejectUnauthorized: options.rejectUnauthorized ?? true }, onResponse)
      : http.request(common, onResponse);
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}
