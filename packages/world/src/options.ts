// Options of a simulated world, their defaults and validation (pure).

import { isIP } from 'node:net';
import type { Logger, PodTimings, SimClusterOptions } from '@satusky/sim';

export interface ZoneOptions {
  /** Cluster name, kubeconfig context name and the zone's handle in the CLI (a DNS label). */
  name: string;
  /** `topology.kubernetes.io/zone` of the zone's nodes. Defaults to `name`. */
  zone?: string;
  /** `topology.kubernetes.io/region` of the zone's nodes. */
  region?: string;
  /** Human name ("Kuala Lumpur 1"). Defaults to `name`. */
  displayName?: string;
  /** Loopback address of the zone's edge. Default `127.0.<i+1>.1` for the i-th zone. */
  edgeAddress?: string;
  /** Worker nodes seeded on first start. Default 3. */
  nodes?: number;
  /** Port of the zone's Kubernetes API. Default: the port of the previous run (with a data directory) or a free one. */
  apiPort?: number;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface PlatformZoneOptions {
  /** The platform's DNS zone (e.g. `satusky.test`): names in it are forwarded to `upstream`. */
  domain: string;
  /** The control plane's authoritative DNS; can be set later with `world.setPlatformUpstream()`. */
  upstream?: HostPort;
}

/** Options passed through to every zone's simulated cluster. */
export type WorldSimOptions = Partial<Omit<SimClusterOptions, 'name' | 'zone' | 'region' | 'nodes' | 'port' | 'controlPort' | 'host' | 'dataDir' | 'gatewayAddress' | 'podTimings' | 'certificateIssuer'>>;

export interface WorldOptions {
  /** Everything persists under it (zones/<name>, registrar.json, the root CA). In memory when absent. */
  dataDir?: string;
  zones: ZoneOptions[];
  /** Bind address of the DNS server, the control API and the zones' Kubernetes APIs. Default 127.0.0.1. */
  host?: string;
  /** HTTP port of every edge (and the parked host). Default 8080; 0 picks a free one. */
  httpPort?: number;
  /** HTTPS port of every edge (and the parked host). Default 8443; 0 picks a free one. */
  httpsPort?: number;
  /** Port of the world DNS (UDP and TCP). Default 8053; 0 picks a free one. */
  dnsPort?: number;
  /** Port of the world control API. Default 0 (a free one). */
  controlPort?: number;
  /** Address of "somebody else's web server" (a parked-domain page). Default 127.0.99.1. */
  parkedAddress?: string;
  platformZone?: PlatformZoneOptions;
  podTimings?: PodTimings;
  simOptions?: WorldSimOptions;
  acme?: {
    /** Budget of each HTTP-01 validation step (DNS lookup, then the HTTP GET). Default 5000 ms. */
    challengeTimeoutMs?: number;
  };
  /** How long the world DNS waits for the platform upstream before answering SERVFAIL. Default 2000 ms. */
  upstreamTimeoutMs?: number;
  /** Structured log sink (the simulated clusters' too unless simOptions.logger says otherwise). Silent by default. */
  logger?: Logger;
}

export interface ResolvedZone {
  name: string;
  zone: string;
  region: string | undefined;
  displayName: string;
  edgeAddress: string;
  nodes: number;
  apiPort: number | undefined;
}

export interface ResolvedWorldOptions {
  dataDir: string | undefined;
  zones: ResolvedZone[];
  host: string;
  httpPort: number;
  httpsPort: number;
  dnsPort: number;
  controlPort: number;
  parkedAddress: string;
  platformZone: { domain: string; upstream: HostPort | undefined } | undefined;
  podTimings: PodTimings | undefined;
  simOptions: WorldSimOptions;
  challengeTimeoutMs: number;
  upstreamTimeoutMs: number;
}

export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_HTTPS_PORT = 8443;
export const DEFAULT_DNS_PORT = 8053;
export const DEFAULT_PARKED_ADDRESS = '127.0.99.1';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function port(value: number | undefined, name: string, fallback: number): number {
  const p = value ?? fallback;
  if (!Number.isInteger(p) || p < 0 || p > 65_535) throw new Error(`${name} must be an integer between 0 and 65535, got ${String(value)}`);
  return p;
}

/** Lower-case, without the trailing dot. */
export function normalizeDomain(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Applies defaults and validates; throws an Error naming the offending option. */
export function resolveWorldOptions(o: WorldOptions): ResolvedWorldOptions {
  if (!Array.isArray(o.zones) || o.zones.length === 0) throw new Error('a world needs at least one zone');
  if (o.zones.length > 98) throw new Error('a world has at most 98 zones (edges live on 127.0.1.1 .. 127.0.98.1)');
  const parkedAddress = o.parkedAddress ?? DEFAULT_PARKED_ADDRESS;
  const seenNames = new Set<string>();
  const seenAddresses = new Set<string>([parkedAddress]);
  const zones = o.zones.map((z, i): ResolvedZone => {
    if (!LABEL.test(z.name) || z.name.length > 63) throw new Error(`invalid zone name "${z.name}": use a DNS label (lower-case letters, digits, '-')`);
    if (seenNames.has(z.name)) throw new Error(`zone "${z.name}" is listed twice`);
    seenNames.add(z.name);
    const edgeAddress = z.edgeAddress ?? `127.0.${i + 1}.1`;
    if (isIP(edgeAddress) === 0) throw new Error(`zone "${z.name}": edgeAddress "${edgeAddress}" is not an IP address`);
    if (seenAddresses.has(edgeAddress)) throw new Error(`zone "${z.name}": edge address ${edgeAddress} is already taken`);
    seenAddresses.add(edgeAddress);
    const nodes = z.nodes ?? 3;
    if (!Number.isInteger(nodes) || nodes < 0) throw new Error(`zone "${z.name}": nodes must be a non-negative integer`);
    return {
      name: z.name,
      zone: z.zone ?? z.name,
      region: z.region,
      displayName: z.displayName ?? z.name,
      edgeAddress,
      nodes,
      apiPort: z.apiPort === undefined ? undefined : port(z.apiPort, `zone "${z.name}" apiPort`, 0),
    };
  });
  if (isIP(parkedAddress) === 0) throw new Error(`parkedAddress "${parkedAddress}" is not an IP address`);
  const host = o.host ?? '127.0.0.1';
  if (isIP(host) === 0) throw new Error(`host "${host}" is not an IP address`);
  let platformZone: ResolvedWorldOptions['platformZone'];
  if (o.platformZone) {
    const domain = normalizeDomain(o.platformZone.domain);
    if (!domain.includes('.') || !domain.split('.').every((l) => LABEL.test(l))) throw new Error(`platformZone.domain "${o.platformZone.domain}" is not a domain name`);
    platformZone = { domain, upstream: o.platformZone.upstream };
  }
  const httpPort = port(o.httpPort, 'httpPort', DEFAULT_HTTP_PORT);
  const httpsPort = port(o.httpsPort, 'httpsPort', DEFAULT_HTTPS_PORT);
  if (httpPort !== 0 && httpPort === httpsPort) throw new Error('httpPort and httpsPort must differ');
  return {
    dataDir: o.dataDir,
    zones,
    host,
    httpPort,
    httpsPort,
    dnsPort: port(o.dnsPort, 'dnsPort', DEFAULT_DNS_PORT),
    controlPort: port(o.controlPort, 'controlPort', 0),
    parkedAddress,
    platformZone,
    podTimings: o.podTimings,
    simOptions: o.simOptions ?? {},
    challengeTimeoutMs: o.acme?.challengeTimeoutMs ?? 5000,
    upstreamTimeoutMs: o.upstreamTimeoutMs ?? 2000,
  };
}
