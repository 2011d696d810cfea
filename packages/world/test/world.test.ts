// Acceptance: an app deployed with the real kubectl into a zone of a two-zone world gets a
// certificate from the world's ACME CA (HTTP-01 over the world's DNS and edges) and is served over
// HTTPS by its zone's edge, verified against the world root CA; names pointing elsewhere or nowhere
// fail with clear reasons; www redirects; a downed edge refuses connections; a blackholed API times
// out while the other zone keeps serving.

import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { KubeObject } from '@satusky/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../src/index.ts';
import { fetchVia, KUBECTL, kubectlFor, tempDir, waitFor, type Kubectl } from './helpers.ts';

if (!KUBECTL) console.warn('kubectl is not installed on this machine: skipping the kubectl acceptance tests of the world');

const SHOP = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: shop
  template:
    metadata:
      labels:
        app.kubernetes.io/name: shop
        satusky.com/release: r7
    spec:
      containers:
        - name: web
          image: registry.example.com/acme/shop:1.4.2
          ports:
            - name: http
              containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: shop
  namespace: shop
spec:
  selector:
    app.kubernetes.io/name: shop
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: world-acme
  namespace: shop
spec:
  acme:
    server: https://acme.world.satusky.invalid/directory
    email: ops@example.com
    privateKeySecretRef:
      name: world-acme-account
    solvers:
      - http01:
          gatewayHTTPRoute:
            parentRefs:
              - name: edge
                kind: Gateway
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: shop
  namespace: shop
spec:
  secretName: shop-tls
  dnsNames:
    - shop.example.com
    - www.shop.example.com
  issuerRef:
    name: world-acme
    kind: Issuer
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
  namespace: shop
spec:
  gatewayClassName: sim
  allowedListeners:
    namespaces:
      from: Same
  listeners:
    - name: http
      port: 80
      protocol: HTTP
    - name: https
      port: 443
      protocol: HTTPS
      hostname: shop.example.com
      tls:
        mode: Terminate
        certificateRefs:
          - name: shop-tls
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata:
  name: shop-www
  namespace: shop
spec:
  parentRef:
    name: edge
  listeners:
    - name: www-https
      port: 443
      protocol: HTTPS
      hostname: www.shop.example.com
      tls:
        mode: Terminate
        certificateRefs:
          - name: shop-tls
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: shop
spec:
  parentRefs:
    - name: edge
  hostnames:
    - shop.example.com
  rules:
    - backendRefs:
        - name: shop
          port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: www
  namespace: shop
spec:
  parentRefs:
    - name: edge
      sectionName: http
    - name: shop-www
      kind: ListenerSet
  hostnames:
    - www.shop.example.com
  rules:
    - filters:
        - type: RequestRedirect
          requestRedirect:
            hostname: shop.example.com
            statusCode: 301
`;

const API_APP = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
        satusky.com/release: r1
    spec:
      containers:
        - name: api
          image: registry.example.com/acme/api:2.0
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: default
spec:
  selector:
    app: api
  ports:
    - port: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: default
spec:
  ingressClassName: sim
  rules:
    - host: api.example.org
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: api
                port:
                  number: 80
`;

type Cond = { type: string; status: string; reason?: string; message?: string };
const conditions = (o: KubeObject | undefined): Cond[] => ((o?.status as { conditions?: Cond[] } | undefined)?.conditions ?? []);

