import type { Domain, DomainCheck } from '@satusky/contracts';
import type { KubeObject } from '@satusky/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers.ts';
import { startPublicDns, type PublicDns } from './public-dns.ts';
import { startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
let dns: PublicDns;
let hostname: string;
const ns = () => `org-${h.tenant.slug}`;

const HTTPROUTE = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' };
const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
const CERTIFICATE = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' };
const LISTENERSET = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'ListenerSet' };

type Route = KubeObject & { spec: { hostnames?: string[]; rules?: { host?: string }[] }; status?: { parents?: { conditions?: { type: string; status: string }[] }[] } };
type Cert = KubeObject & { spec: { dnsNames: string[] }; status?: { conditions?: { type: string; status: string }[] } };

const list = <T extends KubeObject>(kind: { apiVersion: string; kind: string }) => h.zones[0]!.sim.objects.list<T>(kind, { namespace: ns() });
const routesFor = (host: string) => list<Route>(HTTPROUTE).filter((r) => r.spec.hostnames?.includes(host));
const ingressesFor = (host: string) => list<Route>(INGRESS).filter((r) => r.spec.rules?.some((rule) => rule.host === host));
const accepted = (r: Route) => r.status?.parents?.some((p) => p.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True')) ?? false;
const certReady = (c: Cert) => c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;

async function verifyWithTxt(host: string): Promise<void> {
  const domain = (await h.api<Domain>('GET', `/v1/orgs/${h.tenant.orgId}/domains/${host}`)).body;
  const zone = host.split('.').slice(-2).join('.');
  dns.set(zone, [
    { name: domain.verification.record_name, type: 'TXT', value: domain.verification.record_value },
    { name: host, type: 'CNAME', value: hostname },
  ]);
  // The background verifier sees it; nobody calls check.
  await waitFor(async () => ((await h.api<Domain>('GET', `/v1/orgs/${h.tenant.orgId}/domains/${host}`)).body.status === 'verified' ? true : null), {
    timeoutMs: 10_000,
    message: `${host} verified in the background`,
  });
}

beforeAll(async () => {
  dns = await startPublicDns();
  h = await startHarness({ zones: ['sim-dom'], domains: { resolvers: [dns.address], checkIntervalMs: 200 } });
  const deployed = await h.api<{ hostname: string }>('PUT', `/v1/orgs/${h.tenant.orgId}/apps/web`, { image: 'ghcr.io/acme/web:1', replicas: 1 });
  expect(deployed.status).toBe(202);
  hostname = deployed.body.hostname;
  await h.waitForStatus('web', (s) => s.status === 'ready');
}, 60_000);

afterAll(async () => {
  await h.close();
  await dns.close();
});

describe('custom domains in a simulated cluster', () => {
  it('gives the generated hostname a route accepted by the edge Gateway and an issued certificate', async () => {
    const status = await h.status('web');
    const conditions = status.clusters[0]!.conditions;
    expect(conditions.find((c) => c.type === 'RouteAccepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(conditions.find((c) => c.type === 'TLSReady')).toMatchObject({ status: 'True', reason: 'Issued' });
    expect(routesFor(hostname).filter(accepted)).toHaveLength(1);
    const issuer = h.zones[0]!.sim.objects.get({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', name: 'satusky-acme' });
    expect(issuer).toBeDefined();
  });

  it('routes nothing for a domain until its TXT record is seen, then routes, certifies and redirects www', async () => {
    const added = await h.api<Domain>('POST', `/v1/orgs/${h.tenant.orgId}/domains`, { hostname: 'shop.example.com', app: 'web', www_redirect: true });
    expect(added.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(routesFor('shop.example.com')).toEqual([]);
    expect(list<Cert>(CERTIFICATE).filter((c) => c.spec.dnsNames.includes('shop.example.com'))).toEqual([]);

    await verifyWithTxt('shop.example.com');
    await waitFor(
      () =>
        routesFor('shop.example.com').some(accepted) &&
        routesFor('www.shop.example.com').some(accepted) &&
        list<Cert>(CERTIFICATE).filter((c) => ['shop.example.com', 'www.shop.example.com'].includes(c.spec.dnsNames[0]!)).filter(certReady).length === 2
          ? true
          : null,
      { timeoutMs: 15_000, message: 'routes and certificates for shop.example.com' },
    );
    const www = routesFor('www.shop.example.com')[0]!;
    expect(JSON.stringify(www.spec)).toContain('"type":"RequestRedirect"');
    const listeners = (list<KubeObject & { spec: { listeners: { hostname: string }[] } }>(LISTENERSET)[0]!.spec.listeners ?? []).map((l) => l.hostname);
    expect(listeners).toEqual([hostname, 'shop.example.com', 'www.shop.example.com']);

    const check = await waitFor(async () => {
      const c = (await h.api<DomainCheck>('GET', `/v1/orgs/${h.tenant.orgId}/domains/shop.example.com/check`)).body;
      return c.facts.find((f) => f.fact === 'route')?.status === 'pass' ? c : null;
    }, { timeoutMs: 10_000, message: 'route fact passes' });
    expect(check.facts.find((f) => f.fact === 'metadata')).toMatchObject({ status: 'pass', reason: 'DOMAIN_VERIFIED' });
    expect(check.facts.find((f) => f.fact === 'route')).toMatchObject({ zone: 'sim-dom', reason: 'ROUTE_ACCEPTED' });
    const events = (await h.api<{ items: { type: string }[] }>('GET', `/v1/orgs/${h.tenant.orgId}/apps/web/events`)).body.items.map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['DomainAdded', 'DomainVerified', 'RoutesApplied', 'CertificateIssued']));
  });

  it('removes the routes and certificates of a removed domain, and nothing else', async () => {
    const removed = await h.api('DELETE', `/v1/orgs/${h.tenant.orgId}/domains/shop.example.com`);
    expect(removed.status).toBe(200);
    await waitFor(
      () => (routesFor('shop.example.com').length === 0 && routesFor('www.shop.example.com').length === 0 && list<Cert>(CERTIFICATE).length === 1 ? true : null),
      { timeoutMs: 10_000, message: 'domain routes pruned' },
    );
    expect(routesFor(hostname).filter(accepted)).toHaveLength(1);
    expect((await h.status('web')).status).toBe('ready');
  });

  it('moves a legacy Ingress domain to an HTTPRoute with the hostname routed at every moment', async () => {
    h.cp.deps.domains.settings.routingMode = 'ingress';
    try {
      expect((await h.api<Domain>('POST', `/v1/orgs/${h.tenant.orgId}/domains`, { hostname: 'legacy.example.net', app: 'web' })).body.route_kind).toBe('ingress');
      await verifyWithTxt('legacy.example.net');
      await waitFor(() => (ingressesFor('legacy.example.net').length === 1 && routesFor('legacy.example.net').length === 0 ? true : null), {
        timeoutMs: 10_000,
        message: 'legacy Ingress',
      });
    } finally {
      h.cp.deps.domains.settings.routingMode = 'gateway';
    }

    // Sample the cluster while migrating: the hostname must always have an Ingress or an accepted HTTPRoute.
    const gaps: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const ingress = ingressesFor('legacy.example.net').length;
        const route = routesFor('legacy.example.net').filter(accepted).length;
        if (ingress === 0 && route === 0) gaps.push(new Date().toISOString());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const started = await h.api<{ started: string[] }>('POST', '/v1/admin/routing/migrate', {});
    expect(started.status).toBe(202);
    expect(started.body.started).toEqual(['legacy.example.net']);
    await waitFor(
      async () => {
        const state = (await h.api<{ migrating: number; legacy: number }>('GET', '/v1/admin/routing')).body;
        return state.migrating === 0 && state.legacy === 0 && ingressesFor('legacy.example.net').length === 0 && routesFor('legacy.example.net').some(accepted) ? true : null;
      },
      { timeoutMs: 15_000, message: 'migration finished' },
    );
    sampling = false;
    await sampler;
    expect(gaps).toEqual([]);
    const events = (await h.api<{ items: { type: string }[] }>('GET', `/v1/orgs/${h.tenant.orgId}/apps/web/events`)).body.items.map((e) => e.type);
    expect(events).toContain('RouteMigrated');
  });
});
