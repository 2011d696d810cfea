import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformDns } from '../src/dns/server.ts';
import { answerQuery, ZoneIndex, type ZoneData } from '../src/dns/zone.ts';
import type { Database } from '../src/db/database.ts';
import { captureLogs, createTestDatabase } from './helpers.ts';

const zone: ZoneData = {
  origin: 'satusky.test',
  serial: 7,
  primaryNs: 'ns1.satusky.test',
  admin: 'hostmaster.satusky.test',
  negativeTtl: 5,
  records: [
    { name: 'web-abc123.satusky.test', type: 'A', value: '127.0.1.1', ttl: 5 },
    { name: 'web-abc123.satusky.test', type: 'A', value: '127.0.2.1', ttl: 5 },
    { name: 'web-abc123.satusky.test', type: 'AAAA', value: '::1', ttl: 5 },
    { name: 'alias.satusky.test', type: 'CNAME', value: 'web-abc123.satusky.test', ttl: 5 },
    { name: 'outside.satusky.test', type: 'CNAME', value: 'www.example.com', ttl: 5 },
    { name: 'x.deep.satusky.test', type: 'TXT', value: 'hello', ttl: 5 },
  ],
};

describe('authoritative answers (pure)', () => {
  const index = new ZoneIndex(zone);

  it('answers records of every type, case-insensitively', () => {
    expect(answerQuery(index, 'WEB-ABC123.satusky.test.', 'A').answers.map((a) => ('value' in a ? a.value : ''))).toEqual(['127.0.1.1', '127.0.2.1']);
    expect(answerQuery(index, 'web-abc123.satusky.test', 'AAAA').answers).toHaveLength(1);
    expect(answerQuery(index, 'x.deep.satusky.test', 'TXT').answers[0]).toMatchObject({ value: 'hello' });
  });

  it('follows CNAMEs inside the zone and hands out-of-zone targets to the resolver', () => {
    const inside = answerQuery(index, 'alias.satusky.test', 'A');
    expect(inside.answers.map((a) => a.type)).toEqual(['CNAME', 'A', 'A']);
    const outside = answerQuery(index, 'outside.satusky.test', 'A');
    expect(outside).toMatchObject({ rcode: 'NOERROR', answers: [{ type: 'CNAME', value: 'www.example.com' }] });
  });

  it('tells NXDOMAIN from NODATA, with the SOA in the authority section', () => {
    const nx = answerQuery(index, 'nope.satusky.test', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authority[0]).toMatchObject({ type: 'SOA', soa: { serial: 7, minimum: 5 } });
    const nodata = answerQuery(index, 'web-abc123.satusky.test', 'TXT');
    expect(nodata).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(nodata.authority[0]!.type).toBe('SOA');
    expect(answerQuery(index, 'deep.satusky.test', 'A').rcode).toBe('NOERROR');
  });

  it('answers SOA at the apex and refuses names outside the zone', () => {
    expect(answerQuery(index, 'satusky.test', 'SOA').answers[0]).toMatchObject({ type: 'SOA' });
    expect(answerQuery(index, 'example.com', 'A').rcode).toBe('REFUSED');
  });
});

describe('the platform DNS server over the wire', () => {
  let database: Database;
  let server: PlatformDns;
  let resolver: Resolver;
  let port: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db
      .insertInto('dns_records')
      .values([
        { name: 'shop-k2m9x1.satusky.test', type: 'A', value: '127.0.1.1', ttl: 5 },
        { name: 'shop-k2m9x1.satusky.test', type: 'A', value: '127.0.2.1', ttl: 5 },
        { name: 'www.shop-k2m9x1.satusky.test', type: 'CNAME', value: 'shop-k2m9x1.satusky.test', ttl: 5 },
        { name: '_info.satusky.test', type: 'TXT', value: 'managed by satusky', ttl: 60 },
      ])
      .execute();
    await database.db.updateTable('dns_zone').set({ serial: 2 }).execute();
    server = new PlatformDns(database, { origin: 'satusky.test', host: '127.0.0.1', port: 0, refreshMs: 50, negativeTtl: 5 }, captureLogs().logger);
    port = (await server.start()).port;
    resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
  });

  afterAll(async () => {
    await server?.stop();
    await database?.close();
  });

  it('answers A, CNAME, TXT, NS and SOA to a stub resolver, and NXDOMAIN for unknown names', async () => {
    expect((await resolver.resolve4('shop-k2m9x1.satusky.test')).sort()).toEqual(['127.0.1.1', '127.0.2.1']);
    expect(await resolver.resolveCname('www.shop-k2m9x1.satusky.test')).toEqual(['shop-k2m9x1.satusky.test']);
    expect(await resolver.resolveTxt('_info.satusky.test')).toEqual([['managed by satusky']]);
    expect(await resolver.resolveNs('satusky.test')).toEqual(['ns1.satusky.test']);
    expect(await resolver.resolveSoa('satusky.test')).toMatchObject({ nsname: 'ns1.satusky.test', serial: 2 });
    await expect(resolver.resolve4('missing.satusky.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('serves a change as soon as the zone serial moves', async () => {
    await database.db.insertInto('dns_records').values({ name: 'new-app.satusky.test', type: 'A', value: '127.0.3.1', ttl: 5 }).execute();
    await database.db.updateTable('dns_zone').set({ serial: 3 }).execute();
    const deadline = Date.now() + 5000;
    let answer: string[] = [];
    while (Date.now() < deadline) {
      answer = await resolver.resolve4('new-app.satusky.test').catch(() => []);
      if (answer.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(answer).toEqual(['127.0.3.1']);
  });

  it('gives dig correct answers over UDP and TCP, including NXDOMAIN, a CNAME chain and the SOA', async (context) => {
    const dig = await promisify(execFile)('dig', ['-v']).catch(() => null);
    if (!dig) context.skip('dig is not installed (Debian package bind9-dnsutils)');
    const run = async (...args: string[]) => (await promisify(execFile)('dig', ['@127.0.0.1', '-p', String(port), '+norecurse', '+time=2', '+tries=1', ...args])).stdout;
    const a = await run('shop-k2m9x1.satusky.test', 'A');
    expect(a).toContain('status: NOERROR');
    expect(a).toMatch(/flags: qr aa/);
    expect(a).toMatch(/shop-k2m9x1\.satusky\.test\.\s+5\s+IN\s+A\s+127\.0\.1\.1/);
    const chain = await run('www.shop-k2m9x1.satusky.test', 'A', '+tcp');
    expect(chain).toMatch(/CNAME\s+shop-k2m9x1\.satusky\.test\./);
    expect(chain).toMatch(/IN\s+A\s+127\.0\.2\.1/);
    const nx = await run('nothing-here.satusky.test', 'A');
    expect(nx).toContain('status: NXDOMAIN');
    expect(nx).toMatch(/AUTHORITY SECTION:\s*\nsatusky\.test\.\s+\d+\s+IN\s+SOA\s+ns1\.satusky\.test\. hostmaster\.satusky\.test\./);
    expect(await run('example.com', 'A')).toContain('status: REFUSED');
  });
});
