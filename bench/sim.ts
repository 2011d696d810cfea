// bench/sim.ts — the simulated Kubernetes cluster under load, `npm run bench:sim`.
//
// Measures, in one run and on the same machine, for 1,000 and 10,000 objects:
//   - server-side apply throughput (create, then a changed re-apply) over HTTPS,
//   - GET latency and LIST time,
//   - watch delivery latency (PATCH sent → event received on an open watch),
//   - resident memory of the simulator process,
//   - Deployments end to end (apply → ReplicaSet → Pod → Available) through the controllers,
// and compares each against a baseline measured in the same run: a bare Node HTTPS server
// answering the same requests with canned JSON of the same size (no storage, no logic), and raw
// Map operations for the in-process store. The simulator and the baseline each run in their own
// process; this one only drives load (keep-alive HTTPS, bounded concurrency).
//
// Options (environment): BENCH_SIZES (default "1000,10000"), BENCH_CONCURRENCY (default 32),
// BENCH_DEPLOYMENTS (default "1000,10000"). `--write` also writes the section for docs/benchmarks.md
// to bench/results/sim.md (git-ignored).

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, request, Agent, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority, issueLeaf, startSimCluster } from '../packages/sim/src/index.ts';

const SELF = fileURLToPath(import.meta.url);

interface Endpoint {
  url: string;
  token: string;
  ca: string;
}

type ChildMessage = { type: 'ready'; endpoint: Endpoint } | { type: 'rss'; rss: number; heap: number } | { type: 'settled'; available: number; objects: Record<string, number>; ms: number };

// ---------------------------------------------------------------- child processes

// Children end with the driver, whatever happens to it.
function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
}

