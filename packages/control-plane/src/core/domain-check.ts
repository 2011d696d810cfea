/**
 * `domains check`: from what was observed (the domain's record, each zone's routes and
 * certificates, a DNS resolution, TLS handshakes and HTTP requests through each edge) to facts,
 * each with a status, a stable reason code, what was expected, what was observed and the fix.
 * Pure; `controllers/domain-probe.ts` does the I/O.
 */
import type { DomainFact, FactStatus } from '@satusky/contracts';
import { certificateFor, isPendingCertificate, routeFor, type DnsAnswer, type RoutingObservation } from './routing.ts';

/** Every reason code the checker can give, by fact. Stable: scripts may depend on them. */
export const REASONS = {
  metadata: ['PLATFORM_HOSTNAME', 'DOMAIN_VERIFIED', 'DOMAIN_UNVERIFIED', 'DOMAIN_NO_APP', 'APP_NOT_DEPLOYED'],
  route: ['ROUTE_ACCEPTED', 'ROUTE_AWAITING_VERIFICATION', 'ROUTE_APPLYING', 'ROUTE_MISSING', 'ROUTE_PENDING', 'ROUTE_NOT_ACCEPTED', 'ROUTE_REFS_UNRESOLVED', 'ZONE_STALE'],
  dns: [
    'DNS_OK',
    'DNS_PROPAGATING',
    'DNS_NOT_PUBLISHED',
    'DNS_NXDOMAIN',
    'DNS_NO_ADDRESS',
    'DNS_CNAME_WRONG_TARGET',
    'DNS_WRONG_ADDRESS',
    'DNS_EXTRA_ADDRESS',
    'DNS_MISSING_ADDRESS',
    'DNS_UNEXPECTED_AAAA',
    'DNS_RESOLVER_ERROR',
  ],
  tls: [
    'TLS_OK',
    'TLS_AWAITING_VERIFICATION',
    'TLS_NO_EDGE',
    'TLS_ISSUING',
    'TLS_ISSUANCE_FAILED',
    'TLS_CONNECT_FAILED',
    'TLS_NAME_MISMATCH',
    'TLS_EXPIRED',
    'TLS_EXPIRING',
    'TLS_UNTRUSTED',
    'PROBE_ADDRESS_BLOCKED',
  ],
  http: ['HTTP_OK', 'HTTP_UNREACHABLE', 'HTTP_SERVER_ERROR', 'HTTP_NOT_FOUND', 'HTTP_CLIENT_ERROR', 'HTTP_WRONG_ZONE', 'HTTP_NO_EDGE', 'PROBE_ADDRESS_BLOCKED'],
} as const;

export type Reason = (typeof REASONS)[keyof typeof REASONS][number];

export interface DnsResolution {
  /** NOERROR, NXDOMAIN, or the resolver's failure (SERVFAIL, TIMEOUT, REFUSED, ERROR). */
  rcode: string;
  /** CNAMEs followed, then the A/AAAA answers. */
  answers: DnsAnswer[];
  /** The final IPv4 addresses. */
  addresses: string[];
  /** The final IPv6 addresses. */
  addresses6: string[];
  error: string | null;
}

export interface TlsProbe {
  /** Not attempted: the address may not be connected to. */
  blocked?: boolean;
  /** Connection failure (refused, timeout, reset), with the address. */
  connectError: string | null;
  /** The chain verifies against the trust roots (name aside). */
  trusted: boolean;
  trustError: string | null;
  /** The certificate covers the hostname. */
  nameCovered: boolean;
  subjectAltNames: string[];
  issuer: string;
  notBefore: string | null;
  notAfter: string | null;
}

export interface HttpProbe {
  blocked?: boolean;
  error: string | null;
  status: number | null;
  latencyMs: number | null;
  /** The zone the answer came from (x-satusky-zone). */
  answeredBy: string | null;
}

export interface ZoneView {
  zone: string;
  edgeAddress: string | null;
  /** The zone is one the hostname should resolve to now (serving and ready, per the traffic controller). */
  published: boolean;
  /** Nothing from this zone is current. */
  stale: boolean;
  /** The routes for the current domains have not been applied to this zone yet. */
  applying: boolean;
  routing: RoutingObservation | null;
}

