import dns2, { Packet, type DnsServer } from 'dns2';
import { CODE_TYPES, freeUdpAndTcpPort, toResource } from '../src/dns/server.ts';
import { answerQuery, ZoneIndex, type AnswerRecord, type ZoneRecord } from '../src/dns/zone.ts';

/**
 * A stand-in for the public DNS in control-plane tests: authoritative answers for a few user
 * zones (records changeable while it runs), CNAMEs chased across them, NXDOMAIN elsewhere.
 * The end-to-end tests use the simulated world's DNS instead.
 */
export interface PublicDns {
  address: string;
  set(zone: string, records: Omit<ZoneRecord, 'ttl'>[]): void;
  close(): Promise<void>;
}

export async function startPublicDns(): Promise<PublicDns> {
  const zones = new Map<string, ZoneIndex>();
  const indexFor = (name: string) => [...zones.entries()].filter(([origin]) => name === origin || name.endsWith(`.${origin}`)).sort((a, b) => b[0].length - a[0].length)[0]?.[1];
  const server: DnsServer = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const question = request.questions[0];
      const type = question ? CODE_TYPES.get(question.type) : undefined;
      let name = question?.name.toLowerCase().replace(/\.$/, '') ?? '';
      const answers: AnswerRecord[] = [];
      let rcode = 3;
      for (let hops = 0; type && hops < 8; hops += 1) {
        const index = indexFor(name);
        if (!index) break;
        const answer = answerQuery(index, name, type);
        rcode = answer.rcode === 'NOERROR' ? 0 : 3;
        answers.push(...answer.answers);
        const last = answer.answers.at(-1);
        if (answer.rcode !== 'NOERROR' || !last || last.type !== 'CNAME' || type === 'CNAME') {
          if (answer.rcode !== 'NOERROR' || answer.answers.length === 0) response.authorities.push(...(answer.authority.map(toResource) as never[]));
          break;
        }
        name = last.value;
        if (!indexFor(name)) break;
      }
      response.header.rcode = rcode;
      response.answers.push(...(answers.map(toResource) as never[]));
      void send(response);
    },
  });
  const port = await freeUdpAndTcpPort('127.0.0.1');
  await server.listen({ udp: { port, address: '127.0.0.1' } });
  return {
    address: `127.0.0.1:${port}`,
    set(origin, records) {
      zones.set(origin, new ZoneIndex({ origin, serial: Date.now() % 2 ** 31, primaryNs: `ns1.${origin}`, admin: `hostmaster.${origin}`, negativeTtl: 1, records: records.map((r) => ({ ...r, ttl: 1 })) }));
    },
    async close() {
      await server.close();
    },
  };
}
