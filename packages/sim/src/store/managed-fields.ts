// Field ownership for server-side apply (kube-sim-spec §7.6): field sets in the FieldsV1 trie
// format, conflict detection, merging of applied configurations and removal of fields a manager
// stopped applying. Sets are Set<string> of member paths; a path is its elements joined by SEP.

import { ApiError } from '../api/errors.ts';
import { clone, deepEqual, isObject, type JsonObject } from '../util/json.ts';
import type { SchemaNode } from './schema.ts';

const SEP = '\u0001';

export type FieldSet = Set<string>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface ManagerSet {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
  /** The stored entry this set was parsed from; reused as is while the set is unchanged. */
  entry?: ManagedFieldsEntry;
  /** The set is the cached parse of `entry` (copy before changing it). */
  shared?: boolean;
  /** The set changed since parsing (the entry must be re-encoded). */
  dirty?: boolean;
}

/** Removes a path from a manager's set, copying a shared set first. */
function disown(m: ManagerSet, path: string): void {
  if (!m.set.has(path)) return;
  if (m.shared) {
    m.set = new Set(m.set);
    m.shared = false;
  }
  m.set.delete(path);
  m.dirty = true;
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  if (a.size !== b.size) return false;
  for (const p of a) if (!b.has(p)) return false;
  return true;
}

function keyJson(el: JsonObject, keys: readonly string[]): string {
  const parts = [...keys].sort().filter((k) => el[k] !== undefined).map((k) => `${JSON.stringify(k)}:${JSON.stringify(el[k])}`);
  return `{${parts.join(',')}}`;
}

function join(prefix: string, element: string): string {
  return prefix === '' ? element : prefix + SEP + element;
}

/** Collects every member path of `value` into `out`. */
function collect(value: unknown, node: SchemaNode, prefix: string, out: FieldSet): void {
  if (isObject(value) && !node.atomic) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) {
      if (prefix !== '') out.add(prefix);
      return;
    }
    for (const k of keys) collect(value[k], node.field(k), join(prefix, `f:${k}`), out);
    return;
  }
  if (Array.isArray(value) && node.listType === 'map' && value.every(isObject)) {
    if (value.length === 0) {
      out.add(prefix);
      return;
    }
    const items = node.items();
    for (const el of value) {
      const ep = join(prefix, `k:${keyJson(el, node.listKeys)}`);
      out.add(ep);
      for (const k of Object.keys(el)) if (el[k] !== undefined) collect(el[k], items.field(k), join(ep, `f:${k}`), out);
    }
    return;
  }
  if (Array.isArray(value) && node.listType === 'set') {
    if (value.length === 0) {
      out.add(prefix);
      return;
    }
    for (const el of value) out.add(join(prefix, `v:${JSON.stringify(el)}`));
    return;
  }
  if (prefix !== '') out.add(prefix);
}

const IGNORED_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** What part of an object a write may own: the main resource (no status) or the status. */
export type Scope = 'main' | 'status' | 'all';

function scoped(object: JsonObject, scope: Scope): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(object)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (scope === 'main' && k === 'status') continue;
    if (scope === 'status' && k !== 'status') continue;
    if (k === 'metadata' && isObject(v)) {
      const meta: JsonObject = {};
      for (const [mk, mv] of Object.entries(v)) if (!IGNORED_METADATA.has(mk)) meta[mk] = mv;
      if (Object.keys(meta).length > 0) out.metadata = meta;
      continue;
    }
    out[k] = v;
  }
  return out;
}

export function fieldSetOf(object: JsonObject, root: SchemaNode, scope: Scope): FieldSet {
  const out: FieldSet = new Set();
  const s = scoped(object, scope);
  for (const k of Object.keys(s)) collect(s[k], root.field(k), `f:${k}`, out);
  return out;
}

/** The member paths that differ between two objects (added or changed in `after`, removed from `before`). */
export function diffFieldSets(
  before: JsonObject,
  after: JsonObject,
  root: SchemaNode,
  scope: Scope,
): { changed: FieldSet; removed: FieldSet } {
  const changed: FieldSet = new Set();
  const removed: FieldSet = new Set();
  walkDiff(scoped(before, scope), scoped(after, scope), root, '', changed, removed);
  return { changed, removed };
}

