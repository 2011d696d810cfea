import { describe, expect, it } from 'vitest';
import { resolveAppSpec } from './app-spec.ts';
import { customHostnameProblem, isApex, parseCidrs, probeAllowed, setupRecords, txtProves } from './domains.ts';
import { customRouteName, renderApp, type RenderInput } from './render.ts';
import { observeRouting, routeCondition, tlsCondition } from './routing.ts';
import { aggregateStatus, type AggregateInput, type TargetFact } from './status.ts';

describe('custom hostnames', () => {
  it('refuses what cannot be proven or routed, with the reason', () => {
    expect(customHostnameProblem('shop.example.com', 'satusky.test')).toBeNull();
    expect(customHostnameProblem('Example.COM.', 'satusky.test')).toBeNull();
    expect(customHostnameProblem('web-acme.satusky.test', 'satusky.test')).toContain('platform zone');
    expect(customHostnameProblem('satusky.test', 'satusky.test')).toContain('platform zone');
    expect(customHostnameProblem('10.0.0.1', 'satusky.test')).toContain('IP address');
    expect(customHostnameProblem('*.example.com', 'satusky.test')).toContain('wildcard');
    expect(customHostnameProblem('co.uk', 'satusky.test')).toContain('public suffix');
    expect(customHostnameProblem('myapp.github.io', 'satusky.test')).toBeNull();
    expect(customHostnameProblem('github.io', 'satusky.test')).toContain('public suffix');
    expect(customHostnameProblem('_satusky-challenge.example.com', 'satusky.test')).toContain('reserved');
    expect(customHostnameProblem('app.localhost', 'satusky.test')).toContain('localhost');
  });

  it('knows an apex from a subdomain, public suffixes included', () => {
    expect(isApex('example.com')).toBe(true);
    expect(isApex('example.co.uk')).toBe(true);
    expect(isApex('shop.example.co.uk')).toBe(false);
    expect(isApex('www.example.com')).toBe(false);
  });

  it('accepts the TXT value only when it is exactly the token (split strings joined)', () => {
    expect(txtProves([['satusky-verify=', 'abc']], 'abc')).toBe(true);
    expect(txtProves([['v=spf1 -all'], ['satusky-verify=abc']], 'abc')).toBe(true);
    expect(txtProves([['satusky-verify=abcd']], 'abc')).toBe(false);
    expect(txtProves([], 'abc')).toBe(false);
  });

  it('tells a subdomain to CNAME and an apex to use A records', () => {
    const sub = setupRecords({ hostname: 'shop.example.com', token: 't', appHostname: 'web-acme.satusky.test', edgeAddresses: ['127.0.1.1'], wwwRedirect: true });
    expect(sub.apex).toBe(false);
    expect(sub.records).toEqual([
      { purpose: 'ownership', type: 'TXT', name: '_satusky-challenge.shop.example.com', value: 'satusky-verify=t' },
      { purpose: 'routing', type: 'CNAME', name: 'shop.example.com', value: 'web-acme.satusky.test' },
      { purpose: 'www redirect', type: 'CNAME', name: 'www.shop.example.com', value: 'web-acme.satusky.test' },
    ]);
    const apex = setupRecords({ hostname: 'example.com', token: 't', appHostname: 'web-acme.satusky.test', edgeAddresses: ['127.0.1.1', '127.0.2.1'], wwwRedirect: false });
    expect(apex.apex).toBe(true);
    expect(apex.records.filter((r) => r.type === 'A').map((r) => r.value)).toEqual(['127.0.1.1', '127.0.2.1']);
    expect(apex.notes.join(' ')).toContain('ALIAS');
  });
});

describe('probe address rules (no server-side request forgery)', () => {
  const none = parseCidrs([]);
  it('connects to public addresses only, unless a range is allowed', () => {
    expect(probeAllowed('93.184.216.34', none)).toBe(true);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) {
      expect(probeAllowed(address, none), address).toBe(false);
    }
    expect(probeAllowed('not-an-ip', none)).toBe(false);
    const loopback = parseCidrs(['127.0.0.0/8']);
    expect(probeAllowed('127.0.1.1', loopback)).toBe(true);
    expect(probeAllowed('169.254.169.254', loopback)).toBe(false);
    expect(() => parseCidrs(['nonsense/8'])).toThrow(/not an address/);
    expect(() => parseCidrs(['10.0.0.0/99'])).toThrow(/prefix/);
  });
});

const renderInput = (routing: RenderInput['routing']): RenderInput => ({
  org: { id: 'o1', slug: 'acme', namespace: 'org-acme' },
  app: { id: 'd1', name: 'web', hostname: 'web-acme.satusky.test' },
  release: {
    version: 1,
    generation: 1,
    spec: resolveAppSpec({ image: 'nginx:1' }, null),
    secretKeys: [],
    secretsVersion: 0,
    restartNonce: null,
  },
  cluster: { zone: 'sim-kul-1' },
  secrets: {},
  routing,
});

