// Helpers shared by the simulated controllers.

import type { KubeObject } from '../store/store.ts';
import { arr, isObject, obj, type JsonObject } from '../util/json.ts';
import { rfc3339 } from '../util/time.ts';

export interface Condition extends JsonObject {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/**
 * Returns `conditions` with `next` set, keeping `lastTransitionTime` when the status did not flip
 * (and the other fields when nothing changed at all), as controllers' SetCondition helpers do.
 */
export function setCondition(conditions: unknown, next: Condition, now: number, extra: { lastUpdateTime?: boolean; lastProbeTime?: boolean } = {}): Condition[] {
  const list = arr(conditions).filter(isObject) as Condition[];
  const idx = list.findIndex((c) => c.type === next.type);
  const prev = idx >= 0 ? list[idx] : undefined;
  const ts = rfc3339(now);
  const merged: Condition = { ...next };
  if (prev && prev.status === next.status) {
    merged.lastTransitionTime = prev.lastTransitionTime ?? ts;
    const same = prev.reason === next.reason && prev.message === next.message && prev.observedGeneration === next.observedGeneration;
    if (extra.lastUpdateTime) merged.lastUpdateTime = same ? (prev.lastUpdateTime ?? ts) : ts;
    if (extra.lastProbeTime) merged.lastProbeTime = prev.lastProbeTime ?? null;
  } else {
    merged.lastTransitionTime = ts;
    if (extra.lastUpdateTime) merged.lastUpdateTime = ts;
    if (extra.lastProbeTime) merged.lastProbeTime = null;
  }
  const ordered = orderCondition(merged);
  const out = [...list];
  if (idx >= 0) out[idx] = ordered;
  else out.push(ordered);
  return out;
}

function orderCondition(c: Condition): Condition {
  const keys = ['type', 'status', 'observedGeneration', 'lastProbeTime', 'lastUpdateTime', 'lastTransitionTime', 'reason', 'message'];
  const out: JsonObject = {};
  for (const k of keys) if (c[k] !== undefined) out[k] = c[k];
  for (const [k, v] of Object.entries(c)) if (out[k] === undefined && v !== undefined) out[k] = v;
  return out as Condition;
}

export function removeCondition(conditions: unknown, type: string): Condition[] {
  return (arr(conditions).filter(isObject) as Condition[]).filter((c) => c.type !== type);
}

export function getCondition(o: unknown, type: string): Condition | undefined {
  return (arr(obj(obj(o).status).conditions).filter(isObject) as Condition[]).find((c) => c.type === type);
}

export function controllerRef(o: KubeObject): JsonObject | undefined {
  return arr(o.metadata.ownerReferences)
    .filter(isObject)
    .find((r) => r.controller === true);
}

export function ownerRefTo(owner: KubeObject, blockOwnerDeletion = true): JsonObject {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion,
  };
}

/** `namespace/name` keys. */
export function nsKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

export function isPodReady(pod: KubeObject): boolean {
  return getCondition(pod, 'Ready')?.status === 'True';
}

export function isPodActive(pod: KubeObject): boolean {
  const phase = obj(pod.status).phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Resolves an int-or-percent against a total (surge rounds up, unavailable rounds down). */
export function intOrPercent(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.endsWith('%')) {
    const p = Number(value.slice(0, -1));
    const raw = (p * total) / 100;
    return roundUp ? Math.ceil(raw) : Math.floor(raw);
  }
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
}
