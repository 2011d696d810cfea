// bench/world.ts — the simulated world under load, `npm run bench:world`.
//
// Measures, in one run and on the same machine:
//   - startup time of a two-zone world (median of BENCH_STARTS runs, in memory),
//   - edge throughput and latency over keep-alive HTTP: a request routed by an HTTPRoute to a
//     Service with 3 ready pods, answered as the pod (with the access-log line), and a 404,
//   - the same against a baseline: a bare Node HTTP server answering JSON of the same size,
//   - TLS handshakes per second on the HTTPS edge (SNI → Secret → cached context), new connection
//     per request, against a bare Node HTTPS server,
//   - world DNS queries per second (node:dns Resolver, UDP, BENCH_CONCURRENCY in flight).
// The world and the baselines each run in their own process; this one only drives load.
//
// Options (environment): BENCH_DURATION seconds per measurement (default 5), BENCH_CONNECTIONS
// (default 32), BENCH_STARTS (default 5), BENCH_DNS_QUERIES (default 20000), BENCH_CONCURRENCY
// (default 32).

import { fork, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { issueLeaf } from '../packages/sim/src/index.ts';
import { startWorld } from '../packages/world/src/index.ts';

const SELF = fileURLToPath(import.meta.url);
const duration = Number(process.env.BENCH_DURATION ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const starts = Number(process.env.BENCH_STARTS ?? 5);
const dnsQueries = Number(process.env.BENCH_DNS_QUERIES ?? 20_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);

interface Ready {
  type: 'ready';
  http: string;
  https: string;
  host: string;
  dns?: { host: string; port: number };
  ca?: string;
  bodyBytes?: number;
}

// ---------------------------------------------------------------- child: the world

async function serveWorld(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  const world = await startWorld({ zones: [{ name: 'bench-a', nodes: 3 }, { name: 'bench-b', nodes: 3 }], httpPort: 0, httpsPort: 0, dnsPort: 0 });
  const objects = world.zone('bench-a').cluster.objects;
  const edge = world.zone('bench-a').edgeAddress;
  objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  objects.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'bench' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { 'app.kubernetes.io/name': 'web', app: 'web', 'satusky.com/release': 'r1' } }, spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.0' }] } } },
  });
  objects.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'bench' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  const leaf = await issueLeaf(undefined, { commonName: 'web.example.com', dnsNames: ['web.example.com'], notAfter: new Date(Date.now() + 86_400_000) });
  objects.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-tls', namespace: 'bench' }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(leaf.certificatePem).toString('base64'), 'tls.key': Buffer.from(leaf.privateKeyPem ?? '').toString('base64') } });
  objects.create({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'bench' },
    spec: { gatewayClassName: 'sim', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }, { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'web.example.com', tls: { certificateRefs: [{ name: 'web-tls' }] } }] },
  });
  // A few unrelated routes, so matching is not trivially the only entry.
  for (let i = 0; i < 50; i++) {
    objects.create({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: `other-${i}`, namespace: 'bench' }, spec: { parentRefs: [{ name: 'gw' }], hostnames: [`app-${i}.example.com`], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] } });
  }
  objects.create({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'bench' }, spec: { parentRefs: [{ name: 'gw' }], hostnames: ['web.example.com'], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] } });
  world.registrar.set({ name: 'web.example.com', type: 'A', values: [edge] });
  for (let i = 0; i < 200; i++) world.registrar.set({ name: `host-${i}.example.com`, type: 'A', values: [edge] });
  const url = `http://${edge}:${world.httpPort}/`;
  let bodyBytes = 0;
  for (let i = 0; i < 200; i++) {
    const r = await fetch(url, { headers: { host: 'web.example.com' } }).catch(() => undefined);
    if (r?.status === 200) {
      bodyBytes = (await r.text()).length;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const ready: Ready = { type: 'ready', http: url, https: `https://${edge}:${world.httpsPort}/`, host: 'web.example.com', dns: world.dns, ca: leaf.certificatePem, bodyBytes };
  process.send?.(ready);
}

// ---------------------------------------------------------------- child: the baselines

async function serveBaseline(bodyBytes: number): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  const body = `${JSON.stringify({ app: 'web', pad: 'x'.repeat(Math.max(0, bodyBytes - 30)) })}\n`;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const plain = http.createServer({ keepAlive: true }, handler);
  const leaf = await issueLeaf(undefined, { commonName: 'web.example.com', dnsNames: ['web.example.com'], notAfter: new Date(Date.now() + 86_400_000) });
  const secure = https.createServer({ key: leaf.privateKeyPem, cert: leaf.certificatePem }, handler);
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  const port = (s: http.Server): number => (s.address() as { port: number }).port;
  const ready: Ready = { type: 'ready', http: `http://127.0.0.1:${port(plain)}/`, https: `https://127.0.0.1:${port(secure)}/`, host: 'web.example.com', ca: leaf.certificatePem };
  process.send?.(ready);
}

