/**
 * What a cluster shows for an app's routes and certificates, and the conditions that follow from
 * it. Pure: the observer feeds it the HTTPRoutes, Ingresses and Certificates it watches.
 */
import type { Condition } from '@satusky/contracts';
import { EDGE_GATEWAY, SYSTEM_NAMESPACE } from './render.ts';

export interface ObservedRoute {
  kind: 'HTTPRoute' | 'Ingress';
  name: string;
  hostnames: string[];
  /** Accepted by the edge Gateway (HTTPRoute) or given a load-balancer address (Ingress); null: no verdict yet. */
  accepted: boolean | null;
  /** All backend references resolved (HTTPRoute only; null when unknown). */
  resolvedRefs: boolean | null;
  reason: string;
  message: string;
}

export interface ObservedCertificate {
  name: string;
  dnsNames: string[];
  /** The Certificate's Ready condition; null when cert-manager has not said anything yet. */
  ready: boolean | null;
  reason: string;
  message: string;
  notAfter: string | null;
}

export interface RoutingObservation {
  routes: ObservedRoute[];
  certificates: ObservedCertificate[];
}

/** One step of a DNS answer: a CNAME followed, or an address. */
export interface DnsAnswer {
  name: string;
  type: 'CNAME' | 'A' | 'AAAA';
  value: string;
}

interface K8sCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface RouteLike {
  kind?: string;
  metadata?: { name?: string };
  spec?: { hostnames?: string[]; rules?: { host?: string }[] };
  status?: {
    parents?: { parentRef?: { kind?: string; name?: string; namespace?: string }; conditions?: K8sCondition[] }[];
    loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] };
  };
}

export interface CertificateLike {
  metadata?: { name?: string };
  spec?: { dnsNames?: string[] };
  status?: { conditions?: K8sCondition[]; notAfter?: string };
}

const isEdgeGateway = (ref: { kind?: string; name?: string; namespace?: string } | undefined): boolean =>
  (ref?.kind ?? 'Gateway') === 'Gateway' && ref?.name === EDGE_GATEWAY && ref.namespace === SYSTEM_NAMESPACE;

function observeHttpRoute(route: RouteLike): ObservedRoute {
  const parent = route.status?.parents?.find((p) => isEdgeGateway(p.parentRef));
  const accepted = parent?.conditions?.find((c) => c.type === 'Accepted');
  const resolved = parent?.conditions?.find((c) => c.type === 'ResolvedRefs');
  const verdict = (c: K8sCondition | undefined) => (c?.status === 'True' ? true : c?.status === 'False' ? false : null);
  const bad = [accepted, resolved].find((c) => c?.status === 'False');
  return {
    kind: 'HTTPRoute',
    name: route.metadata?.name ?? '?',
    hostnames: route.spec?.hostnames ?? [],
    accepted: verdict(accepted),
    resolvedRefs: verdict(resolved),
    reason: bad?.reason ?? (parent ? (accepted?.reason ?? 'Pending') : 'NoParentStatus'),
    message: bad?.message ?? (parent ? (accepted?.message ?? 'waiting for the edge Gateway') : 'the edge Gateway has not reported on this route yet'),
  };
}

function observeIngress(ingress: RouteLike): ObservedRoute {
  const addresses = ingress.status?.loadBalancer?.ingress ?? [];
  return {
    kind: 'Ingress',
    name: ingress.metadata?.name ?? '?',
    hostnames: (ingress.spec?.rules ?? []).flatMap((r) => (r.host ? [r.host] : [])),
    accepted: addresses.length > 0 ? true : null,
    resolvedRefs: null,
    reason: addresses.length > 0 ? 'LoadBalancerAssigned' : 'Pending',
    message: addresses.length > 0 ? `served at ${addresses.map((a) => a.ip ?? a.hostname).join(', ')}` : 'the ingress controller has not admitted it yet',
  };
}

