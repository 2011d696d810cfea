// The simulated world: zones (a simulated cluster each, behind its own edge on 127.0.N.1), the
// world DNS with its registrar, the ACME-style CA with the root everyone trusts, somebody else's web
// server, faults, and a control API. `startWorld` is the entry point.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_GATEWAY_CONTROLLER, startSimCluster, writeMergedKubeconfig, type Logger, type SimCluster } from '@satusky/sim';
import { ChallengeStore } from './acme/challenges.ts';
import { WorldAcmeIssuer, type ValidationAttempt } from './acme/issuer.ts';
import { loadOrCreateRootCa, selfSignedCertificate, type RootCa } from './acme/root-ca.ts';
import { startControlServer, type ControlServer } from './control/server.ts';
import { WorldDns } from './dns/server.ts';
import { Registrar, type RegistrarData } from './dns/registrar.ts';
import { Edge, type EdgePorts } from './edge/edge.ts';
import { WorldError } from './errors.ts';
import { createFaults, type WorldFaults, type ZoneFaultState } from './faults.ts';
import { resolveWorldOptions, type HostPort, type ResolvedWorldOptions, type WorldOptions } from './options.ts';
import { ParkedHost } from './parked.ts';
import { syncBackups } from './velero-sync.ts';
import { errorMessage } from './util/json.ts';
import { atomicWrite, isAddressInUse, tcpPortFree } from './util/net.ts';
import { readJson, readStateFile, STATE_FILE, type WorldStateFile } from './state.ts';

export { readStateFile, STATE_FILE, type WorldStateFile } from './state.ts';

export const REGISTRAR_FILE = 'registrar.json';

export interface WorldZone {
  /** Cluster name and kubeconfig context. */
  readonly name: string;
  /** topology.kubernetes.io/zone of the nodes. */
  readonly zone: string;
  readonly displayName: string;
  readonly edgeAddress: string;
  readonly cluster: SimCluster;
  readonly edge: Edge;
}

export interface ZoneStatus {
  name: string;
  zone: string;
  displayName: string;
  edgeAddress: string;
  apiUrl: string;
  apiPort: number;
  edge: { up: boolean; http: string; https: string };
  nodes: { total: number; ready: number };
  faults: ZoneFaultState;
}

export interface WorldStatus {
  dataDir: string | null;
  controlUrl: string;
  dns: HostPort;
  httpPort: number;
  httpsPort: number;
  rootCaPath: string;
  platformZone: { domain: string; upstream: HostPort | null } | null;
  parked: { address: string; up: boolean };
  zones: ZoneStatus[];
  registrar: { zones: string[]; records: number };
  acme: { issued: number; recent: ValidationAttempt[] };
}

export class World {
  readonly zones: readonly WorldZone[];
  readonly registrar: Registrar;
  readonly faults: WorldFaults;
  readonly ca: { readonly certificatePem: string; readonly rootCaPath: string };
  readonly parked: ParkedHost;
  readonly dataDir: string | undefined;
  readonly #o: ResolvedWorldOptions;
  readonly #dns: WorldDns;
  readonly #root: RootCa;
  readonly #issuer: WorldAcmeIssuer;
  readonly #log: Logger;
  #ports: EdgePorts = { http: 0, https: 0 };
  #control: ControlServer | undefined;
  #saving: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #veleroSync: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #startedAt = new Date().toISOString();