describe('routes rendered for domains', () => {
  it('routes only verified domains, with a certificate and an HTTPS listener per hostname and a www redirect', () => {
    const objects = renderApp(renderInput({ tls: true, ingressClass: 'sim', domains: [{ hostname: 'shop.example.com', routeKind: 'httproute', wwwRedirect: true, ingressRetained: false }] }));
    const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
    expect(byKind('HTTPRoute').map((r) => (r.spec as { hostnames: string[] }).hostnames[0])).toEqual(['web-acme.satusky.test', 'shop.example.com', 'www.shop.example.com']);
    expect(byKind('Certificate').map((c) => (c.spec as { dnsNames: string[] }).dnsNames[0])).toEqual(['web-acme.satusky.test', 'shop.example.com', 'www.shop.example.com']);
    const listeners = (byKind('ListenerSet')[0]!.spec as { listeners: { hostname: string; tls: { certificateRefs: { name: string }[] } }[] }).listeners;
    expect(listeners.map((l) => l.hostname)).toEqual(['web-acme.satusky.test', 'shop.example.com', 'www.shop.example.com']);
    const www = byKind('HTTPRoute').find((r) => r.metadata.name === customRouteName('web', 'www.shop.example.com'))!;
    expect(JSON.stringify(www.spec)).toContain('"requestRedirect":{"hostname":"shop.example.com","statusCode":301}');
    expect(byKind('Ingress')).toEqual([]);
  });

  it('renders a legacy domain as an Ingress, and both while migrating', () => {
    const legacy = renderApp(renderInput({ tls: true, ingressClass: 'sim', domains: [{ hostname: 'shop.example.com', routeKind: 'ingress', wwwRedirect: false, ingressRetained: false }] }));
    expect(legacy.filter((o) => o.kind === 'Ingress')).toHaveLength(1);
    expect(legacy.filter((o) => o.kind === 'HTTPRoute')).toHaveLength(1);
    const migrating = renderApp(renderInput({ tls: true, ingressClass: 'sim', domains: [{ hostname: 'shop.example.com', routeKind: 'httproute', wwwRedirect: false, ingressRetained: true }] }));
    expect(migrating.filter((o) => o.kind === 'Ingress')).toHaveLength(1);
    expect(migrating.filter((o) => o.kind === 'HTTPRoute')).toHaveLength(2);
  });
});

