// A zone's edge: HTTP and HTTPS listeners on the zone's own loopback address, routing by the
// zone's Gateways, ListenerSets, HTTPRoutes and Ingresses (read in-process from the simulated
// cluster's store, the table rebuilt lazily after any change to them), terminating TLS with the
// certificate of the matching listener (SNI), and answering as the simulated pods.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import tls, { type SecureContext } from 'node:tls';
import { DEFAULT_GATEWAY_CONTROLLER, INGRESS_CONTROLLER, type KindRef, type KubeObject, type Logger, type SimCluster } from '@satusky/sim';
import type { ChallengeStore } from '../acme/challenges.ts';
import { closeServer, listen } from '../util/net.ts';
import { errorMessage, obj } from '../util/json.ts';
import { accessLogLine, imageStatus, podAnswer, readyPodNames } from './backend.ts';
import { buildRouteTable, hostKnown, matchRoute, pickBackend, redirectLocation, selectTls, type Protocol, type RouteTable } from './routing.ts';

export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

const GW = 'gateway.networking.k8s.io/v1';
const ROUTING_KINDS: KindRef[] = [
  { apiVersion: GW, kind: 'GatewayClass' },
  { apiVersion: GW, kind: 'Gateway' },
  { apiVersion: GW, kind: 'ListenerSet' },
  { apiVersion: GW, kind: 'HTTPRoute' },
  { apiVersion: GW, kind: 'ReferenceGrant' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass' },
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
];

export interface EdgeOptions {
  /** Zone reported in answers (`x-satusky-zone`, the `zone` field). */
  zone: string;
  address: string;
  cluster: SimCluster;
  challenges: ChallengeStore;
  /** The edge's own certificate, served when no listener matches the server name (self-signed). */
  defaultCertificate: { key: string; cert: string };
  gatewayControllerNames?: string[];
  log?: Logger;
}

export interface EdgePorts {
  http: number;
  https: number;
}

/** Host without port and trailing dot, lower-case. */
export function parseHost(value: string | undefined): string {
  if (!value) return '';
  let h = value.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(0, h.indexOf(']') + 1);
  else if (h.includes(':')) h = h.slice(0, h.lastIndexOf(':'));
  return h.replace(/\.$/, '');
}

export class Edge {
  readonly zone: string;
  readonly address: string;
  readonly #o: EdgeOptions;
  readonly #log: Logger;
  readonly #http: http.Server;
  readonly #https: https.Server;
  #ports: EdgePorts = { http: 0, https: 0 };
  #up = false;
  #version = 0;
  #table: { version: number; table: RouteTable } | undefined;
  readonly #watches = new Map<string, () => void>();
  readonly #contexts = new Map<string, { rv: string; ctx: SecureContext | undefined }>();
  readonly #roundRobin = new Map<string, number>();
  #requests = 0;

  constructor(options: EdgeOptions) {
    this.#o = options;
    this.zone = options.zone;
    this.address = options.address;
    this.#log = options.log ?? (() => undefined);
    const handler = (protocol: Protocol) => (req: IncomingMessage, res: ServerResponse) => {
      try {
        this.#handle(protocol, req, res);
      } catch (err) {
        this.#log('error', 'edge request failed', { zone: this.zone, error: errorMessage(err) });
        if (!res.headersSent) this.#json(res, req, 500, { error: 'InternalError', message: errorMessage(err) });
        else res.destroy();
      }
    };
    this.#http = http.createServer({ keepAlive: true }, handler('http'));
    this.#https = https.createServer(
      {
        key: options.defaultCertificate.key,
        cert: options.defaultCertificate.cert,
        SNICallback: (servername, cb) => cb(null, this.#secureContext(servername)),
      },
      handler('https'),
    );
    this.#watchRouting();
  }

  get up(): boolean {
    return this.#up;
  }

  get ports(): EdgePorts {
    return { ...this.#ports };
  }

  /** Requests answered since the edge was created. */
  get requestCount(): number {
    return this.#requests;
  }

  /** Binds the HTTP and HTTPS listeners (0 = a free port); resolves with the bound ports. */
  async start(ports: EdgePorts): Promise<EdgePorts> {
    if (this.#up) return this.ports;
    const httpPort = await listen(this.#http, this.address, ports.http);
    let httpsPort: number;
    try {
      httpsPort = await listen(this.#https, this.address, ports.https);
    } catch (err) {
      await closeServer(this.#http);
      throw err;
    }
    this.#ports = { http: httpPort, https: httpsPort };
    this.#up = true;
    return this.ports;
  }

  /** Closes both listeners and every open connection: new connections are refused. */
  async stop(): Promise<void> {
    if (!this.#up) return;
    this.#up = false;
    await Promise.all([closeServer(this.#http), closeServer(this.#https)]);
  }

  /** Stops and forgets the store watches (the edge cannot be started again). */
  async dispose(): Promise<void> {
    await this.stop();
    for (const unwatch of this.#watches.values()) unwatch();
    this.#watches.clear();
  }

  /** The current routing table (rebuilt when a routing object changed since the last build). */
  routeTable(): RouteTable {
    if (this.#table && this.#table.version === this.#version) return this.#table.table;
    this.#watchRouting();
    const version = this.#version;
    const objects = this.#o.cluster.objects;
    const list = (kind: string, apiVersion = GW): KubeObject[] => objects.list({ apiVersion, kind });
    const table = buildRouteTable(
      {
        gatewayClasses: list('GatewayClass'),
        gateways: list('Gateway'),
        listenerSets: list('ListenerSet'),
        httpRoutes: list('HTTPRoute'),
        referenceGrants: list('ReferenceGrant'),
        ingresses: list('Ingress', 'networking.k8s.io/v1'),
        ingressClasses: list('IngressClass', 'networking.k8s.io/v1'),
        namespaces: list('Namespace', 'v1'),
      },
      { gatewayControllerNames: this.#o.gatewayControllerNames ?? [DEFAULT_GATEWAY_CONTROLLER], ingressControllerName: INGRESS_CONTROLLER },
    );
    this.#table = { version, table };
    return table;
  }

  // Subscribes to every routing kind that is served (CRDs may be installed later: a CRD change
  // bumps the version, and the next table build subscribes to what appeared).
  #watchRouting(): void {
    for (const kind of ROUTING_KINDS) {
      const key = `${kind.apiVersion}/${kind.kind}`;
      if (this.#watches.has(key) || !this.#o.cluster.objects.resourceType(kind)) continue;
      try {
        this.#watches.set(key, this.#o.cluster.objects.watch(kind, () => this.#version++, { initial: false }));
      } catch (err) {
        this.#log('warn', 'edge cannot watch a routing kind', { zone: this.zone, kind: key, error: errorMessage(err) });
      }
    }
  }

  #secureContext(servername: string): SecureContext | undefined {
    try {
      const entry = selectTls(this.routeTable(), servername.toLowerCase());
      if (!entry) return undefined;
      const secret = this.#o.cluster.objects.get({ apiVersion: 'v1', kind: 'Secret', ...entry.secret });
      if (!secret) return undefined;
      const key = `${entry.secret.namespace}/${entry.secret.name}`;
      const cached = this.#contexts.get(key);
      if (cached && cached.rv === secret.metadata.resourceVersion) return cached.ctx;
      const data = obj(secret.data);
      const decode = (v: unknown): string => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');
      let ctx: SecureContext | undefined;
      try {
        const cert = decode(data['tls.crt']);
        const privateKey = decode(data['tls.key']);
        if (cert && privateKey) ctx = tls.createSecureContext({ cert, key: privateKey });
      } catch (err) {
        this.#log('warn', 'edge cannot use a TLS secret; serving the default certificate', { zone: this.zone, secret: key, error: errorMessage(err) });
      }
      this.#contexts.set(key, { rv: secret.metadata.resourceVersion, ctx });
      return ctx;
    } catch (err) {
      this.#log('warn', 'SNI lookup failed; serving the default certificate', { zone: this.zone, servername, error: errorMessage(err) });
      return undefined;
    }
  }

  #json(res: ServerResponse, req: IncomingMessage, status: number, body: unknown, headers: Record<string, string> = {}): number {
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-satusky-zone': this.zone, ...headers });
    res.end(req.method === 'HEAD' ? undefined : text);
    return Buffer.byteLength(text);
  }

  #handle(protocol: Protocol, req: IncomingMessage, res: ServerResponse): void {
    this.#requests++;
    req.resume();
    const method = (req.method ?? 'GET').toUpperCase();
    let rawUrl = req.url ?? '/';
    let hostHeader = req.headers.host;
    if (/^https?:\/\//i.test(rawUrl)) {
      const u = new URL(rawUrl);
      hostHeader = u.host;
      rawUrl = `${u.pathname}${u.search}`;
    }
    const host = parseHost(hostHeader);
    const q = rawUrl.indexOf('?');
    const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const search = q >= 0 ? rawUrl.slice(q) : '';

    if (protocol === 'http' && path.startsWith(ACME_CHALLENGE_PREFIX)) {
      const token = path.slice(ACME_CHALLENGE_PREFIX.length);
      const keyAuthorization = this.#o.challenges.answer(token, host);
      if (keyAuthorization === undefined) {
        this.#json(res, req, 404, { error: 'NotFound', message: `no pending ACME challenge "${token}" for host "${host}"`, host });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(keyAuthorization), 'x-satusky-zone': this.zone });
      res.end(method === 'HEAD' ? undefined : keyAuthorization);
      return;
    }

    const table = this.routeTable();
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const entry = matchRoute(table, { protocol, host, path, method, header, query: new URLSearchParams(search) });
    if (!entry) {
      const message = host === '' ? 'the request has no Host' : hostKnown(table, protocol, host) ? `no rule matches ${method} ${path} on host "${host}"` : `no route for host "${host}" on this ${protocol.toUpperCase()} edge`;
      this.#json(res, req, 404, { error: 'NotFound', message, host, zone: this.zone });
      return;
    }
    if (entry.redirect) {
      const location = redirectLocation(entry.redirect, {
        protocol,
        host,
        path,
        search,
        ...(entry.match.path.type === 'PathPrefix' ? { matchedPrefix: entry.match.path.value } : {}),
        ports: this.#ports,
      });
      res.writeHead(entry.redirect.statusCode, { location, 'content-length': 0, 'x-satusky-zone': this.zone });
      res.end();
      return;
    }
    const backend = pickBackend(entry.backends);
    if (!backend) {
      this.#json(res, req, 500, { error: 'NoBackends', message: `${entry.source.kind} ${entry.source.namespace}/${entry.source.name} rule ${entry.ruleIndex} has no backend`, host });
      return;
    }
    if (backend.problem) {
      this.#json(res, req, 500, { error: 'InvalidBackend', message: backend.problem, host });
      return;
    }
    const objects = this.#o.cluster.objects;
    const service = objects.get({ apiVersion: 'v1', kind: 'Service', namespace: backend.namespace, name: backend.name });
    if (!service) {
      this.#json(res, req, 500, { error: 'BackendNotFound', message: `Service ${backend.namespace}/${backend.name} not found`, host });
      return;
    }
    const slices = objects.list({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' }, { namespace: backend.namespace, labelSelector: { 'kubernetes.io/service-name': backend.name } });
    const endpoints = slices.length === 0 ? objects.get({ apiVersion: 'v1', kind: 'Endpoints', namespace: backend.namespace, name: backend.name }) : undefined;
    const names = readyPodNames(slices, endpoints);
    const rrKey = `${backend.namespace}/${backend.name}`;
    let pod: KubeObject | undefined;
    for (let i = 0; i < names.length && !pod; i++) {
      const n = this.#roundRobin.get(rrKey) ?? 0;
      this.#roundRobin.set(rrKey, n + 1);
      const name = names[n % names.length];
      if (name) pod = objects.get({ apiVersion: 'v1', kind: 'Pod', namespace: backend.namespace, name });
    }
    if (!pod) {
      this.#json(res, req, 503, { error: 'ServiceUnavailable', message: `no ready endpoints for Service ${backend.namespace}/${backend.name}`, host, zone: this.zone });
      return;
    }
    const answer = podAnswer(pod, this.zone, { path, method, host });
    const status = imageStatus(answer.image);
    const body = status >= 400 ? { ...answer, error: `simulated failure: image ${answer.image} answers ${status}` } : answer;
    const bytes = this.#json(res, req, status, body, { 'x-satusky-pod': pod.metadata.name });
    try {
      this.#o.cluster.appendPodLog(
        backend.namespace,
        pod.metadata.name,
        accessLogLine({
          remoteAddress: req.socket.remoteAddress ?? '-',
          method,
          url: rawUrl,
          httpVersion: req.httpVersion,
          status,
          bytes: method === 'HEAD' ? 0 : bytes,
          ...(typeof req.headers.referer === 'string' ? { referer: req.headers.referer } : {}),
          ...(typeof req.headers['user-agent'] === 'string' ? { userAgent: req.headers['user-agent'] } : {}),
          host,
          time: Date.now(),
        }),
      );
    } catch (err) {
      this.#log('debug', 'access log not appended (pod gone?)', { zone: this.zone, pod: pod.metadata.name, error: errorMessage(err) });
    }
  }
}
