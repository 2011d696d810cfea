// A simulated Kubernetes cluster: the apiserver (HTTPS, bearer token), its storage, the simulated
// controllers, fault injection, the control API and optional persistence. `startSimCluster` is the
// entry point; see index.ts for the documented public surface.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { CERT_MANAGER_CRDS, crdManifest, GATEWAY_API_CRDS, VELERO_CRDS } from './addons.ts';
import { builtinResources } from './api/builtins.ts';
import { ApiError, serviceUnavailable } from './api/errors.ts';
import { ApiHandler, type RequestRecord } from './api/handler.ts';
import { sendError } from './api/http.ts';
import { Registry, type ResourceType } from './api/registry.ts';
import { caCertificateIssuer, certManagerController, type CertificateIssuer } from './controllers/cert-manager.ts';
import { crdController, crdToResourceType, establishCrd } from './controllers/crd.ts';
import { deploymentController } from './controllers/deployment.ts';
import { EventRecorder } from './controllers/events.ts';
import { gatewayController } from './controllers/gateway.ts';
import { gcController } from './controllers/gc.ts';
import { ingressController } from './controllers/ingress.ts';
import { kubeletController } from './controllers/kubelet.ts';
import { ControllerManager, type ControllerContext, type Logger } from './controllers/manager.ts';
import { namespaceController } from './controllers/namespace.ts';
import { replicaSetController } from './controllers/replicaset.ts';
import { schedulerController } from './controllers/scheduler.ts';
import { serviceController } from './controllers/services.ts';
import { setCondition } from './controllers/util.ts';
import { veleroController } from './controllers/velero.ts';
import { volumeController } from './controllers/volumes.ts';
import { handleControl } from './control.ts';
import { metricsProvider } from './metrics.ts';
import { createSimObjects, type SimObjects } from './objects.ts';
import {
  DEFAULT_GATEWAY_CLASS,
  DEFAULT_GATEWAY_CONTROLLER,
  DEFAULT_INGRESS_CLASS,
  INGRESS_CONTROLLER,
  resolvePodTimings,
  type ResolvedPodTimings,
  type SimClusterOptions,
} from './options.ts';
import { PodLogs } from './pod-logs.ts';
import { kubeconfigYaml, writeKubeconfigFile, type KubeconfigEntry } from './server/kubeconfig.ts';
import { ApiListener, type ApiMode } from './server/listener.ts';
import { loadSnapshot, Persistence } from './server/persistence.ts';
import { createCertificateAuthority, issueLeaf, loadCertificateAuthority, type CertificateAuthority } from './server/tls.ts';
import { Allocators } from './store/allocators.ts';
import { ApiStorage } from './store/storage.ts';
import { Store, type KubeObject } from './store/store.ts';
import { arr, isObject, obj, str, text } from './util/json.ts';
import { hex } from './util/names.ts';
import { rfc3339 } from './util/time.ts';

/** Fault settings; omitted fields keep their current value. */
export interface FaultSettings {
  /** `down`: connections refused. `blackhole`: connections accepted, never answered. */
  api?: ApiMode;
  /** Added before every Kubernetes API response. */
  latencyMs?: number;
  /** Fraction (0..1) of Kubernetes API requests answered with `errorStatus`. */
  errorRate?: number;
  /** Status of injected errors: 503 ServiceUnavailable (default), 500 or 429. */
  errorStatus?: number;
}

export type FaultState = Required<FaultSettings>;

export interface FaultControl {
  get(): FaultState;
  set(settings: FaultSettings): Promise<FaultState>;
}

export interface KubeconfigOptions {
  /** Context, cluster and user name. Defaults to the cluster name. */
  contextName?: string;
  /** Default namespace of the context. Default `default`. */
  namespace?: string;
}

export interface AddNodeOptions {
  name?: string;
  labels?: Record<string, string>;
  ready?: boolean;
}