function walkDiff(a: unknown, b: unknown, node: SchemaNode, prefix: string, changed: FieldSet, removed: FieldSet): void {
  if (isObject(a) && isObject(b) && !node.atomic) {
    const bKeys = Object.keys(b).filter((k) => b[k] !== undefined);
    for (const k of bKeys) {
      const p = join(prefix, `f:${k}`);
      if (a[k] === undefined) collect(b[k], node.field(k), p, changed);
      else walkDiff(a[k], b[k], node.field(k), p, changed, removed);
    }
    for (const k of Object.keys(a)) {
      if (a[k] !== undefined && b[k] === undefined) collect(a[k], node.field(k), join(prefix, `f:${k}`), removed);
    }
    if (bKeys.length === 0 && Object.keys(a).length > 0 && prefix !== '') changed.add(prefix);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && node.listType === 'map' && a.every(isObject) && b.every(isObject)) {
    const items = node.items();
    const old = new Map<string, JsonObject>();
    for (const el of a) old.set(keyJson(el, node.listKeys), el);
    const seen = new Set<string>();
    for (const el of b) {
      const k = keyJson(el, node.listKeys);
      seen.add(k);
      const ep = join(prefix, `k:${k}`);
      const prev = old.get(k);
      if (prev === undefined) {
        changed.add(ep);
        for (const f of Object.keys(el)) if (el[f] !== undefined) collect(el[f], items.field(f), join(ep, `f:${f}`), changed);
      } else {
        walkDiff(prev, el, items, ep, changed, removed);
      }
    }
    for (const [k, el] of old) {
      if (seen.has(k)) continue;
      const ep = join(prefix, `k:${k}`);
      removed.add(ep);
      for (const f of Object.keys(el)) if (el[f] !== undefined) collect(el[f], items.field(f), join(ep, `f:${f}`), removed);
    }
    if (b.length === 0 && a.length > 0) changed.add(prefix);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && node.listType === 'set') {
    const as = new Set(a.map((x) => JSON.stringify(x)));
    const bs = new Set(b.map((x) => JSON.stringify(x)));
    for (const v of bs) if (!as.has(v)) changed.add(join(prefix, `v:${v}`));
    for (const v of as) if (!bs.has(v)) removed.add(join(prefix, `v:${v}`));
    return;
  }
  if (!deepEqual(a, b)) {
    if (isObject(b) || Array.isArray(b)) collect(b, node, prefix, changed);
    else changed.add(prefix);
    if ((isObject(a) && !node.atomic) || (Array.isArray(a) && node.listType !== 'atomic')) {
      const olds: FieldSet = new Set();
      collect(a, node, prefix, olds);
      const news: FieldSet = new Set();
      collect(b, node, prefix, news);
      for (const p of olds) if (!news.has(p)) removed.add(p);
    }
  }
}


// ---------------------------------------------------------------- FieldsV1 trie <-> set

interface TrieNode {
  member: boolean;
  children: Map<string, TrieNode>;
}

export function setToFieldsV1(set: FieldSet): JsonObject {
  const root: TrieNode = { member: false, children: new Map() };
  for (const path of set) {
    let cur = root;
    for (const el of path.split(SEP)) {
      let next = cur.children.get(el);
      if (!next) cur.children.set(el, (next = { member: false, children: new Map() }));
      cur = next;
    }
    cur.member = true;
  }
  return serializeTrie(root);
}

function serializeTrie(node: TrieNode): JsonObject {
  const out: JsonObject = {};
  if (node.member && node.children.size > 0) out['.'] = {};
  const keys = [...node.children.keys()].sort();
  for (const k of keys) out[k] = serializeTrie(node.children.get(k) as TrieNode);
  return out;
}

export function fieldsV1ToSet(fields: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, prefix: string): void => {
    if (!isObject(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '.') {
        if (prefix !== '') out.add(prefix);
        continue;
      }
      const p = join(prefix, k);
      if (isObject(v) && Object.keys(v).length === 0) out.add(p);
      else walk(v, p);
    }
  };
  walk(fields, '');
  return out;
}

