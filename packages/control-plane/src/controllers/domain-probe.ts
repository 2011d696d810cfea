/**
 * The I/O of the domain checker: DNS through the configured public resolvers, TLS handshakes and
 * HTTP requests through an edge. Each returns what it saw, never throws for what the network did;
 * nothing connects to an address the SSRF rules forbid.
 */
import { readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import https from 'node:https';
import type { BlockList } from 'node:net';
import tls, { type PeerCertificate } from 'node:tls';
import type { DnsResolution, HttpProbe, TlsProbe } from '../core/domain-check.ts';
import { parseCidrs, probeAllowed } from '../core/domains.ts';
import type { DnsAnswer } from '../core/routing.ts';

export interface ProberSettings {
  /** `host` or `host:port`; empty: the system's resolvers. */
  resolvers: readonly string[];
  trustedCaFiles: readonly string[];
  probeAllowedCidrs: readonly string[];
  timeoutMs: number;
}

const RCODES: Record<string, string> = {
  ENOTFOUND: 'NXDOMAIN',
  ESERVFAIL: 'SERVFAIL',
  ETIMEOUT: 'TIMEOUT',
  ECONNREFUSED: 'REFUSED',
  EREFUSED: 'REFUSED',
};

function rcodeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENODATA') return 'NOERROR';
  return RCODES[code] ?? 'ERROR';
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ECONNRESET') return 'connection reset';
  if (e.code === 'ETIMEDOUT' || e.message === 'timeout') return 'timed out';
  return e.message || String(error);
}

export class DomainProber {
  readonly #settings: ProberSettings;
  readonly #allowed: BlockList;
  readonly #ca: string[];

  constructor(settings: ProberSettings) {
    this.#settings = settings;
    this.#allowed = parseCidrs(settings.probeAllowedCidrs);
    this.#ca = [...tls.rootCertificates, ...settings.trustedCaFiles.map((file) => readFileSync(file, 'utf8'))];
  }

  #resolver(): Resolver {
    const resolver = new Resolver({ timeout: Math.max(200, Math.floor(this.#settings.timeoutMs / 2)), tries: 2 });
    if (this.#settings.resolvers.length > 0) resolver.setServers([...this.#settings.resolvers]);
    return resolver;
  }

  /** Follows the CNAME chain, then asks for A and AAAA at its end. */
  async resolve(hostname: string): Promise<DnsResolution> {
    const resolver = this.#resolver();
    const answers: DnsAnswer[] = [];
    let name = hostname;
    try {
      for (let hops = 0; hops < 8; hops++) {
        let targets: string[];
        try {
          targets = await resolver.resolveCname(name);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENODATA') break;
          throw error;
        }
        const target = targets[0]?.replace(/\.$/, '').toLowerCase();
        if (!target) break;
        answers.push({ name, type: 'CNAME', value: target });
        name = target;
      }
      const [v4, v6] = await Promise.all([this.#addresses(resolver, name, 4), this.#addresses(resolver, name, 6)]);
      for (const value of v4) answers.push({ name, type: 'A', value });
      for (const value of v6) answers.push({ name, type: 'AAAA', value });
      return { rcode: 'NOERROR', answers, addresses: [...v4].sort(), addresses6: [...v6].sort(), error: null };
    } catch (error) {
      return { rcode: rcodeOf(error), answers, addresses: [], addresses6: [], error: describe(error) };
    } finally {
      resolver.cancel();
    }
  }

  async #addresses(resolver: Resolver, name: string, family: 4 | 6): Promise<string[]> {
    try {
      return family === 4 ? await resolver.resolve4(name) : await resolver.resolve6(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENODATA') return [];
      throw error;
    }
  }

  /** TXT records of a name: each record's strings. */
  async resolveTxt(name: string): Promise<{ rcode: string; records: string[][]; error: string | null }> {
    const resolver = this.#resolver();
    try {
      return { rcode: 'NOERROR', records: await resolver.resolveTxt(name), error: null };
    } catch (error) {
      return { rcode: rcodeOf(error), records: [], error: describe(error) };
    } finally {
      resolver.cancel();
    }
  }

  allowed(address: string): boolean {
    return probeAllowed(address, this.#allowed);
  }

  /** A TLS handshake with SNI; the chain is judged against the trust roots, the name separately. */
  tls(address: string, port: number, servername: string): Promise<TlsProbe> {
    const empty: TlsProbe = { connectError: null, trusted: false, trustError: null, nameCovered: false, subjectAltNames: [], issuer: '', notBefore: null, notAfter: null };
    if (!this.allowed(address)) return Promise.resolve({ ...empty, blocked: true });
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: TlsProbe) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        resolve(result);
      };
      const socket = tls.connect({ host: address, port, servername, ca: this.#ca, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
      socket.setTimeout(this.#settings.timeoutMs, () => done({ ...empty, connectError: `timed out after ${this.#settings.timeoutMs} ms` }));
      socket.once('error', (error) => done({ ...empty, connectError: describe(error) }));
      socket.once('secureConnect', () => {
        const cert: PeerCertificate = socket.getPeerCertificate();
        const sans = (cert.subjectaltname ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.startsWith('DNS:'))
          .map((s) => s.slice(4));
        const covered = cert.subject !== undefined && tls.checkServerIdentity(servername, cert) === undefined;
        const issuer = cert.issuer ? [cert.issuer.CN, cert.issuer.O].filter(Boolean).join(', ') : '?';
        done({
          connectError: null,
          trusted: socket.authorized,
          trustError: socket.authorized ? null : String(socket.authorizationError ?? 'not trusted'),
          nameCovered: covered,
          subjectAltNames: sans,
          issuer: issuer || '?',
          notBefore: cert.valid_from ? new Date(cert.valid_from).toISOString() : null,
          notAfter: cert.valid_to ? new Date(cert.valid_to).toISOString() : null,
        });
      });
    });
  }

  /** GET https://hostname/path through one edge address (certificate problems are the TLS fact's business). */
  http(address: string, port: number, hostname: string, path: string): Promise<HttpProbe> {
    if (!this.allowed(address)) return Promise.resolve({ blocked: true, error: null, status: null, latencyMs: null, answeredBy: null });
    const started = performance.now();
    return new Promise((resolve) => {
      const request = https.request(
        { host: address, port, servername: hostname, path, method: 'GET', headers: { host: hostname, 'user-agent': 'satusky-domain-check' }, ca: this.#ca, rejectUnauthorized: false, timeout: this.#settings.timeoutMs, agent: false },
        (response) => {
          response.resume();
          response.once('end', () =>
            resolve({
              error: null,
              status: response.statusCode ?? null,
              latencyMs: Math.round(performance.now() - started),
              answeredBy: typeof response.headers['x-satusky-zone'] === 'string' ? response.headers['x-satusky-zone'] : null,
            }),
          );
        },
      );
      request.once('timeout', () => request.destroy(new Error(`timed out after ${this.#settings.timeoutMs} ms`)));
      request.once('error', (error) => resolve({ error: describe(error), status: null, latencyMs: null, answeredBy: null }));
      request.end();
    });
  }
}
