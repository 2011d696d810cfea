import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { generateMasterKey } from './core/keyring.ts';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from './controllers/manager.ts';
import type { DatabaseConfig } from './db/database.ts';

/**
 * Configuration is parsed once per process, here, and passed down. This is the only module that
 * reads `process.env`. Precedence: command-line flags > environment > config file > defaults.
 */
export interface Config {
  mode: 'serve' | 'dev';
  host: string;
  port: number;
  /** The URL clients use to reach the API (printed, written into CLI profiles). */
  publicUrl: string;
  database: DatabaseConfig;
  /** Local state: PGlite data, master key, kubeconfigs (dev). */
  dataDir: string;
  logLevel: string;
  rateLimitPerMinute: number;
  signInRateLimitPerMinute: number;
  /** Master keys for envelope encryption; the first seals, all open. */
  masterKeys: Buffer[];
  /** The platform DNS zone app hostnames are generated in. */
  platformDomain: string;
  /** Run the controllers in this process (they still wait for the lease). */
  runControllers: boolean;
  /** The platform admin created at first start. */
  adminEmail: string;
  /** The built-in authoritative DNS server for the platform zone (port 0: any free port). */
  dns: { host: string; port: number; ttl: number };
  /** The ports every zone's edge serves on (what probes and certificates reach). */
  edgeHttpPort: number;
  edgeHttpsPort: number;
  controllers: ControllerOptions;
  domains: DomainSettings;
  /** `satusky dev` only: the simulated zones (`a,b:Display name`) and the world's DNS port. */
  dev: { zones: string | null; worldDnsPort: number };
}

/** Routing, TLS and the domain checker. */
export interface DomainSettings {
  /** How new custom domains are routed: Gateway API HTTPRoutes (default) or legacy Ingress. */
  routingMode: 'gateway' | 'ingress';
  /** Public resolvers the checker asks (`host` or `host:port`); empty: the system's resolvers. */
  resolvers: string[];
  /** Resolve hostnames and verify domains in the background (drives DNSReady). */
  dnsChecks: boolean;
  /** Extra trust roots (PEM files) for TLS checks, e.g. the simulated world's root CA. */
  trustedCaFiles: string[];
  /** Private ranges the checker may still connect to (the simulated edges on loopback). */
  probeAllowedCidrs: string[];
  /** Render cert-manager Certificates and HTTPS listeners for every hostname. */
  tls: boolean;
  acme: { server: string; email: string };
  /** A removed domain stays reserved to its organization this long. */
  reservationDays: number;
  /** How often pending domains are re-checked at first (backing off to 10 minutes). */
  checkIntervalMs: number;
}

