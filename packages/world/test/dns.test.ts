// The world DNS over real sockets: answers from the registrar (node:dns, dns2's client, and dig when
// installed), CNAME chains, NXDOMAIN/NODATA with the SOA, and forwarding of the platform zone to a
// small upstream DNS server started here (SERVFAIL when it is absent or down).

import { Resolver } from 'node:dns/promises';
import dns2, { Packet, UDPClient, type DnsServer } from 'dns2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registrar } from '../src/dns/registrar.ts';
import { WorldDns } from '../src/dns/server.ts';
import { freeUdpAndTcpPort } from '../src/util/net.ts';
import { DIG, dig } from './helpers.ts';

const PLATFORM = 'satusky.test';

async function startUpstream(): Promise<{ server: DnsServer; port: number; queries: string[] }> {
  const queries: string[] = [];
  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send) => {
      const q = request.questions[0];
      const response = Packet.createResponseFromRequest(request);
      response.header.aa = 1;
      const name = (q?.name ?? '').toLowerCase();
      queries.push(`${name}/${Packet.typeName(q?.type ?? 0)}`);
      const soa = { name: PLATFORM, type: Packet.TYPE.SOA, class: Packet.CLASS.IN, ttl: 5, primary: `ns1.${PLATFORM}`, admin: `hostmaster.${PLATFORM}`, serial: 42, refresh: 3600, retry: 600, expiration: 86400, minimum: 5 };
      if (name === `app.${PLATFORM}` && q?.type === Packet.TYPE.A) {
        response.answers.push({ name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 5, address: '127.0.1.1' } as never);
      } else if (name === `app.${PLATFORM}`) {
        response.authorities.push(soa as never);
      } else {
        response.header.rcode = Packet.RCODE.NXDOMAIN;
        response.authorities.push(soa as never);
      }
      void send(response);
    },
  });
  const port = await freeUdpAndTcpPort('127.0.0.1');
  await server.listen({ udp: { port, address: '127.0.0.1' }, tcp: { port, address: '127.0.0.1' } });
  return { server, port, queries };
}