async function serveSim(): Promise<void> {
  exitWithParent();
  const cluster = await startSimCluster({ name: 'bench', nodes: 3, port: 0, events: true, nodeCapacity: { cpu: '1000', memory: '4Ti', pods: '20000' } });
  const send = (m: ChildMessage): void => {
    process.send?.(m);
  };
  process.on('message', (raw: unknown) => {
    const m = raw as { type: string; deployments?: number };
    if (m.type === 'rss') {
      const mem = process.memoryUsage();
      send({ type: 'rss', rss: mem.rss, heap: mem.heapUsed });
    } else if (m.type === 'settle') {
      const started = performance.now();
      void (async () => {
        // Wait until every Deployment reports its replica available.
        for (;;) {
          await cluster.settle();
          const deps = cluster.objects.list<{ status?: { availableReplicas?: number } } & ReturnType<typeof cluster.objects.list>[number]>({ apiVersion: 'apps/v1', kind: 'Deployment' }, { namespace: 'bench' });
          const available = deps.filter((d) => d.status?.availableReplicas === 1).length;
          if (available >= (m.deployments ?? 0)) {
            send({ type: 'settled', available, objects: cluster.objectCounts(), ms: performance.now() - started });
            return;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
    } else if (m.type === 'stop') {
      void cluster.stop().then(() => process.exit(0));
    }
  });
  cluster.objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  send({ type: 'ready', endpoint: { url: cluster.url, token: cluster.token, ca: cluster.caPem } });
}

async function serveBaseline(): Promise<void> {
  exitWithParent();
  // A bare HTTPS server answering every request with canned JSON shaped like the simulator's
  // answers: the transport, TLS and JSON costs without any Kubernetes semantics.
  const ca = await createCertificateAuthority('bench baseline CA');
  const leaf = await issueLeaf(ca, { commonName: 'baseline', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], notAfter: new Date(Date.now() + 86_400_000) });
  const objectJson = (name: string, rv: number): string =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench', uid: '9c7d7d2e-0000-4000-8000-000000000000', resourceVersion: String(rv), creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'bench', operation: 'Apply', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:payload': {} } } }] }, data: { payload: 'x'.repeat(1024) } });
  let list = '';
  let rv = 0;
  const watchers = new Set<(line: string) => void>();
  const server = createServer({ key: leaf.privateKeyPem, cert: leaf.certificatePem, keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      const name = url.pathname.split('/').pop() ?? 'x';
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const w = (line: string): void => {
          res.write(line);
        };
        watchers.add(w);
        res.on('close', () => watchers.delete(w));
        return;
      }
      if (req.method === 'GET' && url.pathname.endsWith('/configmaps')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(list) });
        res.end(list);
        return;
      }
      const body = objectJson(name, ++rv);
      if (req.method === 'PATCH') for (const w of watchers) w(`{"type":"MODIFIED","object":${body}}\n`);
      res.writeHead(req.method === 'PATCH' ? 200 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.on('message', (raw: unknown) => {
    const m = raw as { type: string; listSize?: number };
    if (m.type === 'list') {
      const items: string[] = [];
      for (let i = 0; i < (m.listSize ?? 0); i++) items.push(objectJson(`cm-${i}`, i + 1));
      list = `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${rv}"},"items":[${items.join(',')}]}`;
      process.send?.({ type: 'listed' });
    } else if (m.type === 'rss') {
      const mem = process.memoryUsage();
      process.send?.({ type: 'rss', rss: mem.rss, heap: mem.heapUsed });
    } else if (m.type === 'stop') {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', endpoint: { url: `https://127.0.0.1:${port}`, token: 'baseline', ca: ca.certificatePem } });
}

// ---------------------------------------------------------------- driver helpers

class Child {
  readonly process: ChildProcess;
  readonly #waiters: ((m: ChildMessage) => boolean)[] = [];
  // Messages nobody waited for yet (a child may answer before the driver asks).
  readonly #unclaimed: ChildMessage[] = [];

  constructor(mode: string) {
    this.process = fork(SELF, [mode], { execPath: process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.process.on('message', (m: ChildMessage) => {
      const i = this.#waiters.findIndex((w) => w(m));
      if (i >= 0) this.#waiters.splice(i, 1);
      else this.#unclaimed.push(m);
    });
  }

  next<T extends ChildMessage['type']>(type: T, send?: object): Promise<Extract<ChildMessage, { type: T }>> {
    return new Promise((resolve) => {
      const early = this.#unclaimed.findIndex((m) => m.type === type);
      if (early >= 0 && !send) {
        resolve(this.#unclaimed.splice(early, 1)[0] as Extract<ChildMessage, { type: T }>);
        return;
      }
      this.#waiters.push((m) => {
        if (m.type !== type) return false;
        resolve(m as Extract<ChildMessage, { type: T }>);
        return true;
      });
      if (send) this.process.send(send);
    });
  }

  async waitFor(type: string, send: object): Promise<void> {
    await new Promise<void>((resolve) => {
      const onMessage = (m: { type: string }): void => {
        if (m.type === type) {
          this.process.off('message', onMessage);
          resolve();
        }
      };
      this.process.on('message', onMessage);
      this.process.send(send);
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.process.once('exit', () => resolve());
      this.process.send({ type: 'stop' });
    });
  }
}

interface Reply {
  status: number;
  body: string;
}

function client(ep: Endpoint, maxSockets: number): (method: string, path: string, body?: string, contentType?: string) => Promise<Reply> {
  const agent = new Agent({ keepAlive: true, maxSockets, ca: ep.ca });
  const base = new URL(ep.url);
  return (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const opts: RequestOptions = {
        method,
        host: base.hostname,
        port: base.port,
        path,
        agent,
        headers: { authorization: `Bearer ${ep.token}`, accept: 'application/json', 'content-type': contentType, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
      };
      const req = request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
}

async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await fn(i);
    }
  });
  await Promise.all(workers);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

const payload = 'x'.repeat(1024);

function configMap(i: number, version: number): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'bench', labels: { app: `app-${i % 50}`, version: String(version) } }, data: { payload, version: String(version) } });
}

