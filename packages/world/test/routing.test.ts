// Edge routing as pure functions: attachment (parentRefs, sectionName, listener hostnames,
// allowedRoutes, ListenerSets), precedence (hostname, path, headers, age), Ingress, SNI, redirects.

import { DEFAULT_GATEWAY_CONTROLLER, INGRESS_CONTROLLER, type KubeObject } from '@satusky/sim';
import { describe, expect, it } from 'vitest';
import { buildRouteTable, hostnameScore, intersectHostnames, matchRoute, pickBackend, redirectLocation, selectTls, type RoutingInput, type Protocol, type RouteTable } from '../src/edge/routing.ts';
import { imageStatus, readyPodNames, accessLogLine } from '../src/edge/backend.ts';

const GW = 'gateway.networking.k8s.io/v1';
let uid = 0;

function ko(apiVersion: string, kind: string, name: string, namespace: string | undefined, body: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  uid++;
  return {
    apiVersion,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${uid}`, resourceVersion: String(uid), creationTimestamp: '2025-01-01T00:00:00Z', ...meta },
    ...body,
  };
}

const simClass = ko(GW, 'GatewayClass', 'sim', undefined, { spec: { controllerName: DEFAULT_GATEWAY_CONTROLLER } });
const otherClass = ko(GW, 'GatewayClass', 'other', undefined, { spec: { controllerName: 'example.com/other' } });

function gateway(name: string, listeners: Record<string, unknown>[], extra: Record<string, unknown> = {}, ns = 'web', className = 'sim'): KubeObject {
  return ko(GW, 'Gateway', name, ns, { spec: { gatewayClassName: className, listeners, ...extra } });
}

const HTTP = { name: 'http', port: 80, protocol: 'HTTP' };
const HTTPS = (hostname?: string, secret = 'tls'): Record<string, unknown> => ({ name: hostname ? `https-${hostname}` : 'https', port: 443, protocol: 'HTTPS', ...(hostname ? { hostname } : {}), tls: { mode: 'Terminate', certificateRefs: [{ name: secret }] } });

function route(name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}, ns = 'web'): KubeObject {
  return ko(GW, 'HTTPRoute', name, ns, { spec: { parentRefs: [{ name: 'edge' }], ...spec } }, meta);
}

const backend = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, port: 80, ...extra });

function table(input: Partial<RoutingInput>): RouteTable {
  return buildRouteTable(
    {
      gatewayClasses: [simClass, otherClass],
      gateways: [],
      listenerSets: [],
      httpRoutes: [],
      ingresses: [],
      ingressClasses: [ko('networking.k8s.io/v1', 'IngressClass', 'sim', undefined, { spec: { controller: INGRESS_CONTROLLER } }, { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } })],
      namespaces: [ko('v1', 'Namespace', 'web', undefined, {}, { labels: { team: 'web' } }), ko('v1', 'Namespace', 'other', undefined, {}, { labels: { team: 'other' } })],
      referenceGrants: [],
      ...input,
    },
    { gatewayControllerNames: [DEFAULT_GATEWAY_CONTROLLER], ingressControllerName: INGRESS_CONTROLLER },
  );
}

function hit(t: RouteTable, host: string, path = '/', extra: { protocol?: Protocol; method?: string; headers?: Record<string, string>; query?: string } = {}): string | undefined {
  const entry = matchRoute(t, {
    protocol: extra.protocol ?? 'http',
    host,
    path,
    method: extra.method ?? 'GET',
    header: (n) => extra.headers?.[n],
    query: new URLSearchParams(extra.query ?? ''),
  });
  if (!entry) return undefined;
  if (entry.redirect) return `redirect:${entry.redirect.statusCode}`;
  return entry.backends.map((b) => b.name).join(',');
}

describe('hostnames', () => {
  it('scores exact names above wildcards above catch-all, and wildcards need at least one label', () => {
    expect(hostnameScore('shop.example.com', 'shop.example.com')).toBeGreaterThan(hostnameScore('*.example.com', 'shop.example.com'));
    expect(hostnameScore('*.shop.example.com', 'a.shop.example.com')).toBeGreaterThan(hostnameScore('*.example.com', 'a.shop.example.com'));
    expect(hostnameScore('*.example.com', 'shop.example.com')).toBeGreaterThan(hostnameScore(undefined, 'shop.example.com'));
    expect(hostnameScore('*.example.com', 'example.com')).toBe(-1);
    expect(hostnameScore('*.example.com', 'a.b.example.com')).toBeGreaterThan(0);
    expect(hostnameScore('*.example.com', 'a.b.example.com', true)).toBe(-1);
    expect(hostnameScore('Shop.Example.com', 'shop.example.COM')).toBeGreaterThan(1000);
  });

  it('intersects listener and route hostnames the Gateway API way', () => {
    expect(intersectHostnames(undefined, 'a.example.com')).toBe('a.example.com');
    expect(intersectHostnames('*.example.com', 'a.example.com')).toBe('a.example.com');
    expect(intersectHostnames('a.example.com', '*.example.com')).toBe('a.example.com');
    expect(intersectHostnames('*.example.com', '*.a.example.com')).toBe('*.a.example.com');
    expect(intersectHostnames('a.example.com', 'b.example.com')).toBeUndefined();
    expect(intersectHostnames('*.example.com', '*.example.org')).toBeUndefined();
  });
});

describe('route precedence', () => {
  const edge = gateway('edge', [HTTP, HTTPS()]);

  it('prefers the most specific hostname: exact, then the longest wildcard, then catch-all', () => {
    const t = table({
      gateways: [edge],
      httpRoutes: [
        route('catchall', { rules: [{ backendRefs: [backend('catchall')] }] }),
        route('wild', { hostnames: ['*.example.com'], rules: [{ backendRefs: [backend('wild')] }] }),
        route('deeper', { hostnames: ['*.shop.example.com'], rules: [{ backendRefs: [backend('deeper')] }] }),
        route('exact', { hostnames: ['shop.example.com'], rules: [{ backendRefs: [backend('exact')] }] }),
      ],
    });
    expect(hit(t, 'shop.example.com')).toBe('exact');
    expect(hit(t, 'cdn.shop.example.com')).toBe('deeper');
    expect(hit(t, 'blog.example.com')).toBe('wild');
    expect(hit(t, 'example.org')).toBe('catchall');
  });

  it('orders paths Exact, then RegularExpression, then the longest PathPrefix (by segments), and falls through non-matching rules', () => {
    const t = table({
      gateways: [edge],
      httpRoutes: [
        route('r', {
          hostnames: ['shop.example.com'],
          rules: [
            { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [backend('root')] },
            { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [backend('api')] },
            { matches: [{ path: { type: 'PathPrefix', value: '/api/v2/' } }], backendRefs: [backend('v2')] },
            { matches: [{ path: { type: 'Exact', value: '/api/health' } }], backendRefs: [backend('health')] },
            { matches: [{ path: { type: 'RegularExpression', value: '/img/.*\\.png' } }], backendRefs: [backend('png')] },
          ],
        }),
      ],
    });
    expect(hit(t, 'shop.example.com', '/api/health')).toBe('health');
    expect(hit(t, 'shop.example.com', '/api/health/x')).toBe('api');
    expect(hit(t, 'shop.example.com', '/api/v2')).toBe('v2');
    expect(hit(t, 'shop.example.com', '/api/v2/items')).toBe('v2');
    expect(hit(t, 'shop.example.com', '/api')).toBe('api');
    expect(hit(t, 'shop.example.com', '/apix')).toBe('root');
    expect(hit(t, 'shop.example.com', '/img/a.png')).toBe('png');
    expect(hit(t, 'shop.example.com', '/img/a.gif')).toBe('root');
  });

  it('breaks ties by the oldest route, then namespace/name', () => {
    const spec = { hostnames: ['shop.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [backend('x')] }] };
    const older = route('zzz', { ...spec, rules: [{ backendRefs: [backend('older')] }] }, { creationTimestamp: '2024-01-01T00:00:00Z' });
    const newer = route('aaa', { ...spec, rules: [{ backendRefs: [backend('newer')] }] }, { creationTimestamp: '2025-06-01T00:00:00Z' });
    expect(hit(table({ gateways: [edge], httpRoutes: [newer, older] }), 'shop.example.com')).toBe('older');
    const b = route('bbb', { ...spec, rules: [{ backendRefs: [backend('b')] }] });
    const a = route('aaa', { ...spec, rules: [{ backendRefs: [backend('a')] }] });
    expect(hit(table({ gateways: [edge], httpRoutes: [b, a] }), 'shop.example.com')).toBe('a');
  });

  it('matches methods, headers and query parameters, preferring more specific matches', () => {
    const t = table({
      gateways: [edge],
      httpRoutes: [
        route('r', {
          hostnames: ['shop.example.com'],
          rules: [
            { backendRefs: [backend('default')] },
            { matches: [{ method: 'POST' }], backendRefs: [backend('post')] },
            { matches: [{ headers: [{ name: 'X-Canary', value: 'yes' }] }], backendRefs: [backend('canary')] },
            { matches: [{ queryParams: [{ name: 'beta', value: '1' }] }], backendRefs: [backend('beta')] },
          ],
        }),
      ],
    });
    expect(hit(t, 'shop.example.com')).toBe('default');
    expect(hit(t, 'shop.example.com', '/', { method: 'POST' })).toBe('post');
    expect(hit(t, 'shop.example.com', '/', { headers: { 'x-canary': 'yes' } })).toBe('canary');
    expect(hit(t, 'shop.example.com', '/', { headers: { 'x-canary': 'no' } })).toBe('default');
    expect(hit(t, 'shop.example.com', '/', { query: '?beta=1' })).toBe('beta');
  });
});

describe('attachment', () => {
  it('honours sectionName: a route on the HTTP listener is not served over HTTPS', () => {
    const t = table({ gateways: [gateway('edge', [HTTP, HTTPS()])], httpRoutes: [route('r', { parentRefs: [{ name: 'edge', sectionName: 'http' }], hostnames: ['a.example.com'], rules: [{ backendRefs: [backend('a')] }] })] });
    expect(hit(t, 'a.example.com', '/', { protocol: 'http' })).toBe('a');
    expect(hit(t, 'a.example.com', '/', { protocol: 'https' })).toBeUndefined();
  });

  it('narrows routes to the listener hostname and drops routes whose hostnames do not intersect', () => {
    const t = table({
      gateways: [gateway('edge', [{ ...HTTP, hostname: '*.example.com' }])],
      httpRoutes: [
        route('inherit', { rules: [{ backendRefs: [backend('inherit')] }] }),
        route('foreign', { hostnames: ['shop.example.org'], rules: [{ backendRefs: [backend('foreign')] }] }),
      ],
    });
    expect(hit(t, 'x.example.com')).toBe('inherit');
    expect(hit(t, 'shop.example.org')).toBeUndefined();
  });

  it('applies allowedRoutes namespaces (Same by default, All, Selector) and ignores classes of other controllers', () => {
    const foreignRoute = route('r', { parentRefs: [{ name: 'edge', namespace: 'web' }], rules: [{ backendRefs: [backend('x')] }] }, {}, 'other');
    expect(hit(table({ gateways: [gateway('edge', [HTTP])], httpRoutes: [foreignRoute] }), 'a.example.com')).toBeUndefined();
    expect(hit(table({ gateways: [gateway('edge', [{ ...HTTP, allowedRoutes: { namespaces: { from: 'All' } } }])], httpRoutes: [foreignRoute] }), 'a.example.com')).toBe('x');
    const selector = { ...HTTP, allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'other' } } } } };
    expect(hit(table({ gateways: [gateway('edge', [selector])], httpRoutes: [foreignRoute] }), 'a.example.com')).toBe('x');
    const otherRoute = route('r', { rules: [{ backendRefs: [backend('x')] }] });
    expect(hit(table({ gateways: [gateway('edge', [HTTP], {}, 'web', 'other')], httpRoutes: [otherRoute] }), 'a.example.com')).toBeUndefined();
  });

  it('serves ListenerSet listeners only when the Gateway allows them, with their certificates', () => {
    const ls = ko(GW, 'ListenerSet', 'extra', 'web', { spec: { parentRef: { name: 'edge' }, listeners: [HTTPS('www.example.com', 'www-tls')] } });
    const r = route('www', { parentRefs: [{ kind: 'ListenerSet', name: 'extra' }], rules: [{ backendRefs: [backend('www')] }] });
    const closed = table({ gateways: [gateway('edge', [HTTP])], listenerSets: [ls], httpRoutes: [r] });
    expect(hit(closed, 'www.example.com', '/', { protocol: 'https' })).toBeUndefined();
    expect(selectTls(closed, 'www.example.com')).toBeUndefined();
    const open = table({ gateways: [gateway('edge', [HTTP], { allowedListeners: { namespaces: { from: 'Same' } } })], listenerSets: [ls], httpRoutes: [r] });
    expect(hit(open, 'www.example.com', '/', { protocol: 'https' })).toBe('www');
    expect(hit(open, 'www.example.com', '/', { protocol: 'http' })).toBeUndefined();
    expect(selectTls(open, 'www.example.com')?.secret).toEqual({ namespace: 'web', name: 'www-tls' });
  });

  it('marks cross-namespace backends without a ReferenceGrant as invalid', () => {
    const r = route('r', { rules: [{ backendRefs: [backend('api', { namespace: 'other' })] }] });
    const grant = ko('gateway.networking.k8s.io/v1beta1', 'ReferenceGrant', 'g', 'other', { spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'web' }], to: [{ group: '', kind: 'Service' }] } });
    const denied = matchRoute(table({ gateways: [gateway('edge', [HTTP])], httpRoutes: [r] }), { protocol: 'http', host: 'a', path: '/', method: 'GET', header: () => undefined, query: new URLSearchParams() });
    expect(denied?.backends[0]?.problem).toMatch(/not permitted by any ReferenceGrant/);
    const allowed = matchRoute(table({ gateways: [gateway('edge', [HTTP])], httpRoutes: [r], referenceGrants: [grant] }), { protocol: 'http', host: 'a', path: '/', method: 'GET', header: () => undefined, query: new URLSearchParams() });
    expect(allowed?.backends[0]?.problem).toBeUndefined();
  });
});

describe('Ingress', () => {
  const ing = (name: string, spec: Record<string, unknown>): KubeObject => ko('networking.k8s.io/v1', 'Ingress', name, 'web', { spec });

  it('routes by host and path on both ports, with one-label wildcards and a default backend', () => {
    const t = table({
      ingresses: [
        ing('a', {
          rules: [
            { host: 'api.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } }, { path: '/v1/ping', pathType: 'Exact', backend: { service: { name: 'ping', port: { number: 80 } } } }] } },
            { host: '*.example.org', http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'wild', port: { name: 'http' } } } }] } },
          ],
          defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
          tls: [{ hosts: ['api.example.org'], secretName: 'api-tls' }],
        }),
        ing('foreign', { ingressClassName: 'nginx', rules: [{ host: 'nginx.example.net', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nginx', port: { number: 80 } } } }] } }] }),
      ],
    });
    expect(hit(t, 'api.example.org', '/v1/ping')).toBe('ping');
    expect(hit(t, 'api.example.org', '/v1/ping/x')).toBe('api');
    expect(hit(t, 'api.example.org', '/', { protocol: 'https' })).toBe('api');
    expect(hit(t, 'x.example.org')).toBe('wild');
    expect(hit(t, 'a.b.example.org')).toBe('fallback');
    expect(hit(t, 'nginx.example.net')).toBe('fallback');
    expect(selectTls(t, 'api.example.org')?.secret.name).toBe('api-tls');
    expect(selectTls(t, 'x.example.org')).toBeUndefined();
  });
});

describe('TLS selection', () => {
  it('picks the most specific listener hostname, a catch-all listener last, nothing when none matches', () => {
    const t = table({ gateways: [gateway('edge', [HTTPS('*.example.com', 'wild-tls'), HTTPS('shop.example.com', 'shop-tls')])] });
    expect(selectTls(t, 'shop.example.com')?.secret.name).toBe('shop-tls');
    expect(selectTls(t, 'blog.example.com')?.secret.name).toBe('wild-tls');
    expect(selectTls(t, 'example.org')).toBeUndefined();
    const withDefault = table({ gateways: [gateway('edge', [HTTPS(undefined, 'default-tls'), HTTPS('shop.example.com', 'shop-tls')])] });
    expect(selectTls(withDefault, 'example.org')?.secret.name).toBe('default-tls');
    expect(selectTls(withDefault, 'shop.example.com')?.secret.name).toBe('shop-tls');
  });
});

describe('redirects', () => {
  const ports = { http: 8080, https: 8443 };

  it('derives the port from the scheme or the request, publishing 80/443 as the edge ports', () => {
    expect(redirectLocation({ statusCode: 301, hostname: 'shop.example.com' }, { protocol: 'http', host: 'www.shop.example.com', path: '/a', search: '?q=1', ports })).toBe('http://shop.example.com:8080/a?q=1');
    expect(redirectLocation({ statusCode: 301, scheme: 'https' }, { protocol: 'http', host: 'shop.example.com', path: '/', search: '', ports })).toBe('https://shop.example.com:8443/');
    expect(redirectLocation({ statusCode: 308, scheme: 'https', port: 443 }, { protocol: 'http', host: 'a.com', path: '/', search: '', ports: { http: 80, https: 443 } })).toBe('https://a.com/');
    expect(redirectLocation({ statusCode: 302, port: 9000 }, { protocol: 'http', host: 'a.com', path: '/', search: '', ports })).toBe('http://a.com:9000/');
  });

  it('replaces the full path or the matched prefix', () => {
    expect(redirectLocation({ statusCode: 302, path: { type: 'ReplaceFullPath', value: '/new' } }, { protocol: 'https', host: 'a.com', path: '/old/x', search: '', ports })).toBe('https://a.com:8443/new');
    const prefix = (path: string, value: string, matched: string): string => redirectLocation({ statusCode: 302, path: { type: 'ReplacePrefixMatch', value } }, { protocol: 'http', host: 'a.com', path, search: '', matchedPrefix: matched, ports });
    expect(prefix('/foo/bar', '/xyz', '/foo')).toBe('http://a.com:8080/xyz/bar');
    expect(prefix('/foo', '/xyz', '/foo')).toBe('http://a.com:8080/xyz');
    expect(prefix('/foo/bar', '/', '/foo')).toBe('http://a.com:8080/bar');
    expect(prefix('/foo/bar', '/xyz', '/')).toBe('http://a.com:8080/xyz/foo/bar');
  });

  it('turns a RequestRedirect rule into a redirect entry with its status (default 302)', () => {
    const t = table({
      gateways: [gateway('edge', [HTTP])],
      httpRoutes: [
        route('www', { hostnames: ['www.example.com'], rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'example.com', statusCode: 301 } }] }] }),
        route('old', { hostnames: ['old.example.com'], rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'example.com' } }] }] }),
      ],
    });
    expect(hit(t, 'www.example.com')).toBe('redirect:301');
    expect(hit(t, 'old.example.com')).toBe('redirect:302');
  });
});

describe('backends', () => {
  it('picks by weight and never picks weight 0', () => {
    const refs = [
      { namespace: 'a', name: 'one', weight: 1 },
      { namespace: 'a', name: 'zero', weight: 0 },
      { namespace: 'a', name: 'three', weight: 3 },
    ];
    expect(pickBackend(refs, () => 0)?.name).toBe('one');
    expect(pickBackend(refs, () => 0.24)?.name).toBe('one');
    expect(pickBackend(refs, () => 0.26)?.name).toBe('three');
    expect(pickBackend(refs, () => 0.999)?.name).toBe('three');
    expect(pickBackend([{ namespace: 'a', name: 'z', weight: 0 }])).toBeUndefined();
    expect(pickBackend([])).toBeUndefined();
  });

  it('reads ready pods from EndpointSlices, falling back to Endpoints', () => {
    const slice = ko('discovery.k8s.io/v1', 'EndpointSlice', 's', 'web', {
      endpoints: [
        { addresses: ['10.0.0.2'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'b' } },
        { addresses: ['10.0.0.3'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'c' } },
        { addresses: ['10.0.0.1'], conditions: {}, targetRef: { kind: 'Pod', name: 'a' } },
      ],
    });
    expect(readyPodNames([slice], undefined)).toEqual(['a', 'b']);
    const eps = ko('v1', 'Endpoints', 's', 'web', { subsets: [{ addresses: [{ ip: '10.0.0.9', targetRef: { kind: 'Pod', name: 'z' } }], notReadyAddresses: [{ ip: '10.0.0.8', targetRef: { kind: 'Pod', name: 'y' } }] }] });
    expect(readyPodNames([], eps)).toEqual(['z']);
    expect(readyPodNames([], undefined)).toEqual([]);
  });

  it('derives the simulated status from the image tag, and formats access lines', () => {
    expect(imageStatus('registry.example.com/shop:1.0')).toBe(200);
    expect(imageStatus('registry.example.com:5000/shop:1.0-http-500')).toBe(500);
    expect(imageStatus('shop:http-503')).toBe(503);
    expect(imageStatus('http-500/shop:1.0')).toBe(200);
    const line = accessLogLine({ remoteAddress: '127.0.0.1', method: 'GET', url: '/a?b=1', httpVersion: '1.1', status: 200, bytes: 12, userAgent: 'curl/8', host: 'shop.example.com', time: Date.UTC(2025, 0, 2, 3, 4, 5) });
    expect(line).toBe('127.0.0.1 - - [02/Jan/2025:03:04:05 +0000] "GET /a?b=1 HTTP/1.1" 200 12 "-" "curl/8" host=shop.example.com');
  });
});