// ---------------------------------------------------------------- driver

function start(args: string[]): Promise<{ child: ChildProcess; ready: Ready }> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m: unknown) => resolve({ child, ready: m as Ready }));
    child.once('exit', (code) => reject(new Error(`bench child ${args.join(' ')} exited ${String(code)}`)));
  });
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(name: string, url: string, host: string): Promise<Row> {
  const options = { url, connections, headers: { host } };
  await autocannon({ ...options, duration: 1 });
  const r = await autocannon({ ...options, duration });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + (name.includes('404') ? 0 : r.non2xx) };
}

async function handshakes(name: string, url: string, ca: string, servername: string): Promise<Row> {
  const u = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + duration * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t = performance.now();
      const req = https.request({ host: u.hostname, port: Number(u.port), path: '/', servername, headers: { host: servername }, ca, agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) await one();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(connections, 16) }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  return { name, rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), errors };
}

async function dnsLoad(dns: { host: string; port: number }): Promise<Row> {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`${dns.host}:${dns.port}`]);
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < dnsQueries) {
        const i = next++;
        const t = performance.now();
        try {
          await resolver.resolve4(`host-${i % 200}.example.com`);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 10) / 10;
  return { name: 'world DNS, A queries (UDP)', rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), errors };
}

async function startupTimes(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < starts; i++) {
    const t = performance.now();
    const world = await startWorld({ zones: [{ name: 'start-a' }, { name: 'start-b' }], httpPort: 0, httpsPort: 0, dnsPort: 0 });
    times.push(performance.now() - t);
    await world.stop();
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--world') return serveWorld();
  if (process.argv[2] === '--baseline') return serveBaseline(Number(process.argv[3] ?? 200));
  const startup = await startupTimes();
  const world = await start(['--world']);
  const baseline = await start(['--baseline', String(world.ready.bodyBytes ?? 200)]);
  try {
    const rows: Row[] = [];
    rows.push(await load('edge HTTP, routed to a pod (keep-alive)', world.ready.http, world.ready.host));
    rows.push(await load('edge HTTP, unknown host 404 (keep-alive)', world.ready.http, 'nobody.example.com'));
    rows.push(await load('baseline: bare Node HTTP, same body', baseline.ready.http, baseline.ready.host));
    rows.push(await handshakes('edge HTTPS, new TLS connection per request', world.ready.https, world.ready.ca ?? '', world.ready.host));
    rows.push(await handshakes('baseline: bare Node HTTPS, new TLS connection', baseline.ready.https, baseline.ready.ca ?? '', baseline.ready.host));
    if (world.ready.dns) rows.push(await dnsLoad(world.ready.dns));
    const median = startup[Math.floor(startup.length / 2)] ?? 0;
    console.log(`\nTwo-zone world startup (in memory): median ${Math.round(median)} ms, min ${Math.round(startup[0] ?? 0)} ms, max ${Math.round(startup.at(-1) ?? 0)} ms over ${startup.length} starts\n`);
    console.log('| Measurement | req/s | p50 ms | p99 ms | errors |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
    const edge = rows[0]?.rps ?? 0;
    const base = rows[2]?.rps ?? 1;
    console.log(`\nEdge routed throughput is ${((edge / base) * 100).toFixed(0)}% of the bare server's (connections ${connections}, ${duration}s per measurement).`);
  } finally {
    world.child.kill();
    baseline.child.kill();
  }
}

await main();