export interface CheckInput {
  hostname: string;
  kind: 'platform' | 'custom';
  org: string;
  app: { name: string; hostname: string; deployed: boolean } | null;
  domain: {
    status: 'pending' | 'verified';
    verificationName: string;
    verificationValue: string;
    verifiedAt: Date | null;
    lastCheckError: string | null;
    routeKind: 'httproute' | 'ingress';
  } | null;
  zones: readonly ZoneView[];
  /** The addresses the hostname should resolve to (what the platform DNS publishes for the app). */
  expectedAddresses: readonly string[];
  /** Custom domains that are not at an apex are expected to CNAME to the app's hostname. */
  apex: boolean;
  dns: DnsResolution;
  tls: ReadonlyMap<string, TlsProbe>;
  /** Present with `--probe`. */
  http: ReadonlyMap<string, HttpProbe> | null;
  edgeHttpsPort: number;
  healthPath: string;
  now: Date;
}

type Fact = DomainFact;

function fact(kind: Fact['fact'], zone: string | null, status: FactStatus, reason: Reason, expected: string, observed: string, remediation: string | null = null): Fact {
  return { fact: kind, zone, status, reason, expected, observed, remediation };
}

const list = (items: readonly string[]) => (items.length ? items.join(', ') : 'nothing');
const DAY = 86_400_000;

export function checkDomain(input: CheckInput): Fact[] {
  const facts: Fact[] = [metadataFact(input)];
  const unverified = input.kind === 'custom' && input.domain?.status !== 'verified';
  if (!input.app || !input.app.deployed) return [...facts, dnsFact(input)];
  if (unverified) {
    facts.push(
      fact('route', null, 'pending', 'ROUTE_AWAITING_VERIFICATION', `a route for ${input.hostname} once ownership is proven`, 'no route: ownership not proven yet', 'Create the TXT record shown in the metadata fact.'),
    );
    facts.push(dnsFact(input));
    facts.push(
      fact('tls', null, 'pending', 'TLS_AWAITING_VERIFICATION', `a certificate for ${input.hostname} once ownership is proven`, 'no certificate requested yet', 'Create the TXT record shown in the metadata fact.'),
    );
    return facts;
  }
  for (const zone of input.zones) facts.push(routeFact(input, zone));
  facts.push(dnsFact(input));
  for (const zone of input.zones) facts.push(tlsFact(input, zone));
  if (input.http) for (const zone of input.zones) facts.push(httpFact(input, zone, input.http.get(zone.zone)));
  return facts;
}

function metadataFact(input: CheckInput): Fact {
  const where = input.app ? `app ${input.app.name} in ${input.org}` : `org ${input.org}`;
  if (input.kind === 'platform') {
    return fact('metadata', null, 'pass', 'PLATFORM_HOSTNAME', `the generated hostname of ${where}`, `generated hostname of ${where}`);
  }
  const domain = input.domain!;
  if (!input.app) {
    return fact('metadata', null, 'fail', 'DOMAIN_NO_APP', `${input.hostname} attached to an app`, `attached to no app in ${input.org} (the app was deleted)`, `Attach it again: 1ctl domains remove ${input.hostname}, then 1ctl domains add ${input.hostname} --app APP.`);
  }
  if (domain.status === 'pending') {
    return fact(
      'metadata',
      null,
      'pending',
      'DOMAIN_UNVERIFIED',
      `TXT ${domain.verificationName} = "${domain.verificationValue}"`,
      `pending verification for ${where}${domain.lastCheckError ? `: ${domain.lastCheckError}` : ''}`,
      `Create a TXT record named ${domain.verificationName} with the value ${domain.verificationValue}. It is checked again automatically; nothing is routed until it is seen.`,
    );
  }
  if (!input.app.deployed) {
    return fact('metadata', null, 'fail', 'APP_NOT_DEPLOYED', `${input.app.name} deployed to at least one zone`, `${input.app.name} has no release running`, `Deploy it: 1ctl deploy ${input.app.name}.`);
  }
  return fact('metadata', null, 'pass', 'DOMAIN_VERIFIED', `${input.hostname} verified for ${where}`, `verified${domain.verifiedAt ? ` at ${domain.verifiedAt.toISOString()}` : ''} for ${where} (${domain.routeKind === 'ingress' ? 'Ingress' : 'HTTPRoute'})`);
}

