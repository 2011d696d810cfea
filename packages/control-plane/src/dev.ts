import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { configDir, ProfileStore } from '@satusky/cli/profiles';
import type { PodTimings } from '@satusky/sim';
import { ACME_DIRECTORY, startWorld, type World } from '@satusky/world';
import { bootstrapAdmin } from './bootstrap.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { createLogger } from './logger.ts';
import { startControlPlane, type ControlPlane } from './server.ts';

export interface DevZone {
  name: string;
  displayName: string;
}

/** The zones `satusky dev` simulates unless told otherwise. */
export const DEFAULT_DEV_ZONES: DevZone[] = [
  { name: 'sim-kul-1', displayName: 'Kuala Lumpur' },
  { name: 'sim-bki-1', displayName: 'Borneo' },
];

/** `--zones sim-a,sim-b:Display Name` → zones (a DNS label each, optionally `:display name`). */
export function parseDevZones(text: string): DevZone[] {
  // `none`: no simulated world; register your own clusters (1ctl cluster register).
  if (text.trim() === 'none') return [];
  const zones = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [name = '', ...display] = part.split(':');
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new Error(`zone "${name}" must be a DNS label (lowercase letters, digits, hyphens)`);
      return { name, displayName: display.join(':').trim() || name };
    });
  if (zones.length === 0 || zones.length > 9) throw new Error('--zones takes 1 to 9 zones, or none');
  if (new Set(zones.map((z) => z.name)).size !== zones.length) throw new Error('--zones has a zone twice');
  return zones;
}

export interface DevOptions {
  profileName: string;
  env: NodeJS.ProcessEnv;
  print: (line: string) => void;
  zones?: DevZone[];
  /** Port of the world DNS (the "public internet" resolver). Default 8053; 0 picks a free one. */
  worldDnsPort?: number;
  /** Simulated pod start-up delays (tests use zero). */
  podTimings?: PodTimings;
  /** cert-manager retry backoff in the simulated clusters. */
  certRetry?: { baseMs: number; maxMs: number };
  /** An open database instead of the one the config names (tests). */
  database?: Database;
  /** Show warnings on stdout as well as in the log file (default true). */
  warningsToStdout?: boolean;
}

export interface DevEnvironment {
  controlPlane: ControlPlane;
  /** Null with `--zones none`. */
  world: World | null;
  kubeconfigPath: string | null;
  token: string | null;
  close(): Promise<void>;
}

/**
 * `satusky dev`: a little internet on this machine. The simulated world (zones with clusters and
 * edges, a public DNS, an ACME CA) comes up first; then the control plane on embedded PGlite,
 * trusting the world's CA and resolving through its DNS; each zone's cluster is registered
 * through the same API a real cluster uses; a kubeconfig with a context per zone and a 1ctl
 * profile are written. Everything persists in the data directory.
 */