describe.skipIf(!KUBECTL)('a world driven with kubectl', () => {
  let world: World;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let kubectl: Kubectl;
  let rootCa: string;
  const KUL = 'sim-kul-1';
  const SGP = 'sim-sgp-1';

  beforeAll(async () => {
    dir = await tempDir('e2e');
    const started = performance.now();
    world = await startWorld({
      zones: [
        { name: KUL, displayName: 'Kuala Lumpur 1', nodes: 2 },
        { name: SGP, displayName: 'Singapore 1', nodes: 2 },
      ],
      httpPort: 0,
      httpsPort: 0,
      dnsPort: 0,
      acme: { challengeTimeoutMs: 1500 },
      simOptions: { certManager: { retryBaseMs: 200, retryMaxMs: 1000 } },
    });
    expect(performance.now() - started).toBeLessThan(5000);
    await world.writeKubeconfig(join(dir.path, 'kubeconfig'));
    kubectl = kubectlFor(join(dir.path, 'kubeconfig'), join(dir.path, 'kube-cache'));
    rootCa = await readFile(world.ca.rootCaPath, 'utf8');
  });

  afterAll(async () => {
    await world?.stop();
    await dir?.remove();
  });

  it('issues a certificate through HTTP-01 and serves the app over verified HTTPS, logging the request', async () => {
    const edge = world.zone(KUL).edgeAddress;
    world.registrar.set({ name: 'shop.example.com', type: 'A', values: [edge] });
    world.registrar.set({ name: 'www.shop.example.com', type: 'CNAME', values: ['shop.example.com'] });
    await kubectl.ok(['--context', KUL, 'apply', '-f', '-'], { input: SHOP });
    await kubectl.ok(['--context', KUL, 'wait', '--for=condition=Ready', 'certificate/shop', '-n', 'shop', '--timeout=30s'], { timeoutMs: 40_000 });
    await kubectl.ok(['--context', KUL, 'rollout', 'status', 'deployment/shop', '-n', 'shop', '--timeout=30s'], { timeoutMs: 40_000 });
    const gw = JSON.parse(await kubectl.ok(['--context', KUL, 'get', 'gateway/edge', '-n', 'shop', '-o', 'json'])) as { status: { addresses: { value: string }[] } };
    expect(gw.status.addresses[0]?.value).toBe(edge);

    const res = await waitFor(
      async () => {
        const r = await fetchVia(`https://shop.example.com:${world.httpsPort}/cart?items=2`, { dns: world.dns, ca: rootCa });
        return r.status === 200 ? r : undefined;
      },
      { what: 'the shop over HTTPS', timeoutMs: 10_000 },
    );
    expect(res.authorized).toBe(true);
    expect(res.peer?.subjectaltname).toContain('DNS:shop.example.com');
    expect(res.peer?.issuer.CN).toBe('Satusky World Root CA');
    expect(res.headers['x-satusky-zone']).toBe(KUL);
    const body = res.json();
    expect(body).toMatchObject({ app: 'shop', namespace: 'shop', zone: KUL, release: 'r7', image: 'registry.example.com/acme/shop:1.4.2', path: '/cart', method: 'GET', host: 'shop.example.com' });
    expect(String(body.pod)).toMatch(/^shop-/);
    // Round robin over both ready pods.
    const pods = new Set<string>();
    for (let i = 0; i < 4; i++) pods.add(String((await fetchVia(`https://shop.example.com:${world.httpsPort}/`, { dns: world.dns, ca: rootCa })).json().pod));
    expect(pods.size).toBe(2);

    const logs = await kubectl.ok(['--context', KUL, 'logs', '-n', 'shop', `pod/${String(body.pod)}`]);
    expect(logs).toMatch(/"GET \/cart\?items=2 HTTP\/1\.1" 200 \d+ "-" "-" host=shop\.example\.com/);

    // The default certificate for names the edge has no certificate for: handshake yes, trust no.
    await expect(fetchVia(`https://unknown.example.com:${world.httpsPort}/`, { address: edge, ca: rootCa })).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    const insecure = await fetchVia(`https://unknown.example.com:${world.httpsPort}/`, { address: edge, rejectUnauthorized: false });
    expect(insecure.status).toBe(404);
    expect(insecure.peer?.subject.CN).toBe('edge.world.satusky.invalid');
    expect(insecure.json().message).toContain('unknown.example.com');
  });

  it('redirects www to the apex with 301 and a Location, over HTTP and over the ListenerSet HTTPS listener', async () => {
    const plain = await fetchVia(`http://www.shop.example.com:${world.httpPort}/a?b=1`, { dns: world.dns });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`http://shop.example.com:${world.httpPort}/a?b=1`);
    const secure = await fetchVia(`https://www.shop.example.com:${world.httpsPort}/`, { dns: world.dns, ca: rootCa });
    expect(secure.authorized).toBe(true);
    expect(secure.status).toBe(301);
    expect(secure.headers.location).toBe(`https://shop.example.com:${world.httpsPort}/`);
  });

  it('answers 503 when the Service has no ready endpoints, and 500 for an http-500 image', async () => {
    await kubectl.ok(['--context', KUL, 'scale', 'deployment/shop', '-n', 'shop', '--replicas=0']);
    const down = await waitFor(
      async () => {
        const r = await fetchVia(`https://shop.example.com:${world.httpsPort}/`, { dns: world.dns, ca: rootCa });
        return r.status === 503 ? r : undefined;
      },
      { what: 'a 503 once the pods are gone' },
    );
    expect(down.json().message).toContain('no ready endpoints for Service shop/shop');
    await kubectl.ok(['--context', KUL, 'set', 'image', 'deployment/shop', '-n', 'shop', 'web=registry.example.com/acme/shop:1.5.0-http-500']);
    await kubectl.ok(['--context', KUL, 'scale', 'deployment/shop', '-n', 'shop', '--replicas=1']);
    const broken = await waitFor(
      async () => {
        const r = await fetchVia(`https://shop.example.com:${world.httpsPort}/`, { dns: world.dns, ca: rootCa, method: 'HEAD' });
        return r.status === 500 ? r : undefined;
      },
      { what: 'the http-500 image answering 500' },
    );
    expect(broken.body).toBe('');
    expect(broken.headers['x-satusky-zone']).toBe(KUL);
  });

  it('refuses certificates for names that resolve elsewhere, nowhere, to a dead address, to a silent host, or are wildcards', async () => {
    // Accepts connections and never answers (reads, so a client's FIN closes the connection).
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      held.add(socket);
      socket.resume();
      socket.on('error', () => undefined);
      socket.on('close', () => held.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      silent.once('error', reject);
      silent.listen(world.httpPort, '127.0.9.10', resolve);
    });
    try {
      world.registrar.set({ name: 'parked.example.com', type: 'A', values: [world.parked.address] });
      world.registrar.set({ name: 'dead.example.com', type: 'A', values: ['127.0.9.9'] });
      world.registrar.set({ name: 'silent.example.com', type: 'A', values: ['127.0.9.10'] });
      const cluster = world.zone(KUL).cluster;
      const cert = (name: string, dnsNames: string[]): void => {
        cluster.objects.create({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name, namespace: 'shop' }, spec: { secretName: `${name}-tls`, dnsNames, issuerRef: { name: 'world-acme', kind: 'Issuer' } } });
      };
      cert('parked', ['parked.example.com']);
      cert('nowhere', ['nowhere.example.com']);
      cert('dead', ['dead.example.com']);
      cert('silent', ['silent.example.com']);
      cert('wild', ['*.example.com']);
      const failure = (name: string): Promise<Cond> =>
        waitFor(
          () => {
            const ready = conditions(cluster.objects.get({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', namespace: 'shop', name })).find((c) => c.type === 'Ready');
            return ready?.status === 'False' && ready.reason !== 'DoesNotExist' && ready.reason !== 'Pending' ? ready : undefined;
          },
          { what: `certificate ${name} to fail`, timeoutMs: 10_000 },
        );
      const [parked, nowhere, dead, silentCond, wild] = await Promise.all([failure('parked'), failure('nowhere'), failure('dead'), failure('silent'), failure('wild')]);
      expect(parked.reason).toBe('ChallengeNotFound');
      expect(parked.message).toContain(`${world.parked.address}:${world.httpPort}`);
      expect(nowhere).toMatchObject({ reason: 'DNSNameNotResolved', message: 'nowhere.example.com does not resolve (NXDOMAIN)' });
      expect(dead.reason).toBe('ConnectionRefused');
      expect(dead.message).toContain(`connection to 127.0.9.9:${world.httpPort} refused`);
      expect(silentCond.reason).toBe('Timeout');
      expect(silentCond.message).toContain(`127.0.9.10:${world.httpPort}`);
      expect(wild.reason).toBe('WildcardNotSupported');
      expect(wild.message).toContain('*.example.com');
      // kubectl shows the same condition.
      const shown = JSON.parse(await kubectl.ok(['--context', KUL, 'get', 'certificate/parked', '-n', 'shop', '-o', 'json'])) as KubeObject;
      expect(conditions(shown).find((c) => c.type === 'Ready')?.reason).toBe('ChallengeNotFound');
      // Somebody else's server is a real host.
      const page = await fetchVia(`http://parked.example.com:${world.httpPort}/`, { dns: world.dns });
      expect(page.status).toBe(200);
      expect(page.body).toContain('parked');
    } finally {
      await new Promise<void>((resolve) => {
        silent.close(() => resolve());
        for (const socket of held) socket.destroy();
      });
    }
  });

  it('refuses connections while an edge is down and serves again after restore', async () => {
    await kubectl.ok(['--context', SGP, 'apply', '-f', '-'], { input: API_APP });
    world.registrar.set({ name: 'api.example.org', type: 'A', values: [world.zone(SGP).edgeAddress] });
    const url = `http://api.example.org:${world.httpPort}/v1/items`;
    const ok = await waitFor(
      async () => {
        const r = await fetchVia(url, { dns: world.dns });
        return r.status === 200 ? r : undefined;
      },
      { what: 'the api app via its Ingress' },
    );
    expect(ok.json()).toMatchObject({ app: 'api', zone: SGP, release: 'r1', path: '/v1/items' });
    await world.faults.edgeDown(SGP);
    expect(world.faults.state(SGP).edge).toBe('down');
    await expect(fetchVia(url, { dns: world.dns })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(fetchVia(`https://api.example.org:${world.httpsPort}/`, { dns: world.dns, rejectUnauthorized: false })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await world.faults.restore(SGP);
    expect((await fetchVia(url, { dns: world.dns })).status).toBe(200);
  });

  it('times out calls to a blackholed zone API while the other zone keeps serving through its edge', async () => {
    await world.faults.apiBlackhole(KUL);
    try {
      const started = performance.now();
      const r = await kubectl.run(['--context', KUL, 'get', 'namespaces', '--request-timeout=1s'], { timeoutMs: 20_000 });
      expect(r.code).not.toBe(0);
      expect(performance.now() - started).toBeLessThan(15_000);
      // A bare client with a short timeout: the TCP connection is accepted, nothing ever answers.
      const apiUrl = new URL(world.zone(KUL).cluster.url);
      await expect(
        new Promise((resolve, reject) => {
          const req = https.request({ host: apiUrl.hostname, port: Number(apiUrl.port), path: '/version', rejectUnauthorized: false, agent: false }, resolve);
          req.setTimeout(500, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
          req.on('error', reject);
          req.end();
        }),
      ).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      const other = await fetchVia(`http://api.example.org:${world.httpPort}/`, { dns: world.dns });
      expect(other.status).toBe(200);
      expect(other.json().zone).toBe(SGP);
      await kubectl.ok(['--context', SGP, 'get', 'namespaces', '--request-timeout=5s']);
      expect(world.zoneStatus(KUL).faults.api).toBe('blackhole');
    } finally {
      await world.faults.restore(KUL);
    }
    await kubectl.ok(['--context', KUL, 'get', 'namespaces', '--request-timeout=5s']);
  });

  it('loses nodes: their pods leave the endpoints, and restore brings them back', async () => {
    const cluster = world.zone(SGP).cluster;
    const state = await world.faults.loseNodes(SGP, 2);
    expect(state.lostNodes).toHaveLength(2);
    expect(world.zoneStatus(SGP).nodes).toEqual({ total: 2, ready: 0 });
    const url = `http://api.example.org:${world.httpPort}/`;
    await waitFor(async () => (await fetchVia(url, { dns: world.dns })).status === 503, { what: 'the api unavailable without nodes' });
    await world.faults.restore(SGP);
    expect(world.zoneStatus(SGP).nodes.ready).toBe(2);
    await waitFor(async () => (await fetchVia(url, { dns: world.dns })).status === 200, { what: 'the api back after restore' });
    expect(cluster.nodeNames()).toHaveLength(2);
  });
});