function routeFact(input: CheckInput, zone: ZoneView): Fact {
  const expected = `${input.hostname} routed by the ${zone.zone} edge`;
  if (zone.stale) {
    return fact('route', zone.zone, 'unknown', 'ZONE_STALE', expected, `${zone.zone} has not been heard from recently; its routes are unknown`, `Check the zone: 1ctl cluster list.`);
  }
  const route = routeFor(zone.routing, input.hostname);
  if (!route) {
    if (zone.applying || !zone.routing) return fact('route', zone.zone, 'pending', 'ROUTE_APPLYING', expected, `the route is being applied to ${zone.zone}`);
    return fact('route', zone.zone, 'fail', 'ROUTE_MISSING', expected, `${zone.zone} has no HTTPRoute or Ingress for ${input.hostname}`, `The controller should restore it within a minute; if not, look at: 1ctl app events ${input.app?.name ?? ''}.`);
  }
  const observed = `${route.kind} ${route.name}: ${route.reason}${route.message ? ` (${route.message})` : ''}`;
  if (route.resolvedRefs === false) {
    return fact('route', zone.zone, 'fail', 'ROUTE_REFS_UNRESOLVED', expected, observed, `The route's backend is missing in ${zone.zone}; redeploy the app: 1ctl deploy.`);
  }
  if (route.accepted === false) {
    const remediation =
      route.reason === 'HostnameConflict' || /conflict/i.test(route.message)
        ? `Another route in ${zone.zone} claims ${input.hostname}; remove it there.`
        : `The edge Gateway in ${zone.zone} refused the route; an operator should look at the Gateway's status.`;
    return fact('route', zone.zone, 'fail', 'ROUTE_NOT_ACCEPTED', expected, observed, remediation);
  }
  if (route.accepted === null) return fact('route', zone.zone, 'pending', 'ROUTE_PENDING', expected, observed);
  return fact('route', zone.zone, 'pass', 'ROUTE_ACCEPTED', expected, observed);
}

function chainText(dns: DnsResolution): string {
  const parts = dns.answers.map((a) => (a.type === 'CNAME' ? `CNAME ${a.value}` : `${a.type} ${a.value}`));
  return parts.length ? parts.join(' → ') : dns.rcode;
}

