import { describe, expect, it } from 'vitest';
import { checkDomain, domainHealth, REASONS, summarizeFacts, type CheckInput, type DnsResolution, type HttpProbe, type TlsProbe, type ZoneView } from './domain-check.ts';
import type { ObservedCertificate, ObservedRoute, RoutingObservation } from './routing.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const HOST = 'shop.example.com';
const APP_HOST = 'web-acme.satusky.test';
const EDGE_A = '127.0.1.1';
const EDGE_B = '127.0.2.1';

const route = (over: Partial<ObservedRoute> = {}): ObservedRoute => ({
  kind: 'HTTPRoute',
  name: 'web-1a2b3c4d',
  hostnames: [HOST],
  accepted: true,
  resolvedRefs: true,
  reason: 'Accepted',
  message: '',
  ...over,
});
const cert = (over: Partial<ObservedCertificate> = {}): ObservedCertificate => ({
  name: 'web-1a2b3c4d-tls',
  dnsNames: [HOST],
  ready: true,
  reason: 'Ready',
  message: 'Certificate is up to date and has not expired',
  notAfter: '2027-02-19T12:00:00.000Z',
  ...over,
});
const routing = (r: ObservedRoute[] = [route()], c: ObservedCertificate[] = [cert()]): RoutingObservation => ({ routes: r, certificates: c });
const zone = (name: string, edge: string | null, over: Partial<ZoneView> = {}): ZoneView => ({
  zone: name,
  edgeAddress: edge,
  published: true,
  stale: false,
  applying: false,
  routing: routing(),
  ...over,
});
const tlsOk = (over: Partial<TlsProbe> = {}): TlsProbe => ({
  connectError: null,
  trusted: true,
  trustError: null,
  nameCovered: true,
  subjectAltNames: [HOST],
  issuer: 'Satusky World Root CA',
  notBefore: '2026-11-21T00:00:00.000Z',
  notAfter: '2027-02-19T12:00:00.000Z',
  ...over,
});
const httpOk = (zoneName: string, over: Partial<HttpProbe> = {}): HttpProbe => ({ error: null, status: 200, latencyMs: 4, answeredBy: zoneName, ...over });
const dnsVia = (addresses: string[], over: Partial<DnsResolution> = {}): DnsResolution => ({
  rcode: 'NOERROR',
  answers: [{ name: HOST, type: 'CNAME', value: APP_HOST }, ...addresses.map((a) => ({ name: APP_HOST, type: 'A' as const, value: a }))],
  addresses,
  addresses6: [],
  error: null,
  ...over,
});

function input(over: Partial<CheckInput> = {}): CheckInput {
  return {
    hostname: HOST,
    kind: 'custom',
    org: 'acme',
    app: { name: 'web', hostname: APP_HOST, deployed: true },
    domain: {
      status: 'verified',
      verificationName: `_satusky-challenge.${HOST}`,
      verificationValue: 'satusky-verify=tok',
      verifiedAt: new Date('2026-11-20T00:00:00Z'),
      lastCheckError: null,
      routeKind: 'httproute',
    },
    zones: [zone('sim-kul-1', EDGE_A), zone('sim-bki-1', EDGE_B)],
    expectedAddresses: [EDGE_A, EDGE_B],
    apex: false,
    dns: dnsVia([EDGE_A, EDGE_B]),
    tls: new Map([
      ['sim-kul-1', tlsOk()],
      ['sim-bki-1', tlsOk()],
    ]),
    http: new Map([
      ['sim-kul-1', httpOk('sim-kul-1')],
      ['sim-bki-1', httpOk('sim-bki-1')],
    ]),
    edgeHttpsPort: 8443,
    healthPath: '/healthz',
    now: NOW,
    ...over,
  };
}

const seen = new Set<string>();
function factOf(i: CheckInput, kind: string, zoneName: string | null = null) {
  const facts = checkDomain(i);
  for (const f of facts) seen.add(`${f.fact}:${f.reason}`);
  const found = facts.find((f) => f.fact === kind && (zoneName === null || f.zone === zoneName));
  if (!found) throw new Error(`no ${kind} fact for ${zoneName ?? 'the domain'} in ${JSON.stringify(facts)}`);
  return found;
}

