import { DEFAULT_GATEWAY_CLASS, DEFAULT_INGRESS_CLASS, startSimCluster, type SimCluster, type SimClusterOptions } from '@satusky/sim';
import type { AppStatus } from '@satusky/contracts';
import type { Config } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { startControlPlane, type ControlPlane } from '../src/server.ts';
import { authHeaders, captureLogs, createTenant, createTestDatabase, testConfig, waitFor, type Tenant } from './helpers.ts';

export interface Zone {
  sim: SimCluster;
  clusterId: string;
  zone: string;
}

export interface Harness {
  cp: ControlPlane;
  zones: Zone[];
  tenant: Tenant;
  logs: string[];
  /** An API call as the tenant (a platform admin of its own org), through app.inject. */
  api<T = unknown>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T; text: string }>;
  status(app: string): Promise<AppStatus>;
  waitForStatus(app: string, accept: (s: AppStatus) => boolean, options?: { timeoutMs?: number; message?: string }): Promise<AppStatus>;
  close(): Promise<void>;
}

/** Timings that keep failure scenarios to a second or two. */
export const FAST_PODS: SimClusterOptions['podTimings'] = {
  crashRunMs: 30,
  crashBackoffMs: 100,
  crashBackoffMaxMs: 400,
  pullBackoffMs: 100,
  slowStartMs: 500,
};

/**
 * Simulated clusters, each registered through the API exactly as an operator registers a real one,
 * and a control plane with its controllers running against them.
 */
export async function startHarness(options: {
  zones: string[];
  simOptions?: Partial<SimClusterOptions>;
  probeIntervalMs?: number;
  listen?: boolean;
  /** Domain settings on top of the test defaults (resolvers, routing mode, DNS checks). */
  domains?: Partial<Config['domains']>;
  /** Edge addresses registered per zone (index-aligned with `zones`). */
  edgeAddresses?: string[];
  /** Controller timings on top of the fast test defaults below. */
  controllers?: Partial<Config['controllers']>;
  /** A database of the caller's (closed by the caller); default: a fresh test database. */
  database?: Database;
}): Promise<Harness> {
  const sims = await Promise.all(
    options.zones.map((zone) => startSimCluster({ name: zone, zone, nodes: 2, podTimings: FAST_PODS, ...options.simOptions })),
  );
  const database = options.database ?? (await createTestDatabase());
  const { logger, lines } = captureLogs();
  const cp = await startControlPlane(
    testConfig({
      runControllers: true,
      controllers: {
        probeIntervalMs: options.probeIntervalMs ?? 300,
        probeTimeoutMs: 1_500,
        resyncIntervalMs: 3_000,
        pollIntervalMs: 200,
        concurrencyPerCluster: 4,
        leaseTtlMs: 3_000,
        slowApiMs: 1_500,
        massDeletionRatio: 0.1,
        ...options.controllers,
      },
      domains: { ...testConfig().domains, ...options.domains },
    }),
    { logger, database, listen: options.listen ?? false },
  );
  const tenant = await createTenant(database, 'e2e');
  await database.db.updateTable('users').set({ is_platform_admin: true }).where('id', '=', tenant.userId).execute();

  const api: Harness['api'] = async (method, url, body) => {
    const response = await cp.app.inject({
      method: method as 'GET',
      url,
      headers: authHeaders(tenant.token),
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, text: response.body };
  };

  const zones: Zone[] = [];
  for (const [i, sim] of sims.entries()) {
    const registered = await api<{ id: string }>('POST', '/v1/clusters', {
      name: sim.name,
      zone: sim.zone,
      display_name: sim.zone,
      priority: (i + 1) * 10,
      is_default: i === 0,
      kubeconfig: sim.kubeconfig(),
      gateway_class: DEFAULT_GATEWAY_CLASS,
      ingress_class: DEFAULT_INGRESS_CLASS,
      ...(options.edgeAddresses?.[i] ? { edge_address: options.edgeAddresses[i] } : {}),
    });
    if (registered.status !== 201) throw new Error(`cluster registration failed: ${registered.text}`);
    zones.push({ sim, clusterId: registered.body.id, zone: sim.zone });
  }

  const status = async (app: string) => (await api<AppStatus>('GET', `/v1/orgs/${tenant.orgId}/apps/${app}/status`)).body;
  return {
    cp,
    zones,
    tenant,
    logs: lines,
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
          { timeoutMs: waitOptions.timeoutMs ?? 20_000, intervalMs: 100, message: waitOptions.message ?? `status of ${app}` },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; last status: ${JSON.stringify(last, null, 1)}`, { cause: error });
      }
    },
    async close() {
      await cp.close();
      if (!options.database) await database.close();
      await Promise.all(sims.map((s) => s.stop()));
    },
  };
}
