import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppStatus } from '@satusky/contracts';
import type { World } from '@satusky/world';
import type { Config } from '../src/config.ts';
import { startDev, type DevEnvironment } from '../src/dev.ts';
import { createTestDatabase, testConfig, waitFor } from './helpers.ts';

export interface WorldHarness {
  dev: DevEnvironment;
  world: World;
  /** The dev org (the bootstrap admin's). */
  org: string;
  token: string;
  api<T = unknown>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T; text: string }>;
  status(app: string): Promise<AppStatus>;
  waitForStatus(app: string, accept: (s: AppStatus) => boolean, options?: { timeoutMs?: number; message?: string }): Promise<AppStatus>;
  /** Resolves a name through the world DNS (the public internet of this world). */
  resolve(hostname: string): Promise<string[]>;
  /** GET https://host/path the way a browser would: world DNS, the edge's HTTPS port, verified against the world root CA. */
  fetchHttps(hostname: string, urlPath?: string, options?: { address?: string; timeoutMs?: number }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; zone: string | undefined; issuer: string }>;
  close(): Promise<void>;
}

/**
 * `satusky dev` itself, on free ports in a temporary directory: the simulated world (zones,
 * edges, DNS, CA) and the control plane with its controllers, clusters registered through the
 * API. What `npm start` runs, under test.
 */
export async function startWorldHarness(options: {
  zones: string[];
  probeIntervalMs?: number;
  config?: Partial<Omit<Config, 'controllers' | 'domains'>> & { controllers?: Partial<Config['controllers']>; domains?: Partial<Config['domains']> };
}): Promise<WorldHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'satusky-world-e2e-'));
  const database = await createTestDatabase();
  const probe = options.probeIntervalMs ?? 300;
  const base = testConfig();
  const config: Config = {
    ...base,
    mode: 'dev',
    dataDir,
    runControllers: true,
    edgeHttpPort: 0,
    edgeHttpsPort: 0,
    dns: { host: '127.0.0.1', port: 0, ttl: 1 },
    ...options.config,
    // Nested settings merge: a test changes one value without restating the others.
    controllers: {
      ...base.controllers,
      probeIntervalMs: probe,
      // Generous: on a busy two-core machine a fresh zone must not look offline.
      probeTimeoutMs: 2_000,
      pollIntervalMs: 200,
      resyncIntervalMs: 3_000,
      leaseTtlMs: 3_000,
      ...options.config?.controllers,
    },
    domains: { ...base.domains, dnsChecks: true, checkIntervalMs: 300, ...options.config?.domains },
  };
  const dev = await startDev(config, {
    profileName: 'e2e',
    env: { SATUSKY_CONFIG_DIR: path.join(dataDir, 'config') },
    print: () => {},
    zones: options.zones.map((name) => ({ name, displayName: name })),
    worldDnsPort: 0,
    podTimings: {},
    certRetry: { baseMs: 200, maxMs: 1_000 },
    database,
    warningsToStdout: false,
  });
  if (!dev.token) throw new Error('satusky dev did not produce an admin token');
  const token = dev.token;
  if (!dev.world) throw new Error('satusky dev started without a world');
  const world = dev.world;
  const cp = dev.controlPlane;
  const me = await cp.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
  const org = (JSON.parse(me.body) as { organization: { organization_id: string } }).organization.organization_id;
  const ca = await readFile(world.ca.rootCaPath, 'utf8');
  const resolver = new Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([`${world.dns.host}:${world.dns.port}`]);

  const api: WorldHarness['api'] = async (method, url, body) => {
    const response = await cp.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: response.statusCode, body: (response.body ? JSON.parse(response.body) : null) as never, text: response.body };
  };
  const status = async (app: string) => (await api<AppStatus>('GET', `/v1/orgs/${org}/apps/${app}/status`)).body;

  return {
    dev,
    world,
    org,
    token,
    api,
    status,
    async waitForStatus(app, accept, waitOptions = {}) {
      let last: AppStatus | null = null;
      try {
        return await waitFor(
          async () => {
            last = await status(app);
            return accept(last) ? last : null;
          },
          { timeoutMs: waitOptions.timeoutMs ?? 30_000, intervalMs: 100, message: waitOptions.message ?? `status of ${app}` },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; last status: ${JSON.stringify(last, null, 1)}`, { cause: error });
      }
    },
    async resolve(hostname) {
      try {
        return (await resolver.resolve4(hostname)).sort();
      } catch (error) {
        if (['ENOTFOUND', 'ENODATA'].includes((error as NodeJS.ErrnoException).code ?? '')) return [];
        throw error;
      }
    },
    fetchHttps(hostname, urlPath = '/', fetchOptions = {}) {
      return new Promise((resolve, reject) => {
        const request = https.request(
          {
            host: hostname,
            port: world.httpsPort,
            path: urlPath,
            method: 'GET',
            ca,
            agent: false,
            timeout: fetchOptions.timeoutMs ?? 3_000,
            // Name resolution through the world DNS, as a client on this little internet would.
            lookup: (name, opts, callback) => {
              // Node asks for every address (`all`) when it races IPv4 and IPv6; answer in that shape.
              const answer = (address: string) =>
                (opts as { all?: boolean }).all ? (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family: 4 }]) : callback(null, address, 4);
              if (fetchOptions.address) return answer(fetchOptions.address);
              resolver.resolve4(name).then(
                (addresses) => (addresses[0] ? answer(addresses[0]) : callback(Object.assign(new Error(`${name}: no address`), { code: 'ENOTFOUND' }), '', 4)),
                (error: Error) => callback(error as NodeJS.ErrnoException, '', 4),
              );
            },
          },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => {
              const cert = (response.socket as TLSSocket).getPeerCertificate?.();
              resolve({
                status: response.statusCode ?? 0,
                headers: response.headers,
                body,
                zone: typeof response.headers['x-satusky-zone'] === 'string' ? response.headers['x-satusky-zone'] : undefined,
                issuer: String(cert?.issuer?.CN ?? ''),
              });
            });
          },
        );
        request.on('timeout', () => request.destroy(new Error('timeout')));
        request.on('error', reject);
        request.end();
      });
    },
    async close() {
      await dev.close();
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
