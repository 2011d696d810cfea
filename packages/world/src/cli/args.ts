// Command-line parsing of `satusky-world` (pure: argv in, a command or a UsageError out).

import { parseArgs } from 'node:util';
import { FAULTS, type FaultName } from '../faults.ts';
import type { HostPort } from '../options.ts';

export const USAGE = `Usage: satusky-world <command> [options]

The simulated world: zones of simulated clusters behind edges on 127.0.N.1, a public DNS with a
registrar, an ACME-style CA, somebody else's web server, and faults.

Commands:
  start                            run a world in this process (Ctrl-C stops it)
      --zones a,b                  zone names (default: sim-kul-1,sim-sgp-1)
      --nodes N                    nodes per zone (default: 3)
      --host ADDR                  DNS, control API and Kubernetes API address (default: 127.0.0.1)
      --http-port N                edge HTTP port (default: 8080; 0 = free)
      --https-port N               edge HTTPS port (default: 8443; 0 = free)
      --dns-port N                 world DNS port, UDP and TCP (default: 8053; 0 = free)
      --control-port N             control API port (default: 0 = free)
      --platform-domain DOMAIN     forward this zone to the platform's DNS
      --platform-upstream HOST:PORT  the platform's DNS
      --kubeconfig PATH            where to write the kubeconfig (default: <data-dir>/kubeconfig)
      --pod-delay-ms N             scheduling/start/ready delay of simulated pods (default: 200)
  status [--json]                  zones, addresses, ports and faults
  dns set NAME TYPE VALUE... [--ttl N] [--zone ZONE]
                                   create or replace a record set (A, AAAA, CNAME, TXT)
  dns delete NAME [TYPE]           delete record sets
  dns list [--zone ZONE] [--json]  list records
  dns upstream [HOST:PORT|--clear] show or set where the platform zone is forwarded
  fault zone-down ZONE             API refused and edge down
  fault api-down ZONE              Kubernetes API refuses connections
  fault api-blackhole ZONE         Kubernetes API accepts connections and never answers
  fault edge-down ZONE             edge refuses connections
  fault lose-nodes ZONE N          N more nodes become NotReady
  fault restore ZONE               everything back (also: satusky-world restore ZONE)
  kubeconfig [--output PATH]       a kubeconfig with one context per zone

Finding the world (every command but start):
  --url URL                        the control API (default: $SATUSKY_WORLD_URL, else the controlUrl
                                   in <data-dir>/world.json)
  --data-dir DIR                   the world's data directory (default: $SATUSKY_WORLD_DIR or .satusky/world)

Exit codes: 0 ok, 1 the world is unreachable or failed, 2 invalid input (usage, or rejected by the world).
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Target {
  url?: string;
  dataDir?: string;
}

export interface StartCommand {
  kind: 'start';
  dataDir?: string;
  zones: string[];
  nodes?: number;
  host?: string;
  httpPort?: number;
  httpsPort?: number;
  dnsPort?: number;
  controlPort?: number;
  platformDomain?: string;
  platformUpstream?: HostPort;
  kubeconfig?: string;
  podDelayMs: number;
}

export type Command =
  | { kind: 'help' }
  | StartCommand
  | ({ kind: 'status'; json: boolean } & Target)
  | ({ kind: 'dns-set'; name: string; type: string; values: string[]; ttl?: number; zone?: string; json: boolean } & Target)
  | ({ kind: 'dns-delete'; name: string; type?: string; json: boolean } & Target)
  | ({ kind: 'dns-list'; zone?: string; json: boolean } & Target)
  | ({ kind: 'dns-upstream'; upstream: HostPort | null | undefined; json: boolean } & Target)
  | ({ kind: 'fault'; fault: FaultName; zone: string; count?: number; json: boolean } & Target)
  | ({ kind: 'kubeconfig'; output?: string } & Target);

export const DEFAULT_ZONES = ['sim-kul-1', 'sim-sgp-1'];

function int(value: string | undefined, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number between ${min} and ${max}, got "${value}"`);
  return n;
}

export function parseHostPort(value: string, what: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65_535) throw new UsageError(`${what} must be HOST:PORT, got "${value}"`);
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port };
}

function only<T>(list: T[], count: number, usage: string): void {
  if (list.length > count) throw new UsageError(`unexpected argument "${String(list[count])}" (usage: ${usage})`);
}