describe('domains check: every fact and reason', () => {
  it('passes every fact of a healthy multi-zone custom domain, with the observed chain', () => {
    const facts = checkDomain(input());
    for (const f of facts) seen.add(`${f.fact}:${f.reason}`);
    expect(facts.map((f) => `${f.fact}/${f.zone ?? '-'}/${f.status}`)).toEqual([
      'metadata/-/pass',
      'route/sim-kul-1/pass',
      'route/sim-bki-1/pass',
      'dns/-/pass',
      'tls/sim-kul-1/pass',
      'tls/sim-bki-1/pass',
      'http/sim-kul-1/pass',
      'http/sim-bki-1/pass',
    ]);
    expect(facts.find((f) => f.fact === 'dns')!.observed).toBe(`CNAME ${APP_HOST} → A ${EDGE_A} → A ${EDGE_B}`);
    expect(summarizeFacts(facts)).toEqual({ ok: true, failed: 0, pending: 0 });
  });

  it('metadata', () => {
    expect(factOf(input({ kind: 'platform', domain: null, hostname: APP_HOST, dns: dnsVia([EDGE_A, EDGE_B], { answers: [] }) }), 'metadata')).toMatchObject({ status: 'pass', reason: 'PLATFORM_HOSTNAME' });
    expect(factOf(input(), 'metadata')).toMatchObject({ status: 'pass', reason: 'DOMAIN_VERIFIED' });
    const pending = factOf(input({ domain: { ...input().domain!, status: 'pending', lastCheckError: `no TXT record at _satusky-challenge.${HOST} (NXDOMAIN)` } }), 'metadata');
    expect(pending).toMatchObject({ status: 'pending', reason: 'DOMAIN_UNVERIFIED' });
    expect(pending.expected).toContain('satusky-verify=tok');
    expect(pending.observed).toContain('NXDOMAIN');
    expect(pending.remediation).toContain(`_satusky-challenge.${HOST}`);
    expect(factOf(input({ app: null }), 'metadata')).toMatchObject({ status: 'fail', reason: 'DOMAIN_NO_APP' });
    expect(factOf(input({ app: { name: 'web', hostname: APP_HOST, deployed: false } }), 'metadata')).toMatchObject({ status: 'fail', reason: 'APP_NOT_DEPLOYED' });
  });

  it('an unverified domain is neither routed nor certified, and says why', () => {
    const facts = checkDomain(input({ domain: { ...input().domain!, status: 'pending' } }));
    for (const f of facts) seen.add(`${f.fact}:${f.reason}`);
    expect(facts.find((f) => f.fact === 'route')).toMatchObject({ status: 'pending', reason: 'ROUTE_AWAITING_VERIFICATION', zone: null });
    expect(facts.find((f) => f.fact === 'tls')).toMatchObject({ status: 'pending', reason: 'TLS_AWAITING_VERIFICATION' });
    expect(facts.some((f) => f.fact === 'http')).toBe(false);
  });

  it('route', () => {
    const withRouting = (r: RoutingObservation | null, over: Partial<ZoneView> = {}) => input({ zones: [zone('sim-kul-1', EDGE_A, { routing: r, ...over })] });
    expect(factOf(withRouting(routing([])), 'route', 'sim-kul-1')).toMatchObject({ status: 'fail', reason: 'ROUTE_MISSING' });
    expect(factOf(withRouting(routing([]), { applying: true }), 'route', 'sim-kul-1')).toMatchObject({ status: 'pending', reason: 'ROUTE_APPLYING' });
    expect(factOf(withRouting(routing([route({ accepted: null, reason: 'Pending' })])), 'route', 'sim-kul-1')).toMatchObject({ status: 'pending', reason: 'ROUTE_PENDING' });
    const refused = factOf(withRouting(routing([route({ accepted: false, reason: 'HostnameConflict', message: 'hostname conflicts with route other/shop' })])), 'route', 'sim-kul-1');
    expect(refused).toMatchObject({ status: 'fail', reason: 'ROUTE_NOT_ACCEPTED' });
    expect(refused.observed).toContain('HostnameConflict');
    expect(refused.remediation).toContain('Another route');
    expect(factOf(withRouting(routing([route({ resolvedRefs: false, reason: 'BackendNotFound', message: 'service web not found' })])), 'route', 'sim-kul-1')).toMatchObject({ status: 'fail', reason: 'ROUTE_REFS_UNRESOLVED' });
    expect(factOf(withRouting(null, { stale: true }), 'route', 'sim-kul-1')).toMatchObject({ status: 'unknown', reason: 'ZONE_STALE' });
    // A legacy Ingress route counts as the route.
    const ingress = route({ kind: 'Ingress', name: 'web-1a2b3c4d', resolvedRefs: null, reason: 'LoadBalancerAssigned' });
    expect(factOf(withRouting(routing([ingress])), 'route', 'sim-kul-1')).toMatchObject({ status: 'pass', reason: 'ROUTE_ACCEPTED' });
  });

  it('dns', () => {
    const dns = (d: DnsResolution, over: Partial<CheckInput> = {}) => factOf(input({ dns: d, ...over }), 'dns');
    expect(dns(dnsVia([], { rcode: 'NXDOMAIN', answers: [] }))).toMatchObject({ status: 'fail', reason: 'DNS_NXDOMAIN' });
    expect(dns(dnsVia([], { rcode: 'NXDOMAIN', answers: [] })).remediation).toContain(`CNAME record ${HOST} → ${APP_HOST}`);
    expect(dns(dnsVia([], { rcode: 'SERVFAIL', answers: [], error: 'server failure' }))).toMatchObject({ status: 'unknown', reason: 'DNS_RESOLVER_ERROR' });
    expect(dns(dnsVia([]))).toMatchObject({ status: 'fail', reason: 'DNS_NO_ADDRESS' });
    const elsewhere = dns({ rcode: 'NOERROR', answers: [{ name: HOST, type: 'A', value: '127.0.99.1' }], addresses: ['127.0.99.1'], addresses6: [], error: null });
    expect(elsewhere).toMatchObject({ status: 'fail', reason: 'DNS_WRONG_ADDRESS' });
    expect(elsewhere.observed).toContain('127.0.99.1');
    const wrongCname = dns({
      rcode: 'NOERROR',
      answers: [
        { name: HOST, type: 'CNAME', value: 'shops.myshopify.com' },
        { name: 'shops.myshopify.com', type: 'A', value: '23.227.38.65' },
      ],
      addresses: ['23.227.38.65'],
      addresses6: [],
      error: null,
    });
    expect(wrongCname).toMatchObject({ status: 'fail', reason: 'DNS_CNAME_WRONG_TARGET' });
    expect(wrongCname.remediation).toContain(APP_HOST);
    const extra = dns({ rcode: 'NOERROR', answers: [], addresses: [EDGE_A, EDGE_B, '127.0.99.1'], addresses6: [], error: null });
    expect(extra).toMatchObject({ status: 'fail', reason: 'DNS_EXTRA_ADDRESS' });
    expect(dns(dnsVia([EDGE_A, EDGE_B], { addresses6: ['2001:db8::1'] }))).toMatchObject({ status: 'fail', reason: 'DNS_UNEXPECTED_AAAA' });
    // A CNAME to the app hostname still catching up after a failover: on its way.
    expect(dns(dnsVia([EDGE_A]))).toMatchObject({ status: 'pending', reason: 'DNS_PROPAGATING' });
    // A records at an apex missing one zone: the user's records are incomplete.
    const apex = dns({ rcode: 'NOERROR', answers: [{ name: HOST, type: 'A', value: EDGE_A }], addresses: [EDGE_A], addresses6: [], error: null }, { apex: true });
    expect(apex).toMatchObject({ status: 'fail', reason: 'DNS_MISSING_ADDRESS' });
    expect(apex.remediation).toContain(EDGE_B);
    // The generated hostname before any zone is ready: nothing published yet.
    expect(dns(dnsVia([], { rcode: 'NXDOMAIN', answers: [] }), { kind: 'platform', domain: null, hostname: APP_HOST, expectedAddresses: [] })).toMatchObject({ status: 'pending', reason: 'DNS_NOT_PUBLISHED' });
    expect(dns(dnsVia([EDGE_A, EDGE_B], { answers: [] }), { kind: 'platform', domain: null, hostname: APP_HOST })).toMatchObject({ status: 'pass', reason: 'DNS_OK' });
  });

  it('tls', () => {
    const tlsFact = (probe: TlsProbe | undefined, certs: ObservedCertificate[] = [cert()], z: Partial<ZoneView> = {}) =>
      factOf(input({ zones: [zone('sim-kul-1', EDGE_A, { routing: routing([route()], certs), ...z })], tls: new Map(probe ? [['sim-kul-1', probe]] : []) }), 'tls', 'sim-kul-1');
    const failed = tlsFact(tlsOk({ nameCovered: false, subjectAltNames: ['edge.invalid'] }), [cert({ ready: false, reason: 'WrongChallengeResponse', message: 'GET http://shop.example.com/.well-known/acme-challenge/x at 127.0.99.1: 404' })]);
    expect(failed).toMatchObject({ status: 'fail', reason: 'TLS_ISSUANCE_FAILED' });
    expect(failed.observed).toContain('127.0.99.1');
    expect(failed.remediation).toContain('not a Satusky edge');
    expect(tlsFact(tlsOk({ nameCovered: false, subjectAltNames: ['edge.invalid'] }), [cert({ ready: false, reason: 'DNSNameNotResolved', message: 'NXDOMAIN' })]).remediation).toContain('cannot resolve');
    expect(tlsFact(tlsOk({ nameCovered: false, subjectAltNames: ['edge.invalid'] }), [cert({ ready: false, reason: 'Issuing', message: 'Issuing certificate as Secret does not exist' })])).toMatchObject({ status: 'pending', reason: 'TLS_ISSUING' });
    expect(tlsFact(tlsOk({ connectError: 'connection refused' }))).toMatchObject({ status: 'fail', reason: 'TLS_CONNECT_FAILED' });
    expect(tlsFact(tlsOk({ nameCovered: false, subjectAltNames: ['other.example.com'] }))).toMatchObject({ status: 'fail', reason: 'TLS_NAME_MISMATCH' });
    expect(tlsFact(tlsOk({ notAfter: '2026-11-20T00:00:00.000Z', trusted: false, trustError: 'CERT_HAS_EXPIRED' }))).toMatchObject({ status: 'fail', reason: 'TLS_EXPIRED' });
    expect(tlsFact(tlsOk({ notAfter: '2026-11-24T00:00:00.000Z' }))).toMatchObject({ status: 'fail', reason: 'TLS_EXPIRING' });
    const untrusted = tlsFact(tlsOk({ trusted: false, trustError: 'SELF_SIGNED_CERT_IN_CHAIN', issuer: 'sim-kul-1 CA' }));
    expect(untrusted).toMatchObject({ status: 'fail', reason: 'TLS_UNTRUSTED' });
    expect(untrusted.observed).toContain('sim-kul-1 CA');
    expect(tlsFact(tlsOk({ blocked: true }))).toMatchObject({ status: 'unknown', reason: 'PROBE_ADDRESS_BLOCKED' });
    expect(tlsFact(undefined, [cert()], { edgeAddress: null })).toMatchObject({ status: 'unknown', reason: 'TLS_NO_EDGE' });
  });

  it('http', () => {
    const httpFact = (probe: HttpProbe, z: Partial<ZoneView> = {}) => factOf(input({ zones: [zone('sim-kul-1', EDGE_A, z)], http: new Map([['sim-kul-1', probe]]) }), 'http', 'sim-kul-1');
    expect(httpFact(httpOk('sim-kul-1'))).toMatchObject({ status: 'pass', reason: 'HTTP_OK' });
    expect(httpFact(httpOk('sim-kul-1')).observed).toBe('200 in 4 ms from sim-kul-1');
    expect(httpFact({ error: 'connection refused', status: null, latencyMs: null, answeredBy: null })).toMatchObject({ status: 'fail', reason: 'HTTP_UNREACHABLE' });
    expect(httpFact(httpOk('sim-kul-1', { status: 503 }))).toMatchObject({ status: 'fail', reason: 'HTTP_SERVER_ERROR' });
    expect(httpFact(httpOk('sim-kul-1', { status: 404, answeredBy: null }))).toMatchObject({ status: 'fail', reason: 'HTTP_NOT_FOUND' });
    expect(httpFact(httpOk('sim-kul-1', { status: 401 }))).toMatchObject({ status: 'fail', reason: 'HTTP_CLIENT_ERROR' });
    expect(httpFact(httpOk('sim-bki-1'))).toMatchObject({ status: 'fail', reason: 'HTTP_WRONG_ZONE' });
    expect(httpFact({ blocked: true, error: null, status: null, latencyMs: null, answeredBy: null })).toMatchObject({ status: 'unknown', reason: 'PROBE_ADDRESS_BLOCKED' });
    expect(httpFact(httpOk('sim-kul-1'), { edgeAddress: null })).toMatchObject({ status: 'unknown', reason: 'HTTP_NO_EDGE' });
  });

  it('summarises: not ok when a fact fails or is pending', () => {
    const facts = checkDomain(input({ dns: dnsVia([], { rcode: 'NXDOMAIN', answers: [] }) }));
    expect(summarizeFacts(facts)).toMatchObject({ ok: false, failed: 1 });
    expect(summarizeFacts(checkDomain(input({ domain: { ...input().domain!, status: 'pending' } })))).toMatchObject({ ok: false, failed: 0 });
  });

  it('has a unit test for every reason code', () => {
    const all = Object.entries(REASONS).flatMap(([fact, reasons]) => reasons.map((r) => `${fact}:${r}`));
    expect(all.filter((r) => !seen.has(r))).toEqual([]);
  });
});