function dnsFact(input: CheckInput): Fact {
  const { dns, hostname } = input;
  const expectedAddresses = [...input.expectedAddresses].sort();
  const platformTarget = input.app?.hostname ?? null;
  const viaCname = input.kind === 'custom' && !input.apex;
  const expected = expectedAddresses.length
    ? `${viaCname && platformTarget ? `CNAME ${platformTarget} → ` : ''}A ${expectedAddresses.join(', ')}`
    : 'no addresses (no zone serves the app yet)';
  const routingFix =
    input.kind === 'platform' || !platformTarget
      ? null
      : input.apex
        ? `Set the A records of ${hostname} to ${list(expectedAddresses)} (or ALIAS/ANAME to ${platformTarget}), and remove any others.`
        : `Create a CNAME record ${hostname} → ${platformTarget}, and remove any A/AAAA records for ${hostname}.`;

  if (!['NOERROR', 'NXDOMAIN'].includes(dns.rcode)) {
    return fact('dns', null, 'unknown', 'DNS_RESOLVER_ERROR', expected, `the resolver answered ${dns.rcode}${dns.error ? `: ${dns.error}` : ''}`, 'Try again; if it persists, the DNS servers for this name are failing.');
  }
  if (expectedAddresses.length === 0 && input.kind === 'platform') {
    if (dns.addresses.length === 0) return fact('dns', null, 'pending', 'DNS_NOT_PUBLISHED', expected, chainText(dns), 'Records are published when a zone serves the app and answers through its edge.');
  }
  if (dns.rcode === 'NXDOMAIN') {
    const observed = dns.answers.length ? `${chainText(dns)}, which does not exist (NXDOMAIN)` : `${hostname} does not exist (NXDOMAIN)`;
    return fact('dns', null, 'fail', 'DNS_NXDOMAIN', expected, observed, routingFix ?? 'The platform DNS does not answer this name; an operator should check the DNS delegation.');
  }
  const cname = dns.answers.find((a) => a.type === 'CNAME');
  if (viaCname && platformTarget && dns.answers.some((a) => a.type === 'CNAME') && !dns.answers.some((a) => a.type === 'CNAME' && a.value === platformTarget)) {
    // A CNAME that leads elsewhere: whatever it resolves to is not ours to promise.
    const ours = dns.addresses.filter((a) => expectedAddresses.includes(a));
    if (ours.length !== dns.addresses.length || dns.addresses.length === 0) {
      return fact('dns', null, 'fail', 'DNS_CNAME_WRONG_TARGET', expected, chainText(dns), `Point the CNAME of ${cname?.name ?? hostname} at ${platformTarget}.`);
    }
  }
  if (dns.addresses6.length > 0) {
    return fact('dns', null, 'fail', 'DNS_UNEXPECTED_AAAA', expected, `${chainText(dns)}; AAAA ${dns.addresses6.join(', ')}`, `Satusky edges have no IPv6 addresses here: remove the AAAA records of ${hostname}; IPv6 clients are sent elsewhere.`);
  }
  if (dns.addresses.length === 0) {
    return fact('dns', null, 'fail', 'DNS_NO_ADDRESS', expected, `${hostname} exists but has no A records (${chainText(dns)})`, routingFix);
  }
  const ours = dns.addresses.filter((a) => expectedAddresses.includes(a));
  const foreign = dns.addresses.filter((a) => !expectedAddresses.includes(a));
  const missing = expectedAddresses.filter((a) => !dns.addresses.includes(a));
  if (ours.length === 0) {
    return fact(
      'dns',
      null,
      input.kind === 'platform' && expectedAddresses.length > 0 ? 'pending' : 'fail',
      input.kind === 'platform' ? 'DNS_PROPAGATING' : 'DNS_WRONG_ADDRESS',
      expected,
      `${hostname} resolves to ${foreign.join(', ')} (${chainText(dns)})`,
      input.kind === 'platform' ? `Resolvers still cache older answers; they expire within the record's TTL.` : routingFix,
    );
  }
  if (foreign.length > 0) {
    return fact('dns', null, input.kind === 'platform' ? 'pending' : 'fail', input.kind === 'platform' ? 'DNS_PROPAGATING' : 'DNS_EXTRA_ADDRESS', expected, `${hostname} also resolves to ${foreign.join(', ')}, which is not a Satusky edge (${chainText(dns)})`, input.kind === 'platform' ? `Resolvers still cache older answers; they expire within the record's TTL.` : `Remove the records pointing ${hostname} at ${foreign.join(', ')}; clients sent there will not reach the app.`);
  }
  if (missing.length > 0) {
    if (input.kind === 'custom' && input.apex) {
      return fact('dns', null, 'fail', 'DNS_MISSING_ADDRESS', expected, `${hostname} resolves to ${ours.join(', ')} only`, `Add A records for ${missing.join(', ')} so every serving zone gets traffic.`);
    }
    return fact('dns', null, 'pending', 'DNS_PROPAGATING', expected, `${hostname} resolves to ${ours.join(', ')} only (${chainText(dns)})`, `Resolvers still cache older answers; they expire within the record's TTL.`);
  }
  return fact('dns', null, 'pass', 'DNS_OK', expected, chainText(dns));
}

/** What to do about a certificate the CA would not issue, by the issuer's reason. */
function issuanceRemediation(reason: string, hostname: string, input: CheckInput): string {
  const target = input.kind === 'custom' && !input.apex && input.app ? `CNAME ${input.app.hostname}` : `A ${list(input.expectedAddresses)}`;
  switch (reason) {
    case 'DNSNameNotResolved':
      return `The CA cannot resolve ${hostname}: create its DNS record (${target}). Issuance is retried automatically.`;
    case 'ConnectionRefused':
    case 'Timeout':
      return `The CA cannot connect to the address ${hostname} resolves to: point it at a Satusky edge (${target}).`;
    case 'ChallengeNotFound':
    case 'WrongChallengeResponse':
      return `${hostname} resolves to a server that is not a Satusky edge, so the CA's HTTP-01 challenge fails: point it at ${target}.`;
    default:
      return `cert-manager retries automatically; if it keeps failing, run 1ctl domains check ${hostname} after fixing DNS.`;
  }
}

