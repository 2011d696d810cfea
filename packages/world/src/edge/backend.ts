// What a simulated pod answers, and which pods may answer (pure).

import type { KubeObject } from '@satusky/sim';
import { arr, isObject, obj, str } from '../util/json.ts';

/**
 * Names of the ready pods behind a Service, sorted: from its EndpointSlices (endpoints whose
 * `conditions.ready` is not false, targetRef a Pod), or from its Endpoints when it has no slices.
 */
export function readyPodNames(slices: readonly KubeObject[], endpoints: KubeObject | undefined): string[] {
  const names = new Set<string>();
  if (slices.length > 0) {
    for (const s of slices) {
      for (const e of arr(s.endpoints).filter(isObject)) {
        if (obj(e.conditions).ready === false) continue;
        const ref = obj(e.targetRef);
        if (ref.kind === 'Pod' && typeof ref.name === 'string') names.add(ref.name);
      }
    }
  } else if (endpoints) {
    for (const subset of arr(endpoints.subsets).filter(isObject)) {
      for (const a of arr(subset.addresses).filter(isObject)) {
        const ref = obj(a.targetRef);
        if (ref.kind === 'Pod' && typeof ref.name === 'string') names.add(ref.name);
      }
    }
  }
  return [...names].sort();
}

export interface PodAnswer {
  app: string;
  namespace: string;
  pod: string;
  zone: string;
  image: string;
  release: string;
  path: string;
  method: string;
  host: string;
}

/** The JSON body a simulated pod answers with. */
export function podAnswer(pod: KubeObject, zone: string, req: { path: string; method: string; host: string }): PodAnswer {
  const labels = obj(pod.metadata.labels);
  const image = str(obj(arr(obj(pod.spec).containers)[0]).image) ?? '';
  return {
    app: str(labels['app.kubernetes.io/name']) ?? str(labels.app) ?? '',
    namespace: pod.metadata.namespace ?? '',
    pod: pod.metadata.name,
    zone,
    image,
    release: str(labels['satusky.com/release']) ?? '',
    path: req.path,
    method: req.method,
    host: req.host,
  };
}

/**
 * The status a simulated container answers with: 200, or NNN when the image tag contains
 * `http-NNN` (e.g. `shop:1.2-http-500` answers 500, to simulate an unhealthy app).
 */
export function imageStatus(image: string): number {
  const lastSlash = image.lastIndexOf('/');
  const nameAndTag = image.slice(lastSlash + 1).split('@')[0] ?? '';
  const colon = nameAndTag.indexOf(':');
  const tag = colon >= 0 ? nameAndTag.slice(colon + 1) : '';
  const m = /http-([1-5]\d\d)/.exec(tag);
  const status = m ? Number(m[1]) : 200;
  return status >= 200 ? status : 200;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()] ?? ''}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export interface AccessLogEntry {
  remoteAddress: string;
  method: string;
  url: string;
  httpVersion: string;
  status: number;
  bytes: number;
  referer?: string;
  userAgent?: string;
  host: string;
  time: number;
}

/** A combined-log-format line, plus the Host (what `kubectl logs` shows of edge traffic). */
export function accessLogLine(e: AccessLogEntry): string {
  const q = (s: string | undefined): string => `"${(s ?? '-').replace(/["\\\n\r]/g, '_')}"`;
  return `${e.remoteAddress} - - [${clfTime(e.time)}] ${q(`${e.method} ${e.url} HTTP/${e.httpVersion}`)} ${e.status} ${e.bytes} ${q(e.referer)} ${q(e.userAgent)} host=${e.host}`;
}
