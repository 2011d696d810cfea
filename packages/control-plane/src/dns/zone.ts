/**
 * Authoritative answers for one DNS zone. Pure: `answerQuery` takes the zone's records and a
 * question and answers what an authoritative server must — the records, a CNAME (followed inside
 * the zone), NODATA (the name exists, the type does not) or NXDOMAIN (the name does not exist), with
 * the SOA in the authority section for negative answers, and REFUSED outside the zone.
 */
export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'NS' | 'SOA';

export interface ZoneRecord {
  name: string;
  type: Exclude<RecordType, 'SOA'>;
  value: string;
  ttl: number;
}

export interface ZoneData {
  origin: string;
  serial: number;
  /** The primary name server (SOA MNAME) and the zone's contact (SOA RNAME). */
  primaryNs: string;
  admin: string;
  /** TTL of negative answers (SOA minimum). */
  negativeTtl: number;
  records: readonly ZoneRecord[];
}

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED';

export interface Answer {
  rcode: Rcode;
  answers: AnswerRecord[];
  authority: AnswerRecord[];
}

export type AnswerRecord = (ZoneRecord | { name: string; type: 'SOA'; ttl: number; soa: SoaData }) & { name: string };

export interface SoaData {
  primary: string;
  admin: string;
  serial: number;
  refresh: number;
  retry: number;
  expiration: number;
  minimum: number;
}

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export function inZone(name: string, origin: string): boolean {
  const n = normalizeName(name);
  const o = normalizeName(origin);
  return n === o || n.endsWith(`.${o}`);
}

function soaRecord(zone: ZoneData): AnswerRecord {
  return {
    name: normalizeName(zone.origin),
    type: 'SOA',
    ttl: zone.negativeTtl,
    soa: { primary: zone.primaryNs, admin: zone.admin, serial: zone.serial, refresh: 60, retry: 30, expiration: 86_400, minimum: zone.negativeTtl },
  };
}

/** An index of a zone's records by name, built once per zone version. */
export class ZoneIndex {
  readonly zone: ZoneData;
  readonly #byName = new Map<string, ZoneRecord[]>();
  readonly #names = new Set<string>();

  constructor(zone: ZoneData) {
    this.zone = zone;
    const origin = normalizeName(zone.origin);
    for (const record of zone.records) {
      const name = normalizeName(record.name);
      const list = this.#byName.get(name) ?? [];
      list.push({ ...record, name });
      this.#byName.set(name, list);
      // Every ancestor up to the origin exists (an empty non-terminal answers NODATA, not NXDOMAIN).
      for (let n = name; n !== origin && n.includes('.'); n = n.slice(n.indexOf('.') + 1)) this.#names.add(n);
    }
    this.#names.add(origin);
  }

  records(name: string): ZoneRecord[] {
    return this.#byName.get(normalizeName(name)) ?? [];
  }

  exists(name: string): boolean {
    return this.#names.has(normalizeName(name));
  }
}

export function answerQuery(index: ZoneIndex, name: string, type: RecordType): Answer {
  const zone = index.zone;
  if (!inZone(name, zone.origin)) return { rcode: 'REFUSED', answers: [], authority: [] };
  const origin = normalizeName(zone.origin);
  const answers: AnswerRecord[] = [];
  let current = normalizeName(name);
  for (let hops = 0; hops < 8; hops += 1) {
    if (type === 'SOA' && current === origin) return { rcode: 'NOERROR', answers: [...answers, soaRecord(zone)], authority: [] };
    const records = index.records(current);
    const exact = records.filter((r) => r.type === type);
    if (exact.length > 0) return { rcode: 'NOERROR', answers: [...answers, ...exact], authority: [] };
    const cname = records.find((r) => r.type === 'CNAME');
    if (cname && type !== 'CNAME') {
      answers.push(cname);
      const target = normalizeName(cname.value);
      // A target outside the zone is the resolver's to follow.
      if (!inZone(target, origin)) return { rcode: 'NOERROR', answers, authority: [] };
      current = target;
      continue;
    }
    if (!index.exists(current)) return { rcode: 'NXDOMAIN', answers, authority: [soaRecord(zone)] };
    return { rcode: 'NOERROR', answers, authority: [soaRecord(zone)] };
  }
  return { rcode: 'NOERROR', answers, authority: [soaRecord(zone)] };
}