function tlsFact(input: CheckInput, zone: ZoneView): Fact {
  const host = input.hostname;
  const expected = `a trusted certificate for ${host} served by the ${zone.zone} edge`;
  if (!zone.edgeAddress) return fact('tls', zone.zone, 'unknown', 'TLS_NO_EDGE', expected, `${zone.zone} has no edge address registered`, 'An operator should register the zone\'s edge address (1ctl cluster update --edge-address).');
  const probe = input.tls.get(zone.zone);
  const cert = certificateFor(zone.routing, host);
  const certState = cert ? `Certificate ${cert.name}: ${cert.ready === true ? 'Ready' : `${cert.reason} — ${cert.message}`}` : 'no Certificate';
  if (cert && cert.ready === false && !isPendingCertificate(cert)) {
    return fact('tls', zone.zone, 'fail', 'TLS_ISSUANCE_FAILED', expected, `${certState}`, issuanceRemediation(cert.reason, host, input));
  }
  if (!probe || probe.blocked) {
    return fact('tls', zone.zone, 'unknown', 'PROBE_ADDRESS_BLOCKED', expected, `not connecting to ${zone.edgeAddress}: a private address that is not allowed for probes`, 'An operator can allow the edge range (probe_allowed_cidrs).');
  }
  if (probe.connectError) {
    return fact('tls', zone.zone, 'fail', 'TLS_CONNECT_FAILED', expected, `${zone.edgeAddress}:${input.edgeHttpsPort}: ${probe.connectError}`, `The ${zone.zone} edge does not accept connections; traffic should move to other zones. An operator should look at the edge.`);
  }
  const pending = !cert || cert.ready !== true;
  if (!probe.nameCovered) {
    if (pending) return fact('tls', zone.zone, 'pending', 'TLS_ISSUING', expected, `${certState}; the edge serves a certificate for ${list(probe.subjectAltNames)} meanwhile`);
    return fact('tls', zone.zone, 'fail', 'TLS_NAME_MISMATCH', expected, `the edge serves a certificate for ${list(probe.subjectAltNames)}`, `The certificate was issued but the edge does not serve it for ${host}; an operator should check the ListenerSet of ${input.app?.name ?? 'the app'}.`);
  }
  if (probe.notAfter && Date.parse(probe.notAfter) <= input.now.getTime()) {
    return fact('tls', zone.zone, 'fail', 'TLS_EXPIRED', expected, `expired at ${probe.notAfter} (${certState})`, 'Renewal failed; see the certificate reason above, fix DNS, and it is retried automatically.');
  }
  if (!probe.trusted) {
    return fact('tls', zone.zone, 'fail', 'TLS_UNTRUSTED', expected, `issued by ${probe.issuer}: ${probe.trustError ?? 'not trusted'}`, 'The certificate does not chain to a trusted root; an operator should check the ClusterIssuer.');
  }
  if (probe.notAfter && Date.parse(probe.notAfter) - input.now.getTime() < 7 * DAY) {
    return fact('tls', zone.zone, 'fail', 'TLS_EXPIRING', expected, `expires at ${probe.notAfter}; renewal has not happened (${certState})`, 'Renewal is failing: fix what the certificate reason says; cert-manager retries automatically.');
  }
  return fact('tls', zone.zone, 'pass', 'TLS_OK', expected, `issued by ${probe.issuer}, valid until ${probe.notAfter ?? '?'}, covers ${list(probe.subjectAltNames)}`);
}

function httpFact(input: CheckInput, zone: ZoneView, probe: HttpProbe | undefined): Fact {
  const expected = `GET https://${input.hostname}${input.healthPath} answered by ${zone.zone} through its edge`;
  if (!zone.edgeAddress) return fact('http', zone.zone, 'unknown', 'HTTP_NO_EDGE', expected, `${zone.zone} has no edge address registered`);
  if (!probe || probe.blocked) return fact('http', zone.zone, 'unknown', 'PROBE_ADDRESS_BLOCKED', expected, `not connecting to ${zone.edgeAddress}: a private address that is not allowed for probes`);
  if (probe.error || probe.status === null) {
    return fact('http', zone.zone, 'fail', 'HTTP_UNREACHABLE', expected, `${zone.edgeAddress}: ${probe.error ?? 'no answer'}`, `The ${zone.zone} edge does not answer; traffic should move to other zones.`);
  }
  const observed = `${probe.status} in ${probe.latencyMs ?? '?'} ms${probe.answeredBy ? ` from ${probe.answeredBy}` : ''}`;
  if (probe.status >= 500) {
    return fact('http', zone.zone, 'fail', 'HTTP_SERVER_ERROR', expected, observed, probe.status === 503 ? `No ready instance of the app in ${zone.zone}: 1ctl app status.` : `The app answers ${probe.status}: look at its logs (1ctl logs --zone ${zone.zone}).`);
  }
  if (probe.status === 404 && !probe.answeredBy) {
    return fact('http', zone.zone, 'fail', 'HTTP_NOT_FOUND', expected, `${observed}: the edge has no route for ${input.hostname}`, 'See the route fact for this zone.');
  }
  if (probe.status >= 400) {
    return fact('http', zone.zone, 'fail', 'HTTP_CLIENT_ERROR', expected, observed, `The app answers ${probe.status} on ${input.healthPath}; set a health path that answers 200 (health_path in satusky.toml).`);
  }
  if (probe.answeredBy && probe.answeredBy !== zone.zone) {
    return fact('http', zone.zone, 'fail', 'HTTP_WRONG_ZONE', expected, observed, `The ${zone.zone} edge forwarded to ${probe.answeredBy}; an operator should look at the edge's routing.`);
  }
  return fact('http', zone.zone, 'pass', 'HTTP_OK', expected, observed);
}

