// Label and field selectors (kube-sim-spec §7.1).

import { badRequest } from '../api/errors.ts';
import { isObject, text, type JsonObject } from '../util/json.ts';

export type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelSelector = Requirement[];

/** Parses the string form: `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  const src = (text ?? '').trim();
  if (src === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of src) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((raw) => {
    const p = raw.trim();
    let m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p);
    if (m) {
      return {
        op: m[2] as 'in' | 'notin',
        key: m[1] ?? '',
        values: (m[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== ''),
      };
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p);
    if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1] ?? '', value: m[3] ?? '' };
    m = /^!\s*(\S+)$/.exec(p);
    if (m) return { op: 'notexists', key: m[1] ?? '' };
    if (/^[A-Za-z0-9._/-]+$/.test(p)) return { op: 'exists', key: p };
    throw badRequest(`unable to parse requirement: found '${p}', expected: identifier`);
  });
}

/** Converts a metav1.LabelSelector object (matchLabels + matchExpressions). */
export function selectorFromObject(sel: unknown): LabelSelector | undefined {
  if (!isObject(sel)) return undefined;
  const out: LabelSelector = [];
  if (isObject(sel.matchLabels)) {
    for (const [k, v] of Object.entries(sel.matchLabels)) out.push({ op: 'eq', key: k, value: String(v) });
  }
  if (Array.isArray(sel.matchExpressions)) {
    for (const e of sel.matchExpressions) {
      if (!isObject(e) || typeof e.key !== 'string') continue;
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      switch (e.operator) {
        case 'In':
          out.push({ op: 'in', key: e.key, values });
          break;
        case 'NotIn':
          out.push({ op: 'notin', key: e.key, values });
          break;
        case 'Exists':
          out.push({ op: 'exists', key: e.key });
          break;
        case 'DoesNotExist':
          out.push({ op: 'notexists', key: e.key });
          break;
        default:
          break;
      }
    }
  }
  return out;
}

/** A plain map selector (Service.spec.selector). */
export function selectorFromMap(map: unknown): LabelSelector {
  if (!isObject(map)) return [];
  return Object.entries(map).map(([k, v]) => ({ op: 'eq' as const, key: k, value: String(v) }));
}

export function matchesLabels(selector: LabelSelector, labels: unknown): boolean {
  const l = isObject(labels) ? labels : {};
  for (const r of selector) {
    const v = l[r.key];
    const has = typeof v === 'string';
    switch (r.op) {
      case 'eq':
        if (v !== r.value) return false;
        break;
      case 'neq':
        if (v === r.value) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** `app=web,tier in (a,b)` — the string form of a selector, as the scale subresource reports it. */
export function formatSelector(selector: LabelSelector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case 'eq':
          return `${r.key}=${r.value}`;
        case 'neq':
          return `${r.key}!=${r.value}`;
        case 'in':
          return `${r.key} in (${r.values.join(',')})`;
        case 'notin':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
      }
      return '';
    })
    .join(',');
}

// ---------------------------------------------------------------- field selectors

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

const FIELDS: Record<string, (o: JsonObject) => unknown> = {
  'metadata.name': (o) => meta(o).name,
  'metadata.namespace': (o) => meta(o).namespace,
};

function meta(o: JsonObject): JsonObject {
  return isObject(o.metadata) ? o.metadata : {};
}

function at(o: JsonObject, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.split('.')) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}

const KIND_FIELDS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'status.phase', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.podIP', 'status.nominatedNodeName', 'spec.hostNetwork'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'type',
    'source',
    'reportingComponent',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
  ReplicaSet: ['status.replicas'],
  Service: ['spec.clusterIP', 'spec.type'],
  PersistentVolumeClaim: [],
};

export function parseFieldSelector(text: string | null | undefined, kind: string, builtin: boolean): FieldRequirement[] {
  const src = (text ?? '').trim();
  if (src === '') return [];
  const allowed = new Set(builtin ? (KIND_FIELDS[kind] ?? []) : []);
  return src.split(',').map((raw) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(raw.trim());
    if (!m) throw badRequest(`invalid selector: '${raw}'; can't understand '${raw}'`);
    const field = (m[1] ?? '').trim();
    if (!FIELDS[field] && !allowed.has(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    return { field, op: m[2] === '!=' ? 'neq' : 'eq', value: (m[3] ?? '').trim() };
  });
}

export function matchesFields(reqs: FieldRequirement[], o: JsonObject): boolean {
  for (const r of reqs) {
    const getter = FIELDS[r.field];
    let v: unknown;
    if (getter) v = getter(o);
    else if (r.field === 'source') v = at(o, 'source.component');
    else v = at(o, r.field);
    const s = v === undefined || v === null ? '' : text(v);
    if ((r.op === 'eq') !== (s === r.value)) return false;
  }
  return true;
}