describe('route, TLS and DNS conditions', () => {
  const at = new Date('2026-11-21T12:00:00Z');
  const observed = observeRouting(
    [
      {
        kind: 'HTTPRoute',
        metadata: { name: 'web' },
        spec: { hostnames: ['web-acme.satusky.test'] },
        status: { parents: [{ parentRef: { kind: 'Gateway', name: 'satusky-edge', namespace: 'satusky-system' }, conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted' }, { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs' }] }] },
      },
    ],
    [],
    [{ metadata: { name: 'web-tls' }, spec: { dnsNames: ['web-acme.satusky.test'] }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'WrongChallengeResponse', message: 'got 404 from 127.0.99.1' }] } }],
  );

  it('reads route acceptance and certificate failures from the cluster objects', () => {
    expect(routeCondition(observed, 'web-acme.satusky.test', 'sim-kul-1', at)).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(routeCondition(observed, 'other.satusky.test', 'sim-kul-1', at)).toMatchObject({ status: 'False', reason: 'RouteMissing' });
    expect(tlsCondition(observed, 'web-acme.satusky.test', 'sim-kul-1', at, at)).toMatchObject({ status: 'False', reason: 'WrongChallengeResponse' });
  });

  const target = (over: Partial<TargetFact> = {}): TargetFact => ({
    clusterId: 'c1',
    cluster: 'sim-kul-1',
    zone: 'sim-kul-1',
    role: 'serving',
    desiredGeneration: 1,
    appliedGeneration: 1,
    appliedAt: at,
    lastError: null,
    lastErrorAt: null,
    lastErrorTerminal: false,
    acceptedAt: at,
    edge: { address: '127.0.1.1', probe: { ok: true, detail: '200 from sim-kul-1', probedAt: at } },
    routing: observed,
    dnsExpected: true,
    ...over,
  });
  const base = (over: Partial<AggregateInput> = {}): AggregateInput => ({
    generation: 1,
    releaseVersion: 1,
    targets: [target()],
    observations: new Map([
      ['c1', { observedGeneration: 1, releaseVersion: 1, desiredReplicas: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1, workload: { problems: [], progressDeadlineExceeded: false }, observedAt: at }],
    ]),
    clusters: new Map([['c1', { healthState: 'healthy', healthReason: 'ok', lastHeardAt: at }]]),
    now: at,
    staleAfterMs: 6_000,
    hostname: 'web-acme.satusky.test',
    tls: true,
    dns: { published: ['127.0.1.1'], publishedAt: new Date(at.getTime() - 60_000), observation: { rcode: 'NOERROR', addresses: ['127.0.1.1'], observedAt: at }, ttlMs: 5_000, staleAfterMs: 30_000 },
    ...over,
  });

  it('is degraded, not ready, when the workload runs but the certificate cannot be issued', () => {
    const result = aggregateStatus(base());
    expect(result.status).toBe('degraded');
    expect(result.clusters[0]!.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Accepted=True',
      'ClusterReachable=True',
      'Applied=True',
      'WorkloadReady=True',
      'RouteAccepted=True',
      'TLSReady=False',
      'DNSReady=True',
      'Reachable=True',
    ]);
  });

  it('is progressing while the certificate is still being issued, and DNS says where it resolves', () => {
    const issuing = { ...observed, certificates: [{ ...observed.certificates[0]!, ready: false, reason: 'Issuing', message: 'Issuing certificate as Secret does not exist' }] };
    expect(aggregateStatus(base({ targets: [target({ routing: issuing })] })).status).toBe('progressing');
    const ready = { ...observed, certificates: [{ ...observed.certificates[0]!, ready: true, reason: 'Ready', message: '' }] };
    expect(aggregateStatus(base({ targets: [target({ routing: ready })] })).status).toBe('ready');
    const elsewhere = aggregateStatus(base({ targets: [target({ routing: ready })], dns: { ...base().dns!, observation: { rcode: 'NOERROR', addresses: ['127.0.99.1'], observedAt: at } } }));
    const dns = elsewhere.clusters[0]!.conditions.find((c) => c.type === 'DNSReady')!;
    expect(dns).toMatchObject({ status: 'False', reason: 'NotResolving' });
    expect(dns.message).toContain('127.0.99.1');
    expect(elsewhere.status).toBe('degraded');
    const standby = aggregateStatus(base({ targets: [target({ routing: ready, dnsExpected: false, role: 'warm' })], dns: { ...base().dns!, published: [] } }));
    expect(standby.clusters[0]!.conditions.find((c) => c.type === 'DNSReady')).toMatchObject({ status: 'True', reason: 'Standby' });
    expect(standby.clusters[0]!.receives_traffic).toBe(false);
    // A primary whose traffic moved away (failover) is not a "standby".
    const failedOver = aggregateStatus(base({ targets: [target({ routing: ready, dnsExpected: false, role: 'serving' })], dns: { ...base().dns!, published: [] } }));
    expect(failedOver.clusters[0]!.conditions.find((c) => c.type === 'DNSReady')).toMatchObject({ status: 'True', reason: 'NotServing' });

    // An API that stopped answering (not yet stale): not "progressing" — serving without control if users still reach it.
    const down = aggregateStatus(base({ targets: [target({ routing: ready })], clusters: new Map([['c1', { healthState: 'offline', healthReason: 'API unreachable', lastHeardAt: at }]]) }));
    expect(down.clusters[0]!.conditions.find((c) => c.type === 'ClusterReachable')).toMatchObject({ status: 'False' });
    expect(down.clusters[0]!.status).toBe('degraded');
  });
});

describe('SSRF corpus: the checker never connects to private addresses', () => {
  const none = parseCidrs([]);
  const BLOCKED = [
    '0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.255', '100.64.0.1', '100.127.255.254', '127.0.0.1', '127.0.1.1', '127.255.255.254',
    '169.254.0.1', '169.254.169.254', '172.16.0.1', '172.20.10.10', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.168.0.1',
    '192.168.255.255', '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9', '224.0.0.1', '239.255.255.250', '240.0.0.1',
    '255.255.255.255', '::', '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '64:ff9b::a00:1', '100::1',
    '2001:db8::1', 'fc00::1', 'fd12:3456:789a::1', 'fe80::1', 'febf::1', 'ff02::1', 'ff05::1:3',
  ];
  const ALLOWED = ['1.1.1.1', '8.8.8.8', '93.184.216.34', '172.15.255.255', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1'];

  it(`refuses ${BLOCKED.length} private, loopback, link-local, reserved and mapped addresses, and allows public ones`, () => {
    expect(BLOCKED.length).toBeGreaterThanOrEqual(40);
    for (const address of BLOCKED) expect(probeAllowed(address, none), address).toBe(false);
    for (const address of ALLOWED) expect(probeAllowed(address, none), address).toBe(true);
    for (const junk of ['', 'localhost', '127.1', '0x7f000001', '2130706433', '[::1]', '1.2.3.4.5']) expect(probeAllowed(junk, none), junk).toBe(false);
  });
});
