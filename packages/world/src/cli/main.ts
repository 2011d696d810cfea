// `satusky-world`: runs a standalone world (`start`) or talks to a running one through its control
// API (every other command). The only module of the CLI that reads process.env.

import { writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { readStateFile } from '../state.ts';
import { errorMessage } from '../util/json.ts';
import type { ZoneStatus, WorldStatus } from '../world.ts';
import type { DnsRecord } from '../dns/registrar.ts';
import { parseCli, USAGE, UsageError, type Command, type StartCommand, type Target } from './args.ts';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

function defaultDataDir(): string {
  return resolve(process.env.SATUSKY_WORLD_DIR ?? join('.satusky', 'world'));
}

async function controlUrl(t: Target): Promise<string> {
  if (t.url) return t.url.replace(/\/+$/, '');
  if (!t.dataDir && process.env.SATUSKY_WORLD_URL) return process.env.SATUSKY_WORLD_URL.replace(/\/+$/, '');
  const dir = t.dataDir ? resolve(t.dataDir) : defaultDataDir();
  let state;
  try {
    state = await readStateFile(dir);
  } catch (err) {
    throw new CliError(errorMessage(err), EXIT_FAILURE);
  }
  if (!state) throw new CliError(`no running world found: ${join(dir, 'world.json')} does not exist (start one with \`satusky-world start\`, or pass --url or --data-dir)`, EXIT_FAILURE);
  if (!state.running) throw new CliError(`the world in ${dir} is not running (it stopped at ${state.stoppedAt ?? 'an unknown time'}); start it with \`satusky-world start --data-dir ${dir}\``, EXIT_FAILURE);
  return state.controlUrl;
}

async function call<T>(t: Target, method: string, path: string, body?: unknown): Promise<T> {
  const base = await controlUrl(t);
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? errorMessage(err);
    throw new CliError(`cannot reach the world at ${base} (${cause}); is it running?`, EXIT_FAILURE);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new CliError(e?.message ?? `the world answered ${res.status}`, res.status < 500 ? EXIT_USAGE : EXIT_FAILURE);
  }
  return parsed as T;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd()).join('\n');
}

function recordValue(r: DnsRecord): string {
  return r.type === 'TXT' ? r.values.map((v) => JSON.stringify(v)).join(' ') : r.values.join(', ');
}

function faultLine(z: ZoneStatus): string {
  const lost = z.faults.lostNodes.length;
  return `${z.name}: api ${z.faults.api}, edge ${z.faults.edge}, ${z.nodes.ready}/${z.nodes.total} nodes ready${lost > 0 ? ` (${lost} lost: ${z.faults.lostNodes.join(', ')})` : ''}`;
}

function renderStatus(s: WorldStatus): string {
  const platform = s.platformZone ? `${s.platformZone.domain} -> ${s.platformZone.upstream ? `${s.platformZone.upstream.host}:${s.platformZone.upstream.port}` : 'no upstream (SERVFAIL)'}` : 'none';
  return [
    `control   ${s.controlUrl}`,
    `dns       ${s.dns.host}:${s.dns.port} (UDP and TCP)`,
    `edges     HTTP :${s.httpPort}, HTTPS :${s.httpsPort}   parked host ${s.parked.address} (${s.parked.up ? 'up' : 'down'})`,
    `root CA   ${s.rootCaPath}`,
    `platform  ${platform}`,
    `registrar ${s.registrar.records} record set(s) in ${s.registrar.zones.length} zone(s)${s.registrar.zones.length > 0 ? `: ${s.registrar.zones.join(', ')}` : ''}`,
    '',
    table([
      ['ZONE', 'EDGE', 'KUBERNETES API', 'API', 'EDGE STATE', 'NODES READY'],
      ...s.zones.map((z) => [z.name, z.edgeAddress, z.apiUrl, z.faults.api, z.faults.edge, `${z.nodes.ready}/${z.nodes.total}`]),
    ]),
  ].join('\n');
}