describe('world DNS', () => {
  const registrar = new Registrar({ reserved: [PLATFORM] });
  let dns: WorldDns;
  let address: { host: string; port: number };
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let resolver: Resolver;
  const query = (name: string, type: string): Promise<Packet> => UDPClient({ dns: address.host, port: address.port, timeout: 3000 })(name, type);

  beforeAll(async () => {
    registrar.set({ name: 'shop.example.com', type: 'A', values: ['127.0.1.1', '127.0.2.1'], ttl: 60 });
    registrar.set({ name: '_x.example.com', type: 'TXT', values: ['v1', 'v 2'] });
    registrar.set({ name: 'www.example.com', type: 'CNAME', values: ['alias.example.com'] });
    registrar.set({ name: 'alias.example.com', type: 'CNAME', values: ['shop.example.com'] });
    registrar.set({ name: 'dangling.example.com', type: 'CNAME', values: ['gone.example.com'] });
    registrar.set({ name: 'custom.example.org', type: 'CNAME', values: [`app.${PLATFORM}`] });
    registrar.set({ name: 'v6.example.org', type: 'AAAA', values: ['::1'] });
    upstream = await startUpstream();
    dns = new WorldDns({ host: '127.0.0.1', port: 0, registrar, platformDomain: PLATFORM, upstream: { host: '127.0.0.1', port: upstream.port }, upstreamTimeoutMs: 1000 });
    address = await dns.start();
    resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`${address.host}:${address.port}`]);
  });

  afterAll(async () => {
    await dns?.stop();
    await upstream?.server.close();
  });

  it('answers A, AAAA and multi-string TXT records through node:dns', async () => {
    expect((await resolver.resolve4('shop.example.com', { ttl: true })).sort((a, b) => a.address.localeCompare(b.address))).toEqual([
      { address: '127.0.1.1', ttl: 60 },
      { address: '127.0.2.1', ttl: 60 },
    ]);
    expect(await resolver.resolve6('v6.example.org')).toEqual(['::1']);
    expect(await resolver.resolveTxt('_x.example.com')).toEqual([['v1', 'v 2']]);
  });

  it('follows CNAME chains and returns the whole chain', async () => {
    expect((await resolver.resolve4('www.example.com')).sort()).toEqual(['127.0.1.1', '127.0.2.1']);
    expect(await resolver.resolveCname('www.example.com')).toEqual(['alias.example.com']);
    const answer = await query('www.example.com', 'A');
    expect(answer.header.rcode).toBe(Packet.RCODE.NOERROR);
    expect(answer.answers.map((a) => [a.name, Packet.typeName(a.type), a.domain ?? a.address])).toEqual([
      ['www.example.com', 'CNAME', 'alias.example.com'],
      ['alias.example.com', 'CNAME', 'shop.example.com'],
      ['shop.example.com', 'A', '127.0.1.1'],
      ['shop.example.com', 'A', '127.0.2.1'],
    ]);
  });

  it('says NXDOMAIN with the SOA for missing names, NODATA for other types, and NXDOMAIN outside every zone', async () => {
    await expect(resolver.resolve4('nope.example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve4('_x.example.com')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolver.resolve4('www.google.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const nx = await query('nope.example.com', 'A');
    expect(nx.header.rcode).toBe(Packet.RCODE.NXDOMAIN);
    expect(nx.authorities[0]).toMatchObject({ name: 'example.com', type: Packet.TYPE.SOA, primary: 'ns1.example.com' });
    const nodata = await query('shop.example.com', 'AAAA');
    expect(nodata.header.rcode).toBe(Packet.RCODE.NOERROR);
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities[0]).toMatchObject({ type: Packet.TYPE.SOA });
    const dangling = await query('dangling.example.com', 'A');
    expect(dangling.header.rcode).toBe(Packet.RCODE.NXDOMAIN);
    expect(dangling.answers.map((a) => a.domain)).toEqual(['gone.example.com']);
  });

  it('sees registrar changes at once', async () => {
    registrar.set({ name: 'new.example.com', type: 'A', values: ['127.0.3.1'] });
    expect(await resolver.resolve4('new.example.com')).toEqual(['127.0.3.1']);
    registrar.delete('new.example.com');
    await expect(resolver.resolve4('new.example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('forwards the platform zone to its upstream and relays the answer, rcode and SOA', async () => {
    expect(await resolver.resolve4(`app.${PLATFORM}`)).toEqual(['127.0.1.1']);
    const nx = await query(`missing.${PLATFORM}`, 'A');
    expect(nx.header.rcode).toBe(Packet.RCODE.NXDOMAIN);
    expect(nx.header.aa).toBe(1);
    expect(nx.authorities[0]).toMatchObject({ name: PLATFORM, type: Packet.TYPE.SOA, serial: 42 });
    const nodata = await query(`app.${PLATFORM}`, 'TXT');
    expect(nodata.header.rcode).toBe(Packet.RCODE.NOERROR);
    expect(nodata.authorities[0]).toMatchObject({ serial: 42 });
    expect(upstream.queries).toContain(`missing.${PLATFORM}/A`);
  });

  it('resolves a CNAME from a user zone into the platform zone through the upstream', async () => {
    const answer = await query('custom.example.org', 'A');
    expect(answer.answers.map((a) => [a.name, a.domain ?? a.address])).toEqual([
      ['custom.example.org', `app.${PLATFORM}`],
      [`app.${PLATFORM}`, '127.0.1.1'],
    ]);
    expect(await resolver.resolve4('custom.example.org')).toEqual(['127.0.1.1']);
  });

  it('answers SERVFAIL for the platform zone without an upstream, or when it is down', async () => {
    dns.setUpstream(undefined);
    expect((await query(`app.${PLATFORM}`, 'A')).header.rcode).toBe(Packet.RCODE.SERVFAIL);
    await expect(resolver.resolve4(`app.${PLATFORM}`)).rejects.toMatchObject({ code: 'ESERVFAIL' });
    const deadPort = await freeUdpAndTcpPort('127.0.0.1');
    dns.setUpstream({ host: '127.0.0.1', port: deadPort });
    const started = performance.now();
    expect((await query(`app.${PLATFORM}`, 'A')).header.rcode).toBe(Packet.RCODE.SERVFAIL);
    expect(performance.now() - started).toBeLessThan(1500);
    dns.setUpstream({ host: '127.0.0.1', port: upstream.port });
    expect(await resolver.resolve4(`app.${PLATFORM}`)).toEqual(['127.0.1.1']);
  });

  describe.skipIf(!DIG)('with dig', () => {
    if (!DIG) console.warn('dig is not installed on this machine: skipping the dig checks (node:dns covers the same answers)');

    it('gets A records, TXT strings and CNAME chains', async () => {
      expect((await dig(address, ['shop.example.com', 'A', '+short'])).trim().split('\n').sort()).toEqual(['127.0.1.1', '127.0.2.1']);
      expect((await dig(address, ['_x.example.com', 'TXT', '+short'])).trim()).toBe('"v1" "v 2"');
      expect((await dig(address, ['www.example.com', 'A', '+short'])).trim().split('\n')).toEqual(['alias.example.com.', 'shop.example.com.', '127.0.1.1', '127.0.2.1']);
    });

    it('shows NXDOMAIN with the SOA in the authority section, over UDP and TCP', async () => {
      for (const transport of ['+notcp', '+tcp']) {
        const out = await dig(address, ['nope.example.com', 'A', transport]);
        expect(out).toMatch(/status: NXDOMAIN/);
        expect(out).toMatch(/;; AUTHORITY SECTION:\nexample\.com\.\s+5\s+IN\s+SOA\s+ns1\.example\.com\. hostmaster\.example\.com\./);
      }
      expect((await dig(address, ['shop.example.com', 'A', '+tcp', '+short'])).trim().split('\n').sort()).toEqual(['127.0.1.1', '127.0.2.1']);
    });

    it('gets forwarded platform answers', async () => {
      expect((await dig(address, [`app.${PLATFORM}`, 'A', '+short'])).trim()).toBe('127.0.1.1');
      expect(await dig(address, [`missing.${PLATFORM}`, 'A'])).toMatch(/status: NXDOMAIN/);
    });
  });
});
