// Watch streams (kube-sim-spec §7.8): headers flushed at once, one compact JSON event per line,
// synthetic ADDED for `resourceVersion` unset/0, replay from history for N, ERROR 410 Expired when
// N is older than the retained history, bookmarks on request, Table-shaped events for `get -w`.

import type { ServerResponse } from 'node:http';
import type { ApiStorage } from '../store/storage.ts';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from '../store/selectors.ts';
import type { EventType, KubeObject, StoreEvent, StoreWatcher } from '../store/store.ts';
import { dispatch } from '../store/store.ts';
import { jsonOf } from './http.ts';
import { apiVersionOf, type ResourceType } from './registry.ts';
import { table, type IncludeObject } from './table.ts';

export interface WatchRequest {
  rt: ResourceType;
  version: string;
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldRequirement[];
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number;
  table: { include: IncludeObject } | undefined;
  bookmarkIntervalMs: number;
}

const MAX_BUFFERED = 32 * 1024 * 1024;

export class WatchHub {
  readonly #active = new Set<(expired?: boolean) => void>();

  get count(): number {
    return this.#active.size;
  }

  /** Ends every open watch stream (cluster stop/restart). */
  closeAll(): void {
    for (const close of [...this.#active]) close();
  }

  /** Ends every open watch with an in-stream ERROR 410, as a compacting apiserver does. */
  expireAll(storage: ApiStorage): void {
    storage.store.compactHistory();
    for (const close of [...this.#active]) close(true);
  }

  serve(storage: ApiStorage, req: WatchRequest, res: ServerResponse, auditId: string, now: () => number): void {
    const { rt, version, namespace } = req;
    const apiVersion = apiVersionOf(rt.group, version);
    res.writeHead(200, {
      'Content-Type': req.table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
      'Audit-Id': auditId,
    });
    res.flushHeaders();

    let closed = false;
    let firstTable = true;
    const write = (line: string): void => {
      if (closed) return;
      res.write(line);
      if (res.writableLength > MAX_BUFFERED) close();
    };
    const frame = (type: EventType, object: KubeObject, event: StoreEvent | undefined): string => {
      if (req.table) {
        const t = table(rt, version, [storage.convert(rt, object, version)], req.table.include, now(), { resourceVersion: object.metadata.resourceVersion }, firstTable);
        firstTable = false;
        return `{"type":"${type}","object":${JSON.stringify(t)}}\n`;
      }
      let objJson: string | undefined;
      if (event) {
        event.frames ??= new Map();
        objJson = event.frames.get(apiVersion);
        if (objJson === undefined) {
          const converted = storage.convert(rt, object, version);
          objJson = converted === object ? jsonOf(object) : JSON.stringify(converted);
          event.frames.set(apiVersion, objJson);
        }
      } else {
        const converted = storage.convert(rt, object, version);
        objJson = converted === object ? jsonOf(object) : JSON.stringify(converted);
      }
      return `{"type":"${type}","object":${objJson}}\n`;
    };
    const watcher: StoreWatcher = {
      namespace: rt.namespaced ? namespace : undefined,
      match: (o) => (req.labels.length === 0 || matchesLabels(req.labels, o.metadata.labels)) && (req.fields.length === 0 || matchesFields(req.fields, o)),
      deliver: (type, object, event) => write(frame(type, object, event)),
    };
    const bookmark = (annotations?: Record<string, string>): void => {
      const meta: Record<string, unknown> = { resourceVersion: String(storage.store.resourceVersion) };
      if (annotations) meta.annotations = annotations;
      write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: rt.kind, apiVersion, metadata: meta } })}\n`);
    };
    const timers: NodeJS.Timeout[] = [];
    const close = (expired = false): void => {
      if (closed) return;
      if (expired) {
        const rv = storage.store.resourceVersion;
        res.write(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${rv} (${rv + 1})`, reason: 'Expired', code: 410 } })}\n`);
      }
      closed = true;
      storage.store.unwatch(rt, watcher);
      for (const t of timers) clearTimeout(t);
      this.#active.delete(close);
      res.end();
    };
    this.#active.add(close);
    res.on('close', () => close());

    const rvParam = req.resourceVersion;
    const fromRv = rvParam === undefined || rvParam === '' || rvParam === '0' || req.sendInitialEvents ? undefined : Number(rvParam);
    if (fromRv !== undefined && !Number.isFinite(fromRv)) {
      res.write(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `invalid resource version: ${rvParam}`, reason: 'BadRequest', code: 400 } })}\n`);
      close();
      return;
    }
    const registered = storage.store.watch(rt, watcher, fromRv);
    if ('tooOld' in registered) {
      const current = storage.store.resourceVersion;
      res.write(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${String(fromRv)} (${registered.tooOld > current ? current : registered.tooOld})`, reason: 'Expired', code: 410 } })}\n`,
      );
      close();
      return;
    }
    if (fromRv === undefined) {
      for (const o of storage.store.list(rt, rt.namespaced ? namespace : undefined)) {
        if (watcher.match(o)) write(frame('ADDED', o, undefined));
      }
      if (req.sendInitialEvents && req.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      for (const e of registered.replay) dispatch(watcher, e);
    }
    if (req.allowBookmarks) {
      const tick = (): void => {
        if (closed) return;
        bookmark();
        timers[0] = setTimeout(tick, req.bookmarkIntervalMs);
        timers[0].unref();
      };
      timers[0] = setTimeout(tick, req.bookmarkIntervalMs);
      timers[0].unref();
    }
    const timeout = setTimeout(() => {
      if (req.allowBookmarks) bookmark();
      close();
    }, req.timeoutSeconds * 1000);
    timeout.unref();
    timers.push(timeout);
  }
}