// Stored managedFields are immutable, so the parse of each FieldsV1 trie is cached by identity.
const parsed = new WeakMap<object, FieldSet>();

export function parseManagedFields(entries: unknown): ManagerSet[] {
  if (!Array.isArray(entries)) return [];
  const out: ManagerSet[] = [];
  for (const e of entries) {
    if (!isObject(e) || typeof e.manager !== 'string') continue;
    let set = isObject(e.fieldsV1) ? parsed.get(e.fieldsV1) : undefined;
    if (!set) {
      set = fieldsV1ToSet(e.fieldsV1);
      if (isObject(e.fieldsV1)) parsed.set(e.fieldsV1, set);
    }
    const m: ManagerSet = {
      manager: e.manager,
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      set,
      entry: e as unknown as ManagedFieldsEntry,
      shared: true,
    };
    if (typeof e.time === 'string') m.time = e.time;
    if (typeof e.subresource === 'string' && e.subresource !== '') m.subresource = e.subresource;
    out.push(m);
  }
  return out;
}

export function encodeManagedFields(managers: ManagerSet[]): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const m of managers) {
    if (m.set.size === 0) continue;
    if (m.entry && !m.dirty) {
      // Unchanged set: keep the stored entry, or only refresh its time/apiVersion.
      out.push(m.entry.time === m.time && m.entry.apiVersion === m.apiVersion ? m.entry : { ...m.entry, apiVersion: m.apiVersion, ...(m.time ? { time: m.time } : {}) });
      continue;
    }
    const e: ManagedFieldsEntry = {
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: setToFieldsV1(m.set),
    };
    if (m.subresource) e.subresource = m.subresource;
    out.push(e);
  }
  return out;
}

function sameIdentity(m: ManagerSet, manager: string, operation: 'Apply' | 'Update', subresource: string | undefined): boolean {
  return m.manager === manager && m.operation === operation && (m.subresource ?? '') === (subresource ?? '');
}

// ---------------------------------------------------------------- path navigation

function parseElement(el: string): { type: 'f' | 'k' | 'v'; value: string } {
  return { type: el[0] as 'f' | 'k' | 'v', value: el.slice(2) };
}

function matchesKey(el: unknown, keyJsonText: string): boolean {
  if (!isObject(el)) return false;
  const key = JSON.parse(keyJsonText) as JsonObject;
  for (const [k, v] of Object.entries(key)) if (!deepEqual(el[k], v)) return false;
  return true;
}