/** What a config file, the environment or flags may set, before defaults and derivation. */
export interface ConfigInput {
  host?: string;
  port?: number;
  publicUrl?: string;
  databaseUrl?: string;
  dataDir?: string;
  logLevel?: string;
  rateLimitPerMinute?: number;
  signInRateLimitPerMinute?: number;
  /** Base64 32-byte keys, comma-separated, active first. */
  masterKeys?: string;
  masterKeyFile?: string;
  platformDomain?: string;
  runControllers?: boolean;
  adminEmail?: string;
  dnsHost?: string;
  dnsPort?: number;
  dnsTtl?: number;
  edgeHttpPort?: number;
  edgeHttpsPort?: number;
  probeIntervalMs?: number;
  resyncIntervalMs?: number;
  leaseTtlMs?: number;
  routingMode?: string;
  resolvers?: string[];
  dnsChecks?: boolean;
  trustedCaFiles?: string[];
  probeAllowedCidrs?: string[];
  tls?: boolean;
  acmeServer?: string;
  acmeEmail?: string;
  domainReservationDays?: number;
  domainCheckIntervalMs?: number;
  devZones?: string;
  worldDnsPort?: number;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function fromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const input: ConfigInput = {};
  if (env.SATUSKY_HOST) input.host = env.SATUSKY_HOST;
  if (env.SATUSKY_PORT) input.port = parsePort(env.SATUSKY_PORT, 'SATUSKY_PORT');
  if (env.SATUSKY_PUBLIC_URL) input.publicUrl = env.SATUSKY_PUBLIC_URL;
  if (env.DATABASE_URL) input.databaseUrl = env.DATABASE_URL;
  if (env.SATUSKY_DATA_DIR) input.dataDir = env.SATUSKY_DATA_DIR;
  if (env.SATUSKY_LOG_LEVEL) input.logLevel = env.SATUSKY_LOG_LEVEL;
  if (env.SATUSKY_RATE_LIMIT_PER_MINUTE) {
    input.rateLimitPerMinute = parsePositiveInt(env.SATUSKY_RATE_LIMIT_PER_MINUTE, 'SATUSKY_RATE_LIMIT_PER_MINUTE');
  }
  if (env.SATUSKY_SIGN_IN_RATE_LIMIT_PER_MINUTE) {
    input.signInRateLimitPerMinute = parsePositiveInt(env.SATUSKY_SIGN_IN_RATE_LIMIT_PER_MINUTE, 'SATUSKY_SIGN_IN_RATE_LIMIT_PER_MINUTE');
  }
  if (env.SATUSKY_MASTER_KEYS) input.masterKeys = env.SATUSKY_MASTER_KEYS;
  if (env.SATUSKY_MASTER_KEY_FILE) input.masterKeyFile = env.SATUSKY_MASTER_KEY_FILE;
  if (env.SATUSKY_PLATFORM_DOMAIN) input.platformDomain = env.SATUSKY_PLATFORM_DOMAIN;
  if (env.SATUSKY_CONTROLLERS) input.runControllers = env.SATUSKY_CONTROLLERS !== 'off';
  if (env.SATUSKY_ADMIN_EMAIL) input.adminEmail = env.SATUSKY_ADMIN_EMAIL;
  if (env.SATUSKY_DNS_HOST) input.dnsHost = env.SATUSKY_DNS_HOST;
  if (env.SATUSKY_DNS_PORT) input.dnsPort = parsePort(env.SATUSKY_DNS_PORT, 'SATUSKY_DNS_PORT');
  if (env.SATUSKY_DNS_TTL) input.dnsTtl = parsePositiveInt(env.SATUSKY_DNS_TTL, 'SATUSKY_DNS_TTL');
  if (env.SATUSKY_EDGE_HTTP_PORT) input.edgeHttpPort = parsePort(env.SATUSKY_EDGE_HTTP_PORT, 'SATUSKY_EDGE_HTTP_PORT');
  if (env.SATUSKY_EDGE_HTTPS_PORT) input.edgeHttpsPort = parsePort(env.SATUSKY_EDGE_HTTPS_PORT, 'SATUSKY_EDGE_HTTPS_PORT');
  if (env.SATUSKY_PROBE_INTERVAL_MS) input.probeIntervalMs = parsePositiveInt(env.SATUSKY_PROBE_INTERVAL_MS, 'SATUSKY_PROBE_INTERVAL_MS');
  if (env.SATUSKY_RESYNC_INTERVAL_MS) input.resyncIntervalMs = parsePositiveInt(env.SATUSKY_RESYNC_INTERVAL_MS, 'SATUSKY_RESYNC_INTERVAL_MS');
  if (env.SATUSKY_LEASE_TTL_MS) input.leaseTtlMs = parsePositiveInt(env.SATUSKY_LEASE_TTL_MS, 'SATUSKY_LEASE_TTL_MS');
  if (env.SATUSKY_ROUTING_MODE) input.routingMode = env.SATUSKY_ROUTING_MODE;
  if (env.SATUSKY_RESOLVERS) input.resolvers = list(env.SATUSKY_RESOLVERS);
  if (env.SATUSKY_DNS_CHECKS) input.dnsChecks = env.SATUSKY_DNS_CHECKS !== 'off';
  if (env.SATUSKY_TRUSTED_CA_FILES) input.trustedCaFiles = list(env.SATUSKY_TRUSTED_CA_FILES);
  if (env.SATUSKY_PROBE_ALLOWED_CIDRS) input.probeAllowedCidrs = list(env.SATUSKY_PROBE_ALLOWED_CIDRS);
  if (env.SATUSKY_TLS) input.tls = env.SATUSKY_TLS !== 'off';
  if (env.SATUSKY_ACME_SERVER) input.acmeServer = env.SATUSKY_ACME_SERVER;
  if (env.SATUSKY_ACME_EMAIL) input.acmeEmail = env.SATUSKY_ACME_EMAIL;
  if (env.SATUSKY_DOMAIN_RESERVATION_DAYS) input.domainReservationDays = parsePositiveInt(env.SATUSKY_DOMAIN_RESERVATION_DAYS, 'SATUSKY_DOMAIN_RESERVATION_DAYS');
  if (env.SATUSKY_DEV_ZONES) input.devZones = env.SATUSKY_DEV_ZONES;
  if (env.SATUSKY_WORLD_DNS_PORT) input.worldDnsPort = parsePort(env.SATUSKY_WORLD_DNS_PORT, 'SATUSKY_WORLD_DNS_PORT');
  if (env.SATUSKY_DOMAIN_CHECK_INTERVAL_MS) input.domainCheckIntervalMs = parsePositiveInt(env.SATUSKY_DOMAIN_CHECK_INTERVAL_MS, 'SATUSKY_DOMAIN_CHECK_INTERVAL_MS');
  return input;
}

