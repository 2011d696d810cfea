// The three non-apply patch algorithms (kube-sim-spec §7.5): RFC 6902 JSON patch, RFC 7386 merge
// patch and the strategic merge patch subset built-in kinds need (merge keys and directives).

import { ApiError, badRequest } from '../api/errors.ts';
import { clone, deepEqual, isObject, type JsonObject } from '../util/json.ts';
import type { SchemaNode } from './schema.ts';

function unprocessable(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

// ---------------------------------------------------------------- JSON patch (RFC 6902)

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(root: unknown, path: string[]): unknown {
  let cur = root;
  for (const p of path) {
    if (Array.isArray(cur)) {
      const i = Number(p);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) return undefined;
      cur = cur[i];
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, p)) return undefined;
      cur = cur[p];
    } else return undefined;
  }
  return cur;
}

function parentOf(root: unknown, path: string[], op: string): { parent: unknown; key: string } {
  if (path.length === 0) throw unprocessable(`${op} operation on the document root is not supported`);
  const parent = getAt(root, path.slice(0, -1));
  if (parent === undefined || (typeof parent !== 'object' && !Array.isArray(parent)) || parent === null) {
    throw unprocessable(`${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`);
  }
  return { parent, key: path[path.length - 1] ?? '' };
}

function addAt(root: unknown, path: string[], value: unknown, op: string): unknown {
  if (path.length === 0) return value;
  const { parent, key } = parentOf(root, path, op);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw unprocessable(`${op} operation does not apply: index out of bounds: ${key}`);
    parent.splice(i, 0, value);
  } else {
    (parent as JsonObject)[key] = value;
  }
  return root;
}

function removeAt(root: unknown, path: string[], op: string): unknown {
  const { parent, key } = parentOf(root, path, op);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw unprocessable(`${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`);
    return parent.splice(i, 1)[0];
  }
  const o = parent as JsonObject;
  if (!Object.hasOwn(o, key)) throw unprocessable(`${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`);
  const v = o[key];
  delete o[key];
  return v;
}

export function applyJsonPatch(target: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc: unknown = clone(target);
  for (const raw of patch) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest('invalid JSON patch operation');
    }
    const path = decodePointer(raw.path);
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, path, clone(raw.value), 'add');
        break;
      case 'remove':
        removeAt(doc, path, 'remove');
        break;
      case 'replace':
        if (getAt(doc, path) === undefined) {
          throw unprocessable(`replace operation does not apply: doc is missing key: /${path.join('/')}: missing value`);
        }
        if (path.length === 0) doc = clone(raw.value);
        else {
          removeAt(doc, path, 'replace');
          addAt(doc, path, clone(raw.value), 'replace');
        }
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw badRequest(`${raw.op} operation requires "from"`);
        const from = decodePointer(raw.from);
        const value = getAt(doc, from);
        if (value === undefined) throw unprocessable(`${raw.op} operation does not apply: doc is missing from path: ${raw.from}`);
        if (raw.op === 'move') removeAt(doc, from, 'move');
        doc = addAt(doc, path, clone(value), raw.op);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(doc, path), raw.value)) throw unprocessable(`testing value /${path.join('/')} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${raw.op}`);
    }
  }
  if (!isObject(doc)) throw unprocessable('the patched document is not an object');
  return doc;
}

// ---------------------------------------------------------------- merge patch (RFC 7386)

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

// ---------------------------------------------------------------- strategic merge patch

const DIRECTIVE = '$patch';

export function applyStrategicMergePatch(target: JsonObject, patch: unknown, node: SchemaNode): JsonObject {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  const out = smpMap(target, patch, node);
  return isObject(out) ? out : {};
}

function smpMap(target: unknown, patch: JsonObject, node: SchemaNode): unknown {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const copy = clone(patch);
    delete copy[DIRECTIVE];
    return stripDirectives(copy);
  }
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const retainKeys = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(v)) {
        out[field] = current.filter((x) => !v.some((d) => deepEqual(d, x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const child = node.field(k);
    if (Array.isArray(v)) {
      out[k] = smpList(out[k], v, child);
    } else if (isObject(v)) {
      if (child.atomic) {
        out[k] = stripDirectives(clone(v));
      } else {
        const merged = smpMap(out[k], v, child);
        if (merged === undefined) delete out[k];
        else out[k] = merged;
      }
    } else {
      out[k] = v;
    }
  }
  if (Array.isArray(retainKeys)) {
    for (const k of Object.keys(out)) if (!retainKeys.includes(k)) delete out[k];
  }
  return out;
}

function smpList(target: unknown, patch: unknown[], node: SchemaNode): unknown[] {
  const current = Array.isArray(target) ? target : [];
  // A `{$patch: replace}` element replaces the whole list with the other elements.
  if (patch.some((e) => isObject(e) && e[DIRECTIVE] === 'replace')) {
    return patch.filter((e) => !(isObject(e) && e[DIRECTIVE] === 'replace')).map((e) => stripDirectives(clone(e)));
  }
  const mergeKey = node.patchMergeKey;
  if (mergeKey) {
    const out = current.map((e) => e);
    for (const el of patch) {
      if (!isObject(el)) continue;
      const key = el[mergeKey];
      const idx = out.findIndex((e) => isObject(e) && deepEqual(e[mergeKey], key));
      if (el[DIRECTIVE] === 'delete') {
        if (idx >= 0) out.splice(idx, 1);
        continue;
      }
      if (idx >= 0) {
        out[idx] = smpMap(out[idx], el, node.items());
      } else {
        out.push(smpMap(undefined, el, node.items()));
      }
    }
    return out.filter((e) => e !== undefined);
  }
  if (node.patchStrategy === 'merge') {
    const out = [...current];
    for (const el of patch) if (!out.some((e) => deepEqual(e, el))) out.push(clone(el));
    return out;
  }
  return patch.map((e) => stripDirectives(clone(e)));
}

function stripDirectives<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const v of value) stripDirectives(v);
  } else if (isObject(value)) {
    for (const k of Object.keys(value)) {
      if (k.startsWith('$')) delete value[k];
      else stripDirectives(value[k]);
    }
  }
  return value;
}
