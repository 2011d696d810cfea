// Service controllers (kube-sim-spec §12.8): Endpoints and EndpointSlices from the pods a Service
// selects (ready pods as ready endpoints, others as not-ready), and load-balancer status for
// `type: LoadBalancer`. Pods and Services are indexed by label so work stays proportional to the
// objects involved, not to the store.

import { ApiError } from '../api/errors.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, deepEqual, isObject, obj, str, type JsonObject } from '../util/json.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { isPodReady, ownerRefTo, splitKey } from './util.ts';

const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
const SERVICE_NAME = 'kubernetes.io/service-name';

class LabelIndex {
  // namespace -> "k=v" -> names
  readonly #index = new Map<string, Map<string, Set<string>>>();
  readonly #entries = new Map<string, string[]>();

  set(ns: string, name: string, pairs: string[]): void {
    this.remove(ns, name);
    let m = this.#index.get(ns);
    if (!m) this.#index.set(ns, (m = new Map()));
    for (const p of pairs) {
      let s = m.get(p);
      if (!s) m.set(p, (s = new Set()));
      s.add(name);
    }
    this.#entries.set(`${ns}/${name}`, pairs);
  }

  remove(ns: string, name: string): void {
    const key = `${ns}/${name}`;
    const pairs = this.#entries.get(key);
    if (!pairs) return;
    const m = this.#index.get(ns);
    for (const p of pairs) {
      const s = m?.get(p);
      s?.delete(name);
      if (s && s.size === 0) m?.delete(p);
    }
    this.#entries.delete(key);
  }

  names(ns: string, pair: string): Set<string> {
    return this.#index.get(ns)?.get(pair) ?? new Set();
  }

  clear(): void {
    this.#index.clear();
    this.#entries.clear();
  }
}

function pairs(map: unknown): string[] {
  return Object.entries(obj(map)).map(([k, v]) => `${k}=${String(v)}`);
}

export interface ServiceControllerOptions {
  loadBalancerAddress: () => string;
}