/** A TOML config file: `host`, `port`, `public_url`, `database_url`, `data_dir`, `log_level`, … */
export function fromFile(text: string, fileName: string): ConfigInput {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch (error) {
    throw new ConfigError(`${fileName}: not valid TOML`, { cause: error });
  }
  const input: ConfigInput = {};
  const str = (key: string, value: unknown): string => {
    if (typeof value !== 'string') throw new ConfigError(`${fileName}: ${key} must be a string`);
    return value;
  };
  const int = (key: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new ConfigError(`${fileName}: ${key} must be a number`);
    return value;
  };
  const bool = (key: string, value: unknown): boolean => {
    if (typeof value !== 'boolean') throw new ConfigError(`${fileName}: ${key} must be true or false`);
    return value;
  };
  const strings = (key: string, value: unknown): string[] => {
    if (typeof value === 'string') return list(value);
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ConfigError(`${fileName}: ${key} must be a list of strings`);
    return value as string[];
  };
  for (const [key, value] of Object.entries(doc)) {
    switch (key) {
      case 'host':
        input.host = str(key, value);
        break;
      case 'port':
        input.port = int(key, value);
        break;
      case 'public_url':
        input.publicUrl = str(key, value);
        break;
      case 'database_url':
        input.databaseUrl = str(key, value);
        break;
      case 'data_dir':
        input.dataDir = str(key, value);
        break;
      case 'log_level':
        input.logLevel = str(key, value);
        break;
      case 'rate_limit_per_minute':
        input.rateLimitPerMinute = int(key, value);
        break;
      case 'master_key_file':
        input.masterKeyFile = str(key, value);
        break;
      case 'platform_domain':
        input.platformDomain = str(key, value);
        break;
      case 'dns_host':
        input.dnsHost = str(key, value);
        break;
      case 'dns_port':
        input.dnsPort = int(key, value);
        break;
      case 'dns_ttl':
        input.dnsTtl = int(key, value);
        break;
      case 'edge_http_port':
        input.edgeHttpPort = int(key, value);
        break;
      case 'edge_https_port':
        input.edgeHttpsPort = int(key, value);
        break;
      case 'probe_interval_ms':
        input.probeIntervalMs = int(key, value);
        break;
      case 'resync_interval_ms':
        input.resyncIntervalMs = int(key, value);
        break;
      case 'routing_mode':
        input.routingMode = str(key, value);
        break;
      case 'resolvers':
        input.resolvers = strings(key, value);
        break;
      case 'dns_checks':
        input.dnsChecks = bool(key, value);
        break;
      case 'trusted_ca_files':
        input.trustedCaFiles = strings(key, value);
        break;
      case 'probe_allowed_cidrs':
        input.probeAllowedCidrs = strings(key, value);
        break;
      case 'tls':
        input.tls = bool(key, value);
        break;
      case 'acme_server':
        input.acmeServer = str(key, value);
        break;
      case 'acme_email':
        input.acmeEmail = str(key, value);
        break;
      case 'domain_reservation_days':
        input.domainReservationDays = int(key, value);
        break;
      case 'domain_check_interval_ms':
        input.domainCheckIntervalMs = int(key, value);
        break;
      default:
        throw new ConfigError(`${fileName}: unknown setting "${key}"`);
    }
  }
  return input;
}

