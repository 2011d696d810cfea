// The registrar (pure): zone inference, validation, conflicts, and what a lookup says.

import { describe, expect, it } from 'vitest';
import { Registrar, RegistrarError } from '../src/dns/registrar.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RegistrarError ? err.code : `unexpected: ${String(err)}`;
  }
  return undefined;
}

describe('registrar', () => {
  it('puts records into the registrable part of the name, or a deeper existing zone', () => {
    const r = new Registrar();
    expect(r.set({ name: 'Shop.Example.com.', type: 'a', values: ['127.0.1.1'] })).toEqual({ name: 'shop.example.com', type: 'A', ttl: 300, values: ['127.0.1.1'], zone: 'example.com' });
    expect(r.set({ name: 'www.shop.example.co.uk', type: 'A', values: ['127.0.1.1'], zone: 'example.co.uk' }).zone).toBe('example.co.uk');
    expect(r.set({ name: 'api.example.co.uk', type: 'A', values: ['127.0.2.1'] }).zone).toBe('example.co.uk');
    expect(r.zones()).toEqual(['example.co.uk', 'example.com']);
    // A deeper zone takes over the names below it.
    r.set({ name: 'a.dev.example.com', type: 'TXT', values: ['x'] });
    expect(r.set({ name: 'b.dev.example.com', type: 'A', values: ['127.0.3.1'], zone: 'dev.example.com' }).zone).toBe('dev.example.com');
    expect(r.list({ zone: 'dev.example.com' }).map((x) => x.name)).toEqual(['a.dev.example.com', 'b.dev.example.com']);
    expect(r.zoneOf('c.dev.example.com')).toBe('dev.example.com');
    expect(r.zoneOf('example.org')).toBeUndefined();
  });

  it('replaces a record set, and a zone goes away with its last record', () => {
    const r = new Registrar();
    const before = r.serial;
    r.set({ name: 'shop.example.com', type: 'A', values: ['127.0.1.1', '127.0.1.1', '127.0.2.1'], ttl: 60 });
    r.set({ name: 'shop.example.com', type: 'A', values: ['127.0.2.1'] });
    expect(r.list()).toEqual([{ name: 'shop.example.com', type: 'A', ttl: 300, values: ['127.0.2.1'], zone: 'example.com' }]);
    expect(r.serial).toBeGreaterThan(before);
    expect(r.delete('shop.example.com')).toHaveLength(1);
    expect(r.zones()).toEqual([]);
    expect(code(() => r.delete('shop.example.com'))).toBe('NotFound');
  });

  it('rejects invalid names, types, values, TTLs, CNAME conflicts and the platform zone', () => {
    const r = new Registrar({ reserved: ['satusky.test'] });
    expect(code(() => r.set({ name: 'localhost', type: 'A', values: ['127.0.0.1'] }))).toBe('InvalidName');
    expect(code(() => r.set({ name: 'bad..example.com', type: 'A', values: ['127.0.0.1'] }))).toBe('InvalidName');
    expect(code(() => r.set({ name: '-x.example.com', type: 'A', values: ['127.0.0.1'] }))).toBe('InvalidName');
    expect(code(() => r.set({ name: 'x.example.com', type: 'MX', values: ['mail.example.com'] }))).toBe('InvalidType');
    expect(code(() => r.set({ name: 'x.example.com', type: 'A', values: ['not-an-ip'] }))).toBe('InvalidValue');
    expect(code(() => r.set({ name: 'x.example.com', type: 'AAAA', values: ['127.0.0.1'] }))).toBe('InvalidValue');
    expect(code(() => r.set({ name: 'x.example.com', type: 'A', values: [] }))).toBe('InvalidValue');
    expect(code(() => r.set({ name: 'x.example.com', type: 'CNAME', values: ['a.example.com', 'b.example.com'] }))).toBe('InvalidValue');
    expect(code(() => r.set({ name: 'x.example.com', type: 'TXT', values: ['x'.repeat(256)] }))).toBe('InvalidValue');
    expect(code(() => r.set({ name: 'x.example.com', type: 'A', values: ['127.0.0.1'], ttl: -1 }))).toBe('InvalidTtl');
    expect(code(() => r.set({ name: 'app.satusky.test', type: 'A', values: ['127.0.0.1'] }))).toBe('Reserved');
    expect(code(() => r.set({ name: 'example.com', type: 'CNAME', values: ['other.example.org'] }))).toBe('Conflict');
    r.set({ name: 'x.example.com', type: 'A', values: ['127.0.0.1'] });
    expect(code(() => r.set({ name: 'x.example.com', type: 'CNAME', values: ['y.example.com'] }))).toBe('Conflict');
    r.set({ name: 'c.example.com', type: 'CNAME', values: ['x.example.com'] });
    expect(code(() => r.set({ name: 'c.example.com', type: 'TXT', values: ['v'] }))).toBe('Conflict');
    expect(code(() => r.set({ name: 'y.example.com', type: 'A', values: ['127.0.0.1'], zone: 'example.org' }))).toBe('InvalidZone');
    expect(r.set({ name: '_acme-challenge.example.com', type: 'TXT', values: ['token'] }).name).toBe('_acme-challenge.example.com');
  });

  it('answers records, CNAMEs to follow, NODATA, NXDOMAIN with the SOA, wildcards, and nothing outside its zones', () => {
    const r = new Registrar();
    r.set({ name: 'shop.example.com', type: 'A', values: ['127.0.1.1'] });
    r.set({ name: 'shop.example.com', type: 'TXT', values: ['v1', 'v2'], ttl: 30 });
    r.set({ name: 'www.example.com', type: 'CNAME', values: ['shop.example.com'] });
    r.set({ name: 'x.deep.example.com', type: 'A', values: ['127.0.4.1'] });
    r.set({ name: '*.apps.example.com', type: 'A', values: ['127.0.2.1'] });
    expect(r.lookup('SHOP.example.com.', 'A')).toEqual({ kind: 'records', records: [{ name: 'shop.example.com', type: 'A', ttl: 300, value: '127.0.1.1' }] });
    expect(r.lookup('shop.example.com', 'TXT')).toEqual({ kind: 'records', records: [{ name: 'shop.example.com', type: 'TXT', ttl: 30, value: ['v1', 'v2'] }] });
    expect(r.lookup('shop.example.com', 'ANY')).toMatchObject({ kind: 'records', records: [{ type: 'A' }, { type: 'TXT' }] });
    expect(r.lookup('www.example.com', 'A')).toMatchObject({ kind: 'cname', target: 'shop.example.com' });
    expect(r.lookup('www.example.com', 'CNAME')).toMatchObject({ kind: 'records', records: [{ type: 'CNAME', value: 'shop.example.com' }] });
    expect(r.lookup('shop.example.com', 'AAAA')).toMatchObject({ kind: 'nodata', soa: { name: 'example.com', type: 'SOA' } });
    expect(r.lookup('deep.example.com', 'A')).toMatchObject({ kind: 'nodata' });
    expect(r.lookup('nope.example.com', 'A')).toMatchObject({ kind: 'nxdomain', soa: { name: 'example.com' } });
    expect(r.lookup('example.com', 'SOA')).toMatchObject({ kind: 'records', records: [{ type: 'SOA' }] });
    expect(r.lookup('example.com', 'A')).toMatchObject({ kind: 'nodata' });
    expect(r.lookup('anything.apps.example.com', 'A')).toEqual({ kind: 'records', records: [{ name: 'anything.apps.example.com', type: 'A', ttl: 300, value: '127.0.2.1' }] });
    expect(r.lookup('a.b.apps.example.com', 'A')).toMatchObject({ kind: 'records' });
    expect(r.lookup('example.org', 'A')).toEqual({ kind: 'outside' });
  });

  it('round-trips through its data', () => {
    const r = new Registrar();
    r.set({ name: 'shop.example.com', type: 'A', values: ['127.0.1.1'] });
    r.set({ name: 'a.example.co.uk', type: 'TXT', values: ['x', 'y'], zone: 'example.co.uk' });
    const copy = new Registrar({ data: JSON.parse(JSON.stringify(r.data())) as ReturnType<Registrar['data']> });
    expect(copy.list()).toEqual(r.list());
    expect(copy.serial).toBe(r.serial);
  });
});
