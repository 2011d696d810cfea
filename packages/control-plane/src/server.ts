import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { countApps } from './apps/service.ts';
import { createClusterAccess } from './controllers/cluster-access.ts';
import { DomainProber } from './controllers/domain-probe.ts';
import { ControllerManager } from './controllers/manager.ts';
import { createKeyring } from './core/keyring.ts';
import { PlatformDns } from './dns/server.ts';
import { openDatabase, type Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { buildApp } from './http/app.ts';
import type { App, AppDeps } from './http/types.ts';

export interface ControlPlane {
  app: App;
  database: Database;
  deps: AppDeps;
  controllers: ControllerManager | null;
  /** The platform zone's authoritative DNS server (started when the control plane listens). */
  dns: PlatformDns;
  /** Set once listening. */
  url: string | null;
  close(): Promise<void>;
}

/**
 * The composition root: configuration in, a running control plane out. Opens the database,
 * applies migrations, builds the services and the HTTP app, and listens unless told not to.
 */
export async function startControlPlane(
  config: Config,
  options: { logger: Logger; listen?: boolean; database?: Database; /** The dashboard build to serve at `/`; null serves none. Default packages/dashboard/dist. */ dashboardDir?: string | null },
): Promise<ControlPlane> {
  const database = options.database ?? (await openDatabase(config.database));
  try {
    const migrations = await migrate(database);
    if (migrations.applied.length > 0) options.logger.info({ applied: migrations.applied }, 'database migrated');
    const keyring = createKeyring(config.masterKeys);
    const clock = () => new Date();
    const access = createClusterAccess(database, keyring, { timeoutMs: 10_000 });
    const staleAfterMs = Math.max(6_000, config.controllers.probeIntervalMs * 3);
    const prober = new DomainProber({
      resolvers: config.domains.resolvers,
      trustedCaFiles: config.domains.trustedCaFiles,
      probeAllowedCidrs: config.domains.probeAllowedCidrs,
      timeoutMs: 2_000,
    });
    const controllers = config.runControllers
      ? new ControllerManager({
          database,
          keyring,
          access,
          log: options.logger.child({ component: 'controllers' }),
          clock,
          options: config.controllers,
          traffic: {
            intervalMs: config.controllers.probeIntervalMs,
            singleZoneProbeMs: Math.max(5_000, config.controllers.probeIntervalMs * 5),
            edgeHttpPort: config.edgeHttpPort,
            probeTimeoutMs: Math.max(500, Math.min(2_000, config.controllers.probeIntervalMs)),
            dnsTtl: config.dns.ttl,
            staleAfterMs,
            concurrency: 16,
          },
          routing: { tls: config.domains.tls, acme: config.domains.acme },
          domains: { prober, options: { intervalMs: config.domains.checkIntervalMs, dnsChecks: config.domains.dnsChecks, concurrency: 8 } },
        })
      : null;
    const dns = new PlatformDns(database, { origin: config.platformDomain, host: config.dns.host, port: config.dns.port, refreshMs: 200, negativeTtl: config.dns.ttl }, options.logger.child({ component: 'dns' }));
    const deps: AppDeps = {
      database,
      keyring,
      clock,
      rateLimitPerMinute: config.rateLimitPerMinute,
      signInRateLimitPerMinute: config.signInRateLimitPerMinute,
      ownedResourceCounters: [countApps],
      platformDomain: config.platformDomain,
      // Three missed probes: a cluster silent for longer is Unknown, never green.
      staleAfterMs,
      wake: (clusterIds, deploymentIds) => controllers?.wake(clusterIds, deploymentIds),
      clusters: access,
      domains: { settings: config.domains, prober, edgeHttpsPort: config.edgeHttpsPort, dnsTtlMs: config.dns.ttl * 1000 },
    };
    const app = await buildApp(deps, { logger: options.logger, ...(options.dashboardDir !== undefined ? { dashboardDir: options.dashboardDir } : {}) });
    let url: string | null = null;
    if (options.listen !== false) {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = config.port === 0 ? config.publicUrl.replace(/:0(?=$|\/)/, `:${port}`) : config.publicUrl;
    }
    if (options.listen !== false) await dns.start();
    await controllers?.start();
    return {
      app,
      database,
      deps,
      url,
      controllers,
      dns,
      async close() {
        await controllers?.stop();
        await dns.stop();
        await app.close();
        if (!options.database) await database.close();
      },
    };
  } catch (error) {
    if (!options.database) await database.close();
    throw error;
  }
}