describe('domain health in the app status', () => {
  const base = { hostname: HOST, status: 'verified' as const, lastCheckError: null, expectedAddresses: [EDGE_A], zones: [{ zone: 'sim-kul-1', stale: false, routing: routing() }] };
  it('is ok when DNS points at the edges and every zone routes and certifies it', () => {
    expect(domainHealth({ ...base, dns: { rcode: 'NOERROR', addresses: [EDGE_A] } })).toEqual({ health: 'ok', problems: [] });
  });
  it('fails, saying why, when DNS points elsewhere or the certificate is refused; pending while issuing', () => {
    const elsewhere = domainHealth({ ...base, dns: { rcode: 'NOERROR', addresses: ['127.0.99.1'] } });
    expect(elsewhere.health).toBe('failing');
    expect(elsewhere.problems[0]).toContain('127.0.99.1');
    const refused = domainHealth({ ...base, dns: { rcode: 'NOERROR', addresses: [EDGE_A] }, zones: [{ zone: 'sim-kul-1', stale: false, routing: routing([route()], [cert({ ready: false, reason: 'ChallengeNotFound', message: '404' })]) }] });
    expect(refused).toMatchObject({ health: 'failing', problems: ['sim-kul-1: certificate not issued (ChallengeNotFound: 404)'] });
    const issuing = domainHealth({ ...base, dns: { rcode: 'NOERROR', addresses: [EDGE_A] }, zones: [{ zone: 'sim-kul-1', stale: false, routing: routing([route()], [cert({ ready: false, reason: 'Issuing', message: '' })]) }] });
    expect(issuing.health).toBe('pending');
    expect(domainHealth({ ...base, dns: null }).health).toBe('unknown');
    expect(domainHealth({ ...base, status: 'pending', dns: null, lastCheckError: 'no TXT record' })).toEqual({ health: 'pending', problems: ['no TXT record'] });
  });
});
