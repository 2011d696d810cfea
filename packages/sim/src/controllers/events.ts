// Records core/v1 Events for simulated controllers (kube-sim-spec §12.14), deduplicating repeats
// by bumping `count` and `lastTimestamp`, and expiring old events like the apiserver's event TTL.

import type { ResourceType } from '../api/registry.ts';
import type { ApiStorage } from '../store/storage.ts';
import type { KubeObject } from '../store/store.ts';
import { hex } from '../util/names.ts';
import { rfc3339, rfc3339Micro } from '../util/time.ts';
import { text } from '../util/json.ts';

export interface EventRecorderOptions {
  storage: ApiStorage;
  eventsRt: () => ResourceType;
  now: () => number;
  enabled: boolean;
  nodeName?: string;
}

export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #recent = new Map<string, string>();

  constructor(options: EventRecorderOptions) {
    this.#o = options;
  }

  record(
    involved: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    extra: { fieldPath?: string; host?: string } = {},
  ): void {
    if (!this.#o.enabled) return;
    const ns = involved.metadata.namespace ?? 'default';
    const rt = this.#o.eventsRt();
    const key = `${involved.metadata.uid}|${type}|${reason}|${message}|${extra.fieldPath ?? ''}`;
    const now = this.#o.now();
    const ts = rfc3339(now);
    const existing = this.#recent.get(key);
    if (existing) {
      const updated = this.#o.storage.mutate(
        rt,
        ns,
        existing,
        (e) => {
          e.count = (typeof e.count === 'number' ? e.count : 1) + 1;
          e.lastTimestamp = ts;
        },
        { fieldManager: component },
      );
      if (updated) return;
      this.#recent.delete(key);
    }
    const name = `${involved.metadata.name}.${hex(16)}`;
    const involvedObject: Record<string, unknown> = {
      kind: involved.kind,
      namespace: involved.metadata.namespace,
      name: involved.metadata.name,
      uid: involved.metadata.uid,
      apiVersion: involved.apiVersion,
      resourceVersion: involved.metadata.resourceVersion,
    };
    if (extra.fieldPath) involvedObject.fieldPath = extra.fieldPath;
    try {
      this.#o.storage.create(
        rt,
        ns,
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace: ns },
          involvedObject,
          reason,
          message,
          source: { component, ...(extra.host ? { host: extra.host } : {}) },
          firstTimestamp: ts,
          lastTimestamp: ts,
          count: 1,
          type,
          eventTime: null,
          reportingComponent: component,
          reportingInstance: extra.host ?? '',
        },
        { internal: true, fieldManager: component },
      );
      this.#recent.set(key, name);
      if (this.#recent.size > 50_000) {
        const first = this.#recent.keys().next();
        if (!first.done) this.#recent.delete(first.value);
      }
    } catch {
      // Events are best effort (namespace terminating, ...), as in a real cluster.
    }
  }

  /** Deletes events older than `ttlMs`. */
  expire(ttlMs: number): void {
    const rt = this.#o.eventsRt();
    const cutoff = this.#o.now() - ttlMs;
    for (const e of [...this.#o.storage.store.iterate(rt)]) {
      const last = Date.parse(text(e.lastTimestamp ?? e.metadata.creationTimestamp ?? ''));
      if (Number.isFinite(last) && last < cutoff) {
        try {
          this.#o.storage.delete(rt, e.metadata.namespace ?? '', e.metadata.name);
        } catch {
          // already gone
        }
      }
    }
  }
}

export { rfc3339Micro };
