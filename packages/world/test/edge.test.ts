// The edge over real sockets, with objects written in-process (no kubectl): 404s naming the host,
// 500 for missing Services, HEAD, routing changes seen at once, SNI certificates from Secrets
// (reloaded when the Secret changes), Ingress with TLS, the ACME challenge path, the parked host.

import { issueLeaf, type SimObjects } from '@satusky/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../src/index.ts';
import { fetchVia, waitFor } from './helpers.ts';

const GW = 'gateway.networking.k8s.io/v1';

async function tlsSecret(objects: SimObjects, name: string, dnsName: string, replace = false): Promise<string> {
  const leaf = await issueLeaf(undefined, { commonName: dnsName, dnsNames: [dnsName], notAfter: new Date(Date.now() + 86_400_000) });
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'web' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(leaf.certificatePem).toString('base64'), 'tls.key': Buffer.from(leaf.privateKeyPem ?? '').toString('base64') },
  };
  if (replace) objects.apply(body, { force: true });
  else objects.create(body);
  return leaf.certificate.serialNumber;
}

describe('edge', () => {
  let world: World;
  let objects: SimObjects;
  let edge: string;
  const http = (host: string, path = '/', method = 'GET'): ReturnType<typeof fetchVia> => fetchVia(`http://${host}:${world.httpPort}${path}`, { address: edge, method });
  const https = (host: string, path = '/'): ReturnType<typeof fetchVia> => fetchVia(`https://${host}:${world.httpsPort}${path}`, { address: edge, rejectUnauthorized: false });

  beforeAll(async () => {
    world = await startWorld({ zones: [{ name: 'edge-zone', nodes: 1 }], httpPort: 0, httpsPort: 0, dnsPort: 0 });
    edge = world.zones[0]?.edgeAddress ?? '';
    objects = world.zone('edge-zone').cluster.objects;
    objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } });
    objects.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'site', namespace: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'site' } }, template: { metadata: { labels: { app: 'site' } }, spec: { containers: [{ name: 'site', image: 'site:1' }] } } },
    });
    objects.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'site', namespace: 'web' }, spec: { selector: { app: 'site' }, ports: [{ port: 80 }] } });
    await tlsSecret(objects, 'a-tls', 'a.example.test');
    objects.create({
      apiVersion: GW,
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'web' },
      spec: {
        gatewayClassName: 'sim',
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP' },
          { name: 'a', port: 443, protocol: 'HTTPS', hostname: 'a.example.test', tls: { certificateRefs: [{ name: 'a-tls' }] } },
        ],
      },
    });
    objects.create({
      apiVersion: GW,
      kind: 'HTTPRoute',
      metadata: { name: 'site', namespace: 'web' },
      spec: {
        parentRefs: [{ name: 'gw' }],
        hostnames: ['a.example.test'],
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/app' } }], backendRefs: [{ name: 'site', port: 80 }] },
          { matches: [{ path: { type: 'Exact', value: '/missing' } }], backendRefs: [{ name: 'nope', port: 80 }] },
        ],
      },
    });
    await waitFor(async () => (await http('a.example.test', '/app')).status === 200, { what: 'the site to be served' });
  });

  afterAll(async () => {
    await world?.stop();
  });

  it('answers 404 naming the host for unknown hosts and paths, and 500 for a missing Service', async () => {
    const unknown = await http('nobody.example.test');
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'NotFound', host: 'nobody.example.test', zone: 'edge-zone' });
    expect(String(unknown.json().message)).toContain('no route for host "nobody.example.test"');
    const path = await http('a.example.test', '/other');
    expect(path.status).toBe(404);
    expect(String(path.json().message)).toContain('no rule matches GET /other');
    const missing = await http('a.example.test', '/missing');
    expect(missing.status).toBe(500);
    expect(missing.json()).toMatchObject({ error: 'BackendNotFound', message: 'Service web/nope not found' });
  });

  it('answers HEAD with headers only, and other methods like GET', async () => {
    const head = await http('a.example.test', '/app', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(10);
    const del = await http('a.example.test', '/app/1', 'DELETE');
    expect(del.json()).toMatchObject({ method: 'DELETE', path: '/app/1', app: 'site' });
  });

  it('routes by a changed HTTPRoute at once', async () => {
    objects.patch({ apiVersion: GW, kind: 'HTTPRoute', namespace: 'web', name: 'site' }, { spec: { hostnames: ['a.example.test', 'b.example.test'] } });
    expect((await http('b.example.test', '/app')).status).toBe(200);
    objects.patch({ apiVersion: GW, kind: 'HTTPRoute', namespace: 'web', name: 'site' }, { spec: { hostnames: ['a.example.test'] } });
    expect((await http('b.example.test', '/app')).status).toBe(404);
  });

  it('picks the certificate by SNI, reloads it when the Secret changes, and falls back to the default certificate', async () => {
    const first = await https('a.example.test', '/app');
    expect(first.status).toBe(200);
    expect(first.peer?.subject.CN).toBe('a.example.test');
    const serial = await tlsSecret(objects, 'a-tls', 'a.example.test', true);
    const second = await https('a.example.test', '/app');
    expect(second.peer?.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(serial.toLowerCase().replace(/^0+/, ''));
    expect(second.peer?.serialNumber).not.toBe(first.peer?.serialNumber);
    const other = await https('other.example.test');
    expect(other.peer?.subject.CN).toBe('edge.world.satusky.invalid');
    expect(other.status).toBe(404);
  });

  it('serves Ingresses of the sim class, with their TLS secrets', async () => {
    await tlsSecret(objects, 'shop-tls', 'shop.example.test');
    objects.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: 'web' },
      spec: {
        tls: [{ hosts: ['shop.example.test'], secretName: 'shop-tls' }],
        rules: [{ host: 'shop.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'site', port: { number: 80 } } } }] } }],
      },
    });
    const res = await https('shop.example.test', '/x');
    expect(res.status).toBe(200);
    expect(res.peer?.subject.CN).toBe('shop.example.test');
    expect(res.json()).toMatchObject({ app: 'site', host: 'shop.example.test', path: '/x' });
  });

  it('answers unknown ACME challenges with 404, and the parked host with its page', async () => {
    const challenge = await http('a.example.test', '/.well-known/acme-challenge/nope');
    expect(challenge.status).toBe(404);
    expect(String(challenge.json().message)).toContain('no pending ACME challenge');
    const page = await fetchVia(`http://anything.example.test:${world.httpPort}/`, { address: world.parked.address });
    expect(page.status).toBe(200);
    const other = await fetchVia(`https://anything.example.test:${world.httpsPort}/x`, { address: world.parked.address, rejectUnauthorized: false });
    expect(other.status).toBe(404);
  });
});