/** Reads the value at a member path (undefined when absent). */
export function valueAtPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const raw of path.split(SEP)) {
    const { type, value } = parseElement(raw);
    if (type === 'f') cur = isObject(cur) ? cur[value] : undefined;
    else if (type === 'k') cur = Array.isArray(cur) ? cur.find((e) => matchesKey(e, value)) : undefined;
    else {
      const v: unknown = JSON.parse(value);
      cur = Array.isArray(cur) && cur.some((e) => deepEqual(e, v)) ? v : undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes the field or list element at a member path, in place. */
function removeAtPath(root: JsonObject, path: string): void {
  const els = path.split(SEP);
  let cur: unknown = root;
  for (let i = 0; i < els.length; i++) {
    const { type, value } = parseElement(els[i] as string);
    const last = i === els.length - 1;
    if (type === 'f') {
      if (!isObject(cur)) return;
      if (last) {
        delete cur[value];
        return;
      }
      cur = cur[value];
    } else if (type === 'k') {
      if (!Array.isArray(cur)) return;
      const idx = cur.findIndex((e) => matchesKey(e, value));
      if (idx < 0) return;
      if (last) {
        cur.splice(idx, 1);
        return;
      }
      cur = cur[idx];
    } else {
      if (!Array.isArray(cur)) return;
      const v: unknown = JSON.parse(value);
      const idx = cur.findIndex((e) => deepEqual(e, v));
      if (idx >= 0 && last) cur.splice(idx, 1);
      return;
    }
  }
}

/** A key field of an associative-list element (`k:{"name":"x"}` → `f:name`): never removed alone. */
function isKeyField(path: string): boolean {
  const els = path.split(SEP);
  const last = els[els.length - 1] ?? '';
  const parent = els[els.length - 2] ?? '';
  if (!last.startsWith('f:') || !parent.startsWith('k:')) return false;
  const key = JSON.parse(parent.slice(2)) as JsonObject;
  return Object.hasOwn(key, last.slice(2));
}

/** `.spec.template.spec.containers[name="nginx"].image`, as structured-merge-diff prints paths. */
export function formatPath(path: string): string {
  let out = '';
  for (const raw of path.split(SEP)) {
    const { type, value } = parseElement(raw);
    if (type === 'f') out += `.${value}`;
    else if (type === 'k') {
      const key = JSON.parse(value) as JsonObject;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else out += `[=${value}]`;
  }
  return out;
}

// ---------------------------------------------------------------- merging applied configurations

/** Merges an applied configuration into the live object: maps merge, associative lists merge by key. */
export function mergeApplied(live: unknown, applied: unknown, node: SchemaNode): unknown {
  if (isObject(applied) && isObject(live) && !node.atomic) {
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) {
      if (v === undefined) continue;
      if (v === null) {
        delete out[k];
        continue;
      }
      out[k] = mergeApplied(live[k], v, node.field(k));
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live) && node.listType === 'map' && applied.every(isObject)) {
    const out = [...live];
    for (const el of applied) {
      const key = keyJson(el, node.listKeys);
      const idx = out.findIndex((e) => isObject(e) && keyJson(e, node.listKeys) === key);
      if (idx >= 0) out[idx] = mergeApplied(out[idx], el, node.items());
      else out.push(clone(el));
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live) && node.listType === 'set') {
    const out = [...live];
    for (const el of applied) if (!out.some((e) => deepEqual(e, el))) out.push(clone(el));
    return out;
  }
  return clone(applied);
}

// ---------------------------------------------------------------- the two write paths

export interface ApplyInput {
  live: JsonObject | undefined;
  applied: JsonObject;
  root: SchemaNode;
  manager: string;
  apiVersion: string;
  force: boolean;
  subresource: string | undefined;
  scope: Scope;
  now: string;
}

/**
 * Server-side apply: returns the merged object (with managedFields) or throws a 409 with the
 * conflicts. `live` is the current object; undefined means the object is being created.
 */
export function serverSideApply(input: ApplyInput): JsonObject {
  const { applied, root, manager, apiVersion, force, subresource, now, scope } = input;
  const live = input.live ?? {};
  const newSet = fieldSetOf(applied, root, scope);
  const managers = parseManagedFields(obj(live.metadata).managedFields);
  const mine = managers.find((m) => sameIdentity(m, manager, 'Apply', subresource));
  const others = managers.filter((m) => m !== mine);

  // Conflicts: leaf fields another manager owns whose applied value differs from the live one.
  const conflicts: { manager: ManagerSet; path: string }[] = [];
  for (const other of others) {
    for (const p of newSet) {
      if (!other.set.has(p)) continue;
      const last = p.slice(p.lastIndexOf(SEP) + 1);
      if (last.startsWith('k:') || last.startsWith('v:')) continue;
      if (!deepEqual(valueAtPath(applied, p), valueAtPath(live, p))) conflicts.push({ manager: other, path: p });
    }
  }
  if (conflicts.length > 0) {
    if (!force) throw conflictError(conflicts, input);
    for (const c of conflicts) disown(c.manager, c.path);
  }

  let merged = mergeApplied(live, stripMeta(applied), root) as JsonObject;

  // Removal: fields this manager applied before, no longer applies, and nobody else owns.
  if (mine) {
    const removedPaths = [...mine.set].filter((p) => !newSet.has(p));
    if (removedPaths.length > 0) {
      merged = clone(merged);
      // Shallowest first: a list element goes as a whole, its fields with it.
      removedPaths.sort((a, b) => a.split(SEP).length - b.split(SEP).length);
      for (const p of removedPaths) {
        if (isKeyField(p)) continue;
        const ownedElsewhere = others.some((o) => o.set.has(p) || [...o.set].some((q) => q.startsWith(p + SEP)));
        if (ownedElsewhere) continue;
        if (newSet.has(p) || [...newSet].some((q) => q.startsWith(p + SEP))) continue;
        removeAtPath(merged, p);
      }
    }
  }

  const entry: ManagerSet = { manager, operation: 'Apply', apiVersion, time: now, set: newSet };
  if (subresource) entry.subresource = subresource;
  if (mine?.entry && sameSet(mine.set, newSet)) {
    entry.entry = mine.entry;
    entry.set = mine.set;
  }
  const nextManagers = mine ? managers.map((m) => (m === mine ? entry : m)) : [...managers, entry];
  const meta = { ...obj(merged.metadata), managedFields: encodeManagedFields(nextManagers) };
  return { ...merged, metadata: meta };
}

function stripMeta(applied: JsonObject): JsonObject {
  const meta = obj(applied.metadata);
  const clean: JsonObject = {};
  for (const [k, v] of Object.entries(meta)) if (!IGNORED_METADATA.has(k) || k === 'name' || k === 'namespace') clean[k] = v;
  return { ...applied, metadata: clean };
}

function obj(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

function managerLabel(m: ManagerSet): string {
  return m.operation === 'Update' ? `"${m.manager}" using ${m.apiVersion}` : `"${m.manager}"`;
}

function conflictError(conflicts: { manager: ManagerSet; path: string }[], input: ApplyInput): ApiError {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const label = managerLabel(c.manager);
    const list = byManager.get(label) ?? [];
    list.push(formatPath(c.path));
    byManager.set(label, list);
  }
  let body: string;
  const first = conflicts[0] as { manager: ManagerSet; path: string };
  if (conflicts.length === 1) {
    body = `conflict with ${managerLabel(first.manager)}: ${formatPath(first.path)}`;
  } else if (byManager.size === 1) {
    const [label, paths] = [...byManager.entries()][0] as [string, string[]];
    body = `conflicts with ${label}:${paths.map((p) => `\n- ${p}`).join('')}`;
  } else {
    body = `conflicts with${[...byManager.entries()].map(([label, paths]) => `\n${label}:${paths.map((p) => `\n- ${p}`).join('')}`).join('')}`;
  }
  const n = conflicts.length;
  const message = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${body}`;
  const meta = obj(input.applied.metadata);
  return new ApiError(409, 'Conflict', message, {
    ...(typeof meta.name === 'string' ? { name: meta.name } : {}),
    causes: conflicts.map((c) => ({
      type: 'FieldManagerConflict',
      message: `conflict with ${managerLabel(c.manager)}`,
      field: formatPath(c.path),
    })),
  });
}

export interface UpdateInput {
  before: JsonObject | undefined;
  after: JsonObject;
  root: SchemaNode;
  manager: string;
  apiVersion: string;
  subresource: string | undefined;
  scope: Scope;
  now: string;
}

/**
 * Records an `Update` entry for a non-apply write (create, update, patch): the manager takes the
 * changed fields, other managers lose them. Returns the managedFields to store.
 */
export function recordUpdate(input: UpdateInput, managers: ManagerSet[]): ManagedFieldsEntry[] {
  const { before, after, root, manager, apiVersion, subresource, now, scope } = input;
  let changed: FieldSet;
  let removed: FieldSet;
  if (before) ({ changed, removed } = diffFieldSets(before, after, root, scope));
  else {
    changed = fieldSetOf(after, root, scope);
    removed = new Set();
  }
  if (changed.size === 0 && removed.size === 0) return encodeManagedFields(managers);
  let mine = managers.find((m) => sameIdentity(m, manager, 'Update', subresource));
  for (const m of managers) {
    if (m === mine) continue;
    for (const p of changed) disown(m, p);
    for (const p of removed) disown(m, p);
  }
  if (!mine) {
    mine = { manager, operation: 'Update', apiVersion, set: new Set() };
    if (subresource) mine.subresource = subresource;
    managers.push(mine);
  }
  for (const p of removed) disown(mine, p);
  for (const p of changed) {
    if (mine.set.has(p)) continue;
    if (mine.shared) {
      mine.set = new Set(mine.set);
      mine.shared = false;
    }
    mine.set.add(p);
    mine.dirty = true;
  }
  mine.time = now;
  mine.apiVersion = apiVersion;
  return encodeManagedFields(managers);
}