function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${name} must be a port number`);
  return port;
}

function parsePositiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} must be a positive integer`);
  return n;
}

/**
 * Pure: merges the layers and derives the rest. Master keys are resolved separately because the
 * dev mode may have to create one on disk.
 */
export function resolveConfig(
  mode: 'serve' | 'dev',
  layers: { flags: ConfigInput; env: ConfigInput; file: ConfigInput },
): Omit<Config, 'masterKeys'> & { masterKeys?: string; masterKeyFile?: string } {
  const merged: ConfigInput = { ...layers.file, ...layers.env, ...layers.flags };
  const host = merged.host ?? '127.0.0.1';
  const port = merged.port ?? (mode === 'dev' ? 4600 : 8080);
  const dataDir = path.resolve(merged.dataDir ?? '.satusky');
  const logLevel = merged.logLevel ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) throw new ConfigError(`log level must be one of ${[...LOG_LEVELS].join(', ')}`);
  let database: DatabaseConfig;
  if (merged.databaseUrl) {
    database = { kind: 'postgres', url: merged.databaseUrl };
  } else if (mode === 'dev') {
    database = { kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') };
  } else {
    throw new ConfigError('satusky serve needs DATABASE_URL (or --database-url) pointing at PostgreSQL');
  }
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const platformDomain = (merged.platformDomain ?? 'satusky.test').toLowerCase().replace(/\.$/, '');
  if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(platformDomain)) {
    throw new ConfigError(`platform domain "${platformDomain}" is not a DNS name`);
  }
  const controllers: ControllerOptions = {
    ...DEFAULT_CONTROLLER_OPTIONS,
    ...(merged.probeIntervalMs ? { probeIntervalMs: merged.probeIntervalMs } : {}),
    ...(merged.resyncIntervalMs ? { resyncIntervalMs: merged.resyncIntervalMs } : {}),
    ...(merged.leaseTtlMs ? { leaseTtlMs: merged.leaseTtlMs } : {}),
  };
  const routingMode = merged.routingMode ?? 'gateway';
  if (routingMode !== 'gateway' && routingMode !== 'ingress') throw new ConfigError(`routing mode must be "gateway" or "ingress", not "${routingMode}"`);
  const resolvers = merged.resolvers ?? [];
  for (const r of resolvers) {
    if (!/^(\[[0-9a-f:]+\]|[0-9.]+)(:\d{1,5})?$/i.test(r)) throw new ConfigError(`resolver "${r}" must be an IP address, optionally with :port`);
  }
  for (const cidr of merged.probeAllowedCidrs ?? []) {
    if (!/^[0-9a-f.:]+(\/\d{1,3})?$/i.test(cidr)) throw new ConfigError(`probe allowed range "${cidr}" must be an address or CIDR`);
  }
  const domains: DomainSettings = {
    routingMode,
    resolvers,
    dnsChecks: merged.dnsChecks ?? true,
    trustedCaFiles: merged.trustedCaFiles ?? [],
    probeAllowedCidrs: merged.probeAllowedCidrs ?? [],
    tls: merged.tls ?? true,
    acme: {
      server: merged.acmeServer ?? 'https://acme-v02.api.letsencrypt.org/directory',
      email: merged.acmeEmail ?? merged.adminEmail ?? 'admin@satusky.local',
    },
    reservationDays: merged.domainReservationDays ?? 30,
    checkIntervalMs: merged.domainCheckIntervalMs ?? (mode === 'dev' ? 2_000 : 15_000),
  };
  return {
    domains,
    dev: { zones: merged.devZones ?? null, worldDnsPort: merged.worldDnsPort ?? 8053 },
    platformDomain,
    runControllers: merged.runControllers ?? true,
    adminEmail: merged.adminEmail ?? 'admin@satusky.local',
    dns: { host: merged.dnsHost ?? '127.0.0.1', port: merged.dnsPort ?? (mode === 'dev' ? 5354 : 53), ttl: merged.dnsTtl ?? 5 },
    edgeHttpPort: merged.edgeHttpPort ?? (mode === 'dev' ? 8080 : 80),
    edgeHttpsPort: merged.edgeHttpsPort ?? (mode === 'dev' ? 8443 : 443),
    controllers,
    mode,
    host,
    port,
    publicUrl: merged.publicUrl ?? `http://${displayHost}:${port}`,
    database,
    dataDir,
    logLevel,
    rateLimitPerMinute: merged.rateLimitPerMinute ?? 600,
    signInRateLimitPerMinute: merged.signInRateLimitPerMinute ?? 10,
    ...(merged.masterKeys ? { masterKeys: merged.masterKeys } : {}),
    ...(merged.masterKeyFile ? { masterKeyFile: merged.masterKeyFile } : {}),
  };
}

