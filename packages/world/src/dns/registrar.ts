// The registrar: user zones and their records (A, AAAA, CNAME, TXT), what the world DNS answers
// for names outside the platform zone. Pure and synchronous; the world persists its `data()`.
//
// Zones are implicit: a record goes into the deepest existing zone that contains its name, or, when
// none does, into a new zone named after the registrable part of the name (its last two labels:
// `shop.example.com` -> `example.com`). An explicit zone (`--zone example.co.uk`) creates a deeper
// zone. A zone disappears with its last record.

import { isIPv4, isIPv6 } from 'node:net';

export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const DEFAULT_TTL = 300;
/** SOA minimum: how long resolvers may cache NXDOMAIN/NODATA. Short, because the world changes fast. */
export const NEGATIVE_TTL = 5;

export interface DnsRecord {
  name: string;
  type: RecordType;
  ttl: number;
  values: string[];
  zone: string;
}

export interface RecordInput {
  name: string;
  type: string;
  values: string[];
  ttl?: number;
  zone?: string;
}

export interface RegistrarData {
  format: 'satusky-world-registrar/v1';
  serial: number;
  records: { name: string; type: RecordType; ttl: number; values: string[]; zone: string }[];
}

export interface SoaData {
  primary: string;
  admin: string;
  serial: number;
  refresh: number;
  retry: number;
  expiration: number;
  minimum: number;
}

/** One resource record of an answer. */
export type ResourceRecord =
  | { name: string; type: 'A' | 'AAAA' | 'CNAME'; ttl: number; value: string }
  | { name: string; type: 'TXT'; ttl: number; value: string[] }
  | { name: string; type: 'SOA'; ttl: number; value: SoaData };

export type Lookup =
  /** No registrar zone contains the name. */
  | { kind: 'outside' }
  | { kind: 'records'; records: ResourceRecord[] }
  | { kind: 'cname'; record: ResourceRecord & { type: 'CNAME' }; target: string }
  | { kind: 'nodata'; soa: ResourceRecord & { type: 'SOA' } }
  | { kind: 'nxdomain'; soa: ResourceRecord & { type: 'SOA' } };

export type RegistrarErrorCode = 'InvalidName' | 'InvalidType' | 'InvalidValue' | 'InvalidTtl' | 'InvalidZone' | 'Conflict' | 'Reserved' | 'NotFound';

export class RegistrarError extends Error {
  readonly code: RegistrarErrorCode;

  constructor(code: RegistrarErrorCode, message: string) {
    super(message);
    this.name = 'RegistrarError';
    this.code = code;
  }
}

const LABEL = /^(?:[a-z0-9_]|[a-z0-9_][a-z0-9_-]{0,61}[a-z0-9_])$/;

/** Lower-case, no trailing dot. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Validates a record owner name (a leading `*` label is a wildcard); returns it normalized. */
export function validateName(raw: string, what = 'name'): string {
  const name = normalizeName(raw);
  if (name.length === 0 || name.length > 253) throw new RegistrarError('InvalidName', `${what} "${raw}" is not a domain name`);
  const labels = name.split('.');
  if (labels.length < 2) throw new RegistrarError('InvalidName', `${what} "${raw}" needs at least two labels (e.g. example.com)`);
  labels.forEach((l, i) => {
    if (l === '*' && i === 0) return;
    if (!LABEL.test(l)) throw new RegistrarError('InvalidName', `${what} "${raw}" has an invalid label "${l}"`);
  });
  return name;
}