function observeCertificate(cert: CertificateLike): ObservedCertificate {
  const ready = cert.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: cert.metadata?.name ?? '?',
    dnsNames: cert.spec?.dnsNames ?? [],
    ready: ready?.status === 'True' ? true : ready?.status === 'False' ? false : null,
    reason: ready?.reason ?? 'Pending',
    message: ready?.message ?? 'cert-manager has not reported on this certificate yet',
    notAfter: cert.status?.notAfter ?? null,
  };
}

export function observeRouting(routes: readonly RouteLike[], ingresses: readonly RouteLike[], certificates: readonly CertificateLike[]): RoutingObservation {
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return {
    routes: [...routes.map(observeHttpRoute), ...ingresses.map(observeIngress)].sort(byName),
    certificates: certificates.map(observeCertificate).sort(byName),
  };
}

/** The route serving a hostname in one zone (HTTPRoute preferred over a retained Ingress). */
export function routeFor(observation: RoutingObservation | null, hostname: string): ObservedRoute | null {
  const matching = (observation?.routes ?? []).filter((r) => r.hostnames.includes(hostname));
  return matching.find((r) => r.kind === 'HTTPRoute') ?? matching[0] ?? null;
}

export function certificateFor(observation: RoutingObservation | null, hostname: string): ObservedCertificate | null {
  return (observation?.certificates ?? []).find((c) => c.dnsNames.includes(hostname)) ?? null;
}

/** Reasons of a certificate that is still on its way, not failed. */
const ISSUING = new Set(['Pending', 'Issuing', 'InProgress', 'DoesNotExist', 'MissingData', 'Requested']);

export function isPendingCertificate(cert: ObservedCertificate): boolean {
  return cert.ready === null || (cert.ready === false && ISSUING.has(cert.reason));
}

function condition(type: string, status: Condition['status'], reason: string, message: string, at: Date | null): Condition {
  return { type, status, reason, message, observed_at: at ? at.toISOString() : null };
}

/** RouteAccepted for the app's generated hostname in one zone. */
export function routeCondition(observation: RoutingObservation | null, hostname: string, zone: string, at: Date | null): Condition {
  if (!observation) return condition('RouteAccepted', 'Unknown', 'NotObserved', `no route observation from ${zone} yet`, at);
  const route = routeFor(observation, hostname);
  if (!route) return condition('RouteAccepted', 'False', 'RouteMissing', `${zone} has no route for ${hostname}`, at);
  if (route.accepted === true && route.resolvedRefs !== false) {
    return condition('RouteAccepted', 'True', 'Accepted', `${route.kind} ${route.name} accepted by the ${zone} edge`, at);
  }
  if (route.accepted === null && route.resolvedRefs !== false) {
    return condition('RouteAccepted', 'False', 'Pending', `${route.kind} ${route.name}: ${route.message}`, at);
  }
  return condition('RouteAccepted', 'False', route.reason, `${route.kind} ${route.name} not accepted in ${zone}: ${route.message}`, at);
}

/** TLSReady for the app's generated hostname in one zone: its certificate is issued and current. */
export function tlsCondition(observation: RoutingObservation | null, hostname: string, zone: string, at: Date | null, now: Date): Condition {
  if (!observation) return condition('TLSReady', 'Unknown', 'NotObserved', `no certificate observation from ${zone} yet`, at);
  const cert = certificateFor(observation, hostname);
  if (!cert) return condition('TLSReady', 'False', 'CertificateMissing', `${zone} has no certificate for ${hostname}`, at);
  if (cert.ready === true) {
    if (cert.notAfter && Date.parse(cert.notAfter) <= now.getTime()) {
      return condition('TLSReady', 'False', 'Expired', `certificate ${cert.name} expired at ${cert.notAfter}`, at);
    }
    return condition('TLSReady', 'True', 'Issued', `certificate ${cert.name} issued${cert.notAfter ? `, valid until ${cert.notAfter}` : ''}`, at);
  }
  if (isPendingCertificate(cert)) return condition('TLSReady', 'False', 'Issuing', `certificate ${cert.name} is being issued: ${cert.message}`, at);
  return condition('TLSReady', 'False', cert.reason, `certificate ${cert.name} cannot be issued: ${cert.message}`, at);
}