export interface SimClusterInfo {
  name: string;
  zone: string;
  region: string | undefined;
  url: string;
  controlUrl: string;
  nodes: string[];
  resourceVersion: number;
  faults: FaultState;
}

const DEFAULT_CAPACITY = { cpu: '32', memory: '128Gi', pods: '1000', ephemeralStorage: '500Gi' };
const REQUEST_LOG_SIZE = 2000;

function validateOptions(o: SimClusterOptions): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.name)) throw new Error(`invalid cluster name "${o.name}": use a DNS label`);
  if (o.nodes !== undefined && (!Number.isInteger(o.nodes) || o.nodes < 0)) throw new Error('nodes must be a non-negative integer');
}

export class SimCluster {
  readonly name: string;
  readonly zone: string;
  readonly region: string | undefined;
  /** In-process access to the cluster's objects (see objects.ts). */
  readonly objects: SimObjects;
  readonly faults: FaultControl;

  readonly #o: SimClusterOptions;
  readonly #host: string;
  readonly #timings: ResolvedPodTimings;
  readonly #log: Logger;
  readonly #registry = new Registry();
  readonly #store: Store;
  readonly #allocators = new Allocators();
  readonly #storage: ApiStorage;
  readonly #logs: PodLogs;
  readonly #events: EventRecorder;
  readonly #ctx: ControllerContext;
  readonly #api: ApiHandler;
  #token = '';
  #ca: CertificateAuthority | undefined;
  #serving: { key: string; cert: string } | undefined;
  #listener: ApiListener | undefined;
  #control: HttpsServer | undefined;
  #controlPort: number;
  #manager: ControllerManager | undefined;
  #persistence: Persistence | undefined;
  #eventTimer: NodeJS.Timeout | undefined;
  #faults: FaultState = { api: 'ok', latencyMs: 0, errorRate: 0, errorStatus: 503 };
  #requests: RequestRecord[] = [];
  #initialized = false;
  #running = false;
  #velero: ReturnType<typeof veleroController> | undefined;
  #nodeSeq = 0;

