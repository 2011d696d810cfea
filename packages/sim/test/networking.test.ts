// Services, Endpoints/EndpointSlices, Ingress and Gateway API status simulation, through the
// library API (the way the simulated edge reads them), validated with kubernetes-models.

import { EndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { Endpoints, Service } from 'kubernetes-models/v1';
import { Gateway, GatewayClass, HTTPRoute, ListenerSet } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_CLASS, type KubeObject, type ObjectEvent, type SimCluster } from '../src/index.ts';
import { startTestCluster } from './helpers/cluster.ts';
import { waitFor } from './helpers/kubectl.ts';
import { validate } from './helpers/models.ts';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
type Cond = { type: string; status: string; reason: string; message: string; observedGeneration?: number };

const GW = 'gateway.networking.k8s.io/v1';
const conds = (o: unknown): Cond[] => ((o as Obj | undefined)?.status?.conditions as Cond[] | undefined) ?? [];
const cond = (o: unknown, type: string): Cond | undefined => conds(o).find((c) => c.type === type);

describe('networking simulation', () => {
  let cluster: SimCluster;
  let problems: string[] = [];
  const get = (apiVersion: string, kind: string, name: string, namespace = 'default'): Obj | undefined => cluster.objects.get<Obj>({ apiVersion, kind, name, namespace });

  beforeAll(async () => {
    ({ cluster, problems } = await startTestCluster({ name: 'net', nodes: 2, zone: 'net-a', port: 0, gatewayAddress: '127.0.5.1' }));
    cluster.objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps', labels: { tenant: 'yes' } } });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(problems).toEqual([]);
  });

  it('allocates cluster IPs and keeps Endpoints and EndpointSlices in step with ready pods', async () => {
    cluster.objects.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:1', ports: [{ name: 'http', containerPort: 8080 }] }] } } },
    });
    const svc = cluster.objects.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'default' }, spec: { selector: { app: 'api' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } }) as Obj;
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', clusterIP: expect.stringMatching(/^10\.(9[6-9]|1[01][0-9])\./) as unknown, ports: [{ name: 'web', port: 80, protocol: 'TCP', targetPort: 'http' }] });
    validate(Service, svc);
    expect(() => validate(Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: 'nope' } })).toThrow();
    const slice = await waitFor(() => {
      const s = cluster.objects.list<Obj>({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' }, { namespace: 'default', labelSelector: { 'kubernetes.io/service-name': 'api' } })[0];
      const eps = (s?.endpoints as { conditions: { ready: boolean } }[] | undefined) ?? [];
      return eps.length === 2 && eps.every((e) => e.conditions.ready) ? s : undefined;
    }, { what: 'two ready endpoints' });
    expect(slice.ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
    expect((slice.endpoints as { zone: string; nodeName: string; targetRef: { kind: string } }[])[0]).toMatchObject({ zone: 'net-a', targetRef: { kind: 'Pod' } });
    validate(EndpointSlice, slice);
    const ep = get('v1', 'Endpoints', 'api') as Obj;
    expect(((ep.subsets as { addresses: unknown[] }[])[0]?.addresses ?? []).length).toBe(2);
    validate(Endpoints, ep);
    cluster.objects.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'api' }, { spec: { replicas: 1 } });
    await waitFor(() => ((get('v1', 'Endpoints', 'api')?.subsets as { addresses?: unknown[] }[] | undefined)?.[0]?.addresses ?? []).length === 1, { what: 'scale down reflected' });
  });

  it('reports load-balancer status for LoadBalancer services and simulator-class ingresses', async () => {
    cluster.objects.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'default' }, spec: { type: 'LoadBalancer', selector: { app: 'api' }, ports: [{ port: 443 }] } });
    const lb = await waitFor(() => {
      const s = get('v1', 'Service', 'lb');
      return (s?.status?.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress ? s : undefined;
    }, { what: 'lb status' });
    expect(lb.status?.loadBalancer).toEqual({ ingress: [{ ip: '127.0.5.1', ipMode: 'VIP' }] });
    expect(((lb.spec?.ports as { nodePort: number }[])[0]?.nodePort ?? 0) >= 30000).toBe(true);
    cluster.objects.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'default', annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' } },
      spec: { tls: [{ hosts: ['web.example.test'], secretName: 'web-tls' }], rules: [{ host: 'web.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } }] } }] },
    });
    const ing = await waitFor(() => {
      const i = get('networking.k8s.io/v1', 'Ingress', 'web');
      return (i?.status?.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress ? i : undefined;
    }, { what: 'ingress status' });
    expect(ing.status?.loadBalancer).toEqual({ ingress: [{ ip: '127.0.5.1' }] });
    validate(Ingress, ing);
    // ingress-shim: a Certificate for the TLS secret, owned by the Ingress.
    const cert = await waitFor(() => get('cert-manager.io/v1', 'Certificate', 'web-tls'), { what: 'ingress-shim certificate' });
    expect(cert.spec).toMatchObject({ secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } });
    expect((cert.metadata.ownerReferences as unknown[] | undefined)?.[0]).toMatchObject({ kind: 'Ingress', name: 'web' });
  });

  it('accepts the simulator GatewayClass and programs Gateways at the edge address', async () => {
    const gc = await waitFor(() => {
      const c = cluster.objects.get<Obj>({ apiVersion: GW, kind: 'GatewayClass', name: DEFAULT_GATEWAY_CLASS });
      return cond(c, 'Accepted')?.status === 'True' ? c : undefined;
    }, { what: 'class accepted' });
    validate(GatewayClass, gc);
    cluster.objects.create({
      apiVersion: GW,
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'default' },
      spec: {
        gatewayClassName: DEFAULT_GATEWAY_CLASS,
        allowedListeners: { namespaces: { from: 'All' } },
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { tenant: 'yes' } } } } },
          { name: 'apps', port: 443, protocol: 'HTTPS', hostname: '*.apps.test', tls: { certificateRefs: [{ name: 'wildcard' }] }, allowedRoutes: { namespaces: { from: 'All' } } },
          { name: 'dup-a', port: 8080, protocol: 'HTTP', hostname: 'same.test' },
          { name: 'dup-b', port: 8080, protocol: 'HTTP', hostname: 'same.test' },
        ],
      },
    });
    const gw = await waitFor(() => {
      const g = get(GW, 'Gateway', 'edge');
      return cond(g, 'Programmed')?.status === 'True' ? g : undefined;
    }, { what: 'gateway programmed' });
    expect(gw.status?.addresses).toEqual([{ type: 'IPAddress', value: '127.0.5.1' }]);
    expect(cond(gw, 'Accepted')).toMatchObject({ status: 'True', reason: 'ListenersNotValid', observedGeneration: 1 });
    const listeners = gw.status?.listeners as { name: string; conditions: Cond[] }[];
    const l = (name: string, type: string): Cond | undefined => listeners.find((x) => x.name === name)?.conditions.find((c) => c.type === type);
    expect(l('http', 'Programmed')?.status).toBe('True');
    expect(l('apps', 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidCertificateRef', message: 'Secret default/wildcard does not exist' });
    expect(l('dup-a', 'Conflicted')).toMatchObject({ status: 'True', reason: 'HostnameConflict' });
    expect(l('dup-b', 'Conflicted')).toMatchObject({ status: 'True', reason: 'HostnameConflict' });
    validate(Gateway, gw);
    // The certificate Secret arrives: the HTTPS listener is programmed.
    cluster.objects.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wildcard', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' } });
    await waitFor(() => {
      const g = get(GW, 'Gateway', 'edge');
      return (g?.status?.listeners as { name: string; conditions: Cond[] }[]).find((x) => x.name === 'apps')?.conditions.find((c) => c.type === 'Programmed')?.status === 'True';
    }, { what: 'https listener programmed' });
  });

  it('accepts HTTPRoutes per parent and reports the Gateway API failure reasons', async () => {
    cluster.objects.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop', namespace: 'apps' }, spec: { selector: { app: 'shop' }, ports: [{ port: 80 }] } });
    const route = (name: string, spec: Record<string, unknown>, namespace = 'apps'): void => {
      cluster.objects.create({ apiVersion: GW, kind: 'HTTPRoute', metadata: { name, namespace }, spec });
    };
    const parent = { name: 'edge', namespace: 'default' };
    route('good', { parentRefs: [{ ...parent, sectionName: 'apps' }], hostnames: ['shop.apps.test'], rules: [{ backendRefs: [{ name: 'shop', port: 80 }] }] });
    route('wrong-host', { parentRefs: [{ ...parent, sectionName: 'apps' }], hostnames: ['shop.elsewhere.test'], rules: [{ backendRefs: [{ name: 'shop', port: 80 }] }] });
    route('no-backend', { parentRefs: [{ ...parent, sectionName: 'apps' }], hostnames: ['x.apps.test'], rules: [{ backendRefs: [{ name: 'missing', port: 80 }] }] });
    route('no-section', { parentRefs: [{ ...parent, sectionName: 'nope' }], rules: [{ backendRefs: [{ name: 'shop', port: 80 }] }] });
    route('not-allowed', { parentRefs: [{ ...parent, sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'shop', port: 80 }] }] }, 'default');
    route('cross-ns', { parentRefs: [{ ...parent, sectionName: 'apps' }], hostnames: ['c.apps.test'], rules: [{ backendRefs: [{ name: 'api', namespace: 'default', port: 80 }] }] });
    const status = async (name: string, namespace = 'apps'): Promise<{ accepted: Cond; refs: Cond; route: Obj }> =>
      waitFor(() => {
        const r = get(GW, 'HTTPRoute', name, namespace);
        const parents = (r?.status?.parents as { parentRef: unknown; controllerName: string; conditions: Cond[] }[] | undefined) ?? [];
        const p = parents[0];
        const accepted = p?.conditions.find((c) => c.type === 'Accepted');
        const refs = p?.conditions.find((c) => c.type === 'ResolvedRefs');
        return r && accepted && refs ? { accepted, refs, route: r } : undefined;
      }, { what: `status of ${name}` });
    const good = await status('good');
    expect(good.accepted).toMatchObject({ status: 'True', reason: 'Accepted', observedGeneration: 1 });
    expect(good.refs).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
    expect((good.route.status?.parents as { parentRef: unknown; controllerName: string }[])[0]).toMatchObject({
      parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default', name: 'edge', sectionName: 'apps' },
      controllerName: 'satusky.dev/sim-gateway-controller',
    });
    validate(HTTPRoute, good.route);
    expect((await status('wrong-host')).accepted).toMatchObject({ status: 'False', reason: 'NoMatchingListenerHostname' });
    expect((await status('no-backend')).refs).toMatchObject({ status: 'False', reason: 'BackendNotFound', message: 'Service "apps/missing" not found' });
    expect((await status('no-section')).accepted).toMatchObject({ status: 'False', reason: 'NoMatchingParent' });
    expect((await status('not-allowed', 'default')).accepted).toMatchObject({ status: 'False', reason: 'NotAllowedByListeners' });
    expect((await status('cross-ns')).refs).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
    cluster.objects.create({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'allow-apps', namespace: 'default' },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps' }], to: [{ group: '', kind: 'Service' }] },
    });
    await waitFor(async () => (await status('cross-ns')).refs.status === 'True', { what: 'ReferenceGrant honoured' });
    // attachedRoutes counts accepted routes per listener.
    await waitFor(() => {
      const g = get(GW, 'Gateway', 'edge');
      return (g?.status?.listeners as { name: string; attachedRoutes: number }[]).find((x) => x.name === 'apps')?.attachedRoutes === 3;
    }, { what: 'attachedRoutes' });
  });

  it('accepts ListenerSets, with the parent Gateway winning listener conflicts', async () => {
    cluster.objects.create({
      apiVersion: GW,
      kind: 'ListenerSet',
      metadata: { name: 'tenant', namespace: 'apps' },
      spec: {
        parentRef: { name: 'edge', namespace: 'default' },
        listeners: [
          { name: 'custom', port: 443, protocol: 'HTTPS', hostname: 'www.customer.test', tls: { certificateRefs: [{ name: 'customer-tls' }] } },
          { name: 'clash', port: 8080, protocol: 'HTTP', hostname: 'same.test' },
        ],
      },
    });
    cluster.objects.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'customer-tls', namespace: 'apps' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' } });
    cluster.objects.create({ apiVersion: GW, kind: 'HTTPRoute', metadata: { name: 'custom', namespace: 'apps' }, spec: { parentRefs: [{ kind: 'ListenerSet', name: 'tenant', sectionName: 'custom' }], hostnames: ['www.customer.test'], rules: [{ backendRefs: [{ name: 'shop', port: 80 }] }] } });
    const ls = await waitFor(() => {
      const o = get(GW, 'ListenerSet', 'tenant', 'apps');
      const listeners = (o?.status?.listeners as { name: string; attachedRoutes: number; conditions: Cond[] }[] | undefined) ?? [];
      return cond(o, 'Accepted')?.status === 'True' && listeners.find((l) => l.name === 'custom')?.attachedRoutes === 1 ? o : undefined;
    }, { what: 'listenerset accepted with a route' });
    const listeners = ls.status?.listeners as { name: string; conditions: Cond[] }[];
    expect(listeners.find((l) => l.name === 'custom')?.conditions.find((c) => c.type === 'Programmed')?.status).toBe('True');
    expect(listeners.find((l) => l.name === 'clash')?.conditions.find((c) => c.type === 'Conflicted')).toMatchObject({ status: 'True', reason: 'HostnameConflict' });
    expect(cond(ls, 'Accepted')?.reason).toBe('ListenersNotValid');
    validate(ListenerSet, ls);
    await waitFor(() => get(GW, 'Gateway', 'edge')?.status?.attachedListenerSets === 1, { what: 'attachedListenerSets' });
  });

  it('gives older ListenerSets precedence, and re-checks the younger ones when an older one goes', async () => {
    const set = (name: string, listeners: Record<string, unknown>[]): void => {
      cluster.objects.create({ apiVersion: GW, kind: 'ListenerSet', metadata: { name, namespace: 'apps' }, spec: { parentRef: { name: 'edge', namespace: 'default' }, listeners } });
    };
    const https = (hostname: string) => ({ name: 'web', port: 9443, protocol: 'HTTPS', hostname, tls: { certificateRefs: [{ name: 'customer-tls' }] } });
    const listener = (name: string, l: string) => (get(GW, 'ListenerSet', name, 'apps')?.status?.listeners as { name: string; conditions: Cond[] }[] | undefined)?.find((x) => x.name === l);
    const conflicted = (name: string, l = 'web') => listener(name, l)?.conditions.find((c) => c.type === 'Conflicted');
    // Created in this order; within one second the name breaks the tie (a-…, b-…, b2-…, c-…).
    set('a-first', [https('dup.example.test')]);
    set('b-second', [https('dup.example.test')]);
    set('b2-other', [https('other.example.test')]);
    set('c-plain', [{ name: 'plain', port: 9443, protocol: 'HTTP', hostname: 'plain.example.test' }]);
    await waitFor(() => conflicted('a-first')?.status === 'False' && conflicted('b-second')?.status === 'True' && conflicted('c-plain', 'plain')?.status === 'True' && conflicted('b2-other') !== undefined, { what: 'verdicts for four ListenerSets' });
    expect(conflicted('b-second')).toMatchObject({ reason: 'HostnameConflict' });
    expect(conflicted('c-plain', 'plain')).toMatchObject({ reason: 'ProtocolConflict' });
    // Same port and protocol family, another hostname: no conflict with the older ones.
    expect(conflicted('b2-other')).toMatchObject({ status: 'False', reason: 'NoConflicts' });
    expect(cond(get(GW, 'ListenerSet', 'b-second', 'apps'), 'Accepted')).toMatchObject({ status: 'False', reason: 'ListenersNotValid' });
    // The older holder of the hostname goes: the younger one takes it over; the HTTP listener on
    // the HTTPS port still conflicts with the HTTPS listeners older than it.
    cluster.objects.delete({ apiVersion: GW, kind: 'ListenerSet', name: 'a-first', namespace: 'apps' });
    await waitFor(() => conflicted('b-second')?.status === 'False', { what: 'b-second accepted once a-first is gone' });
    expect(cond(get(GW, 'ListenerSet', 'b-second', 'apps'), 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(conflicted('c-plain', 'plain')).toMatchObject({ status: 'True', reason: 'ProtocolConflict' });
    await waitFor(() => get(GW, 'Gateway', 'edge')?.status?.attachedListenerSets === 4, { what: 'attachedListenerSets counts the four remaining' });
    for (const n of ['b-second', 'c-plain', 'b2-other']) cluster.objects.delete({ apiVersion: GW, kind: 'ListenerSet', name: n, namespace: 'apps' });
  });

  it('delivers in-process watch events in order, outside the write that caused them', async () => {
    const seen: string[] = [];
    let insideWrite = false;
    const stop = cluster.objects.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, (e: ObjectEvent) => {
      expect(insideWrite).toBe(false);
      seen.push(`${e.type}:${String((e.object.data as Record<string, string> | undefined)?.v ?? '')}`);
    }, { namespace: 'apps', labelSelector: 'watch=me', initial: false });
    try {
      insideWrite = true;
      cluster.objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', namespace: 'apps', labels: { watch: 'me' } }, data: { v: '1' } });
      cluster.objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'w', namespace: 'apps' }, { data: { v: '2' } });
      cluster.objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'w', namespace: 'apps' }, { metadata: { labels: { watch: 'no' } } });
      insideWrite = false;
      await waitFor(() => seen.length === 3, { what: 'three events' });
      expect(seen).toEqual(['ADDED:1', 'MODIFIED:2', 'DELETED:2']);
    } finally {
      stop();
    }
  });
});
