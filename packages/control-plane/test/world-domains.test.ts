import http from 'node:http';
import type { Domain, DomainCheck } from '@satusky/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, waitFor } from './helpers.ts';
import { startWorldHarness, type WorldHarness } from './world-harness.ts';

let h: WorldHarness;
let appHost: string;
const ZONE = 'sim-dom-1';

const check = async (host: string, probe = false) => (await h.api<DomainCheck>('GET', `/v1/orgs/${h.org}/domains/${host}/check${probe ? '?probe=true' : ''}`)).body;
const fact = (c: DomainCheck, kind: string) => c.facts.find((f) => f.fact === kind)!;

/** GET over plain HTTP to one edge address with a Host header (no redirects followed). */
function httpGet(address: string, host: string, urlPath = '/'): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: address, port: h.world.httpPort, path: urlPath, headers: { host }, agent: false, timeout: 2_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, location: response.headers.location }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  h = await startWorldHarness({ zones: [ZONE] });
  const deployed = await h.api<{ hostname: string }>('PUT', `/v1/orgs/${h.org}/apps/shop`, { image: 'ghcr.io/acme/shop:1', health_path: '/healthz' });
  expect(deployed.status).toBe(202);
  appHost = deployed.body.hostname;
  await h.waitForStatus('shop', (s) => s.status === 'ready', { message: 'shop ready with route, certificate and DNS' });
}, 90_000);

afterAll(async () => {
  await h?.close();
});