  constructor(options: SimClusterOptions) {
    validateOptions(options);
    this.#o = options;
    this.name = options.name;
    this.zone = options.zone ?? options.name;
    this.region = options.region;
    this.#host = options.host ?? '127.0.0.1';
    this.#controlPort = options.controlPort ?? 0;
    this.#timings = resolvePodTimings(options.podTimings);
    this.#log = options.logger ?? (() => undefined);
    this.#store = new Store({ historySize: options.watchHistorySize ?? 10_000, freeze: options.strictImmutability === true });
    for (const rt of builtinResources()) this.#registry.add(rt);
    this.#storage = new ApiStorage(this.#store, this.#registry, this.#allocators);
    this.#logs = new PodLogs(() => Date.now());
    this.#events = new EventRecorder({
      storage: this.#storage,
      eventsRt: () => this.#registry.get('/events') as ResourceType,
      now: () => Date.now(),
      enabled: options.events !== false,
    });
    const registry = this.#registry;
    this.#ctx = {
      storage: this.#storage,
      store: this.#store,
      registry,
      events: this.#events,
      log: this.#log,
      now: () => Date.now(),
      rt: (key) => {
        const rt = registry.get(key);
        if (!rt) throw new Error(`resource type ${key} is not registered`);
        return rt;
      },
      maybeRt: (key) => registry.get(key),
    };
    const minor = options.kubernetesMinor ?? '32';
    this.#api = new ApiHandler({
      storage: this.#storage,
      registry: this.#registry,
      token: '',
      version: { major: '1', minor, gitVersion: `v1.${minor}.4` },
      podLogs: this.#logs,
      virtual: metricsProvider(this.#store, this.#registry, () => Date.now()),
      serverAddress: () => `${this.#host}:${this.#listener?.port ?? 0}`,
      onRequest: (r) => {
        this.#requests.push(r);
        if (this.#requests.length > REQUEST_LOG_SIZE * 1.5) this.#requests = this.#requests.slice(-REQUEST_LOG_SIZE);
      },
      now: () => Date.now(),
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000,
    });
    this.objects = createSimObjects(this.#storage, this.#registry);
    this.faults = {
      get: () => ({ ...this.#faults }),
      set: async (settings) => {
        const next: FaultState = {
          api: settings.api ?? this.#faults.api,
          latencyMs: Math.max(0, settings.latencyMs ?? this.#faults.latencyMs),
          errorRate: Math.min(1, Math.max(0, settings.errorRate ?? this.#faults.errorRate)),
          errorStatus: settings.errorStatus ?? this.#faults.errorStatus,
        };
        if (!['ok', 'down', 'blackhole'].includes(next.api)) throw new ApiError(400, 'BadRequest', `unknown api fault mode "${next.api}"`);
        this.#faults = next;
        if (this.#running && this.#listener) await this.#listener.setMode(next.api);
        return { ...next };
      },
    };
  }

  /** `https://host:port` of the Kubernetes API. */
  get url(): string {
    return `https://${this.#urlHost()}:${this.#listener?.port ?? this.#o.port ?? 0}`;
  }

  /** `https://host:port` of the control API (`/_sim/...`), which answers even while the API is faulted. */
  get controlUrl(): string {
    return `https://${this.#urlHost()}:${this.#controlPort}`;
  }

  get port(): number {
    return this.#listener?.port ?? this.#o.port ?? 0;
  }

  get token(): string {
    return this.#token;
  }

  /** PEM of the cluster CA: it signs the apiserver's certificate (and is the default ACME issuer). */
  get caPem(): string {
    return this.#ca?.certificatePem ?? '';
  }

  get running(): boolean {
    return this.#running;
  }

  get certificateAuthority(): CertificateAuthority {
    if (!this.#ca) throw new Error('cluster not started');
    return this.#ca;
  }

  #urlHost(): string {
    return isIP(this.#host) === 6 ? `[${this.#host}]` : this.#host;
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.#running) return;
    if (!this.#initialized) await this.#init();
    const serving = this.#serving;
    if (!serving) throw new Error('missing serving certificate');
    this.#manager = this.#createControllers();
    this.#manager.start();
    if (this.#o.dataDir) {
      this.#persistence ??= new Persistence(this.#o.dataDir, this.#store, this.name, this.#o.persistDebounceMs ?? 1000, (err) =>
        this.#log('error', 'state snapshot failed', { error: err instanceof Error ? err.message : String(err) }),
      );
      this.#persistence.start();
    }
    this.#eventTimer = setInterval(() => this.#events.expire(this.#o.eventTtlMs ?? 3_600_000), 60_000);
    this.#eventTimer.unref();
    this.#listener ??= new ApiListener({ host: this.#host, port: this.#o.port ?? 0, key: serving.key, cert: serving.cert, handler: (req, res) => this.#handleApi(req, res) });
    await this.#listener.start();
    if (this.#faults.api !== 'ok') await this.#listener.setMode(this.#faults.api);
    await this.#startControl(serving);
    this.#running = true;
  }

  async #startControl(serving: { key: string; cert: string }): Promise<void> {
    const server = createHttpsServer({ key: serving.key, cert: serving.cert }, (req, res) => {
      handleControl(this, req, res).catch((err: unknown) => this.#log('error', 'control request failed', { error: String(err) }));
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: this.#host, port: this.#controlPort }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && this.#controlPort !== 0 && attempt < 50) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        throw err;
      }
    }
    const address = server.address();
    if (address && typeof address === 'object') this.#controlPort = address.port;
    this.#control = server;
  }

  /** Stops everything: listeners (and every open connection, watches included), controllers; flushes state. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#api.watches.closeAll();
    this.#logs.closeAll();
    this.#manager?.stop();
    this.#manager = undefined;
    if (this.#eventTimer) clearInterval(this.#eventTimer);
    this.#eventTimer = undefined;
    const control = this.#control;
    this.#control = undefined;
    await Promise.all([
      this.#listener?.stop(),
      control
        ? new Promise<void>((resolve) => {
            control.close(() => resolve());
            control.closeAllConnections();
          })
        : undefined,
    ]);
    await this.#persistence?.stop();
  }

  /**
   * Stops and starts again on the same ports, keeping the state (in memory, and on disk with a
   * data directory). Like a restarted apiserver, the watch history starts empty: clients resuming
   * from an older resourceVersion get 410 Gone and relist.
   */
  async restart(): Promise<void> {
    await this.stop();
    this.#store.compactHistory();
    await this.start();
  }

  /** Waits until the simulated controllers have no immediate work left (delayed work may remain). */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.#manager?.whenIdle();
      await new Promise((r) => setImmediate(r));
    }
  }

  async saveSnapshot(): Promise<void> {
    await this.#persistence?.save();
  }

  async #init(): Promise<void> {
    const dir = this.#o.dataDir;
    if (dir) await mkdir(join(dir, 'tls'), { recursive: true, mode: 0o700 });
    this.#token = this.#o.token ?? (dir ? await readOrCreate(join(dir, 'token'), () => randomBytes(24).toString('base64url')) : randomBytes(24).toString('base64url'));
    this.#api.setToken(this.#token);
    // CA
    if (dir) {
      const [crt, key] = await Promise.all([readMaybe(join(dir, 'tls', 'ca.crt')), readMaybe(join(dir, 'tls', 'ca.key'))]);
      if (crt && key) this.#ca = await loadCertificateAuthority(crt, key);
    }
    if (!this.#ca) {
      this.#ca = await createCertificateAuthority(`satusky-sim ${this.name} CA`);
      if (dir) {
        await atomicWrite(join(dir, 'tls', 'ca.crt'), this.#ca.certificatePem);
        await atomicWrite(join(dir, 'tls', 'ca.key'), this.#ca.privateKeyPem);
      }
    }
    // Serving certificate (reused from disk when it still covers the host).
    const hostTag = `# host=${this.#host}\n`;
    if (dir) {
      const [crt, key] = await Promise.all([readMaybe(join(dir, 'tls', 'apiserver.crt')), readMaybe(join(dir, 'tls', 'apiserver.key'))]);
      if (crt && key && crt.startsWith(hostTag)) this.#serving = { cert: crt.slice(hostTag.length), key };
    }
    if (!this.#serving) {
      const ips = ['127.0.0.1', '::1', '10.96.0.1'];
      const dns = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
      if (isIP(this.#host) !== 0) {
        if (!ips.includes(this.#host)) ips.push(this.#host);
      } else if (!dns.includes(this.#host)) dns.push(this.#host);
      const leaf = await issueLeaf(this.#ca, { commonName: 'kube-apiserver', dnsNames: dns, ipAddresses: ips, notAfter: new Date(Date.now() + 3650 * 86_400_000), serverAuth: true });
      this.#serving = { cert: leaf.certificatePem, key: leaf.privateKeyPem ?? '' };
      if (dir) {
        await atomicWrite(join(dir, 'tls', 'apiserver.crt'), hostTag + this.#serving.cert);
        await atomicWrite(join(dir, 'tls', 'apiserver.key'), this.#serving.key);
      }
    }
    const snapshot = dir ? await loadSnapshot(dir) : undefined;
    if (snapshot) this.#restore(snapshot.objects, snapshot.resourceVersion);
    else this.#seed();
    this.#initialized = true;
  }

  #restore(entries: { key: string; object: KubeObject }[], rv: number): void {
    const crdKey = 'apiextensions.k8s.io/customresourcedefinitions';
    for (const e of entries) {
      if (e.key !== crdKey || e.object.metadata.deletionTimestamp) continue;
      const rt = crdToResourceType(e.object);
      if (rt && !this.#registry.get(rt.key)) this.#registry.add(rt);
    }
    const resolved: { rt: ResourceType; object: KubeObject }[] = [];
    for (const e of entries) {
      const rt = this.#registry.get(e.key);
      if (rt) resolved.push({ rt, object: e.object });
    }
    this.#store.load(resolved, rv);
    for (const { rt, object } of resolved) {
      if (rt.key === '/services') {
        const spec = obj(object.spec);
        if (typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None') this.#allocators.serviceIPs.reserve(spec.clusterIP);
        for (const p of arr(spec.ports)) if (isObject(p) && typeof p.nodePort === 'number') this.#allocators.nodePorts.reserve(p.nodePort);
      } else if (rt.key === '/pods') {
        const ip = str(obj(object.status).podIP);
        if (ip) this.#allocators.podIPs.reserve(ip);
      } else if (rt.key === '/nodes') {
        const m = /-(\d+)$/.exec(object.metadata.name);
        if (m) this.#nodeSeq = Math.max(this.#nodeSeq, Number(m[1]) + 1);
      }
    }
  }

  #seed(): void {
    const w = { internal: true, fieldManager: 'satusky-sim' };
    const rt = (key: string): ResourceType => this.#ctx.rt(key);
    const addons = this.#o.addons ?? {};
    const namespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
    if (addons.certManager !== false) namespaces.push('cert-manager');
    if (addons.velero !== false) namespaces.push('velero');
    for (const n of namespaces) this.#storage.create(rt('/namespaces'), '', { metadata: { name: n } }, w);
    for (let i = 0; i < (this.#o.nodes ?? 3); i++) this.addNode();
    this.#storage.create(
      rt('/services'),
      'default',
      {
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], sessionAffinity: 'None', type: 'ClusterIP' },
      },
      w,
    );
    this.#storage.create(
      rt('/endpoints'),
      'default',
      { metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets: [{ addresses: [{ ip: isIP(this.#host) === 4 ? this.#host : '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }] },
      w,
    );
    this.#storage.create(
      rt('/services'),
      'kube-system',
      {
        metadata: { name: 'kube-dns', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
        spec: {
          clusterIP: '10.96.0.10',
          selector: { 'k8s-app': 'kube-dns' },
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          ],
        },
      },
      w,
    );
    this.#storage.create(
      rt('storage.k8s.io/storageclasses'),
      '',
      {
        metadata: { name: 'ceph-block', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: 'rook-ceph.rbd.csi.ceph.com',
        parameters: { clusterID: 'rook-ceph', pool: 'replicapool', 'csi.storage.k8s.io/fstype': 'ext4' },
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate',
        allowVolumeExpansion: true,
      },
      w,
    );
    this.#storage.create(
      rt('networking.k8s.io/ingressclasses'),
      '',
      { metadata: { name: DEFAULT_INGRESS_CLASS, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: INGRESS_CONTROLLER } },
      w,
    );
    const crdRt = rt('apiextensions.k8s.io/customresourcedefinitions');
    const install = (defs: typeof GATEWAY_API_CRDS): void => {
      for (const def of defs) {
        const manifest = crdManifest(def);
        const name = String(obj(manifest.metadata).name);
        const { object } = this.#storage.apply(crdRt, '', name, manifest, { fieldManager: 'satusky-sim-addons', force: true });
        establishCrd(this.#ctx, object);
      }
    };
    if (addons.gatewayApi !== false) {
      install(GATEWAY_API_CRDS);
      this.#storage.create(
        rt('gateway.networking.k8s.io/gatewayclasses'),
        '',
        { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: DEFAULT_GATEWAY_CLASS }, spec: { controllerName: (this.#o.gatewayControllerNames ?? [DEFAULT_GATEWAY_CONTROLLER])[0], description: 'The satusky-sim edge of this cluster' } },
        w,
      );
    }
    if (addons.certManager !== false) install(CERT_MANAGER_CRDS);
    if (addons.velero !== false) {
      install(VELERO_CRDS);
      this.#storage.create(
        rt('velero.io/backupstoragelocations'),
        'velero',
        { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', metadata: { name: 'default' }, spec: { provider: 'aws', default: true, objectStorage: { bucket: `satusky-sim-${this.name}` }, config: { region: this.region ?? 'sim' } } },
        w,
      );
    }
  }

  #createControllers(): ControllerManager {
    const ctx = this.#ctx;
    const m = new ControllerManager(ctx);
    const address = (): string => this.#o.gatewayAddress ?? this.#host;
    m.add(namespaceController(ctx, () => this.caPem));
    m.add(crdController(ctx));
    m.add(gcController(ctx));
    m.add(schedulerController(ctx, () => this.#timings.scheduleMs));
    m.add(kubeletController(ctx, { timings: this.#timings, logs: this.#logs }));
    m.add(replicaSetController(ctx));
    m.add(deploymentController(ctx));
    m.add(serviceController(ctx, { loadBalancerAddress: address }));
    m.add(volumeController(ctx));
    m.add(ingressController(ctx, { address, controllerName: INGRESS_CONTROLLER }));
    m.add(gatewayController(ctx, { controllerNames: () => this.#o.gatewayControllerNames ?? [DEFAULT_GATEWAY_CONTROLLER], address }));
    const issuer: CertificateIssuer = this.#o.certificateIssuer ?? caCertificateIssuer(() => this.certificateAuthority);
    m.add(
      certManagerController(ctx, {
        clusterName: this.name,
        issuer: () => issuer,
        issueDelayMs: this.#o.certManager?.issueDelayMs ?? 0,
        retryBaseMs: this.#o.certManager?.retryBaseMs ?? 1000,
        retryMaxMs: this.#o.certManager?.retryMaxMs ?? 300_000,
        clusterResourceNamespace: 'cert-manager',
      }),
    );
    this.#velero = veleroController(ctx, { backupMs: this.#o.velero?.backupMs ?? 0, restoreMs: this.#o.velero?.restoreMs ?? 0 });
    m.add(this.#velero);
    return m;
  }

  #handleApi(req: IncomingMessage, res: ServerResponse): void {
    if ((req.url ?? '').startsWith('/_sim/')) {
      handleControl(this, req, res).catch((err: unknown) => this.#log('error', 'control request failed', { error: String(err) }));
      return;
    }
    const f = this.#faults;
    const run = async (): Promise<void> => {
      if (f.latencyMs > 0) await new Promise((r) => setTimeout(r, f.latencyMs));
      if (f.errorRate > 0 && Math.random() < f.errorRate) {
        const err =
          f.errorStatus === 429
            ? new ApiError(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later (injected fault)', { retryAfterSeconds: 1 })
            : f.errorStatus === 500
              ? new ApiError(500, 'InternalError', 'Internal error occurred: injected fault')
              : serviceUnavailable('the server is currently unable to handle the request (injected fault)');
        if (err.code === 429 || err.code === 503) res.setHeader('Retry-After', '1');
        sendError(res, err);
        return;
      }
      await this.#api.handle(req, res);
    };
    run().catch((err: unknown) => this.#log('error', 'request failed', { error: String(err) }));
  }

  // ---------------------------------------------------------------- public helpers

  /** A kubeconfig (YAML) for this cluster: certificate-authority-data and the bearer token. */
  kubeconfig(options: KubeconfigOptions = {}): string {
    return kubeconfigYaml([this.kubeconfigEntry(options)]);
  }

  kubeconfigEntry(options: KubeconfigOptions = {}): KubeconfigEntry {
    return { context: options.contextName ?? this.name, server: this.url, caPem: this.caPem, token: this.token, ...(options.namespace ? { namespace: options.namespace } : {}) };
  }

  /** Writes this cluster's kubeconfig; with `merge`, updates an existing file keeping other clusters. */
  async writeKubeconfig(path: string, options: KubeconfigOptions & { merge?: boolean } = {}): Promise<void> {
    await writeKubeconfigFile(path, [this.kubeconfigEntry(options)], { merge: options.merge === true, ...(options.merge ? {} : { currentContext: options.contextName ?? this.name }) });
  }

  /** Appends a line to a pod container's log (the first container when omitted). */
  appendPodLog(namespace: string, pod: string, line: string, container?: string): void {
    const p = this.#store.get(this.#ctx.rt('/pods'), namespace, pod);
    if (!p) throw new ApiError(404, 'NotFound', `pods "${pod}" not found`, { name: pod, kind: 'pods' });
    const name = container ?? text(obj(arr(obj(p.spec).containers)[0]).name ?? '');
    if (!arr(obj(p.spec).containers).some((c) => obj(c).name === name)) throw new ApiError(400, 'BadRequest', `container ${name} is not valid for pod ${pod}`);
    this.#logs.append(namespace, pod, name, line);
  }

  /** Marks a node Ready or NotReady (kubelet stopped posting status); pods on it become not Ready. */
  setNodeReady(name: string, ready: boolean): void {
    const nodes = this.#ctx.rt('/nodes');
    const node = this.#store.get(nodes, '', name);
    if (!node) throw new ApiError(404, 'NotFound', `nodes "${name}" not found`, { name, kind: 'nodes' });
    const now = Date.now();
    const status = obj(node.status);
    let conditions: unknown = status.conditions;
    const ts = rfc3339(now);
    const withHeartbeat = (c: Record<string, unknown>): Record<string, unknown> => ({ ...c, lastHeartbeatTime: ts });
    if (ready) {
      conditions = setCondition(conditions, withHeartbeat({ type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' }) as never, now);
      conditions = setCondition(conditions, withHeartbeat({ type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' }) as never, now);
      conditions = setCondition(conditions, withHeartbeat({ type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' }) as never, now);
      conditions = setCondition(conditions, withHeartbeat({ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }) as never, now);
    } else {
      for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']) {
        conditions = setCondition(conditions, { type, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }, now);
      }
    }
    this.#storage.writeStatus(nodes, '', name, { ...status, conditions }, { fieldManager: ready ? 'kubelet' : 'node-controller' });
    this.#storage.mutate(
      nodes,
      '',
      name,
      (draft) => {
        const spec = obj(draft.spec);
        const taints = arr(spec.taints).filter((t) => obj(t).key !== 'node.kubernetes.io/unreachable');
        if (!ready) {
          taints.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: ts });
          taints.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: ts });
        }
        draft.spec = { ...spec, ...(taints.length > 0 ? { taints } : {}) };
        if (taints.length === 0) delete (draft.spec as Record<string, unknown>).taints;
      },
      { fieldManager: 'node-controller' },
    );
  }

  /** Adds a Ready node (seeded labels, zone and capacity). Returns its name. */
  addNode(options: AddNodeOptions = {}): string {
    const nodes = this.#ctx.rt('/nodes');
    let name = options.name;
    if (!name) {
      do name = `${this.name}-node-${this.#nodeSeq++}`;
      while (this.#store.get(nodes, '', name));
    }
    const index = this.#nodeSeq;
    const cap = { ...DEFAULT_CAPACITY, ...(this.#o.nodeCapacity ?? {}) };
    const capacity = { cpu: cap.cpu, 'ephemeral-storage': cap.ephemeralStorage, 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: cap.memory, pods: cap.pods };
    const internalIP = `172.20.${Math.floor(index / 250)}.${(index % 250) + 2}`;
    const labels: Record<string, string> = {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'node-role.kubernetes.io/worker': '',
      'node.kubernetes.io/instance-type': 'sim.standard',
      'topology.kubernetes.io/zone': this.zone,
      ...(this.region ? { 'topology.kubernetes.io/region': this.region } : {}),
      'satusky.dev/cluster': this.name,
      ...(this.#o.nodeLabels ?? {}),
      ...(options.labels ?? {}),
    };
    this.#storage.create(
      nodes,
      '',
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } },
        spec: { podCIDR: `10.244.${index % 256}.0/24`, podCIDRs: [`10.244.${index % 256}.0/24`], providerID: `sim://${this.name}/${name}` },
      },
      { internal: true, fieldManager: 'kubelet' },
    );
    const now = Date.now();
    const ts = rfc3339(now);
    const cond = (type: string, status: string, reason: string, message: string): Record<string, unknown> => ({ type, status, lastHeartbeatTime: ts, lastTransitionTime: ts, reason, message });
    const ready = options.ready !== false;
    this.#storage.writeStatus(
      nodes,
      '',
      name,
      {
        capacity,
        allocatable: capacity,
        conditions: [
          cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          ready ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status') : cond('Ready', 'False', 'KubeletNotReady', 'container runtime network not ready'),
        ],
        addresses: [
          { address: internalIP, type: 'InternalIP' },
          { address: name, type: 'Hostname' },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: hex(32),
          systemUUID: hex(32),
          bootID: hex(32),
          kernelVersion: '6.8.0-sim',
          osImage: 'Satusky Sim Linux',
          containerRuntimeVersion: 'containerd://1.7.27',
          kubeletVersion: `v1.${this.#o.kubernetesMinor ?? '32'}.4`,
          kubeProxyVersion: `v1.${this.#o.kubernetesMinor ?? '32'}.4`,
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
        phase: 'Running',
      },
      { fieldManager: 'kubelet' },
    );
    return name;
  }

  /** Deletes a node; its pods are garbage-collected and their ReplicaSets replace them elsewhere. */
  removeNode(name: string): void {
    this.#storage.delete(this.#ctx.rt('/nodes'), '', name, {});
  }

  /** Node names, sorted. */
  nodeNames(): string[] {
    return this.#store.list(this.#ctx.rt('/nodes')).map((n) => n.metadata.name);
  }

  /** Creates a Backup from a Velero Schedule now; returns the Backup's name. */
  runVeleroSchedule(namespace: string, name: string): string {
    if (!this.#velero) throw new Error('cluster not started');
    return this.#velero.runSchedule(namespace, name).metadata.name;
  }

  /** Drops the watch history and ends every open watch with ERROR 410 Expired (clients relist). */
  expireWatches(): void {
    this.#api.watches.expireAll(this.#storage);
  }

  /** Recent API requests (newest last), for tests that assert what clients sent. */
  requests(): RequestRecord[] {
    return [...this.#requests];
  }

  clearRequests(): void {
    this.#requests = [];
  }

  info(): SimClusterInfo {
    return {
      name: this.name,
      zone: this.zone,
      region: this.region,
      url: this.url,
      controlUrl: this.controlUrl,
      nodes: this.nodeNames(),
      resourceVersion: this.#store.resourceVersion,
      faults: this.faults.get(),
    };
  }

  /** Number of stored objects per resource type (benchmarks, diagnostics). */
  objectCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const rt of this.#registry.all()) {
      if (rt.virtual) continue;
      const n = this.#store.count(rt);
      if (n > 0) out[rt.key] = n;
    }
    return out;
  }
}

async function readMaybe(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function atomicWrite(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, path);
}

async function readOrCreate(path: string, make: () => string): Promise<string> {
  const existing = await readMaybe(path);
  if (existing !== undefined && existing.trim() !== '') return existing.trim();
  const value = make();
  await atomicWrite(path, `${value}\n`);
  return value;
}

/** Starts a simulated cluster and resolves once its API answers. */
export async function startSimCluster(options: SimClusterOptions): Promise<SimCluster> {
  const cluster = new SimCluster(options);
  await cluster.start();
  return cluster;
}