function deployment(i: number): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `app-${i}`, namespace: 'bench', labels: { 'app.kubernetes.io/name': `app-${i}`, 'satusky.dev/org': `org-${i % 100}` } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': `app-${i}` } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': `app-${i}` } },
        spec: {
          containers: [{ name: 'app', image: `registry.example/org/app-${i}:1`, ports: [{ containerPort: 8080, name: 'http' }], resources: { requests: { cpu: '10m', memory: '32Mi' } }, env: [{ name: 'PORT', value: '8080' }] }],
        },
      },
    },
  });
}

const APPLY = 'application/apply-patch+yaml';

// ---------------------------------------------------------------- main

interface Row {
  measure: string;
  n: number;
  sim: string;
  baseline: string;
  ratio: string;
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
  const deploymentSizes = (process.env.BENCH_DEPLOYMENTS ?? '1000,10000').split(',').map(Number).filter((n) => n > 0);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
  const rows: Row[] = [];
  const notes: string[] = [];
  const add = (measure: string, n: number, sim: number, base: number, unit: string, lowerIsBetter: boolean): void => {
    const ratio = lowerIsBetter ? sim / base : base / sim;
    rows.push({ measure, n, sim: `${fmt(sim)} ${unit}`, baseline: `${fmt(base)} ${unit}`, ratio: `${fmt(ratio, 2)}×` });
    console.log(`${measure.padEnd(38)} n=${String(n).padEnd(6)} sim ${fmt(sim).padStart(9)} ${unit.padEnd(8)} baseline ${fmt(base).padStart(9)} ${unit.padEnd(8)} ratio ${fmt(ratio, 2)}× ${lowerIsBetter ? '(sim/baseline time)' : '(baseline/sim rate)'}`);
  };

  console.log(`satusky-sim benchmark — node ${process.version}, ${cpus().length} CPUs, ${mb(totalmem())} RAM (${mb(freemem())} free), load ${loadavg().map((l) => l.toFixed(1)).join('/')}, concurrency ${concurrency}`);

  // In-process: the store's write path against raw Map operations.
  {
    const n = 10_000;
    const cluster = await startSimCluster({ name: 'inproc', nodes: 1, port: 0, events: false });
    cluster.objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    let t = performance.now();
    for (let i = 0; i < n; i++) cluster.objects.apply(JSON.parse(configMap(i, 1)) as Record<string, unknown>, { fieldManager: 'bench' });
    const simMs = performance.now() - t;
    const map = new Map<string, unknown>();
    t = performance.now();
    for (let i = 0; i < n; i++) {
      const o = JSON.parse(configMap(i, 1)) as Record<string, unknown>;
      map.set(`bench/cm-${i}`, { ...o, metadata: { ...(o.metadata as object), resourceVersion: String(i) } });
      JSON.stringify(map.get(`bench/cm-${i}`));
    }
    const mapMs = performance.now() - t;
    add('in-process apply (ops/s)', n, (n / simMs) * 1000, (n / mapMs) * 1000, 'ops/s', false);
    await cluster.stop();
  }

  const sim = new Child('--serve-sim');
  const base = new Child('--serve-baseline');
  try {
    await drive(sim, base, { sizes, deploymentSizes, concurrency, add, notes, rows });
  } finally {
    await Promise.all([sim.stop(), base.stop()]);
  }
}

interface DriveOptions {
  sizes: number[];
  deploymentSizes: number[];
  concurrency: number;
  add: (measure: string, n: number, sim: number, base: number, unit: string, lowerIsBetter: boolean) => void;
  notes: string[];
  rows: Row[];
}