export function isWithin(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The registrable part of a name: its last two labels. */
export function registrablePart(name: string): string {
  return name.split('.').slice(-2).join('.');
}

function validateValues(type: RecordType, values: string[], name: string): string[] {
  if (values.length === 0) throw new RegistrarError('InvalidValue', `${type} ${name} needs at least one value`);
  switch (type) {
    case 'A':
      for (const v of values) if (!isIPv4(v)) throw new RegistrarError('InvalidValue', `"${v}" is not an IPv4 address`);
      return [...new Set(values)];
    case 'AAAA':
      for (const v of values) if (!isIPv6(v)) throw new RegistrarError('InvalidValue', `"${v}" is not an IPv6 address`);
      return [...new Set(values.map((v) => v.toLowerCase()))];
    case 'CNAME': {
      if (values.length !== 1) throw new RegistrarError('InvalidValue', `a CNAME has exactly one target, got ${values.length}`);
      const target = validateName(values[0] ?? '', 'CNAME target');
      if (target.startsWith('*')) throw new RegistrarError('InvalidValue', 'a CNAME target cannot be a wildcard');
      if (target === name) throw new RegistrarError('InvalidValue', `${name} cannot be a CNAME to itself`);
      return [target];
    }
    case 'TXT':
      for (const v of values) if (Buffer.byteLength(v) > 255) throw new RegistrarError('InvalidValue', `TXT strings are at most 255 bytes; split longer values into several strings`);
      return values;
  }
}

type RRSets = Map<RecordType, { ttl: number; values: string[] }>;

export interface RegistrarOptions {
  /** Domains the registrar refuses (the platform zone, which the control plane serves). */
  reserved?: string[];
  data?: RegistrarData;
}

export class Registrar {
  // zone -> owner name -> type -> rrset
  readonly #zones = new Map<string, Map<string, RRSets>>();
  #serial = 1;
  #reserved: string[];
  readonly #listeners = new Set<() => void>();

  constructor(options: RegistrarOptions = {}) {
    this.#reserved = (options.reserved ?? []).map(normalizeName);
    if (options.data) this.#load(options.data);
  }

  get serial(): number {
    return this.#serial;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #load(data: RegistrarData): void {
    if (data.format !== 'satusky-world-registrar/v1') throw new Error(`unsupported registrar data format "${String(data.format)}"`);
    this.#serial = Number(data.serial) || 1;
    for (const r of data.records) {
      const zone = this.#zone(r.zone, true);
      let sets = zone.get(r.name);
      if (!sets) zone.set(r.name, (sets = new Map()));
      sets.set(r.type, { ttl: r.ttl, values: [...r.values] });
    }
  }

  #zone(name: string, create: boolean): Map<string, RRSets> {
    let z = this.#zones.get(name);
    if (!z && create) this.#zones.set(name, (z = new Map()));
    if (!z) throw new RegistrarError('NotFound', `zone ${name} does not exist`);
    return z;
  }

  #changed(): void {
    this.#serial++;
    for (const l of this.#listeners) l();
  }

  /** Zone names, sorted. */
  zones(): string[] {
    return [...this.#zones.keys()].sort();
  }

  /** The deepest registrar zone containing `name`. */
  zoneOf(name: string): string | undefined {
    const n = normalizeName(name);
    let best: string | undefined;
    for (const z of this.#zones.keys()) if (isWithin(n, z) && (!best || z.length > best.length)) best = z;
    return best;
  }

  /** Creates or replaces the record set of `type` at `name`. */
  set(input: RecordInput): DnsRecord {
    const name = validateName(input.name);
    const type = input.type.toUpperCase();
    if (!(RECORD_TYPES as readonly string[]).includes(type)) throw new RegistrarError('InvalidType', `record type "${input.type}" is not supported (use ${RECORD_TYPES.join(', ')})`);
    const rtype = type as RecordType;
    const ttl = input.ttl ?? DEFAULT_TTL;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647) throw new RegistrarError('InvalidTtl', `ttl must be a whole number of seconds, got ${String(input.ttl)}`);
    const reserved = this.#reserved.find((r) => isWithin(name, r));
    if (reserved) throw new RegistrarError('Reserved', `${name} is in the platform zone ${reserved}, which the platform's DNS serves; the registrar cannot hold it`);
    const values = validateValues(rtype, input.values, name);
    let zoneName: string;
    if (input.zone !== undefined) {
      zoneName = validateName(input.zone, 'zone');
      if (zoneName.startsWith('*')) throw new RegistrarError('InvalidZone', 'a zone cannot be a wildcard');
      if (!isWithin(name, zoneName)) throw new RegistrarError('InvalidZone', `${name} is not inside zone ${zoneName}`);
      const reservedZone = this.#reserved.find((r) => isWithin(r, zoneName));
      if (reservedZone) throw new RegistrarError('Reserved', `zone ${zoneName} would contain the platform zone ${reservedZone}`);
      const current = this.zoneOf(name);
      if (current && current !== zoneName && current.length > zoneName.length) throw new RegistrarError('InvalidZone', `${name} belongs to the deeper zone ${current}`);
    } else {
      zoneName = this.zoneOf(name) ?? registrablePart(name.replace(/^\*\./, ''));
      const reservedZone = this.#reserved.find((r) => isWithin(r, zoneName));
      if (reservedZone && !this.#zones.has(zoneName)) {
        // The registrable part would swallow the platform zone: use the name's own parent instead.
        zoneName = name.split('.').slice(1).join('.');
        if (isWithin(reservedZone, zoneName)) throw new RegistrarError('Reserved', `${name} would share a zone with the platform zone ${reservedZone}; pass --zone`);
      }
    }
    if (rtype === 'CNAME' && name === zoneName) throw new RegistrarError('Conflict', `${name} is a zone apex; a CNAME cannot live there (use A/AAAA records)`);
    const existingZone = this.#zones.get(zoneName);
    const sets = existingZone?.get(name);
    if (sets) {
      if (rtype === 'CNAME' && [...sets.keys()].some((t) => t !== 'CNAME')) {
        throw new RegistrarError('Conflict', `${name} already has ${[...sets.keys()].join(', ')} records; a CNAME cannot coexist with other records`);
      }
      if (rtype !== 'CNAME' && sets.has('CNAME')) throw new RegistrarError('Conflict', `${name} is a CNAME; it cannot have ${rtype} records too`);
    }
    const zone = this.#zone(zoneName, true);
    // A new deeper zone takes over the names below it from its parent.
    if (!existingZone) {
      for (const [zn, z] of this.#zones) {
        if (zn === zoneName || !isWithin(zoneName, zn)) continue;
        for (const [owner, s] of [...z]) {
          if (isWithin(owner, zoneName)) {
            zone.set(owner, s);
            z.delete(owner);
          }
        }
        if (z.size === 0) this.#zones.delete(zn);
      }
    }
    let target = zone.get(name);
    if (!target) zone.set(name, (target = new Map()));
    target.set(rtype, { ttl, values });
    this.#changed();
    return { name, type: rtype, ttl, values: [...values], zone: zoneName };
  }

  /** Deletes the record sets at `name` (of `type` only when given); returns what was deleted. */
  delete(rawName: string, type?: string): DnsRecord[] {
    const name = normalizeName(rawName);
    const zoneName = this.zoneOf(name);
    const zone = zoneName ? this.#zones.get(zoneName) : undefined;
    const sets = zone?.get(name);
    const t = type?.toUpperCase();
    if (t !== undefined && !(RECORD_TYPES as readonly string[]).includes(t)) throw new RegistrarError('InvalidType', `record type "${type}" is not supported (use ${RECORD_TYPES.join(', ')})`);
    if (!zone || !zoneName || !sets || (t !== undefined && !sets.has(t as RecordType))) {
      throw new RegistrarError('NotFound', `no ${t ? `${t} ` : ''}records at ${name}`);
    }
    const deleted: DnsRecord[] = [];
    for (const [rt, s] of [...sets]) {
      if (t !== undefined && rt !== t) continue;
      deleted.push({ name, type: rt, ttl: s.ttl, values: [...s.values], zone: zoneName });
      sets.delete(rt);
    }
    if (sets.size === 0) zone.delete(name);
    if (zone.size === 0) this.#zones.delete(zoneName);
    this.#changed();
    return deleted;
  }

  /** Every record, sorted by zone, name, type. */
  list(filter: { zone?: string } = {}): DnsRecord[] {
    const out: DnsRecord[] = [];
    const only = filter.zone ? normalizeName(filter.zone) : undefined;
    for (const [zoneName, zone] of this.#zones) {
      if (only && zoneName !== only) continue;
      for (const [name, sets] of zone) for (const [type, s] of sets) out.push({ name, type, ttl: s.ttl, values: [...s.values], zone: zoneName });
    }
    const order = (t: RecordType): number => RECORD_TYPES.indexOf(t);
    return out.sort((a, b) => a.zone.localeCompare(b.zone) || a.name.localeCompare(b.name) || order(a.type) - order(b.type));
  }

  data(): RegistrarData {
    return { format: 'satusky-world-registrar/v1', serial: this.#serial, records: this.list() };
  }

  soa(zone: string): ResourceRecord & { type: 'SOA' } {
    return {
      name: zone,
      type: 'SOA',
      ttl: NEGATIVE_TTL,
      value: { primary: `ns1.${zone}`, admin: `hostmaster.${zone}`, serial: this.#serial, refresh: 3600, retry: 600, expiration: 604_800, minimum: NEGATIVE_TTL },
    };
  }

  /**
   * What the registrar's zones say about `name`/`qtype` (a type name: A, AAAA, CNAME, TXT, SOA,
   * ANY, or anything else, which only ever gets NODATA): the record set, a CNAME to follow,
   * NODATA or NXDOMAIN (with the zone's SOA), or "outside" when no zone contains the name.
   * Wildcards (`*.example.com`) answer for names that do not exist, per RFC 4592.
   */
  lookup(rawName: string, qtype: string): Lookup {
    const name = normalizeName(rawName);
    const zoneName = this.zoneOf(name);
    if (!zoneName) return { kind: 'outside' };
    const zone = this.#zones.get(zoneName) ?? new Map<string, RRSets>();
    const soa = this.soa(zoneName);
    const exists = (n: string): boolean => {
      if (n === zoneName || zone.has(n)) return true;
      for (const owner of zone.keys()) if (owner.endsWith(`.${n}`)) return true;
      return false;
    };
    let sets = zone.get(name);
    if (!sets) {
      if (exists(name)) {
        if (name === zoneName && (qtype === 'SOA' || qtype === 'ANY')) return { kind: 'records', records: [soa] };
        return { kind: 'nodata', soa };
      }
      // Closest encloser, then its wildcard.
      let ancestor = name;
      do ancestor = ancestor.slice(ancestor.indexOf('.') + 1);
      while (!exists(ancestor) && ancestor !== zoneName);
      sets = zone.get(`*.${ancestor}`);
      if (!sets) return { kind: 'nxdomain', soa };
    }
    const cname = sets.get('CNAME');
    if (cname && qtype !== 'CNAME') {
      const target = cname.values[0] ?? '';
      return { kind: 'cname', record: { name, type: 'CNAME', ttl: cname.ttl, value: target }, target };
    }
    const records: ResourceRecord[] = [];
    const add = (type: RecordType): void => {
      const s = sets.get(type);
      if (!s) return;
      if (type === 'TXT') records.push({ name, type, ttl: s.ttl, value: s.values });
      else for (const v of s.values) records.push({ name, type, ttl: s.ttl, value: v });
    };
    if (qtype === 'ANY') {
      if (name === zoneName) records.push(soa);
      for (const t of RECORD_TYPES) add(t);
    } else if (name === zoneName && qtype === 'SOA') records.push(soa);
    else if ((RECORD_TYPES as readonly string[]).includes(qtype)) add(qtype as RecordType);
    return records.length > 0 ? { kind: 'records', records } : { kind: 'nodata', soa };
  }
}
