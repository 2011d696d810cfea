// The world DNS: the public internet's resolver, on UDP and TCP (dns2 for the wire format).
//
// - The platform zone (and below) is forwarded to its upstream, the control plane's authoritative
//   DNS, and the answer relayed as it came (rcode, answers, SOA in authority); no upstream, or no
//   answer from it, is SERVFAIL.
// - Names in a registrar zone are answered from the registrar; CNAME chains are followed within the
//   world (into the platform zone too) and the whole chain is returned.
// - Any other name does not exist: NXDOMAIN (there is no internet beyond the world).

import dns2, { Packet, type DnsServer, type Resource, type ServerAddresses } from 'dns2';
import type { Logger } from '@satusky/sim';
import type { HostPort } from '../options.ts';
import { errorMessage } from '../util/json.ts';
import { freeUdpAndTcpPort } from '../util/net.ts';
import { isWithin, normalizeName, type Registrar, type ResourceRecord } from './registrar.ts';
import { queryUpstream } from './upstream.ts';

export interface WorldDnsOptions {
  host: string;
  /** 0 picks a port free for both UDP and TCP. */
  port: number;
  registrar: Registrar;
  /** Names in this zone are forwarded to the upstream. */
  platformDomain?: string;
  upstream?: HostPort;
  upstreamTimeoutMs?: number;
  log?: Logger;
}

export interface Resolution {
  rcode: number;
  aa: boolean;
  answers: Resource[];
  authorities: Resource[];
  additionals: Resource[];
}

const MAX_CHAIN = 12;

function toResource(rr: ResourceRecord): Resource {
  const base = { name: rr.name, class: Packet.CLASS.IN, ttl: rr.ttl };
  switch (rr.type) {
    case 'A':
      return { ...base, type: Packet.TYPE.A, address: rr.value } as Resource;
    case 'AAAA':
      return { ...base, type: Packet.TYPE.AAAA, address: rr.value } as Resource;
    case 'CNAME':
      return { ...base, type: Packet.TYPE.CNAME, domain: rr.value } as Resource;
    case 'TXT':
      return { ...base, type: Packet.TYPE.TXT, data: rr.value } as Resource;
    case 'SOA':
      return { ...base, type: Packet.TYPE.SOA, ...rr.value } as Resource;
  }
}

export class WorldDns {
  readonly #o: WorldDnsOptions;
  readonly #log: Logger;
  readonly #platform: string | undefined;
  #upstream: HostPort | undefined;
  #server: DnsServer | undefined;
  #address: HostPort | undefined;

  constructor(options: WorldDnsOptions) {
    this.#o = options;
    this.#log = options.log ?? (() => undefined);
    this.#platform = options.platformDomain ? normalizeName(options.platformDomain) : undefined;
    this.#upstream = options.upstream;
  }

  get address(): HostPort {
    if (!this.#address) throw new Error('the world DNS is not started');
    return { ...this.#address };
  }

  get platformDomain(): string | undefined {
    return this.#platform;
  }

  get upstream(): HostPort | undefined {
    return this.#upstream ? { ...this.#upstream } : undefined;
  }

  setUpstream(upstream: HostPort | undefined): void {
    this.#upstream = upstream ? { ...upstream } : undefined;
  }

  async start(): Promise<HostPort> {
    if (this.#address) return this.address;
    const server = dns2.createServer({
      udp: true,
      tcp: true,
      handle: (request, send) => {
        this.#respond(request)
          .then((response) => send(response))
          .catch((err: unknown) => this.#log('warn', 'world DNS could not answer', { error: errorMessage(err) }));
      },
    });
    server.on('requestError', (err: Error) => this.#log('debug', 'malformed DNS request', { error: err.message }));
    server.on('error', (err: Error) => this.#log('error', 'world DNS socket error', { error: err.message }));
    const host = this.#o.host;
    const port = this.#o.port === 0 ? await freeUdpAndTcpPort(host) : this.#o.port;
    const addresses = await new Promise<ServerAddresses>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ udp: { port, address: host }, tcp: { port, address: host } }).then((a) => {
        server.off('error', reject);
        resolve(a);
      }, reject);
    });
    this.#server = server;
    this.#address = { host, port: addresses.udp?.port ?? port };
    return this.address;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#address = undefined;
    if (server) await server.close();
  }

  async #respond(request: Packet): Promise<Packet> {
    const question = request.questions[0];
    if (!question || request.questions.length !== 1) return Packet.createErrorResponseFromRequest(request, Packet.RCODE.FORMERR);
    if (request.header.opcode !== 0) return Packet.createErrorResponseFromRequest(request, Packet.RCODE.NOTIMP);
    const response = Packet.createResponseFromRequest(request);
    response.header.ra = 1;
    const r = await this.resolve(question.name, question.type, question.class);
    response.header.rcode = r.rcode;
    response.header.aa = r.aa ? 1 : 0;
    response.answers = r.answers;
    response.authorities = r.authorities;
    response.additionals = r.additionals;
    if (request.additionals.some((a) => a.type === Packet.TYPE.EDNS)) response.additionals.push(Packet.Resource.EDNS([]));
    return response;
  }

  /** Resolves one question as the world's recursive resolver would. */
  async resolve(rawName: string, qtype: number, qclass: number = Packet.CLASS.IN): Promise<Resolution> {
    const answers: Resource[] = [];
    const servfail = (): Resolution => ({ rcode: Packet.RCODE.SERVFAIL, aa: false, answers: [], authorities: [], additionals: [] });
    const seen = new Set<string>();
    let name = normalizeName(rawName);
    for (let hop = 0; hop < MAX_CHAIN; hop++) {
      if (seen.has(name)) return servfail(); // CNAME loop
      seen.add(name);
      if (this.#platform && isWithin(name, this.#platform)) {
        const upstream = this.#upstream;
        if (!upstream) return servfail();
        try {
          const up = await queryUpstream(upstream, { name, type: qtype, class: qclass }, { timeoutMs: this.#o.upstreamTimeoutMs ?? 2000 });
          return {
            rcode: up.header.rcode,
            aa: hop === 0 && up.header.aa === 1,
            answers: [...answers, ...up.answers],
            authorities: up.authorities,
            additionals: up.additionals.filter((a) => a.type !== Packet.TYPE.EDNS),
          };
        } catch (err) {
          this.#log('debug', 'platform DNS upstream failed', { name, upstream, error: errorMessage(err) });
          return servfail();
        }
      }
      const found = this.#o.registrar.lookup(name, Packet.typeName(qtype));
      switch (found.kind) {
        case 'outside':
          return { rcode: Packet.RCODE.NXDOMAIN, aa: false, answers, authorities: [], additionals: [] };
        case 'records':
          return { rcode: Packet.RCODE.NOERROR, aa: hop === 0, answers: [...answers, ...found.records.map(toResource)], authorities: [], additionals: [] };
        case 'nodata':
          return { rcode: Packet.RCODE.NOERROR, aa: hop === 0, answers, authorities: [toResource(found.soa)], additionals: [] };
        case 'nxdomain':
          return { rcode: Packet.RCODE.NXDOMAIN, aa: hop === 0, answers, authorities: [toResource(found.soa)], additionals: [] };
        case 'cname':
          answers.push(toResource(found.record));
          name = found.target;
          continue;
      }
    }
    return servfail();
  }
}
