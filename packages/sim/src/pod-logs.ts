// Container logs of simulated pods: bounded in-memory buffers per container, `pods/log` with
// follow, tailLines, sinceSeconds, sinceTime, timestamps and limitBytes, and appends from the edge.

import type { ServerResponse } from 'node:http';
import { ApiError } from './api/errors.ts';
import type { KubeObject } from './store/store.ts';
import { arr, isObject, obj, str } from './util/json.ts';

export interface LogLine {
  time: number;
  text: string;
}

interface Buffer_ {
  lines: LogLine[];
  followers: Set<(line: LogLine | undefined) => void>;
}

const MAX_LINES = 5000;

function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export class PodLogs {
  readonly #buffers = new Map<string, Buffer_>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  #key(namespace: string, pod: string, container: string): string {
    return `${namespace}/${pod}/${container}`;
  }

  #buffer(key: string): Buffer_ {
    let b = this.#buffers.get(key);
    if (!b) this.#buffers.set(key, (b = { lines: [], followers: new Set() }));
    return b;
  }

  append(namespace: string, pod: string, container: string, text: string): void {
    const b = this.#buffer(this.#key(namespace, pod, container));
    for (const t of text.split('\n')) {
      const line = { time: this.#now(), text: t };
      b.lines.push(line);
      for (const f of b.followers) f(line);
    }
    if (b.lines.length > MAX_LINES * 1.2) b.lines = b.lines.slice(-MAX_LINES);
  }

  lines(namespace: string, pod: string, container: string): LogLine[] {
    return this.#buffers.get(this.#key(namespace, pod, container))?.lines ?? [];
  }

  /** Forgets a pod's logs and ends its followers (pod deleted). */
  drop(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const [k, b] of this.#buffers) {
      if (!k.startsWith(prefix)) continue;
      for (const f of b.followers) f(undefined);
      this.#buffers.delete(k);
    }
  }

  closeAll(): void {
    for (const b of this.#buffers.values()) for (const f of b.followers) f(undefined);
  }

  serve(pod: KubeObject, q: URLSearchParams, res: ServerResponse): void {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name;
    const containers = arr(obj(pod.spec).containers).filter(isObject);
    let container = q.get('container') ?? undefined;
    if (!container) {
      if (containers.length !== 1) {
        const names = containers.map((c) => String(c.name)).join(' ');
        throw new ApiError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names}]`);
      }
      container = String(containers[0]?.name);
    }
    if (!containers.some((c) => c.name === container)) {
      throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    }
    const cs = arr(obj(pod.status).containerStatuses).filter(isObject).find((c) => c.name === container);
    const waiting = obj(obj(cs?.state).waiting);
    const everStarted = cs !== undefined && (isObject(obj(cs.state).running) || isObject(obj(cs.state).terminated) || isObject(obj(cs.lastState).terminated));
    if (!everStarted) {
      const reason = str(waiting.reason) ?? 'ContainerCreating';
      const detail = reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
      throw new ApiError(400, 'BadRequest', `container "${container}" in pod "${name}" is waiting to start: ${detail}`);
    }
    const timestamps = q.get('timestamps') === 'true';
    const follow = q.get('follow') === 'true';
    const tail = q.get('tailLines');
    const since = q.get('sinceSeconds');
    const limitBytes = Number(q.get('limitBytes') ?? '0');
    const key = this.#key(ns, name, container);
    let lines = this.#buffer(key).lines;
    if (since) lines = lines.filter((l) => l.time >= this.#now() - Number(since) * 1000);
    const sinceTime = q.get('sinceTime');
    if (sinceTime) {
      const from = Date.parse(sinceTime);
      if (Number.isNaN(from)) throw new ApiError(400, 'BadRequest', `sinceTime: invalid RFC3339 time "${sinceTime}"`);
      lines = lines.filter((l) => l.time >= from);
    }
    if (tail !== null && tail !== '' && Number(tail) >= 0) lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
    const fmt = (l: LogLine): string => (timestamps ? `${rfc3339Nano(l.time)} ${l.text}\n` : `${l.text}\n`);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/plain');
    let body = lines.map(fmt).join('');
    if (limitBytes > 0) body = body.slice(0, limitBytes);
    if (!follow) {
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
      return;
    }
    res.setHeader('Transfer-Encoding', 'chunked');
    res.flushHeaders();
    if (body) res.write(body);
    const b = this.#buffer(key);
    const follower = (line: LogLine | undefined): void => {
      if (line === undefined) {
        b.followers.delete(follower);
        res.end();
        return;
      }
      res.write(fmt(line));
    };
    b.followers.add(follower);
    res.on('close', () => b.followers.delete(follower));
  }
}