export async function startDev(config: Config, options: DevOptions): Promise<DevEnvironment> {
  const started = Date.now();
  const logFile = path.join(config.dataDir, 'logs', 'control-plane.log');
  const logger = createLogger({ level: config.logLevel, file: logFile, warningsToStdout: options.warningsToStdout ?? true });
  const zones = options.zones ?? DEFAULT_DEV_ZONES;
  await mkdir(config.dataDir, { recursive: true });

  const world = zones.length === 0 ? null : await startWorld({
    dataDir: path.join(config.dataDir, 'world'),
    zones: zones.map((z, i) => ({ name: z.name, displayName: z.displayName, edgeAddress: `127.0.${i + 1}.1`, nodes: 3 })),
    httpPort: config.edgeHttpPort,
    httpsPort: config.edgeHttpsPort,
    dnsPort: options.worldDnsPort ?? 8053,
    platformZone: { domain: config.platformDomain },
    // Pods take a moment to start, as they do anywhere; failures surface as fast as in a real cluster.
    podTimings: options.podTimings ?? { scheduleMs: 50, startMs: 300, readyMs: 300 },
    simOptions: { certManager: { retryBaseMs: options.certRetry?.baseMs ?? 1_000, retryMaxMs: options.certRetry?.maxMs ?? 30_000 } },
    logger: (level, message, fields) => {
      const log = logger.child({ component: 'world' });
      if (level === 'error') log.error(fields ?? {}, message);
      else if (level === 'warn') log.warn(fields ?? {}, message);
      else log.debug(fields ?? {}, message);
    },
  });

  let controlPlane: ControlPlane;
  try {
    const devConfig: Config = !world ? config : {
      ...config,
      // With port 0 the world chose the edge ports; probes and checks must use the same ones.
      edgeHttpPort: world.httpPort,
      edgeHttpsPort: world.httpsPort,
      domains: {
        ...config.domains,
        // The world is this machine's internet: its DNS is the public resolver, its CA is trusted,
        // and its edges live on loopback addresses the checker may probe.
        resolvers: config.domains.resolvers.length ? config.domains.resolvers : [`${world.dns.host}:${world.dns.port}`],
        trustedCaFiles: [...config.domains.trustedCaFiles, world.ca.rootCaPath],
        probeAllowedCidrs: [...config.domains.probeAllowedCidrs, '127.0.0.0/8'],
        acme: { ...config.domains.acme, server: ACME_DIRECTORY },
      },
    };
    controlPlane = await startControlPlane(devConfig, { logger, ...(options.database ? { database: options.database } : {}) });
  } catch (error) {
    await world?.stop();
    throw error;
  }
  const url = controlPlane.url ?? config.publicUrl;
  if (world && controlPlane.dns.address) world.setPlatformUpstream(controlPlane.dns.address);

  const store = new ProfileStore(configDir(options.env));
  const existing = await store.read(options.profileName);
  const sameServer = existing?.api_url === url;
  const boot = await bootstrapAdmin(controlPlane.database, {
    adminEmail: config.adminEmail,
    orgName: 'Development',
    orgSlug: 'dev',
    existingToken: sameServer ? (existing.token ?? null) : null,
    now: new Date(),
  });
  if (boot.token) {
    await store.write(options.profileName, {
      api_url: url,
      token: boot.token.token,
      email: boot.adminEmail,
      user_id: boot.token.user_id,
      current_org_id: boot.organization.id,
      current_org_name: boot.organization.name,
      organization: boot.organization.slug,
    });
  }
  if (!(await store.active())) await store.setActive(options.profileName);
  const token = boot.token?.token ?? existing?.token ?? null;

  // Register (or refresh) every zone through the API, exactly as an operator registers a real cluster.
  if (world && token) await registerZones(controlPlane, world, zones, token);
  const kubeconfigPath = world ? path.join(config.dataDir, 'kubeconfig') : null;
  if (world && kubeconfigPath) await world.writeKubeconfig(kubeconfigPath, { currentContext: zones[0]!.name });

  const p = options.print;
  p('');
  p(`Satusky is up (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  p(`  Dashboard    ${url}/`);
  p(`  API          ${url}/v1   (OpenAPI: ${url}/v1/openapi.json)`);
  if (boot.token) {
    p(`  Admin token  ${boot.token.token}`);
    p('               shown once; saved in the 1ctl profile below');
  } else {
    p('  Admin token  unchanged (the one in the 1ctl profile below still works)');
  }
  p(`  1ctl         profile "${options.profileName}" in ${store.dir}  →  npx 1ctl auth status`);
  if (world) {
    p(`  Zones        ${world.zones.map((z) => `${z.name} (${z.displayName}) edge ${z.edgeAddress}:${world.httpPort}/${world.httpsPort}`).join(', ')}`);
    p(`  Kubeconfig   ${kubeconfigPath}`);
    p(`               kubectl --kubeconfig ${kubeconfigPath} --context ${zones[0]!.name} get pods -A`);
    p(`  Public DNS   ${world.dns.host}:${world.dns.port}  →  dig @${world.dns.host} -p ${world.dns.port} <app>-dev.${config.platformDomain}`);
    p(`  World CA     ${world.ca.rootCaPath}  (curl --cacert it, with --resolve or the DNS above)`);
    p(`  World API    ${world.controlUrl}  →  npx satusky-world --data-dir ${path.join(config.dataDir, 'world')} status`);
  } else {
    p('  Zones        none simulated (--zones none): register clusters with 1ctl cluster register');
  }
  p(`  Data         ${config.dataDir}   Logs ${logFile}`);
  p('');
  p(`Deploy something:  npx 1ctl deploy --name hello --image ghcr.io/acme/hello:1 --wait`);
  p('');

  return {
    controlPlane,
    world,
    kubeconfigPath,
    token,
    async close() {
      await controlPlane.close();
      await world?.stop();
      logger.flush();
    },
  };
}

interface RegisteredCluster {
  id: string;
  name: string;
  edge_address: string | null;
}

async function registerZones(cp: ControlPlane, world: World, zones: DevZone[], token: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}` };
  const listed = await cp.app.inject({ method: 'GET', url: '/v1/clusters', headers });
  if (listed.statusCode !== 200) throw new Error(`cannot list clusters: ${listed.statusCode} ${listed.body}`);
  const existing = (JSON.parse(listed.body) as { items: RegisteredCluster[] }).items;
  for (const [i, zone] of zones.entries()) {
    const simZone = world.zone(zone.name);
    const kubeconfig = simZone.cluster.kubeconfig();
    const found = existing.find((c) => c.name === zone.name);
    const response = found
      ? await cp.app.inject({ method: 'PATCH', url: `/v1/clusters/${found.id}`, headers, payload: { kubeconfig, edge_address: simZone.edgeAddress } })
      : await cp.app.inject({
          method: 'POST',
          url: '/v1/clusters',
          headers,
          payload: {
            name: zone.name,
            zone: zone.name,
            display_name: zone.displayName,
            region: 'sim',
            priority: (i + 1) * 10,
            is_default: i === 0,
            labels: { 'satusky.com/simulated': 'true' },
            kubeconfig,
            edge_address: simZone.edgeAddress,
            gateway_class: 'sim',
            ingress_class: 'sim',
          },
        });
    if (response.statusCode >= 300) throw new Error(`registering ${zone.name} failed: ${response.statusCode} ${response.body}`);
  }
}
