/**
 * Custom domains, the pure parts: which hostnames may be claimed, the ownership record, the DNS
 * records a user must create, and which addresses the checker may connect to.
 */
import { BlockList, isIP } from 'node:net';
import { getDomain } from 'tldts';

export const CHALLENGE_PREFIX = '_satusky-challenge';
export const CHALLENGE_VALUE_PREFIX = 'satusky-verify=';

export function challengeName(hostname: string): string {
  return `${CHALLENGE_PREFIX}.${hostname}`;
}
export function challengeValue(token: string): string {
  return `${CHALLENGE_VALUE_PREFIX}${token}`;
}

/** Lowercase, no trailing dot. */
export function normalizeHostname(hostname: string): string {
  return hostname.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Why a hostname cannot be attached as a custom domain, or null when it can. The platform zone is
 * the control plane's own (apps get names there automatically); addresses, wildcards, single
 * labels and public suffixes cannot be proven or routed.
 */
export function customHostnameProblem(hostname: string, platformDomain: string): string | null {
  const host = normalizeHostname(hostname);
  if (isIP(host)) return `${host} is an IP address, not a hostname`;
  if (host.includes('*')) return 'wildcard domains are not supported';
  if (!host.includes('.')) return `${host} is not a fully qualified hostname`;
  const platform = normalizeHostname(platformDomain);
  if (host === platform || host.endsWith(`.${platform}`)) {
    return `${host} is in the platform zone ${platform}; every app already has a hostname there`;
  }
  if (host.startsWith(`${CHALLENGE_PREFIX}.`)) return `${CHALLENGE_PREFIX} names are reserved for ownership records`;
  if (host === 'localhost' || host.endsWith('.localhost')) return 'localhost names cannot be routed';
  if (getDomain(host, { allowPrivateDomains: true }) === null) return `${host} is a public suffix; attach a name below it`;
  return null;
}

/** A registrable domain (example.com, example.co.uk): CNAME records are not allowed at an apex. */
export function isApex(hostname: string): boolean {
  return getDomain(normalizeHostname(hostname), { allowPrivateDomains: true }) === normalizeHostname(hostname);
}

/** TXT answers (each a list of strings, joined as RFC 7208 says) contain the expected value. */
export function txtProves(answers: readonly (readonly string[])[], token: string): boolean {
  const expected = challengeValue(token);
  return answers.some((chunks) => chunks.join('').trim() === expected);
}

export interface SetupRecord {
  purpose: string;
  type: 'TXT' | 'CNAME' | 'A' | 'AAAA';
  name: string;
  value: string;
}

/**
 * Every record the user must create: the ownership TXT, then routing (a CNAME to the app's
 * generated hostname, or A records at an apex, where a CNAME is not allowed), and the www name.
 */
export function setupRecords(input: { hostname: string; token: string; appHostname: string; edgeAddresses: readonly string[]; wwwRedirect: boolean; verified?: boolean }): {
  apex: boolean;
  records: SetupRecord[];
  notes: string[];
} {
  const apex = isApex(input.hostname);
  const records: SetupRecord[] = [{ purpose: 'ownership', type: 'TXT', name: challengeName(input.hostname), value: challengeValue(input.token) }];
  const notes: string[] = [];
  if (apex) {
    if (input.edgeAddresses.length === 0) {
      notes.push(`No zone serves ${input.appHostname} yet: deploy the app, then run setup again for the addresses.`);
    }
    for (const address of input.edgeAddresses) {
      records.push({ purpose: 'routing', type: isIP(address) === 6 ? 'AAAA' : 'A', name: input.hostname, value: address });
    }
    notes.push(
      `${input.hostname} is an apex domain, which cannot have a CNAME. A records do not follow failover; if your DNS provider supports ALIAS/ANAME/CNAME flattening, point it at ${input.appHostname} instead.`,
    );
  } else {
    records.push({ purpose: 'routing', type: 'CNAME', name: input.hostname, value: input.appHostname });
  }
  if (input.wwwRedirect) {
    records.push({ purpose: 'www redirect', type: 'CNAME', name: `www.${input.hostname}`, value: input.appHostname });
  }
  notes.push(
    input.verified
      ? 'Ownership is verified; keep the TXT record (it is re-checked periodically).'
      : 'Routing and a certificate are set up once the TXT record is seen; verification is retried automatically.',
  );
  return { apex, records, notes };
}

/** Private, loopback, link-local, carrier-grade NAT, multicast, reserved and documentation ranges. */
const NON_PUBLIC = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['64:ff9b::', 96],
    ['100::', 64],
    ['2001:db8::', 32],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
})();

/** Parses `a.b.c.d/n` and `x::/n` entries (a bare address is a /32 or /128). */
export function parseCidrs(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    const family = isIP(address ?? '');
    if (!address || family === 0) throw new Error(`"${cidr}" is not an address or CIDR range`);
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`"${cidr}" has an invalid prefix length`);
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/**
 * Whether the checker may connect to an address: public addresses yes; private ranges only when
 * an operator allowed them (the simulated world's loopback edges). Stops server-side request
 * forgery through a domain that resolves into the platform's own network.
 */
export function probeAllowed(address: string, allowed: BlockList): boolean {
  // An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return probeAllowed(mapped[1]!, allowed);
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowed.check(address, type)) return true;
  return !NON_PUBLIC.check(address, type);
}