async function drive(sim: Child, base: Child, o: DriveOptions): Promise<void> {
  const { sizes, deploymentSizes, concurrency, add, notes, rows } = o;
  const simEp = (await sim.next('ready')).endpoint;
  const baseEp = (await base.next('ready')).endpoint;
  const simCall = client(simEp, concurrency);
  const baseCall = client(baseEp, concurrency);
  const rssStart = (await sim.next('rss', { type: 'rss' })).rss;
  notes.push(`Simulator RSS after start (3 nodes, add-ons installed): ${mb(rssStart)}.`);

  let created = 0;
  for (const n of sizes) {
    // SSA create of the objects not yet there, then a changed re-apply of all n.
    for (const [label, version] of [['apply create', 1], ['apply update', 2]] as const) {
      const from = label === 'apply create' ? created : 0;
      const count = label === 'apply create' ? n - created : n;
      if (count <= 0) continue;
      let failures = 0;
      let t = performance.now();
      await pool(count, concurrency, async (k) => {
        const i = from + k;
        const r = await simCall('PATCH', `/api/v1/namespaces/bench/configmaps/cm-${i}?fieldManager=bench&force=true`, configMap(i, version + n), APPLY);
        if (r.status !== 200 && r.status !== 201) failures++;
      });
      const simMs = performance.now() - t;
      if (failures > 0) throw new Error(`${failures} applies failed`);
      t = performance.now();
      await pool(count, concurrency, async (k) => {
        await baseCall('PATCH', `/api/v1/namespaces/bench/configmaps/cm-${from + k}?fieldManager=bench&force=true`, configMap(from + k, version + n), APPLY);
      });
      const baseMs = performance.now() - t;
      add(`SSA ${label} (objects/s)`, count, (count / simMs) * 1000, (count / baseMs) * 1000, 'obj/s', false);
    }
    created = n;
    // GET latency, sequential.
    const samples = 500;
    const simLat: number[] = [];
    const baseLat: number[] = [];
    for (let k = 0; k < samples; k++) {
      const i = Math.floor(Math.random() * n);
      let t = performance.now();
      await simCall('GET', `/api/v1/namespaces/bench/configmaps/cm-${i}`);
      simLat.push(performance.now() - t);
      t = performance.now();
      await baseCall('GET', `/api/v1/namespaces/bench/configmaps/cm-${i}`);
      baseLat.push(performance.now() - t);
    }
    simLat.sort((a, b) => a - b);
    baseLat.sort((a, b) => a - b);
    add('GET p50 latency', n, percentile(simLat, 50), percentile(baseLat, 50), 'ms', true);
    add('GET p99 latency', n, percentile(simLat, 99), percentile(baseLat, 99), 'ms', true);
    // LIST of all n objects.
    await base.waitFor('listed', { type: 'list', listSize: n });
    const runs = 5;
    let simTotal = 0;
    let baseTotal = 0;
    let bytes = 0;
    for (let k = 0; k < runs; k++) {
      let t = performance.now();
      const r = await simCall('GET', '/api/v1/namespaces/bench/configmaps');
      simTotal += performance.now() - t;
      bytes = r.body.length;
      const items = (JSON.parse(r.body) as { items: unknown[] }).items.length;
      // The namespace also holds its kube-root-ca.crt ConfigMap.
      if (items !== n + 1) throw new Error(`list returned ${items} items, expected ${n + 1}`);
      t = performance.now();
      await baseCall('GET', '/api/v1/namespaces/bench/configmaps');
      baseTotal += performance.now() - t;
    }
    add('LIST all (time per list)', n, simTotal / runs, baseTotal / runs, 'ms', true);
    notes.push(`LIST of ${n} ConfigMaps: ${(bytes / 1024 / 1024).toFixed(1)} MiB of JSON.`);
    // Watch delivery latency: PATCH → event on an open watch.
    for (const [ep, call, out] of [
      [simEp, simCall, simLat],
      [baseEp, baseCall, baseLat],
    ] as const) {
      out.length = 0;
      const pending = new Map<string, number>();
      const agent = new Agent({ keepAlive: false, ca: ep.ca });
      const u = new URL(ep.url);
      const watchRes = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: '/api/v1/namespaces/bench/configmaps?watch=true&resourceVersion=', agent, headers: { authorization: `Bearer ${ep.token}` } }, resolve);
        req.on('error', reject);
        req.end();
      });
      let buf = '';
      const delivered = new Set<string>();
      let wake: (() => void) | undefined;
      watchRes.on('data', (c: Buffer) => {
        buf += c.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /"name":"(cm-\d+)"/.exec(line);
          const name = m?.[1];
          if (name && pending.has(name) && line.includes('"MODIFIED"')) {
            out.push(performance.now() - (pending.get(name) ?? 0));
            pending.delete(name);
            delivered.add(name);
            wake?.();
          }
        }
      });
      for (let k = 0; k < 300; k++) {
        const name = `cm-${Math.floor(Math.random() * n)}`;
        if (pending.has(name)) continue;
        const marker = randomBytes(4).toString('hex');
        pending.set(name, performance.now());
        const got = new Promise<void>((resolve) => {
          wake = () => {
            if (!pending.has(name)) resolve();
          };
        });
        await call('PATCH', `/api/v1/namespaces/bench/configmaps/${name}?fieldManager=bench-watch`, JSON.stringify({ metadata: { annotations: { marker } } }), 'application/merge-patch+json');
        await got;
      }
      watchRes.destroy();
      agent.destroy();
    }
    simLat.sort((a, b) => a - b);
    baseLat.sort((a, b) => a - b);
    add('watch delivery p50 (PATCH→event)', n, percentile(simLat, 50), percentile(baseLat, 50), 'ms', true);
    add('watch delivery p99 (PATCH→event)', n, percentile(simLat, 99), percentile(baseLat, 99), 'ms', true);
    const rss = (await sim.next('rss', { type: 'rss' })).rss;
    const baseRss = (await base.next('rss', { type: 'rss' })).rss;
    add('resident memory', n, rss / 1024 / 1024, baseRss / 1024 / 1024, 'MiB', true);
  }

  // Deployments end to end through the controllers.
  let deployed = 0;
  for (const n of deploymentSizes) {
    const count = n - deployed;
    const t = performance.now();
    await pool(count, concurrency, async (k) => {
      const i = deployed + k;
      const r = await simCall('PATCH', `/apis/apps/v1/namespaces/bench/deployments/app-${i}?fieldManager=satusky&force=true`, deployment(i), APPLY);
      if (r.status !== 201 && r.status !== 200) throw new Error(`apply deployment failed: ${r.status} ${r.body}`);
    });
    const applyMs = performance.now() - t;
    const settled = await sim.next('settled', { type: 'settle', deployments: n });
    const totalMs = performance.now() - t;
    deployed = n;
    const rss = (await sim.next('rss', { type: 'rss' })).rss;
    const line = `${count} Deployments applied in ${fmt(applyMs / 1000, 2)} s (${fmt((count / applyMs) * 1000)} applies/s); all ${n} Available after ${fmt(totalMs / 1000, 2)} s (${fmt((count / totalMs) * 1000)} deployments/s end to end); store: ${JSON.stringify(settled.objects)}; simulator RSS ${mb(rss)}.`;
    console.log(line);
    notes.push(line);
  }

  const table = ['| measure | objects | simulator | baseline | ratio |', '|---|---:|---:|---:|---:|', ...rows.map((r) => `| ${r.measure} | ${r.n} | ${r.sim} | ${r.baseline} | ${r.ratio} |`)].join('\n');
  if (process.argv.includes('--write')) {
    const md = `## Simulated cluster (\`npm run bench:sim\`)

Command: \`npm run bench:sim -- --write\` — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), concurrency ${concurrency}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min; other work was running on this machine, so absolute numbers vary between runs, the ratios much less).

The simulator and the baseline (a bare Node HTTPS server answering with canned JSON of the same
shape and size, no storage or logic) each run in their own process; the benchmark process drives
them with keep-alive HTTPS. Ratios: for rates, baseline ÷ simulator; for times, simulator ÷
baseline — so 1.00× means "as fast as a server that does nothing", and higher means slower.

${table}

${notes.map((n) => `- ${n}`).join('\n')}
`;
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    await writeFile(new URL('./results/sim.md', import.meta.url), md);
    console.log('wrote bench/results/sim.md (the section for docs/benchmarks.md)');
  }
  console.log(`\n${table}\n`);
  for (const n of notes) console.log(`- ${n}`);
}

if (process.argv.includes('--serve-sim')) await serveSim();
else if (process.argv.includes('--serve-baseline')) await serveBaseline();
else await main();