export function parseMasterKeys(text: string): Buffer[] {
  const keys = text
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((part) => Buffer.from(part, 'base64'));
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) {
    throw new ConfigError('master keys must be base64-encoded 32-byte values, comma-separated, active first');
  }
  return keys;
}

/** Reads the master keys; in dev, creates `<dataDir>/master.key` (mode 0600) on first start. */
async function resolveMasterKeys(
  mode: 'serve' | 'dev',
  dataDir: string,
  inline: string | undefined,
  file: string | undefined,
): Promise<Buffer[]> {
  if (inline) return parseMasterKeys(inline);
  const keyFile = file ?? (mode === 'dev' ? path.join(dataDir, 'master.key') : undefined);
  if (!keyFile) {
    throw new ConfigError(
      'satusky serve needs master keys: set SATUSKY_MASTER_KEYS or SATUSKY_MASTER_KEY_FILE (base64 32-byte keys)',
    );
  }
  try {
    return parseMasterKeys(await readFile(keyFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || mode !== 'dev' || file) throw error;
    await mkdir(path.dirname(keyFile), { recursive: true });
    const key = generateMasterKey();
    await writeFile(keyFile, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(keyFile, 0o600);
    return [key];
  }
}

export async function loadConfig(
  mode: 'serve' | 'dev',
  flags: ConfigInput & { configFile?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Config> {
  const envInput = fromEnv(env);
  const configFile = flags.configFile ?? env.SATUSKY_CONFIG;
  const fileInput = configFile ? fromFile(await readFile(configFile, 'utf8'), configFile) : {};
  const { configFile: _ignored, ...flagInput } = flags;
  const resolved = resolveConfig(mode, { flags: flagInput, env: envInput, file: fileInput });
  const { masterKeys, masterKeyFile, ...rest } = resolved;
  return { ...rest, masterKeys: await resolveMasterKeys(mode, rest.dataDir, masterKeys, masterKeyFile) };
}

/** Only what `satusky db migrate` needs: the database, without master keys. */
export async function loadDatabaseConfig(
  flags: ConfigInput & { configFile?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<DatabaseConfig> {
  const envInput = fromEnv(env);
  const configFile = flags.configFile ?? env.SATUSKY_CONFIG;
  const fileInput = configFile ? fromFile(await readFile(configFile, 'utf8'), configFile) : {};
  const { configFile: _ignored, ...flagInput } = flags;
  const merged = { ...fileInput, ...envInput, ...flagInput };
  return resolveConfig(merged.databaseUrl ? 'serve' : 'dev', { flags: flagInput, env: envInput, file: fileInput }).database;
}

/** Test and tooling helper: whether an env var asks for a PostgreSQL test database. */
export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DATABASE_URL || undefined;
}