export function serviceController(ctx: ControllerContext, options: ServiceControllerOptions): Controller {
  const svcRt = (): ReturnType<typeof ctx.rt> => ctx.rt('/services');
  const podRt = (): ReturnType<typeof ctx.rt> => ctx.rt('/pods');
  const epRt = (): ReturnType<typeof ctx.rt> => ctx.rt('/endpoints');
  const sliceRt = (): ReturnType<typeof ctx.rt> => ctx.rt('discovery.k8s.io/endpointslices');
  const podLabels = new LabelIndex();
  const svcSelectors = new LabelIndex();
  // namespace/service -> names of the EndpointSlices this controller manages for it
  const slices = new Map<string, Set<string>>();
  const trackSlice = (e: { type: string; object: KubeObject }): void => {
    const labels = obj(e.object.metadata.labels);
    const svc = str(labels[SERVICE_NAME]);
    if (!svc || labels[MANAGED_BY] !== 'endpointslice-controller.k8s.io') return;
    const key = `${e.object.metadata.namespace ?? ''}/${svc}`;
    let set = slices.get(key);
    if (e.type === 'DELETED') {
      set?.delete(e.object.metadata.name);
      if (set && set.size === 0) slices.delete(key);
      return;
    }
    if (!set) slices.set(key, (set = new Set()));
    set.add(e.object.metadata.name);
  };

  const servicesFor = (ns: string, labels: unknown): Set<string> => {
    const out = new Set<string>();
    for (const p of pairs(labels)) for (const s of svcSelectors.names(ns, p)) out.add(s);
    return out;
  };

  return {
    name: 'service',
    onEvent(e: StoreEvent, queue: Queue) {
      const ns = e.object.metadata.namespace ?? '';
      if (e.rt.key === '/services') {
        if (e.type === 'DELETED') svcSelectors.remove(ns, e.object.metadata.name);
        else svcSelectors.set(ns, e.object.metadata.name, pairs(obj(e.object.spec).selector));
        queue.add(`${ns}/${e.object.metadata.name}`);
        return;
      }
      if (e.rt.key === '/pods') {
        if (e.type === 'DELETED') podLabels.remove(ns, e.object.metadata.name);
        else podLabels.set(ns, e.object.metadata.name, pairs(e.object.metadata.labels));
        const affected = servicesFor(ns, e.object.metadata.labels);
        if (e.old) for (const s of servicesFor(ns, e.old.metadata.labels)) affected.add(s);
        for (const s of affected) queue.add(`${ns}/${s}`);
        return;
      }
      if (e.rt.key === 'discovery.k8s.io/endpointslices') trackSlice(e);
      if ((e.rt.key === '/endpoints' || e.rt.key === 'discovery.k8s.io/endpointslices') && e.type === 'DELETED') {
        const svc = e.rt.key === '/endpoints' ? e.object.metadata.name : str(obj(e.object.metadata.labels)[SERVICE_NAME]);
        if (svc) queue.add(`${ns}/${svc}`);
      }
    },
    resync(queue) {
      podLabels.clear();
      svcSelectors.clear();
      slices.clear();
      for (const sl of ctx.store.iterate(sliceRt())) trackSlice({ type: 'ADDED', object: sl });
      for (const p of ctx.store.iterate(podRt())) podLabels.set(p.metadata.namespace ?? '', p.metadata.name, pairs(p.metadata.labels));
      for (const s of ctx.store.iterate(svcRt())) {
        svcSelectors.set(s.metadata.namespace ?? '', s.metadata.name, pairs(obj(s.spec).selector));
        queue.add(`${s.metadata.namespace ?? ''}/${s.metadata.name}`);
      }
    },
    reconcile(key) {
      const [ns, name] = splitKey(key);
      const svc = ctx.store.get(svcRt(), ns, name);
      if (!svc || svc.metadata.deletionTimestamp) return;
      const spec = obj(svc.spec);
      if (spec.type === 'LoadBalancer') {
        const ingress = [{ ip: options.loadBalancerAddress(), ipMode: 'VIP' }];
        const status = obj(svc.status);
        if (!deepEqual(obj(status.loadBalancer).ingress, ingress)) {
          ctx.storage.writeStatus(svcRt(), ns, name, { ...status, loadBalancer: { ingress } }, { fieldManager: 'service-controller' });
        }
      }
      const selector = obj(spec.selector);
      const selectorPairs = pairs(selector);
      if (selectorPairs.length === 0 || spec.type === 'ExternalName') return;
      // Candidate pods: those carrying the rarest selector pair, then a full match.
      let candidates: Set<string> | undefined;
      for (const p of selectorPairs) {
        const s = podLabels.names(ns, p);
        if (!candidates || s.size < candidates.size) candidates = s;
      }
      const selected: KubeObject[] = [];
      for (const podName of candidates ?? []) {
        const pod = ctx.store.get(podRt(), ns, podName);
        if (!pod) continue;
        const labels = obj(pod.metadata.labels);
        if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
        const phase = obj(pod.status).phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        if (!str(obj(pod.status).podIP)) continue;
        selected.push(pod);
      }
      selected.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      syncEndpoints(svc, selected);
      syncSlice(svc, selected);
      return undefined;
    },
  };

  function resolvePorts(svc: KubeObject, pod: KubeObject): { name?: string; port: number; protocol: string }[] | undefined {
    const out: { name?: string; port: number; protocol: string }[] = [];
    for (const p of arr(obj(svc.spec).ports).filter(isObject)) {
      let target = p.targetPort ?? p.port;
      if (typeof target === 'string' && !/^\d+$/.test(target)) {
        const named = arr(obj(pod.spec).containers)
          .flatMap((c) => arr(obj(c).ports))
          .map(obj)
          .find((cp) => cp.name === target);
        if (!named) return undefined;
        target = named.containerPort;
      }
      out.push({ ...(typeof p.name === 'string' ? { name: p.name } : {}), port: Number(target), protocol: str(p.protocol) ?? 'TCP' });
    }
    return out;
  }

  function syncEndpoints(svc: KubeObject, selected: KubeObject[]): void {
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name;
    const ready: JsonObject[] = [];
    const notReady: JsonObject[] = [];
    let ports: JsonObject[] | undefined;
    for (const pod of selected) {
      if (pod.metadata.deletionTimestamp) continue;
      const resolved = resolvePorts(svc, pod);
      if (!resolved) continue;
      ports ??= resolved;
      const addr = {
        ip: str(obj(pod.status).podIP),
        nodeName: str(obj(pod.spec).nodeName),
        targetRef: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid },
      };
      (isPodReady(pod) ? ready : notReady).push(addr);
    }
    const subsets =
      ready.length + notReady.length > 0
        ? [{ ...(ready.length > 0 ? { addresses: ready } : {}), ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}), ports: ports ?? [] }]
        : undefined;
    const labels = { ...obj(svc.metadata.labels), 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' };
    const existing = ctx.store.get(epRt(), ns, name);
    const body: JsonObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns, labels }, ...(subsets ? { subsets } : {}) };
    if (!existing) {
      try {
        ctx.storage.create(epRt(), ns, body, { internal: true, fieldManager: 'kube-controller-manager' });
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 409 || err.code === 403 || err.code === 404))) throw err;
      }
      return;
    }
    if (deepEqual(existing.subsets, subsets) && deepEqual(existing.metadata.labels, labels)) return;
    ctx.storage.mutate(epRt(), ns, name, (draft) => {
      draft.metadata.labels = labels;
      if (subsets) draft.subsets = subsets;
      else delete draft.subsets;
    }, { fieldManager: 'kube-controller-manager' });
  }

  function syncSlice(svc: KubeObject, selected: KubeObject[]): void {
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name;
    const nodeRt = ctx.rt('/nodes');
    const endpoints: JsonObject[] = [];
    let ports: JsonObject[] | undefined;
    for (const pod of selected) {
      const resolved = resolvePorts(svc, pod);
      if (!resolved) continue;
      ports ??= resolved.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol }));
      const nodeName = str(obj(pod.spec).nodeName);
      const node = nodeName ? ctx.store.get(nodeRt, '', nodeName) : undefined;
      const zone = str(obj(node?.metadata.labels)['topology.kubernetes.io/zone']);
      const terminating = pod.metadata.deletionTimestamp !== undefined;
      const ready = isPodReady(pod) && !terminating;
      endpoints.push({
        addresses: [str(obj(pod.status).podIP)],
        conditions: { ready, serving: isPodReady(pod), terminating },
        ...(nodeName ? { nodeName } : {}),
        targetRef: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid },
        ...(zone ? { zone } : {}),
      });
    }
    const labels = { ...obj(svc.metadata.labels), [SERVICE_NAME]: name, [MANAGED_BY]: 'endpointslice-controller.k8s.io' };
    const owned = [...(slices.get(`${ns}/${name}`) ?? [])]
      .sort()
      .map((n) => ctx.store.get(sliceRt(), ns, n))
      .filter((x): x is KubeObject => x !== undefined);
    const desired: JsonObject = { addressType: 'IPv4', endpoints, ports: ports ?? null };
    const [first, ...extra] = owned;
    for (const s of extra) ctx.storage.delete(sliceRt(), ns, s.metadata.name, {});
    if (!first) {
      try {
        ctx.storage.create(
          sliceRt(),
          ns,
          { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { generateName: `${name}-`, namespace: ns, labels, ownerReferences: [ownerRefTo(svc)] }, ...desired },
          { internal: true, fieldManager: 'endpointslice-controller' },
        );
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 403 || err.code === 404))) throw err;
      }
      return;
    }
    if (deepEqual(first.endpoints, endpoints) && deepEqual(first.ports, desired.ports) && deepEqual(first.metadata.labels, labels)) return;
    ctx.storage.mutate(sliceRt(), ns, first.metadata.name, (draft) => {
      draft.metadata.labels = labels;
      draft.addressType = 'IPv4';
      draft.endpoints = endpoints;
      draft.ports = desired.ports;
    }, { fieldManager: 'endpointslice-controller' });
  }
}
