// The world control API: a small JSON HTTP server (what the `satusky-world` CLI talks to).
//
//   GET    /v1/status                       zones, addresses, ports, fault state
//   GET    /v1/dns/records[?zone=Z]         registrar records
//   PUT    /v1/dns/records                  {name, type, values, ttl?, zone?} -> the record set
//   DELETE /v1/dns/records?name=N[&type=T]  -> {deleted: [...]}
//   GET    /v1/dns/upstream                 platform zone and its upstream
//   PUT    /v1/dns/upstream                 {host, port} or null
//   POST   /v1/zones/{zone}/faults          {fault: zone-down|api-down|api-blackhole|edge-down|lose-nodes|restore, count?}
//   GET    /v1/kubeconfig                   one context per zone (YAML)
//   GET    /healthz
//
// Errors: {error: {code, message}} with 400 (invalid input), 404 (unknown zone or record), 409.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { kubeconfigYaml, type Logger } from '@satusky/sim';
import { RegistrarError } from '../dns/registrar.ts';
import { WorldError } from '../errors.ts';
import { FAULTS, type FaultName } from '../faults.ts';
import { errorMessage, isObject, num, str } from '../util/json.ts';
import { closeServer, hostPort, listen } from '../util/net.ts';
import type { World } from '../world.ts';

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'PayloadTooLarge', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'InvalidJSON', 'the request body is not JSON');
  }
}

function statusOf(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof RegistrarError) return { status: err.code === 'NotFound' ? 404 : err.code === 'Conflict' ? 409 : 400, code: err.code, message: err.message };
  if (err instanceof WorldError) {
    const status = err.code === 'UnknownZone' || err.code === 'NotFound' ? 404 : err.code === 'Conflict' ? 409 : err.code === 'NotRunning' ? 503 : 400;
    return { status, code: err.code, message: err.message };
  }
  return { status: 500, code: 'InternalError', message: errorMessage(err) };
}

async function route(world: World, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://control');
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/healthz') return send(res, 200, { ok: true });
  if (path === '/v1/status' && method === 'GET') return send(res, 200, world.status());
  if (path === '/v1/kubeconfig' && method === 'GET') {
    const yaml = kubeconfigYaml(
      world.zones.map((z) => z.cluster.kubeconfigEntry({ contextName: z.name })),
      world.zones[0]?.name,
    );
    res.writeHead(200, { 'content-type': 'application/yaml', 'content-length': Buffer.byteLength(yaml) });
    res.end(yaml);
    return;
  }
  if (path === '/v1/dns/records') {
    if (method === 'GET') return send(res, 200, { records: world.registrar.list({ ...(url.searchParams.get('zone') ? { zone: url.searchParams.get('zone') as string } : {}) }) });
    if (method === 'PUT' || method === 'POST') {
      const body = await readBody(req);
      if (!isObject(body)) throw new HttpError(400, 'InvalidArgument', 'expected {name, type, values, ttl?, zone?}');
      const values = Array.isArray(body.values) ? body.values : body.value !== undefined ? [body.value] : undefined;
      if (typeof body.name !== 'string' || typeof body.type !== 'string' || !values || !values.every((v) => typeof v === 'string')) {
        throw new HttpError(400, 'InvalidArgument', 'name and type must be strings and values a list of strings');
      }
      if (body.ttl !== undefined && typeof body.ttl !== 'number') throw new HttpError(400, 'InvalidArgument', 'ttl must be a number of seconds');
      if (body.zone !== undefined && typeof body.zone !== 'string') throw new HttpError(400, 'InvalidArgument', 'zone must be a string');
      const record = world.registrar.set({ name: body.name, type: body.type, values, ...(typeof body.ttl === 'number' ? { ttl: body.ttl } : {}), ...(typeof body.zone === 'string' ? { zone: body.zone } : {}) });
      return send(res, 200, { record });
    }
    if (method === 'DELETE') {
      const name = url.searchParams.get('name');
      if (!name) throw new HttpError(400, 'InvalidArgument', 'name is required');
      const type = url.searchParams.get('type');
      return send(res, 200, { deleted: world.registrar.delete(name, type ?? undefined) });
    }
  }
  if (path === '/v1/dns/upstream') {
    if (method === 'GET') return send(res, 200, { platformZone: world.status().platformZone });
    if (method === 'PUT') {
      const body = await readBody(req);
      if (body === null || body === undefined) world.setPlatformUpstream(undefined);
      else if (isObject(body) && typeof body.host === 'string' && typeof body.port === 'number') world.setPlatformUpstream({ host: body.host, port: body.port });
      else throw new HttpError(400, 'InvalidArgument', 'expected {host, port} or null');
      return send(res, 200, { platformZone: world.status().platformZone });
    }
  }
  const faultPath = /^\/v1\/zones\/([^/]+)\/faults$/.exec(path);
  if (faultPath && method === 'POST') {
    const zone = decodeURIComponent(faultPath[1] ?? '');
    const body = await readBody(req);
    const fault = isObject(body) ? str(body.fault) : undefined;
    if (!fault || !(FAULTS as readonly string[]).includes(fault)) throw new HttpError(400, 'InvalidArgument', `fault must be one of ${FAULTS.join(', ')}`);
    const count = isObject(body) ? num(body.count) : undefined;
    if (fault === 'lose-nodes' && count === undefined) throw new HttpError(400, 'InvalidArgument', 'lose-nodes needs count');
    world.zone(zone);
    await world.faults.apply(fault as FaultName, zone, count);
    return send(res, 200, { zone: world.zoneStatus(zone) });
  }
  const zonePath = /^\/v1\/zones\/([^/]+)$/.exec(path);
  if (zonePath && method === 'GET') return send(res, 200, { zone: world.zoneStatus(decodeURIComponent(zonePath[1] ?? '')) });
  throw new HttpError(404, 'NotFound', `no ${method} ${path} on the world control API`);
}

export async function startControlServer(world: World, options: { host: string; port: number; log: Logger }): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    route(world, req, res).catch((err: unknown) => {
      const { status, code, message } = statusOf(err);
      if (status >= 500) options.log('error', 'world control request failed', { method: req.method, url: req.url, error: message });
      if (res.headersSent) res.destroy();
      else send(res, status, { error: { code, message } });
    });
  });
  const port = await listen(server, options.host, options.port);
  return { url: `http://${hostPort(options.host, port)}`, close: () => closeServer(server) };
}
