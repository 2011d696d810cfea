import dgram from 'node:dgram';
import net from 'node:net';
import dns2, { Packet, type DnsServer } from 'dns2';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { answerQuery, ZoneIndex, type AnswerRecord, type RecordType, type ZoneData } from './zone.ts';

export interface PlatformDnsOptions {
  /** The platform zone, e.g. `satusky.test`. */
  origin: string;
  host: string;
  port: number;
  /** How often the served zone is compared with the database (a serial check, one row). */
  refreshMs: number;
  negativeTtl: number;
}

export const TYPE_CODES: Record<RecordType, number> = {
  A: Packet.TYPE.A,
  AAAA: Packet.TYPE.AAAA,
  CNAME: Packet.TYPE.CNAME,
  TXT: Packet.TYPE.TXT,
  NS: Packet.TYPE.NS,
  SOA: Packet.TYPE.SOA,
};
export const CODE_TYPES = new Map<number, RecordType>(Object.entries(TYPE_CODES).map(([k, v]) => [v, k as RecordType]));

export function toResource(record: AnswerRecord): Record<string, unknown> {
  const base = { name: record.name, type: TYPE_CODES[record.type], class: Packet.CLASS.IN, ttl: record.ttl };
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return { ...base, address: record.value };
    case 'CNAME':
    case 'NS':
      return { ...base, domain: record.value, ns: record.value };
    case 'TXT':
      return { ...base, data: record.value };
    case 'SOA':
      return { ...base, ...record.soa };
  }
}

/**
 * The built-in DNS provider: an authoritative server for the platform zone, answering from the
 * records the controllers keep in the database. Every control-plane process runs one; they all
 * serve the same zone because they all read it from the database.
 */
export class PlatformDns {
  readonly #database: Database;
  readonly #options: PlatformDnsOptions;
  readonly #log: Logger;
  #server: DnsServer | null = null;
  #index: ZoneIndex;
  #timer: NodeJS.Timeout | null = null;
  #address: { host: string; port: number } | null = null;

  constructor(database: Database, options: PlatformDnsOptions, log: Logger) {
    this.#database = database;
    this.#options = options;
    this.#log = log;
    this.#index = new ZoneIndex(this.#empty(0));
  }

  get address(): { host: string; port: number } | null {
    return this.#address;
  }

  get zone(): ZoneData {
    return this.#index.zone;
  }

  #empty(serial: number): ZoneData {
    const origin = this.#options.origin;
    return { origin, serial, primaryNs: `ns1.${origin}`, admin: `hostmaster.${origin}`, negativeTtl: this.#options.negativeTtl, records: [] };
  }

  /** Loads the zone if its serial moved. */
  async refresh(): Promise<void> {
    const row = await this.#database.db.selectFrom('dns_zone').select('serial').where('id', '=', 1).executeTakeFirst();
    const serial = Number(row?.serial ?? 0);
    if (serial === this.#index.zone.serial && serial !== 0) return;
    const records = await this.#database.db.selectFrom('dns_records').select(['name', 'type', 'value', 'ttl']).execute();
    const origin = this.#options.origin;
    this.#index = new ZoneIndex({
      ...this.#empty(serial),
      records: [
        // The zone names its own server; the address is the one it listens on.
        { name: origin, type: 'NS', value: `ns1.${origin}`, ttl: 3600 },
        { name: `ns1.${origin}`, type: 'A', value: this.#options.host, ttl: 3600 },
        ...records,
      ],
    });
  }

  async start(): Promise<{ host: string; port: number }> {
    await this.refresh();
    const server = dns2.createServer({
      udp: true,
      tcp: true,
      handle: (request, send) => {
        const response = Packet.createResponseFromRequest(request);
        response.header.aa = 1;
        response.header.ra = 0;
        const question = request.questions[0];
        const type = question ? CODE_TYPES.get(question.type) : undefined;
        if (!question || !type) {
          // Types we do not serve: NOERROR with no data (or NOTIMP for nonsense), never a guess.
          if (question) {
            const answer = answerQuery(this.#index, question.name, 'TXT');
            response.header.rcode = answer.rcode === 'REFUSED' ? 5 : answer.rcode === 'NXDOMAIN' ? 3 : 0;
          }
          void send(response);
          return;
        }
        const answer = answerQuery(this.#index, question.name, type);
        response.header.rcode = answer.rcode === 'NOERROR' ? 0 : answer.rcode === 'NXDOMAIN' ? 3 : 5;
        if (answer.rcode === 'REFUSED') response.header.aa = 0;
        response.answers.push(...(answer.answers.map(toResource) as never[]));
        response.authorities.push(...(answer.authority.map(toResource) as never[]));
        void send(response);
      },
    });
    server.on('requestError', (error: Error) => this.#log.debug({ err: error }, 'malformed DNS request'));
    // DNS serves UDP and TCP on one port: with port 0, find one free for both first.
    const port = this.#options.port === 0 ? await freeUdpAndTcpPort(this.#options.host) : this.#options.port;
    const addresses = await server.listen({
      udp: { port, address: this.#options.host },
      tcp: { port, address: this.#options.host },
    });
    this.#server = server;
    this.#address = { host: this.#options.host, port: addresses.udp?.port ?? this.#options.port };
    this.#timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.#log.warn({ err: error }, 'DNS zone refresh failed; serving the last zone'));
    }, this.#options.refreshMs);
    this.#timer.unref();
    return this.#address;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#server?.close();
    this.#server = null;
  }
}

/** A port that is free for both UDP and TCP on `host` (checked, then released). */
export async function freeUdpAndTcpPort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const tcp = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, host, () => resolve((tcp.address() as net.AddressInfo).port));
    });
    const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    await new Promise<void>((resolve) => {
      try {
        udp.close(() => resolve());
      } catch {
        resolve();
      }
    });
    if (ok) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${host}`);
}