  /** @internal Use `startWorld`. */
  constructor(parts: { options: ResolvedWorldOptions; zones: WorldZone[]; registrar: Registrar; dns: WorldDns; root: RootCa; issuer: WorldAcmeIssuer; parked: ParkedHost; log: Logger }) {
    this.#o = parts.options;
    this.dataDir = parts.options.dataDir;
    this.zones = parts.zones;
    this.registrar = parts.registrar;
    this.#dns = parts.dns;
    this.#root = parts.root;
    this.#issuer = parts.issuer;
    this.parked = parts.parked;
    this.#log = parts.log;
    this.ca = { certificatePem: parts.root.certificatePem, rootCaPath: parts.root.path };
    this.faults = createFaults({ zone: (name) => this.zone(name), startEdge: (z) => this.#startEdge(z) });
    // The zones share one Velero bucket: completed backups appear everywhere (see velero-sync.ts).
    this.#veleroSync = setInterval(() => {
      try {
        syncBackups(this.zones);
      } catch (err) {
        this.#log('warn', 'velero backup sync failed', { error: errorMessage(err) });
      }
    }, 500);
    this.#veleroSync.unref();
    if (this.dataDir) {
      const path = join(this.dataDir, REGISTRAR_FILE);
      this.#unsubscribe = this.registrar.onChange(() => {
        const data = `${JSON.stringify(this.registrar.data(), null, 2)}\n`;
        this.#saving = this.#saving
          .then(() => atomicWrite(path, data))
          .catch((err: unknown) => this.#log('error', 'saving the registrar failed', { error: errorMessage(err) }));
      });
    }
  }

  /** The world DNS address (UDP and TCP). */
  get dns(): HostPort {
    return this.#dns.address;
  }

  get httpPort(): number {
    return this.#ports.http;
  }

  get httpsPort(): number {
    return this.#ports.https;
  }

  get controlUrl(): string {
    return this.#control?.url ?? '';
  }

  get platformZone(): { domain: string; upstream: HostPort | undefined } | undefined {
    const domain = this.#dns.platformDomain;
    return domain ? { domain, upstream: this.#dns.upstream } : undefined;
  }

  /** The ACME CA's recent validations. */
  get acme(): WorldAcmeIssuer {
    return this.#issuer;
  }

  zone(name: string): WorldZone {
    const z = this.zones.find((x) => x.name === name);
    if (!z) throw new WorldError('UnknownZone', `no zone "${name}" in this world (zones: ${this.zones.map((x) => x.name).join(', ')})`);
    return z;
  }

  /** Where names of the platform zone are forwarded (the control plane's DNS); undefined stops forwarding (SERVFAIL). */
  setPlatformUpstream(upstream: HostPort | undefined): void {
    if (!this.#dns.platformDomain) throw new WorldError('InvalidArgument', 'this world has no platform zone (start it with platformZone)');
    if (upstream && (!Number.isInteger(upstream.port) || upstream.port < 1 || upstream.port > 65_535 || upstream.host === '')) {
      throw new WorldError('InvalidArgument', `invalid upstream ${upstream.host}:${String(upstream.port)}`);
    }
    this.#dns.setUpstream(upstream);
    this.#writeState().catch((err: unknown) => this.#log('warn', 'writing world.json failed', { error: errorMessage(err) }));
  }

  /** One kubeconfig with a context per zone (context name = zone name). */
  async writeKubeconfig(path: string, options: { merge?: boolean; currentContext?: string } = {}): Promise<void> {
    const clusters = this.zones.map((z) => z.cluster);
    await writeMergedKubeconfig(path, clusters, {
      contextNames: Object.fromEntries(this.zones.map((z) => [z.cluster.name, z.name])),
      ...(options.merge ? { merge: true } : {}),
      ...(options.currentContext ? { currentContext: options.currentContext } : {}),
    });
  }

  zoneStatus(name: string): ZoneStatus {
    const z = this.zone(name);
    const nodes = z.cluster.nodeNames().map((n) => z.cluster.objects.get({ apiVersion: 'v1', kind: 'Node', name: n }));
    const ready = nodes.filter((n) => {
      const conditions = (n?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    }).length;
    return {
      name: z.name,
      zone: z.zone,
      displayName: z.displayName,
      edgeAddress: z.edgeAddress,
      apiUrl: z.cluster.url,
      apiPort: z.cluster.port,
      edge: { up: z.edge.up, http: `http://${z.edgeAddress}:${this.httpPort}`, https: `https://${z.edgeAddress}:${this.httpsPort}` },
      nodes: { total: nodes.length, ready },
      faults: this.faults.state(name),
    };
  }

  status(): WorldStatus {
    const platform = this.platformZone;
    return {
      dataDir: this.dataDir ?? null,
      controlUrl: this.controlUrl,
      dns: this.dns,
      httpPort: this.httpPort,
      httpsPort: this.httpsPort,
      rootCaPath: this.ca.rootCaPath,
      platformZone: platform ? { domain: platform.domain, upstream: platform.upstream ?? null } : null,
      parked: { address: this.parked.address, up: this.parked.up },
      zones: this.zones.map((z) => this.zoneStatus(z.name)),
      registrar: { zones: this.registrar.zones(), records: this.registrar.list().length },
      acme: { issued: this.#issuer.issuedCount, recent: this.#issuer.attempts().slice(-20) },
    };
  }

  async #startEdge(z: WorldZone): Promise<void> {
    if (this.#stopped) throw new WorldError('NotRunning', 'the world is stopped');
    await z.edge.start(this.#ports);
  }

  /** @internal Binds every edge and the parked host on shared ports (0 = pick for the first edge, reuse for the others). */
  async bindEdges(): Promise<void> {
    const targets: { address: string; start: (p: EdgePorts) => Promise<EdgePorts | void>; stop: () => Promise<void> }[] = [
      ...this.zones.map((z) => z.edge),
      { address: this.parked.address, start: (p: EdgePorts) => this.parked.start(p), stop: () => this.parked.stop() },
    ];
    const pick = this.#o.httpPort === 0 || this.#o.httpsPort === 0;
    for (let attempt = 0; ; attempt++) {
      let ports: EdgePorts = { http: this.#o.httpPort, https: this.#o.httpsPort };
      const started: typeof targets = [];
      let current = targets[0];
      try {
        for (const t of targets) {
          current = t;
          const bound = await t.start(ports);
          started.push(t);
          if (bound) ports = bound;
        }
        this.#ports = ports;
        return;
      } catch (err) {
        await Promise.all(started.map((t) => t.stop()));
        if (pick && isAddressInUse(err) && attempt < 20) continue;
        const where = current ? current.address : '?';
        throw new Error(`cannot listen on ${where} (HTTP ${ports.http}, HTTPS ${ports.https}): ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  /** @internal */
  async startControl(): Promise<void> {
    this.#control = await startControlServer(this, { host: this.#o.host, port: this.#o.controlPort, log: this.#log });
  }

  #state(stopped: boolean): WorldStateFile {
    const platform = this.platformZone;
    return {
      format: 'satusky-world/v1',
      running: !stopped,
      pid: process.pid,
      startedAt: this.#startedAt,
      ...(stopped ? { stoppedAt: new Date().toISOString() } : {}),
      controlUrl: this.controlUrl,
      dns: this.dns,
      httpPort: this.httpPort,
      httpsPort: this.httpsPort,
      rootCaPath: this.ca.rootCaPath,
      parkedAddress: this.parked.address,
      platformZone: platform ? { domain: platform.domain, upstream: platform.upstream ?? null } : null,
      zones: this.zones.map((z) => ({ name: z.name, zone: z.zone, displayName: z.displayName, edgeAddress: z.edgeAddress, apiUrl: z.cluster.url, apiPort: z.cluster.port })),
    };
  }

  /** Writes world.json (with a data directory). */
  async #writeState(state?: WorldStateFile): Promise<void> {
    if (!this.dataDir || (this.#stopped && !state)) return;
    await atomicWrite(join(this.dataDir, STATE_FILE), `${JSON.stringify(state ?? this.#state(false), null, 2)}\n`);
  }

  /** @internal */
  writeState(): Promise<void> {
    return this.#writeState();
  }

  /** Stops everything (clusters save their state with a data directory); world.json says it stopped. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    const finalState = this.#state(true);
    this.#stopped = true;
    clearInterval(this.#veleroSync);
    this.#unsubscribe?.();
    await this.#control?.close();
    // Clusters first: their controllers stop (and abort issuances in flight) while DNS and edges still answer.
    await Promise.all(this.zones.map((z) => z.cluster.stop()));
    await Promise.all([...this.zones.map((z) => z.edge.dispose()), this.parked.stop(), this.#dns.stop()]);
    await this.#saving;
    await this.#writeState(finalState).catch((err: unknown) => this.#log('warn', 'writing world.json failed', { error: errorMessage(err) }));
    await this.#root.dispose();
  }
}

/** Starts a world: DNS, zones (clusters and edges), the parked host, the control API. */
export async function startWorld(options: WorldOptions): Promise<World> {
  const o = resolveWorldOptions(options);
  const log: Logger = options.logger ?? (() => undefined);
  if (o.dataDir) await mkdir(o.dataDir, { recursive: true });
  const previous = o.dataDir
    ? await readStateFile(o.dataDir).catch((err: unknown) => {
        log('warn', 'ignoring an unreadable world.json', { error: errorMessage(err) });
        return undefined;
      })
    : undefined;
  const registrarData = o.dataDir ? ((await readJson(join(o.dataDir, REGISTRAR_FILE))) as RegistrarData | undefined) : undefined;
  const registrar = new Registrar({ reserved: o.platformZone ? [o.platformZone.domain] : [], ...(registrarData ? { data: registrarData } : {}) });
  const [root, defaultCertificate] = await Promise.all([loadOrCreateRootCa(o.dataDir), selfSignedCertificate('edge.world.satusky.invalid')]);

  const dns = new WorldDns({
    host: o.host,
    port: o.dnsPort,
    registrar,
    ...(o.platformZone ? { platformDomain: o.platformZone.domain, ...(o.platformZone.upstream ? { upstream: o.platformZone.upstream } : {}) } : {}),
    upstreamTimeoutMs: o.upstreamTimeoutMs,
    log,
  });
  const challenges = new ChallengeStore();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let world: World | undefined;
  const issuer = new WorldAcmeIssuer({
    authority: () => root.authority,
    challenges,
    ready,
    dns: () => dns.address,
    httpPort: () => world?.httpPort ?? o.httpPort,
    timeoutMs: o.challengeTimeoutMs,
    log,
  });

  const apiPortOf = async (z: ResolvedWorldOptions['zones'][number]): Promise<number> => {
    if (z.apiPort !== undefined) return z.apiPort;
    const before = previous?.zones.find((p) => p.name === z.name)?.apiPort;
    return before && (await tcpPortFree(o.host, before)) ? before : 0;
  };
  const started: SimCluster[] = [];
  const parked = new ParkedHost(o.parkedAddress, defaultCertificate);
  try {
    const [results, dnsError] = await Promise.all([
      Promise.allSettled(
        o.zones.map(async (z) => {
          const cluster = await startSimCluster({
            logger: log,
            ...o.simOptions,
            name: z.name,
            zone: z.zone,
            ...(z.region ? { region: z.region } : {}),
            nodes: z.nodes,
            host: o.host,
            port: await apiPortOf(z),
            ...(o.dataDir ? { dataDir: join(o.dataDir, 'zones', z.name) } : {}),
            gatewayAddress: z.edgeAddress,
            ...(o.podTimings ? { podTimings: o.podTimings } : {}),
            certificateIssuer: issuer,
          });
          started.push(cluster);
          return cluster;
        }),
      ),
      dns.start().then(
        () => undefined,
        (err: unknown) => err,
      ),
    ]);
    if (dnsError !== undefined) throw new Error(`the world DNS cannot listen on ${o.host}:${o.dnsPort}: ${errorMessage(dnsError)}`, { cause: dnsError });
    const clusters = results.map((r, i) => {
      if (r.status === 'rejected') throw new Error(`zone ${o.zones[i]?.name ?? i} did not start: ${errorMessage(r.reason)}`, { cause: r.reason });
      return r.value;
    });
    const zones: WorldZone[] = o.zones.map((z, i) => {
      const cluster = clusters[i] as SimCluster;
      return {
        name: z.name,
        zone: z.zone,
        displayName: z.displayName,
        edgeAddress: z.edgeAddress,
        cluster,
        edge: new Edge({
          zone: z.zone,
          address: z.edgeAddress,
          cluster,
          challenges,
          defaultCertificate,
          gatewayControllerNames: o.simOptions.gatewayControllerNames ?? [DEFAULT_GATEWAY_CONTROLLER],
          log,
        }),
      };
    });
    world = new World({ options: o, zones, registrar, dns, root, issuer, parked, log });
    await world.bindEdges();
    await world.startControl();
    await world.writeState();
    markReady();
    const w = world;
    log('info', 'world started', { zones: zones.map((z) => `${z.name}@${z.edgeAddress}`), dns: w.dns, http: w.httpPort, https: w.httpsPort, control: w.controlUrl });
    return w;
  } catch (err) {
    markReady();
    const cleanup = world ? world.stop() : Promise.all([dns.stop(), parked.stop(), ...started.map((c) => c.stop())]).then(() => root.dispose());
    await cleanup.catch((cleanupErr: unknown) => log('error', 'cleaning up a world that failed to start failed too', { error: errorMessage(cleanupErr) }));
    throw err;
  }
}
