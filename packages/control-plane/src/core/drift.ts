import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.ts';
import type { KubeObject } from './render.ts';

export const APPLIED_HASH_ANNOTATION = 'satusky.com/applied-hash';

/** The object as applied: the desired object plus an annotation with the hash of its content. */
export function withAppliedHash(object: KubeObject): KubeObject {
  const hash = createHash('sha256').update(canonicalJson(object)).digest('hex').slice(0, 16);
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { ...(object.metadata.annotations ?? {}), [APPLIED_HASH_ANNOTATION]: hash } },
  };
}

/**
 * Every field of `desired` is present with the same value in `live` (fields the API server or
 * others added are ignored). Lists must match in length and element by element.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === null || typeof desired !== 'object') {
    if (typeof desired === 'number' && typeof live === 'string') return String(desired) === live;
    return desired === live;
  }
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => isSubset(d, live[i]));
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  return Object.entries(desired as Record<string, unknown>).every(([key, value]) =>
    value === undefined ? true : isSubset(value, (live as Record<string, unknown>)[key]),
  );
}

/**
 * Whether applying `desired` (already carrying its applied hash) would change `live`: the hash
 * annotation differs (our intent changed, e.g. a key was removed) or a field we set was changed by
 * someone else (drift). Plain JSON on both sides.
 */
export function needsApply(desired: KubeObject, live: unknown): boolean {
  if (!live) return true;
  const liveHash = (live as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  if (liveHash !== desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION]) return true;
  return !isSubset(desired, live) || extraDataKeys(desired, live).length > 0;
}

/** Kinds whose `data` is the whole of what they say: a key nobody rendered is drift, not an addition. */
const EXACT_DATA_KINDS = new Set(['ConfigMap', 'Secret']);

/**
 * Keys in a live ConfigMap's or Secret's `data` that the desired object does not have. The app
 * reads these objects whole (envFrom), so a key added by hand would become part of its
 * environment; server-side apply leaves such keys to the manager that added them.
 */
export function extraDataKeys(desired: KubeObject, live: unknown): string[] {
  if (!EXACT_DATA_KINDS.has(desired.kind)) return [];
  const wanted = (desired as { data?: Record<string, unknown> }).data ?? {};
  const found = (live as { data?: Record<string, unknown> } | null)?.data ?? {};
  return Object.keys(found).filter((key) => !Object.hasOwn(wanted, key)).sort();
}