export function parseCli(argv: string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err));
  }
  const { values: v, positionals } = parsed;
  if (v.help || positionals.length === 0) return { kind: 'help' };
  const target: Target = { ...(v.url ? { url: v.url } : {}), ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}) };
  const json = v.json === true;
  const [command, ...rest] = positionals;
  switch (command ?? '') {
    case 'start': {
      only(rest, 0, 'satusky-world start [options]');
      const zones = (v.zones ?? DEFAULT_ZONES.join(',')).split(',').map((z) => z.trim()).filter((z) => z !== '');
      if (zones.length === 0) throw new UsageError('--zones needs at least one zone name');
      const cmd: StartCommand = { kind: 'start', zones, podDelayMs: int(v['pod-delay-ms'], '--pod-delay-ms') ?? 200 };
      if (v['data-dir']) cmd.dataDir = v['data-dir'];
      const nodes = int(v.nodes, '--nodes', 0, 1000);
      if (nodes !== undefined) cmd.nodes = nodes;
      if (v.host) cmd.host = v.host;
      const port = (value: string | undefined, flag: string): number | undefined => int(value, flag, 0, 65_535);
      const httpPort = port(v['http-port'], '--http-port');
      const httpsPort = port(v['https-port'], '--https-port');
      const dnsPort = port(v['dns-port'], '--dns-port');
      const controlPort = port(v['control-port'], '--control-port');
      if (httpPort !== undefined) cmd.httpPort = httpPort;
      if (httpsPort !== undefined) cmd.httpsPort = httpsPort;
      if (dnsPort !== undefined) cmd.dnsPort = dnsPort;
      if (controlPort !== undefined) cmd.controlPort = controlPort;
      if (v['platform-domain']) cmd.platformDomain = v['platform-domain'];
      if (v['platform-upstream']) {
        if (!v['platform-domain']) throw new UsageError('--platform-upstream needs --platform-domain');
        cmd.platformUpstream = parseHostPort(v['platform-upstream'], '--platform-upstream');
      }
      if (v.kubeconfig) cmd.kubeconfig = v.kubeconfig;
      return cmd;
    }
    case 'status':
      only(rest, 0, 'satusky-world status [--json]');
      return { kind: 'status', json, ...target };
    case 'kubeconfig':
      only(rest, 0, 'satusky-world kubeconfig [--output PATH]');
      return { kind: 'kubeconfig', ...(v.output ? { output: v.output } : {}), ...target };
    case 'dns': {
      const [sub, ...args] = rest;
      switch (sub ?? '') {
        case 'set': {
          const [name, type, ...values] = args;
          if (!name || !type || values.length === 0) throw new UsageError('usage: satusky-world dns set NAME TYPE VALUE... [--ttl N] [--zone ZONE]');
          const ttl = int(v.ttl, '--ttl', 0, 2_147_483_647);
          return { kind: 'dns-set', name, type: type.toUpperCase(), values, ...(ttl !== undefined ? { ttl } : {}), ...(v.zone ? { zone: v.zone } : {}), json, ...target };
        }
        case 'delete': {
          const [name, type] = args;
          if (!name) throw new UsageError('usage: satusky-world dns delete NAME [TYPE]');
          only(args, 2, 'satusky-world dns delete NAME [TYPE]');
          return { kind: 'dns-delete', name, ...(type ? { type: type.toUpperCase() } : {}), json, ...target };
        }
        case 'list':
          only(args, 0, 'satusky-world dns list [--zone ZONE] [--json]');
          return { kind: 'dns-list', ...(v.zone ? { zone: v.zone } : {}), json, ...target };
        case 'upstream': {
          only(args, 1, 'satusky-world dns upstream [HOST:PORT|--clear]');
          if (v.clear && args[0]) throw new UsageError('give HOST:PORT or --clear, not both');
          const upstream = v.clear ? null : args[0] ? parseHostPort(args[0], 'the upstream') : undefined;
          return { kind: 'dns-upstream', upstream, json, ...target };
        }
        default:
          throw new UsageError(sub ? `unknown dns command "${sub}" (use set, delete, list or upstream)` : 'usage: satusky-world dns set|delete|list|upstream ...');
      }
    }
    case 'restore':
    case 'fault': {
      const args = command === 'restore' ? ['restore', ...rest] : rest;
      const [fault, zone, n] = args;
      if (!fault || !(FAULTS as readonly string[]).includes(fault)) throw new UsageError(`fault must be one of ${FAULTS.join(', ')}${fault ? `, got "${fault}"` : ''}`);
      if (!zone) throw new UsageError(`usage: satusky-world fault ${fault} ZONE${fault === 'lose-nodes' ? ' N' : ''}`);
      if (fault === 'lose-nodes') {
        if (n === undefined) throw new UsageError('usage: satusky-world fault lose-nodes ZONE N');
        only(args, 3, 'satusky-world fault lose-nodes ZONE N');
        return { kind: 'fault', fault, zone, count: int(n, 'N', 1, 1000) as number, json, ...target };
      }
      only(args, 2, `satusky-world fault ${fault} ZONE`);
      return { kind: 'fault', fault: fault as FaultName, zone, json, ...target };
    }
    default:
      throw new UsageError(`unknown command "${String(command)}"`);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      'data-dir': { type: 'string' },
      zones: { type: 'string' },
      nodes: { type: 'string' },
      host: { type: 'string' },
      'http-port': { type: 'string' },
      'https-port': { type: 'string' },
      'dns-port': { type: 'string' },
      'control-port': { type: 'string' },
      'platform-domain': { type: 'string' },
      'platform-upstream': { type: 'string' },
      kubeconfig: { type: 'string' },
      'pod-delay-ms': { type: 'string' },
      ttl: { type: 'string' },
      zone: { type: 'string' },
      clear: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
    },
  });
}
