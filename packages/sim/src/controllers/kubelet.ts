// The simulated kubelet and node-lifecycle controller (kube-sim-spec §12.4): pod status as a pure
// function of the pod, its node and the time since the kubelet accepted it, so it survives
// restarts; image conventions for failures; container logs; graceful deletion; eviction from
// NotReady nodes.
//
// Image conventions (name or tag): `crashloop` exits with code 1 after `crashRunMs` and restarts
// with CrashLoopBackOff; `pull-error` never starts (ErrImagePull, then ImagePullBackOff);
// `slow-start` becomes Ready after `slowStartMs`. Any other image starts and becomes Ready.

import { createHash } from 'node:crypto';
import type { ResolvedPodTimings } from '../options.ts';
import type { PodLogs } from '../pod-logs.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, deepEqual, isObject, obj, str, text, type JsonObject } from '../util/json.ts';
import { rfc3339 } from '../util/time.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { getCondition, splitKey, type Condition } from './util.ts';

export type ImageBehaviour = 'normal' | 'crashloop' | 'pull-error' | 'slow-start';

export function imageBehaviour(image: string): ImageBehaviour {
  const lower = image.toLowerCase();
  if (lower.includes('pull-error')) return 'pull-error';
  if (lower.includes('crashloop')) return 'crashloop';
  if (lower.includes('slow-start')) return 'slow-start';
  return 'normal';
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function fullImage(image: string): string {
  const first = image.split('/')[0] ?? '';
  const hasRegistry = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let ref = hasRegistry ? image : image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  if (!last.includes(':') && !ref.includes('@')) ref += ':latest';
  return ref;
}

interface ContainerSim {
  status: JsonObject;
  ready: boolean;
  everStarted: boolean;
  /** Number of times the container has started (for logging). */
  starts: number;
  crashes: number;
  nextAt: number | undefined;
  waitingReason: string | undefined;
}

function simulateContainer(pod: KubeObject, c: JsonObject, tStart: number, now: number, t: ResolvedPodTimings): ContainerSim {
  const name = String(c.name);
  const image = text(c.image ?? '');
  const behaviour = imageBehaviour(image);
  const base = { name, image };
  const containerId = (n: number): string => `containerd://${digest(`${pod.metadata.uid}/${name}/${n}`)}`;
  const imageID = `${fullImage(image).replace(/:[^:/]*$/, '')}@sha256:${digest(image)}`;
  if (now < tStart) {
    return {
      status: { ...base, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, imageID: '', started: false },
      ready: false,
      everStarted: false,
      starts: 0,
      crashes: 0,
      nextAt: tStart,
      waitingReason: 'ContainerCreating',
    };
  }
  if (behaviour === 'pull-error') {
    const backoff = now >= tStart + t.pullBackoffMs;
    const reason = backoff ? 'ImagePullBackOff' : 'ErrImagePull';
    const message = backoff
      ? `Back-off pulling image "${image}"`
      : `failed to pull and unpack image "${fullImage(image)}": failed to resolve reference "${fullImage(image)}": ${fullImage(image)}: not found`;
    return {
      status: { ...base, state: { waiting: { reason, message } }, lastState: {}, ready: false, restartCount: 0, imageID: '', started: false },
      ready: false,
      everStarted: false,
      starts: 0,
      crashes: 0,
      nextAt: backoff ? undefined : tStart + t.pullBackoffMs,
      waitingReason: reason,
    };
  }
  if (behaviour === 'crashloop') {
    let s = tStart;
    for (let k = 0; k < 100_000; k++) {
      const crashAt = s + t.crashRunMs;
      const last =
        k === 0
          ? {}
          : { terminated: { exitCode: 1, reason: 'Error', startedAt: rfc3339(prevStart(tStart, k - 1, t)), finishedAt: rfc3339(prevStart(tStart, k - 1, t) + t.crashRunMs), containerID: containerId(k - 1) } };
      if (now < crashAt) {
        return {
          status: { ...base, state: { running: { startedAt: rfc3339(s) } }, lastState: last, ready: false, restartCount: k, imageID, containerID: containerId(k), started: true },
          ready: false,
          everStarted: true,
          starts: k + 1,
          crashes: k,
          nextAt: crashAt,
          waitingReason: undefined,
        };
      }
      const backoff = Math.min(t.crashBackoffMs * 2 ** k, t.crashBackoffMaxMs);
      const restartAt = crashAt + backoff;
      if (now < restartAt) {
        return {
          status: {
            ...base,
            state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.max(1, Math.round(backoff / 1000))}s restarting failed container=${name} pod=${pod.metadata.name}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid})` } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: rfc3339(s), finishedAt: rfc3339(crashAt), containerID: containerId(k) } },
            ready: false,
            restartCount: k + 1,
            imageID,
            containerID: containerId(k),
            started: false,
          },
          ready: false,
          everStarted: true,
          starts: k + 1,
          crashes: k + 1,
          nextAt: restartAt,
          waitingReason: 'CrashLoopBackOff',
        };
      }
      s = restartAt;
    }
    return { status: { ...base }, ready: false, everStarted: true, starts: 0, crashes: 0, nextAt: undefined, waitingReason: undefined };
  }
  let readyAt = tStart + (behaviour === 'slow-start' ? t.slowStartMs : t.readyMs);
  if (t.honorProbeDelays) {
    const delay = Number(obj(c.readinessProbe).initialDelaySeconds ?? 0);
    if (Number.isFinite(delay) && delay > 0) readyAt = Math.max(readyAt, tStart + delay * 1000);
  }
  const ready = now >= readyAt;
  return {
    status: { ...base, state: { running: { startedAt: rfc3339(tStart) } }, lastState: {}, ready, restartCount: 0, imageID, containerID: containerId(0), started: true },
    ready,
    everStarted: true,
    starts: 1,
    crashes: 0,
    nextAt: ready ? undefined : readyAt,
    waitingReason: undefined,
  };
}

function prevStart(tStart: number, k: number, t: ResolvedPodTimings): number {
  let s = tStart;
  for (let i = 0; i < k; i++) s = s + t.crashRunMs + Math.min(t.crashBackoffMs * 2 ** i, t.crashBackoffMaxMs);
  return s;
}

function orderStatus(c: JsonObject): JsonObject {
  const keys = ['name', 'state', 'lastState', 'ready', 'restartCount', 'image', 'imageID', 'containerID', 'started'];
  const out: JsonObject = {};
  for (const k of keys) if (c[k] !== undefined) out[k] = c[k];
  return out;
}

function condition(prev: KubeObject, type: string, status: 'True' | 'False', now: number, reason?: string, message?: string): Condition {
  const existing = getCondition(prev, type);
  const c: Condition = { type, status };
  c.lastProbeTime = null;
  c.lastTransitionTime = existing && existing.status === status ? existing.lastTransitionTime : rfc3339(now);
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

function containerPort(pod: KubeObject): number {
  for (const c of arr(obj(pod.spec).containers)) {
    for (const p of arr(obj(c).ports)) {
      const n = obj(p).containerPort;
      if (typeof n === 'number') return n;
    }
  }
  return 8080;
}

export interface KubeletOptions {
  timings: ResolvedPodTimings;
  logs: PodLogs;
}

export function kubeletController(ctx: ControllerContext, options: KubeletOptions): Controller {
  const pods = (): ReturnType<typeof ctx.rt> => ctx.rt('/pods');
  const nodes = (): ReturnType<typeof ctx.rt> => ctx.rt('/nodes');
  const t = options.timings;
  // When the kubelet accepted each pod, precisely (status.startTime has whole seconds only).
  const accepted = new Map<string, number>();
  // When each node stopped being Ready, precisely (conditions have whole seconds only).
  const notReadySince = new Map<string, number>();

  return {
    name: 'kubelet',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.key === '/pods') {
        const key = `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`;
        if (e.type === 'DELETED') {
          options.logs.drop(e.object.metadata.namespace ?? '', e.object.metadata.name);
          accepted.delete(e.object.metadata.uid);
          return;
        }
        if (obj(e.object.spec).nodeName) queue.add(key);
        return;
      }
      if (e.rt.key === '/nodes') {
        const wasReady = e.old ? getCondition(e.old, 'Ready')?.status : undefined;
        const isReady = getCondition(e.object, 'Ready')?.status;
        if (isReady === 'True' || e.type === 'DELETED') notReadySince.delete(e.object.metadata.name);
        else if (!notReadySince.has(e.object.metadata.name)) notReadySince.set(e.object.metadata.name, Date.now());
        if (e.type === 'ADDED' || wasReady === isReady) {
          if (e.type !== 'DELETED') return;
        }
        for (const p of ctx.store.iterate(pods())) {
          if (obj(p.spec).nodeName === e.object.metadata.name) queue.add(`${p.metadata.namespace ?? ''}/${p.metadata.name}`);
        }
      }
    },
    resync(queue) {
      for (const p of ctx.store.iterate(pods())) if (obj(p.spec).nodeName) queue.add(`${p.metadata.namespace ?? ''}/${p.metadata.name}`);
    },
    reconcile(key) {
      const [ns, name] = splitKey(key);
      const pod = ctx.store.get(pods(), ns, name);
      if (!pod) return undefined;
      const nodeName = str(obj(pod.spec).nodeName);
      if (!nodeName) return undefined;
      const now = ctx.now();
      const node = ctx.store.get(nodes(), '', nodeName);
      if (!node) {
        // Pod garbage collection: pods bound to a node that no longer exists are removed.
        ctx.storage.delete(pods(), ns, name, { gracePeriodSeconds: 0 });
        return undefined;
      }
      if (pod.metadata.deletionTimestamp) {
        const grace = Number(pod.metadata.deletionGracePeriodSeconds ?? 0);
        const requestedAt = Date.parse(text(pod.metadata.deletionTimestamp)) - grace * 1000;
        const removeAt = requestedAt + Math.min(t.terminationMs, grace * 1000);
        if (now < removeAt) return removeAt - now;
        ctx.storage.delete(pods(), ns, name, { gracePeriodSeconds: 0 });
        return undefined;
      }
      const nodeReady = getCondition(node, 'Ready');
      if (nodeReady?.status !== 'True') {
        const since = notReadySince.get(nodeName) ?? Date.parse(String(nodeReady?.lastTransitionTime ?? rfc3339(now)));
        const evictAt = since + t.nodeEvictionMs;
        if (now >= evictAt) {
          ctx.events.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`, 'taint-eviction-controller');
          ctx.storage.delete(pods(), ns, name, { gracePeriodSeconds: 0 });
          return undefined;
        }
        const status = obj(pod.status);
        const conditions = arr(status.conditions).filter(isObject).map((c) =>
          c.type === 'Ready' && c.status === 'True' ? { ...c, status: 'False', lastTransitionTime: rfc3339(now) } : c,
        );
        ctx.storage.writeStatus(pods(), ns, name, { ...status, conditions }, { fieldManager: 'node-controller' });
        return evictAt - now;
      }
      return syncPod(pod, node, now);
    },
  };

  function syncPod(pod: KubeObject, node: KubeObject, now: number): number | undefined {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name;
    const prev = obj(pod.status);
    let t0 = accepted.get(pod.metadata.uid);
    if (t0 === undefined) {
      t0 = typeof prev.startTime === 'string' ? Date.parse(prev.startTime) : now;
      accepted.set(pod.metadata.uid, t0);
    }
    const tStart = t0 + t.startMs;
    const spec = obj(pod.spec);
    const hostIP = str(arr(obj(node.status).addresses).map(obj).find((a) => a.type === 'InternalIP')?.address) ?? '10.0.0.1';
    let podIP = str(prev.podIP);
    if (!podIP && now >= tStart) podIP = ctx.storage.allocators.podIPs.allocate();

    const sims = arr(spec.containers)
      .filter(isObject)
      .map((c) => simulateContainer(pod, c, tStart, now, t));
    const inits = arr(spec.initContainers)
      .filter(isObject)
      .map((c) => {
        const sidecar = c.restartPolicy === 'Always';
        const started = now >= tStart;
        const st = started
          ? sidecar
            ? { running: { startedAt: rfc3339(tStart) } }
            : { terminated: { exitCode: 0, reason: 'Completed', startedAt: rfc3339(tStart), finishedAt: rfc3339(tStart), containerID: `containerd://${digest(`${pod.metadata.uid}/${String(c.name)}`)}` } }
          : { waiting: { reason: 'PodInitializing' } };
        return orderStatus({ name: c.name, state: st, lastState: {}, ready: started, restartCount: 0, image: c.image, imageID: started ? `${fullImage(String(c.image))}@sha256:${digest(String(c.image))}` : '', started: sidecar ? started : false });
      });
    const allStarted = sims.every((s) => s.everStarted);
    const unready = sims.filter((s) => !s.ready).map((s) => String(s.status.name));
    const containersReady = unready.length === 0 && sims.length > 0;
    const gates = arr(spec.readinessGates).filter(isObject).map((g) => String(g.conditionType));
    const conditions: Condition[] = [];
    const started = now >= tStart;
    conditions.push(condition(pod, 'PodReadyToStartContainers', started ? 'True' : 'False', now));
    conditions.push(condition(pod, 'Initialized', 'True', now));
    conditions.push(
      containersReady
        ? condition(pod, 'Ready', 'True', now)
        : condition(pod, 'Ready', 'False', now, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`),
    );
    conditions.push(
      containersReady
        ? condition(pod, 'ContainersReady', 'True', now)
        : condition(pod, 'ContainersReady', 'False', now, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`),
    );
    conditions.push(condition(pod, 'PodScheduled', 'True', now));
    for (const g of gates) conditions.push(condition(pod, g, containersReady ? 'True' : 'False', now));

    const status: JsonObject = {
      phase: allStarted ? 'Running' : 'Pending',
      conditions,
      hostIP,
      hostIPs: [{ ip: hostIP }],
      ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
      startTime: rfc3339(t0),
      ...(inits.length > 0 ? { initContainerStatuses: inits } : {}),
      containerStatuses: sims.map((s) => orderStatus(s.status)),
      qosClass: prev.qosClass ?? 'BestEffort',
    };
    if (!deepEqual(prev, status)) {
      const written = ctx.storage.writeStatus(pods(), ns, name, status, { fieldManager: 'kubelet' });
      if (written) recordTransitions(written, prev, sims);
    }
    const next = sims.map((s) => s.nextAt).filter((x): x is number => x !== undefined);
    if (!started) next.push(tStart);
    if (next.length === 0) return undefined;
    return Math.max(1, Math.min(...next) - now);
  }

  function recordTransitions(pod: KubeObject, prev: JsonObject, sims: ContainerSim[]): void {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name;
    const prevStatuses = arr(prev.containerStatuses).filter(isObject);
    const host = str(obj(pod.spec).nodeName);
    const port = containerPort(pod);
    for (const s of sims) {
      const cname = String(s.status.name);
      const image = String(s.status.image);
      const fieldPath = `spec.containers{${cname}}`;
      const before = prevStatuses.find((c) => c.name === cname);
      const beforeStarts = before ? (isObject(obj(before.state).running) ? Number(before.restartCount ?? 0) + 1 : Number(before.restartCount ?? 0)) : 0;
      const beforeWaiting = str(obj(obj(before?.state).waiting).reason);
      const behaviour = imageBehaviour(image);
      const ev = (type: 'Normal' | 'Warning', reason: string, message: string): void => ctx.events.record(pod, type, reason, message, 'kubelet', { fieldPath, ...(host ? { host } : {}) });
      if (s.waitingReason === 'ErrImagePull' && beforeWaiting !== 'ErrImagePull') {
        ev('Normal', 'Pulling', `Pulling image "${image}"`);
        ev('Warning', 'Failed', `Failed to pull image "${image}": rpc error: code = NotFound desc = ${String(obj(obj(s.status.state).waiting).message)}`);
        ev('Warning', 'Failed', 'Error: ErrImagePull');
      }
      if (s.waitingReason === 'ImagePullBackOff' && beforeWaiting !== 'ImagePullBackOff') {
        ev('Normal', 'BackOff', `Back-off pulling image "${image}"`);
        ev('Warning', 'Failed', 'Error: ImagePullBackOff');
      }
      if (s.starts > beforeStarts && isObject(obj(s.status.state).running)) {
        if (beforeStarts === 0) {
          const policy = obj(arr(obj(pod.spec).containers).map(obj).find((c) => c.name === cname)).imagePullPolicy;
          if (policy === 'Always') {
            ev('Normal', 'Pulling', `Pulling image "${image}"`);
            ev('Normal', 'Pulled', `Successfully pulled image "${image}" in 1.042s (1.042s including waiting). Image size: 72080558 bytes.`);
          } else {
            ev('Normal', 'Pulled', `Container image "${image}" already present on machine`);
          }
        }
        ev('Normal', 'Created', `Created container: ${cname}`);
        ev('Normal', 'Started', `Started container ${cname}`);
        options.logs.append(ns, name, cname, `satusky-sim: starting ${image} in pod ${ns}/${name} on ${host ?? 'unknown'}`);
        if (behaviour === 'slow-start') options.logs.append(ns, name, cname, 'warming up (slow start)');
        options.logs.append(ns, name, cname, `listening on :${port}`);
      }
      if (s.crashes > 0 && s.waitingReason === 'CrashLoopBackOff' && beforeWaiting !== 'CrashLoopBackOff') {
        options.logs.append(ns, name, cname, 'panic: simulated crash (the image name says crashloop)');
        ev('Warning', 'BackOff', `Back-off restarting failed container ${cname} in pod ${name}_${ns}(${pod.metadata.uid})`);
      }
      if (behaviour === 'slow-start' && s.ready && before?.ready !== true) options.logs.append(ns, name, cname, 'ready');
    }
  }
}