describe('domains in the simulated world (DNS, edges, ACME CA)', () => {
  it('serves the generated hostname over HTTPS with a certificate from the world CA', async () => {
    expect(await h.resolve(appHost)).toEqual([h.world.zone(ZONE).edgeAddress]);
    const response = await h.fetchHttps(appHost, '/healthz');
    expect(response.status).toBe(200);
    expect(response.zone).toBe(ZONE);
    expect(response.issuer).toBe('Satusky World Root CA');
    expect(JSON.parse(response.body)).toMatchObject({ app: 'shop', zone: ZONE, host: appHost });
    const c = await check(appHost, true);
    expect(c.facts.map((f) => `${f.fact}:${f.status}`)).toEqual(['metadata:pass', `route:pass`, 'dns:pass', 'tls:pass', 'http:pass']);
  });

  it('does not route a custom domain without its TXT record, and says to add it', async () => {
    const added = await h.api<Domain>('POST', `/v1/orgs/${h.org}/domains`, { hostname: 'www.acme-shop.test', app: 'shop' });
    expect(added.status).toBe(201);
    // Even with DNS pointing at the edge, nothing answers for the name: no route exists.
    h.world.registrar.set({ name: 'www.acme-shop.test', type: 'CNAME', values: [appHost] });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await httpGet(h.world.zone(ZONE).edgeAddress, 'www.acme-shop.test')).status).toBe(404);
    const c = await check('www.acme-shop.test');
    expect(c.ok).toBe(false);
    expect(fact(c, 'metadata')).toMatchObject({ status: 'pending', reason: 'DOMAIN_UNVERIFIED' });
    expect(fact(c, 'metadata').remediation).toContain('_satusky-challenge.www.acme-shop.test');
    expect(fact(c, 'route')).toMatchObject({ reason: 'ROUTE_AWAITING_VERIFICATION' });
  });

  it('verifies, routes and certifies it once the TXT and the CNAME exist; every fact passes', async () => {
    const domain = (await h.api<Domain>('GET', `/v1/orgs/${h.org}/domains/www.acme-shop.test`)).body;
    h.world.registrar.set({ name: domain.verification.record_name, type: 'TXT', values: [domain.verification.record_value] });
    const c = await waitFor(async () => {
      const result = await check('www.acme-shop.test', true);
      return result.ok ? result : null;
    }, { timeoutMs: 30_000, intervalMs: 300, message: 'every fact of www.acme-shop.test passes' });
    expect(c.facts.map((f) => `${f.fact}:${f.reason}`)).toEqual(['metadata:DOMAIN_VERIFIED', 'route:ROUTE_ACCEPTED', 'dns:DNS_OK', 'tls:TLS_OK', 'http:HTTP_OK']);
    expect(fact(c, 'dns').observed).toBe(`CNAME ${appHost} → A ${h.world.zone(ZONE).edgeAddress}`);
    const response = await h.fetchHttps('www.acme-shop.test', '/');
    expect(response.status).toBe(200);
    expect(response.issuer).toBe('Satusky World Root CA');
  });

  it('fails the DNS fact with the observed address when the domain points elsewhere', async () => {
    h.world.registrar.delete('www.acme-shop.test', 'CNAME');
    h.world.registrar.set({ name: 'www.acme-shop.test', type: 'A', values: [h.world.parked.address] });
    const c = await waitFor(async () => {
      const result = await check('www.acme-shop.test');
      return fact(result, 'dns').status === 'fail' ? result : null;
    }, { timeoutMs: 10_000, message: 'dns fact fails' });
    expect(fact(c, 'dns')).toMatchObject({ reason: 'DNS_WRONG_ADDRESS' });
    expect(fact(c, 'dns').observed).toContain(h.world.parked.address);
    expect(fact(c, 'dns').remediation).toContain(`CNAME record www.acme-shop.test → ${appHost}`);
    h.world.registrar.delete('www.acme-shop.test', 'A');
    h.world.registrar.set({ name: 'www.acme-shop.test', type: 'CNAME', values: [appHost] });
  });

  it('fails a new certificate whose name resolves to somebody else, naming the reason', async () => {
    h.world.registrar.set({ name: 'parked.acme-shop.test', type: 'A', values: [h.world.parked.address] });
    const added = (await h.api<Domain>('POST', `/v1/orgs/${h.org}/domains`, { hostname: 'parked.acme-shop.test', app: 'shop' })).body;
    h.world.registrar.set({ name: added.verification.record_name, type: 'TXT', values: [added.verification.record_value] });
    const c = await waitFor(async () => {
      const result = await check('parked.acme-shop.test');
      return fact(result, 'tls')?.reason === 'TLS_ISSUANCE_FAILED' ? result : null;
    }, { timeoutMs: 20_000, intervalMs: 300, message: 'certificate fails' });
    expect(fact(c, 'tls').observed).toMatch(/ChallengeNotFound|WrongChallengeResponse/);
    expect(fact(c, 'tls').remediation).toContain('not a Satusky edge');
    expect(fact(c, 'dns')).toMatchObject({ status: 'fail', reason: 'DNS_WRONG_ADDRESS' });
    expect((await h.api('DELETE', `/v1/orgs/${h.org}/domains/parked.acme-shop.test`)).status).toBe(200);
  });

  it('redirects www to the domain with a 301', async () => {
    const added = (await h.api<Domain>('POST', `/v1/orgs/${h.org}/domains`, { hostname: 'acme-boutique.test', app: 'shop', www_redirect: true })).body;
    h.world.registrar.set({ name: added.verification.record_name, type: 'TXT', values: [added.verification.record_value] });
    h.world.registrar.set({ name: 'acme-boutique.test', type: 'A', values: [h.world.zone(ZONE).edgeAddress] });
    h.world.registrar.set({ name: 'www.acme-boutique.test', type: 'CNAME', values: [appHost] });
    const redirect = await waitFor(async () => {
      const r = await httpGet(h.world.zone(ZONE).edgeAddress, 'www.acme-boutique.test', '/cart?x=1');
      return r.status === 301 ? r : null;
    }, { timeoutMs: 15_000, message: 'www redirect' });
    expect(redirect.location).toMatch(/^http:\/\/acme-boutique\.test(:\d+)?\/cart\?x=1$/);
    const apex = await waitFor(async () => {
      try {
        const r = await h.fetchHttps('acme-boutique.test', '/');
        return r.status === 200 ? r : null;
      } catch {
        return null;
      }
    }, { timeoutMs: 20_000, message: 'apex over HTTPS' });
    expect(apex.zone).toBe(ZONE);
  });

  it('lets no other org claim a hostname another org holds', async () => {
    const other = await createTenant(h.dev.controlPlane.database, 'rival');
    const response = await h.dev.controlPlane.app.inject({
      method: 'POST',
      url: `/v1/orgs/${other.orgId}/domains`,
      headers: { authorization: `Bearer ${other.token}` },
      payload: { hostname: 'www.acme-shop.test', app: 'shop' },
    });
    // The rival has no app "shop"; with one, the hostname is still taken.
    expect([404, 409]).toContain(response.statusCode);
    await h.dev.controlPlane.app.inject({ method: 'PUT', url: `/v1/orgs/${other.orgId}/apps/shop`, headers: { authorization: `Bearer ${other.token}` }, payload: { image: 'ghcr.io/rival/shop:1' } });
    const taken = await h.dev.controlPlane.app.inject({
      method: 'POST',
      url: `/v1/orgs/${other.orgId}/domains`,
      headers: { authorization: `Bearer ${other.token}` },
      payload: { hostname: 'www.acme-shop.test', app: 'shop' },
    });
    expect(taken.statusCode).toBe(409);
    expect(JSON.parse(taken.body).error.code).toBe('SATUSKY_DOMAIN_TAKEN');
  });

  it('moves a custom domain from Ingress to HTTPRoute while a request loop sees no failures', async () => {
    h.dev.controlPlane.deps.domains.settings.routingMode = 'ingress';
    let added: Domain;
    try {
      added = (await h.api<Domain>('POST', `/v1/orgs/${h.org}/domains`, { hostname: 'legacy.acme-shop.test', app: 'shop' })).body;
    } finally {
      h.dev.controlPlane.deps.domains.settings.routingMode = 'gateway';
    }
    expect(added.route_kind).toBe('ingress');
    h.world.registrar.set({ name: added.verification.record_name, type: 'TXT', values: [added.verification.record_value] });
    h.world.registrar.set({ name: 'legacy.acme-shop.test', type: 'CNAME', values: [appHost] });
    await waitFor(async () => {
      try {
        return (await h.fetchHttps('legacy.acme-shop.test', '/')).status === 200 ? true : null;
      } catch {
        return null;
      }
    }, { timeoutMs: 30_000, intervalMs: 300, message: 'legacy domain served over HTTPS through its Ingress' });
    const ingresses = h.world.zone(ZONE).cluster.objects.list({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' });
    expect(ingresses).toHaveLength(1);

    const failures: string[] = [];
    let ok = 0;
    let looping = true;
    const loop = (async () => {
      while (looping) {
        try {
          const r = await h.fetchHttps('legacy.acme-shop.test', '/');
          if (r.status === 200) ok += 1;
          else failures.push(`HTTP ${r.status}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    })();
    const started = await h.api<{ started: string[] }>('POST', '/v1/admin/routing/migrate', {});
    expect(started.body.started).toEqual(['legacy.acme-shop.test']);
    await waitFor(async () => {
      const state = (await h.api<{ migrating: number; legacy: number }>('GET', '/v1/admin/routing')).body;
      const left = h.world.zone(ZONE).cluster.objects.list({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' });
      return state.migrating === 0 && state.legacy === 0 && left.length === 0 ? true : null;
    }, { timeoutMs: 20_000, message: 'migration done' });
    // Keep requesting a little after the Ingress is gone: the HTTPRoute alone must serve.
    await new Promise((resolve) => setTimeout(resolve, 500));
    looping = false;
    await loop;
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(10);
  });
});