/** The overall verdict: ok when every fact passes. */
export function summarizeFacts(facts: readonly Fact[]): { ok: boolean; failed: number; pending: number } {
  return {
    ok: facts.every((f) => f.status === 'pass'),
    failed: facts.filter((f) => f.status === 'fail').length,
    pending: facts.filter((f) => f.status === 'pending' || f.status === 'unknown').length,
  };
}

export interface DomainHealthInput {
  hostname: string;
  status: 'pending' | 'verified' | 'removed';
  lastCheckError: string | null;
  /** The latest background resolution through the public resolvers (null: never, or not checked). */
  dns: { rcode: string; addresses: readonly string[] } | null;
  /** What the platform publishes for the app's hostname. */
  expectedAddresses: readonly string[];
  zones: readonly { zone: string; stale: boolean; routing: RoutingObservation | null }[];
}

/**
 * A custom domain's health for the app status, from what the controllers last observed (no probes
 * here; `domains check` is the live, detailed answer). Pure.
 */
export function domainHealth(input: DomainHealthInput): { health: 'ok' | 'failing' | 'pending' | 'unknown'; problems: string[] } {
  if (input.status !== 'verified') return { health: 'pending', problems: [input.lastCheckError ?? `waiting for the TXT record of ${input.hostname}`] };
  const failing: string[] = [];
  const pending: string[] = [];
  for (const z of input.zones) {
    if (z.stale || !z.routing) continue;
    const route = routeFor(z.routing, input.hostname);
    if (!route) pending.push(`${z.zone}: route not applied yet`);
    else if (route.accepted === false || route.resolvedRefs === false) failing.push(`${z.zone}: route not accepted (${route.reason})`);
    else if (route.accepted === null) pending.push(`${z.zone}: route waiting for the edge`);
    const cert = certificateFor(z.routing, input.hostname);
    if (!cert) pending.push(`${z.zone}: certificate not requested yet`);
    else if (cert.ready === false && !isPendingCertificate(cert)) failing.push(`${z.zone}: certificate not issued (${cert.reason}: ${cert.message})`);
    else if (cert.ready !== true) pending.push(`${z.zone}: certificate being issued`);
  }
  let dnsUnknown = false;
  if (!input.dns) dnsUnknown = true;
  else if (input.dns.rcode === 'NXDOMAIN') failing.push(`${input.hostname} does not resolve (NXDOMAIN)`);
  else if (input.dns.rcode !== 'NOERROR') dnsUnknown = true;
  else if (input.expectedAddresses.length > 0) {
    const foreign = input.dns.addresses.filter((a) => !input.expectedAddresses.includes(a));
    if (input.dns.addresses.length === 0) failing.push(`${input.hostname} has no address records`);
    else if (foreign.length === input.dns.addresses.length) failing.push(`${input.hostname} resolves to ${foreign.join(', ')}, not to a Satusky edge`);
    else if (foreign.length > 0) failing.push(`${input.hostname} also resolves to ${foreign.join(', ')}, which is not a Satusky edge`);
  }
  if (failing.length > 0) return { health: 'failing', problems: [...failing, ...pending] };
  if (pending.length > 0) return { health: 'pending', problems: pending };
  if (dnsUnknown) return { health: 'unknown', problems: ['not resolved through the public resolvers yet'] };
  return { health: 'ok', problems: [] };
}