async function runStart(cmd: StartCommand): Promise<void> {
  const dataDir = cmd.dataDir ? resolve(cmd.dataDir) : defaultDataDir();
  // Loaded here so that the client commands start without loading the simulator.
  const { startWorld } = await import('../world.ts');
  const world = await startWorld({
    dataDir,
    zones: cmd.zones.map((name) => ({ name, ...(cmd.nodes !== undefined ? { nodes: cmd.nodes } : {}) })),
    ...(cmd.host ? { host: cmd.host } : {}),
    ...(cmd.httpPort !== undefined ? { httpPort: cmd.httpPort } : {}),
    ...(cmd.httpsPort !== undefined ? { httpsPort: cmd.httpsPort } : {}),
    ...(cmd.dnsPort !== undefined ? { dnsPort: cmd.dnsPort } : {}),
    ...(cmd.controlPort !== undefined ? { controlPort: cmd.controlPort } : {}),
    ...(cmd.platformDomain ? { platformZone: { domain: cmd.platformDomain, ...(cmd.platformUpstream ? { upstream: cmd.platformUpstream } : {}) } } : {}),
    podTimings: { scheduleMs: Math.round(cmd.podDelayMs / 4), startMs: cmd.podDelayMs, readyMs: cmd.podDelayMs, terminationMs: cmd.podDelayMs },
  });
  const kubeconfig = resolve(cmd.kubeconfig ?? join(dataDir, 'kubeconfig'));
  await world.writeKubeconfig(kubeconfig);
  out(
    [
      `satusky-world: ${world.zones.length} zone(s) running (data in ${dataDir})`,
      renderStatus(world.status()),
      '',
      `kubeconfig ${kubeconfig}`,
      `  kubectl --kubeconfig ${kubeconfig} --context ${world.zones[0]?.name ?? ''} get nodes`,
      `  satusky-world dns set shop.example.com A ${world.zones[0]?.edgeAddress ?? ''}`,
      `  dig @${world.dns.host} -p ${world.dns.port} shop.example.com`,
      `  curl --cacert ${world.ca.rootCaPath} --resolve shop.example.com:${world.httpsPort}:${world.zones[0]?.edgeAddress ?? ''} https://shop.example.com:${world.httpsPort}/`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    out(`satusky-world: ${signal} received, stopping`);
    world.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`satusky-world: stop failed: ${errorMessage(err)}\n`);
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function run(cmd: Command): Promise<void> {
  switch (cmd.kind) {
    case 'help':
      out(USAGE);
      return;
    case 'start':
      return runStart(cmd);
    case 'status': {
      const s = await call<WorldStatus>(cmd, 'GET', '/v1/status');
      out(cmd.json ? JSON.stringify(s, null, 2) : renderStatus(s));
      return;
    }
    case 'dns-set': {
      const { record } = await call<{ record: DnsRecord }>(cmd, 'PUT', '/v1/dns/records', { name: cmd.name, type: cmd.type, values: cmd.values, ...(cmd.ttl !== undefined ? { ttl: cmd.ttl } : {}), ...(cmd.zone ? { zone: cmd.zone } : {}) });
      out(cmd.json ? JSON.stringify(record, null, 2) : `set ${record.name} ${record.type} ${recordValue(record)} (ttl ${record.ttl}, zone ${record.zone})`);
      return;
    }
    case 'dns-delete': {
      const q = new URLSearchParams({ name: cmd.name, ...(cmd.type ? { type: cmd.type } : {}) });
      const { deleted } = await call<{ deleted: DnsRecord[] }>(cmd, 'DELETE', `/v1/dns/records?${q.toString()}`);
      out(cmd.json ? JSON.stringify(deleted, null, 2) : deleted.map((r) => `deleted ${r.name} ${r.type} ${recordValue(r)}`).join('\n'));
      return;
    }
    case 'dns-list': {
      const { records } = await call<{ records: DnsRecord[] }>(cmd, 'GET', `/v1/dns/records${cmd.zone ? `?zone=${encodeURIComponent(cmd.zone)}` : ''}`);
      if (cmd.json) out(JSON.stringify(records, null, 2));
      else if (records.length === 0) out('no records');
      else out(table([['NAME', 'TYPE', 'TTL', 'ZONE', 'VALUE'], ...records.map((r) => [r.name, r.type, String(r.ttl), r.zone, recordValue(r)])]));
      return;
    }
    case 'dns-upstream': {
      const result =
        cmd.upstream === undefined
          ? await call<{ platformZone: WorldStatus['platformZone'] }>(cmd, 'GET', '/v1/dns/upstream')
          : await call<{ platformZone: WorldStatus['platformZone'] }>(cmd, 'PUT', '/v1/dns/upstream', cmd.upstream);
      const p = result.platformZone;
      out(cmd.json ? JSON.stringify(p, null, 2) : p ? `${p.domain} -> ${p.upstream ? `${p.upstream.host}:${p.upstream.port}` : 'no upstream (SERVFAIL)'}` : 'this world has no platform zone');
      return;
    }
    case 'fault': {
      const { zone } = await call<{ zone: ZoneStatus }>(cmd, 'POST', `/v1/zones/${encodeURIComponent(cmd.zone)}/faults`, { fault: cmd.fault, ...(cmd.count !== undefined ? { count: cmd.count } : {}) });
      out(cmd.json ? JSON.stringify(zone, null, 2) : faultLine(zone));
      return;
    }
    case 'kubeconfig': {
      const base = await controlUrl(cmd);
      const res = await fetch(`${base}/v1/kubeconfig`, { signal: AbortSignal.timeout(15_000) }).catch((err: unknown) => {
        throw new CliError(`cannot reach the world at ${base} (${errorMessage(err)})`, EXIT_FAILURE);
      });
      const yaml = await res.text();
      if (cmd.output) {
        await writeFile(resolve(cmd.output), yaml, { mode: 0o600 });
        out(`wrote ${resolve(cmd.output)}`);
      } else out(yaml);
      return;
    }
  }
}

async function main(): Promise<void> {
  let cmd: Command;
  try {
    cmd = parseCli(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`satusky-world: ${err.message}\nRun 'satusky-world --help' for usage.\n`);
    process.exit(EXIT_USAGE);
  }
  try {
    await run(cmd);
  } catch (err) {
    process.stderr.write(`satusky-world: ${errorMessage(err)}\n`);
    process.exit(err instanceof CliError ? err.exitCode : EXIT_FAILURE);
  }
}

await main();
