// Gateway API status simulator (kube-sim-spec §12.11) for GatewayClasses whose controllerName the
// simulator serves: GatewayClass Accepted; Gateway Accepted/Programmed with `status.addresses` set
// to the cluster's edge address and per-listener status (attachedRoutes, conflicts, certificate
// references); ListenerSet Accepted/Programmed with per-listener status (parent listeners take
// precedence, then older ListenerSets); HTTPRoute/GRPCRoute Accepted and ResolvedRefs per parent.
// Route entries written by other controllers are left alone.

import type { ResourceType } from '../api/registry.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { matchesLabels, selectorFromObject } from '../store/selectors.ts';
import { arr, deepEqual, isObject, obj, str, text, type JsonObject } from '../util/json.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { setCondition, splitKey, type Condition } from './util.ts';

const GROUP = 'gateway.networking.k8s.io';
const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute'] as const;
type RouteKind = (typeof ROUTE_KINDS)[number];
const FIELD_MANAGER = 'satusky-sim-gateway-controller';

export interface GatewayControllerOptions {
  controllerNames: () => string[];
  address: () => string;
}

interface Listener {
  name: string;
  port: number;
  protocol: string;
  hostname: string | undefined;
  allowedRoutes: JsonObject;
  tls: JsonObject;
  /** Namespace of the object declaring the listener (Gateway or ListenerSet). */
  ownerNs: string;
}

function listenersOf(o: KubeObject): Listener[] {
  return arr(obj(o.spec).listeners)
    .filter(isObject)
    .map((l) => ({
      name: String(l.name),
      port: Number(l.port),
      protocol: text(l.protocol ?? 'HTTP'),
      hostname: str(l.hostname),
      allowedRoutes: obj(l.allowedRoutes),
      tls: obj(l.tls),
      ownerNs: o.metadata.namespace ?? '',
    }));
}

function protocolFamily(p: string): string {
  return p === 'HTTP' || p === 'HTTPS' || p === 'TLS' ? (p === 'HTTP' ? 'http' : 'tls') : p.toLowerCase();
}

function defaultKinds(protocol: string): string[] {
  switch (protocol) {
    case 'HTTP':
    case 'HTTPS':
      return ['HTTPRoute', 'GRPCRoute'];
    case 'TLS':
      return ['TLSRoute'];
    case 'TCP':
      return ['TCPRoute'];
    case 'UDP':
      return ['UDPRoute'];
    default:
      return [];
  }
}

function supportedKinds(l: Listener): { kinds: string[]; invalid: boolean } {
  const requested = arr(l.allowedRoutes.kinds).filter(isObject);
  const defaults = defaultKinds(l.protocol);
  if (requested.length === 0) return { kinds: defaults, invalid: false };
  const kinds: string[] = [];
  let invalid = false;
  for (const k of requested) {
    const group = str(k.group) ?? GROUP;
    const kind = String(k.kind);
    if (group === GROUP && defaults.includes(kind)) kinds.push(kind);
    else invalid = true;
  }
  return { kinds, invalid };
}

/** Wildcard-aware hostname intersection, as the Gateway API defines it. */
export function hostnamesIntersect(listenerHost: string | undefined, routeHost: string): boolean {
  if (!listenerHost) return true;
  const l = listenerHost.toLowerCase();
  const r = routeHost.toLowerCase();
  if (l === r) return true;
  const matchWild = (wild: string, name: string): boolean => {
    const suffix = wild.slice(1);
    return name.endsWith(suffix) && name.length > suffix.length;
  };
  if (l.startsWith('*.') && !r.startsWith('*.')) return matchWild(l, r);
  if (r.startsWith('*.') && !l.startsWith('*.')) return matchWild(r, l);
  if (l.startsWith('*.') && r.startsWith('*.')) return matchWild(l, r.slice(1)) || matchWild(r, l.slice(1)) || l === r;
  return false;
}

function cond(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, generation: unknown): Condition {
  return { type, status, reason, message, observedGeneration: typeof generation === 'number' ? generation : 1 };
}

function withConditions(prev: unknown, next: Condition[], now: number): Condition[] {
  let out: Condition[] = [];
  const prevList = arr(prev).filter(isObject) as Condition[];
  for (const c of next) {
    const p = prevList.find((x) => x.type === c.type);
    out = setCondition(out, c, now);
    const last = out[out.length - 1] as Condition;
    if (p && p.status === c.status && p.lastTransitionTime) last.lastTransitionTime = p.lastTransitionTime;
  }
  return out;
}

export function gatewayController(ctx: ControllerContext, options: GatewayControllerOptions): Controller {
  const rtOf = (plural: string): ResourceType | undefined => ctx.maybeRt(`${GROUP}/${plural}`);
  const routeRt = (kind: RouteKind): ResourceType | undefined => rtOf(kind === 'HTTPRoute' ? 'httproutes' : 'grpcroutes');
  // parent ("Gateway|ns/name" or "ListenerSet|ns/name") -> route keys ("HTTPRoute|ns/name")
  const routesByParent = new Map<string, Set<string>>();
  const parentsByRoute = new Map<string, string[]>();
  // "ns/service" -> route keys
  const routesByBackend = new Map<string, Set<string>>();
  const backendsByRoute = new Map<string, string[]>();
  // "ns/secret" -> gateway-ish keys ("Gateway|ns/name" / "ListenerSet|ns/name")
  const ownersBySecret = new Map<string, Set<string>>();
  const secretsByOwner = new Map<string, string[]>();
  // gateway key -> listenerset keys
  const listenerSetsByGateway = new Map<string, Set<string>>();
  const gatewayByListenerSet = new Map<string, string>();
  // ListenerSet key -> its precedence ("creationTimestamp\0ns/name": older first, then by name) and
  // listeners, so that a ListenerSet is checked only against the ListenerSets it can conflict with
  // (same gateway and port: another protocol family, or the same family and hostname) rather than
  // every ListenerSet of the Gateway, which at thousands of apps per edge Gateway was quadratic.
  const indexedSets = new Map<string, { gw: string; prec: string; listeners: Listener[] }>();
  // "gw|port|family|hostname" -> ListenerSet keys with such a listener
  const setsByClaim = new Map<string, Set<string>>();
  // "gw|port" -> protocol family -> ListenerSet keys with a listener of that family on that port
  const setsByPort = new Map<string, Map<string, Set<string>>>();
  // route key -> parent key -> attached listener names
  const attachments = new Map<string, Map<string, string[]>>();
  // parent key -> listener name -> routes attached, kept in step with `attachments` (a Gateway's
  // status used to count every route attached to it on every reconcile: thousands on an edge).
  const attachedByParent = new Map<string, Map<string, number>>();
  const setAttachments = (routeKey: string, next: Map<string, string[]> | undefined): void => {
    const adjust = (m: Map<string, string[]> | undefined, by: number) => {
      for (const [parent, listeners] of m ?? []) {
        let counts = attachedByParent.get(parent);
        if (!counts) attachedByParent.set(parent, (counts = new Map()));
        for (const l of listeners) {
          const n = (counts.get(l) ?? 0) + by;
          if (n > 0) counts.set(l, n);
          else counts.delete(l);
        }
        if (counts.size === 0) attachedByParent.delete(parent);
      }
    };
    adjust(attachments.get(routeKey), -1);
    adjust(next, 1);
    if (next) attachments.set(routeKey, next);
    else attachments.delete(routeKey);
  };

  const link = (forward: Map<string, Set<string>>, backward: Map<string, string[]>, from: string, targets: string[]): void => {
    for (const t of backward.get(from) ?? []) forward.get(t)?.delete(from);
    for (const t of targets) {
      let s = forward.get(t);
      if (!s) forward.set(t, (s = new Set()));
      s.add(from);
    }
    if (targets.length > 0) backward.set(from, targets);
    else backward.delete(from);
  };

  const ours = (className: unknown): JsonObject | undefined => {
    const gcRt = rtOf('gatewayclasses');
    if (!gcRt || typeof className !== 'string') return undefined;
    const gc = ctx.store.get(gcRt, '', className);
    if (!gc) return undefined;
    return options.controllerNames().includes(String(obj(gc.spec).controllerName)) ? gc : undefined;
  };

  const indexRoute = (kind: RouteKind, route: KubeObject, gone: boolean): void => {
    const ns = route.metadata.namespace ?? '';
    const key = `${kind}|${ns}/${route.metadata.name}`;
    const parents = gone
      ? []
      : arr(obj(route.spec).parentRefs)
          .filter(isObject)
          .map((p) => `${str(p.kind) ?? 'Gateway'}|${str(p.namespace) ?? ns}/${String(p.name)}`);
    link(routesByParent, parentsByRoute, key, parents);
    const backends = gone
      ? []
      : arr(obj(route.spec).rules).flatMap((r) =>
          arr(obj(r).backendRefs)
            .filter(isObject)
            .map((b) => `${str(b.namespace) ?? ns}/${String(b.name)}`),
        );
    link(routesByBackend, backendsByRoute, key, [...new Set(backends)]);
    if (gone) setAttachments(key, undefined);
  };

  const indexSecrets = (kind: 'Gateway' | 'ListenerSet', o: KubeObject, gone: boolean): void => {
    const ns = o.metadata.namespace ?? '';
    const key = `${kind}|${ns}/${o.metadata.name}`;
    const secrets = gone
      ? []
      : listenersOf(o).flatMap((l) =>
          arr(l.tls.certificateRefs)
            .filter(isObject)
            .map((r) => `${str(r.namespace) ?? ns}/${String(r.name)}`),
        );
    link(ownersBySecret, secretsByOwner, key, [...new Set(secrets)]);
  };

  const claimKey = (gw: string, l: Listener): string => `${gw}|${l.port}|${protocolFamily(l.protocol)}|${l.hostname ?? ''}`;

  const indexClaims = (key: string, add: boolean): void => {
    const entry = indexedSets.get(key);
    if (!entry) return;
    for (const l of entry.listeners) {
      const ck = claimKey(entry.gw, l);
      const pk = `${entry.gw}|${l.port}`;
      const family = protocolFamily(l.protocol);
      if (add) {
        let c = setsByClaim.get(ck);
        if (!c) setsByClaim.set(ck, (c = new Set()));
        c.add(key);
        let byFamily = setsByPort.get(pk);
        if (!byFamily) setsByPort.set(pk, (byFamily = new Map()));
        let f = byFamily.get(family);
        if (!f) byFamily.set(family, (f = new Set()));
        f.add(key);
      } else {
        const c = setsByClaim.get(ck);
        c?.delete(key);
        if (c?.size === 0) setsByClaim.delete(ck);
        const byFamily = setsByPort.get(pk);
        const f = byFamily?.get(family);
        f?.delete(key);
        if (f?.size === 0) byFamily?.delete(family);
        if (byFamily?.size === 0) setsByPort.delete(pk);
      }
    }
  };

  /** ListenerSets (other than `key`) of the same Gateway with a listener that can conflict with one of `key`'s. */
  const conflictNeighbours = (key: string): Set<string> => {
    const out = new Set<string>();
    const entry = indexedSets.get(key);
    if (!entry) return out;
    for (const l of entry.listeners) {
      for (const k of setsByClaim.get(claimKey(entry.gw, l)) ?? []) out.add(k);
      const family = protocolFamily(l.protocol);
      for (const [f, keys] of setsByPort.get(`${entry.gw}|${l.port}`) ?? []) if (f !== family) for (const k of keys) out.add(k);
    }
    out.delete(key);
    return out;
  };

  const indexListenerSet = (ls: KubeObject, gone: boolean): void => {
    const ns = ls.metadata.namespace ?? '';
    const key = `${ns}/${ls.metadata.name}`;
    const prev = gatewayByListenerSet.get(key);
    if (prev) listenerSetsByGateway.get(prev)?.delete(key);
    indexClaims(key, false);
    indexedSets.delete(key);
    if (gone) {
      gatewayByListenerSet.delete(key);
      return;
    }
    const pref = obj(obj(ls.spec).parentRef);
    const gw = `${str(pref.namespace) ?? ns}/${String(pref.name)}`;
    gatewayByListenerSet.set(key, gw);
    let s = listenerSetsByGateway.get(gw);
    if (!s) listenerSetsByGateway.set(gw, (s = new Set()));
    s.add(key);
    indexedSets.set(key, { gw, prec: `${text(ls.metadata.creationTimestamp)}\u0000${key}`, listeners: listenersOf(ls) });
    indexClaims(key, true);
  };

  const enqueueRoutesOf = (parent: string, queue: Queue): void => {
    for (const r of routesByParent.get(parent) ?? []) queue.add(`route:${r}`);
  };

  const enqueueAllRoutes = (queue: Queue): void => {
    for (const kind of ROUTE_KINDS) {
      const rt = routeRt(kind);
      if (!rt) continue;
      for (const r of ctx.store.iterate(rt)) queue.add(`route:${kind}|${r.metadata.namespace ?? ''}/${r.metadata.name}`);
    }
  };

  const specChanged = (e: StoreEvent): boolean =>
    e.type !== 'MODIFIED' || !e.old || e.old.metadata.generation !== e.object.metadata.generation || !deepEqual(e.old.metadata.labels, e.object.metadata.labels);

  return {
    name: 'gateway-api',
    onEvent(e: StoreEvent, queue: Queue) {
      const key = `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`;
      const gone = e.type === 'DELETED';
      if (e.rt.group === GROUP) {
        switch (e.rt.kind) {
          case 'GatewayClass':
            queue.add(`gc:${e.object.metadata.name}`);
            if (specChanged(e)) {
              const gwRt = rtOf('gateways');
              if (gwRt) for (const g of ctx.store.iterate(gwRt)) if (obj(g.spec).gatewayClassName === e.object.metadata.name) queue.add(`gw:${g.metadata.namespace ?? ''}/${g.metadata.name}`);
            }
            return;
          case 'Gateway':
            indexSecrets('Gateway', e.object, gone);
            if (!gone) queue.add(`gw:${key}`);
            if (specChanged(e)) {
              enqueueRoutesOf(`Gateway|${key}`, queue);
              for (const ls of listenerSetsByGateway.get(key) ?? []) queue.add(`ls:${ls}`);
            }
            return;
          case 'ListenerSet': {
            const parent = gatewayByListenerSet.get(key);
            const changed = specChanged(e);
            // Only younger ListenerSets that shared (or now share) a port can see their verdicts change.
            const prec = indexedSets.get(key)?.prec;
            const before = changed ? conflictNeighbours(key) : new Set<string>();
            indexListenerSet(e.object, gone);
            indexSecrets('ListenerSet', e.object, gone);
            if (!gone) queue.add(`ls:${key}`);
            if (changed) {
              enqueueRoutesOf(`ListenerSet|${key}`, queue);
              const gw = gatewayByListenerSet.get(key) ?? parent;
              if (gw) queue.add(`gw:${gw}`);
              const own = indexedSets.get(key)?.prec ?? prec;
              for (const other of [...before, ...conflictNeighbours(key)]) {
                const o = indexedSets.get(other);
                if (o && (own === undefined || o.prec > own)) queue.add(`ls:${other}`);
              }
            }
            return;
          }
          case 'HTTPRoute':
          case 'GRPCRoute': {
            const kind = e.rt.kind;
            const before = parentsByRoute.get(`${kind}|${key}`) ?? [];
            indexRoute(kind, e.object, gone);
            if (!gone && specChanged(e)) queue.add(`route:${kind}|${key}`);
            if (gone || specChanged(e)) {
              for (const p of new Set([...before, ...(parentsByRoute.get(`${kind}|${key}`) ?? [])])) {
                const [pk, pkey] = [p.slice(0, p.indexOf('|')), p.slice(p.indexOf('|') + 1)];
                queue.add(`${pk === 'ListenerSet' ? 'ls' : 'gw'}:${pkey}`, 20);
              }
            }
            return;
          }
          case 'ReferenceGrant':
            enqueueAllRoutes(queue);
            for (const owners of ownersBySecret.values()) for (const o of owners) queue.add(o.startsWith('ListenerSet|') ? `ls:${o.slice(12)}` : `gw:${o.slice(8)}`);
            return;
          default:
            return;
        }
      }
      if (e.rt.key === '/services' && e.type !== 'MODIFIED') {
        for (const r of routesByBackend.get(key) ?? []) queue.add(`route:${r}`);
        return;
      }
      if (e.rt.key === '/secrets') {
        for (const o of ownersBySecret.get(key) ?? []) queue.add(o.startsWith('ListenerSet|') ? `ls:${o.slice(12)}` : `gw:${o.slice(8)}`);
        return;
      }
      if (e.rt.key === '/namespaces' && e.type === 'MODIFIED' && !deepEqual(e.old?.metadata.labels, e.object.metadata.labels)) {
        enqueueAllRoutes(queue);
      }
    },
    resync(queue) {
      routesByParent.clear();
      parentsByRoute.clear();
      routesByBackend.clear();
      backendsByRoute.clear();
      ownersBySecret.clear();
      secretsByOwner.clear();
      listenerSetsByGateway.clear();
      gatewayByListenerSet.clear();
      indexedSets.clear();
      setsByClaim.clear();
      setsByPort.clear();
      attachments.clear();
      attachedByParent.clear();
      const gcRt = rtOf('gatewayclasses');
      if (gcRt) for (const g of ctx.store.iterate(gcRt)) queue.add(`gc:${g.metadata.name}`);
      const gwRt = rtOf('gateways');
      if (gwRt) {
        for (const g of ctx.store.iterate(gwRt)) {
          indexSecrets('Gateway', g, false);
          queue.add(`gw:${g.metadata.namespace ?? ''}/${g.metadata.name}`);
        }
      }
      const lsRt = rtOf('listenersets');
      if (lsRt) {
        for (const l of ctx.store.iterate(lsRt)) {
          indexListenerSet(l, false);
          indexSecrets('ListenerSet', l, false);
          queue.add(`ls:${l.metadata.namespace ?? ''}/${l.metadata.name}`);
        }
      }
      for (const kind of ROUTE_KINDS) {
        const rt = routeRt(kind);
        if (!rt) continue;
        for (const r of ctx.store.iterate(rt)) {
          indexRoute(kind, r, false);
          queue.add(`route:${kind}|${r.metadata.namespace ?? ''}/${r.metadata.name}`);
        }
      }
    },
    reconcile(key, queue) {
      const colon = key.indexOf(':');
      const type = key.slice(0, colon);
      const rest = key.slice(colon + 1);
      if (type === 'gc') reconcileClass(rest);
      else if (type === 'gw') reconcileGateway(rest);
      else if (type === 'ls') reconcileListenerSet(rest, queue);
      else if (type === 'route') reconcileRoute(rest, queue);
      return undefined;
    },
  };

  function reconcileClass(name: string): void {
    const rt = rtOf('gatewayclasses');
    if (!rt) return;
    const gc = ctx.store.get(rt, '', name);
    if (!gc || !options.controllerNames().includes(String(obj(gc.spec).controllerName))) return;
    const now = ctx.now();
    const gen = gc.metadata.generation;
    const conditions = withConditions(
      obj(gc.status).conditions,
      [
        cond('Accepted', 'True', 'Accepted', 'GatewayClass is accepted by the satusky-sim gateway controller', gen),
        cond('SupportedVersion', 'True', 'SupportedVersion', 'Gateway API CRD bundle version v1.6.1 is supported', gen),
      ],
      now,
    );
    ctx.storage.writeStatus(rt, '', name, { ...obj(gc.status), conditions }, { fieldManager: FIELD_MANAGER });
  }

  function grantAllows(fromGroup: string, fromKind: string, fromNs: string, toNs: string, toGroup: string, toKind: string, toName: string): boolean {
    const rt = rtOf('referencegrants');
    if (!rt) return false;
    for (const g of ctx.store.iterate(rt, toNs)) {
      const spec = obj(g.spec);
      const fromOk = arr(spec.from).filter(isObject).some((f) => (str(f.group) ?? '') === fromGroup && f.kind === fromKind && f.namespace === fromNs);
      const toOk = arr(spec.to).filter(isObject).some((t) => (str(t.group) ?? '') === toGroup && t.kind === toKind && (t.name === undefined || t.name === '' || t.name === toName));
      if (fromOk && toOk) return true;
    }
    return false;
  }

  function certificateProblem(l: Listener, ownerKind: string): { reason: string; message: string } | undefined {
    if (l.protocol !== 'HTTPS' && !(l.protocol === 'TLS' && (l.tls.mode ?? 'Terminate') === 'Terminate')) return undefined;
    const refs = arr(l.tls.certificateRefs).filter(isObject);
    if (refs.length === 0) return { reason: 'InvalidCertificateRef', message: `Listener "${l.name}" has no certificateRefs` };
    for (const r of refs) {
      const group = str(r.group) ?? '';
      const kind = str(r.kind) ?? 'Secret';
      const ns = str(r.namespace) ?? l.ownerNs;
      const name = String(r.name);
      if (group !== '' || kind !== 'Secret') return { reason: 'InvalidCertificateRef', message: `Unsupported certificateRef kind ${group}/${kind}` };
      if (ns !== l.ownerNs && !grantAllows(GROUP, ownerKind, l.ownerNs, ns, '', 'Secret', name)) {
        return { reason: 'RefNotPermitted', message: `Certificate reference to Secret ${ns}/${name} is not permitted by any ReferenceGrant` };
      }
      const secret = ctx.store.get(ctx.rt('/secrets'), ns, name);
      if (!secret) return { reason: 'InvalidCertificateRef', message: `Secret ${ns}/${name} does not exist` };
      const data = obj(secret.data);
      if (secret.type !== 'kubernetes.io/tls' || typeof data['tls.crt'] !== 'string' || typeof data['tls.key'] !== 'string') {
        return { reason: 'InvalidCertificateRef', message: `Secret ${ns}/${name} is not a valid kubernetes.io/tls secret` };
      }
    }
    return undefined;
  }

  interface ListenerVerdict {
    conflicted?: 'HostnameConflict' | 'ProtocolConflict';
  }

  /** Conflicts among listeners; `fixed` listeners take precedence over `candidates`. */
  function conflicts(fixed: Listener[], candidates: Listener[], mutual: boolean): Map<string, ListenerVerdict> {
    const out = new Map<string, ListenerVerdict>();
    const check = (a: Listener, b: Listener): 'HostnameConflict' | 'ProtocolConflict' | undefined => {
      if (a.port !== b.port) return undefined;
      if (protocolFamily(a.protocol) !== protocolFamily(b.protocol)) return 'ProtocolConflict';
      if ((a.hostname ?? '') === (b.hostname ?? '')) return 'HostnameConflict';
      return undefined;
    };
    for (let i = 0; i < candidates.length; i++) {
      const a = candidates[i] as Listener;
      for (const f of fixed) {
        const c = check(a, f);
        if (c) out.set(a.name, { conflicted: c });
      }
      if (!mutual) continue;
      for (let j = 0; j < candidates.length; j++) {
        if (i === j) continue;
        const c = check(a, candidates[j] as Listener);
        if (c) out.set(a.name, { conflicted: c });
      }
    }
    return out;
  }

  function listenerStatuses(o: KubeObject, listeners: Listener[], verdicts: Map<string, ListenerVerdict>, attached: ReadonlyMap<string, number>, ownerKind: string, now: number): { statuses: JsonObject[]; invalid: string[]; programmed: number } {
    const gen = o.metadata.generation;
    const prev = arr(obj(o.status).listeners).filter(isObject);
    const invalid: string[] = [];
    let programmed = 0;
    const statuses = listeners.map((l) => {
      const v = verdicts.get(l.name) ?? {};
      const kinds = supportedKinds(l);
      const cert = certificateProblem(l, ownerKind);
      const next: Condition[] = [];
      if (v.conflicted) {
        next.push(cond('Accepted', 'False', v.conflicted, `Listener "${l.name}" conflicts with another listener on port ${l.port}`, gen));
        next.push(cond('Programmed', 'False', 'Invalid', 'Listener is conflicted', gen));
        next.push(cond('Conflicted', 'True', v.conflicted, `Listener "${l.name}" conflicts with another listener on port ${l.port}`, gen));
      } else {
        next.push(cond('Accepted', 'True', 'Accepted', '', gen));
        next.push(cert ? cond('Programmed', 'False', 'Invalid', cert.message, gen) : cond('Programmed', 'True', 'Programmed', '', gen));
        next.push(cond('Conflicted', 'False', 'NoConflicts', '', gen));
      }
      if (cert) next.push(cond('ResolvedRefs', 'False', cert.reason, cert.message, gen));
      else if (kinds.invalid) next.push(cond('ResolvedRefs', 'False', 'InvalidRouteKinds', 'Some allowedRoutes kinds are not supported', gen));
      else next.push(cond('ResolvedRefs', 'True', 'ResolvedRefs', '', gen));
      if (v.conflicted || cert) invalid.push(l.name);
      else programmed++;
      const before = prev.find((p) => p.name === l.name);
      return {
        name: l.name,
        supportedKinds: kinds.kinds.map((k) => ({ group: GROUP, kind: k })),
        attachedRoutes: attached.get(l.name) ?? 0,
        conditions: withConditions(before?.conditions, next, now),
      };
    });
    return { statuses, invalid, programmed };
  }

  function attachedCounts(parent: string): ReadonlyMap<string, number> {
    return attachedByParent.get(parent) ?? new Map<string, number>();
  }

  function addressEntry(): JsonObject {
    const a = options.address();
    return { type: /^[0-9.]+$/.test(a) || a.includes(':') ? 'IPAddress' : 'Hostname', value: a };
  }

  function listenerSetAllowed(gw: KubeObject, lsNs: string): boolean {
    const nsSpec = obj(obj(obj(gw.spec).allowedListeners).namespaces);
    const from = str(nsSpec.from) ?? 'None';
    if (from === 'All') return true;
    if (from === 'Same') return lsNs === gw.metadata.namespace;
    if (from === 'Selector') {
      const sel = selectorFromObject(nsSpec.selector) ?? [];
      const nsObj = ctx.store.get(ctx.rt('/namespaces'), '', lsNs);
      return matchesLabels(sel, nsObj?.metadata.labels);
    }
    return false;
  }

  function reconcileGateway(key: string): void {
    const rt = rtOf('gateways');
    if (!rt) return;
    const [ns, name] = splitKey(key);
    const gw = ctx.store.get(rt, ns, name);
    if (!gw || !ours(obj(gw.spec).gatewayClassName)) return;
    const now = ctx.now();
    const gen = gw.metadata.generation;
    const listeners = listenersOf(gw);
    const verdicts = conflicts([], listeners, true);
    const { statuses, invalid, programmed } = listenerStatuses(gw, listeners, verdicts, attachedCounts(`Gateway|${key}`), 'Gateway', now);
    let allowedSets = 0;
    const allowedNs = new Map<string, boolean>();
    for (const k of listenerSetsByGateway.get(key) ?? []) {
      const lsNs = splitKey(k)[0];
      let ok = allowedNs.get(lsNs);
      if (ok === undefined) allowedNs.set(lsNs, (ok = listenerSetAllowed(gw, lsNs)));
      if (ok) allowedSets++;
    }
    const requested = arr(obj(gw.spec).addresses).filter(isObject).map((a) => ({ type: str(a.type) ?? 'IPAddress', value: String(a.value) }));
    const accepted = invalid.length === 0
      ? cond('Accepted', 'True', 'Accepted', 'Gateway is accepted', gen)
      : programmed > 0
        ? cond('Accepted', 'True', 'ListenersNotValid', `Listeners ${invalid.map((n) => `"${n}"`).join(', ')} are invalid or conflicted; the others are accepted`, gen)
        : cond('Accepted', 'False', 'ListenersNotValid', 'No listener is valid', gen);
    const programmedCond = programmed > 0 || listeners.length === 0
      ? cond('Programmed', 'True', 'Programmed', `Gateway is programmed on the satusky-sim edge at ${options.address()}`, gen)
      : cond('Programmed', 'False', 'Invalid', 'No listener could be programmed', gen);
    const status: JsonObject = {
      ...obj(gw.status),
      addresses: requested.length > 0 ? requested : [addressEntry()],
      conditions: withConditions(obj(gw.status).conditions, [accepted, programmedCond], now),
      listeners: statuses,
      attachedListenerSets: allowedSets,
    };
    ctx.storage.writeStatus(rt, ns, name, status, { fieldManager: FIELD_MANAGER });
  }

  function reconcileListenerSet(key: string, queue: Queue): void {
    const lsRt = rtOf('listenersets');
    const gwRt = rtOf('gateways');
    if (!lsRt || !gwRt) return;
    const [ns, name] = splitKey(key);
    const ls = ctx.store.get(lsRt, ns, name);
    if (!ls) return;
    const gwKey = gatewayByListenerSet.get(key);
    if (!gwKey) return;
    const [gns, gname] = splitKey(gwKey);
    const gw = ctx.store.get(gwRt, gns, gname);
    const now = ctx.now();
    const gen = ls.metadata.generation;
    if (gw && !ours(obj(gw.spec).gatewayClassName)) return;
    const listeners = listenersOf(ls);
    let conditions: Condition[];
    let statuses: JsonObject[] = [];
    if (!gw) {
      conditions = [cond('Accepted', 'False', 'ParentNotAccepted', `Parent Gateway ${gwKey} does not exist`, gen), cond('Programmed', 'False', 'Pending', 'Waiting for the parent Gateway', gen)];
    } else if (!listenerSetAllowed(gw, ns)) {
      conditions = [cond('Accepted', 'False', 'NotAllowed', `Gateway ${gwKey} does not allow ListenerSets from namespace "${ns}"`, gen), cond('Programmed', 'False', 'NotAllowed', 'ListenerSet is not allowed by its parent Gateway', gen)];
    } else {
      // Precedence: the parent Gateway's listeners, then older ListenerSets (only those with a
      // listener that can conflict with one of ours matter).
      const fixed = [...listenersOf(gw)];
      const own = indexedSets.get(key);
      for (const other of own ? conflictNeighbours(key) : []) {
        const o = indexedSets.get(other);
        if (o && own && o.prec < own.prec && listenerSetAllowed(gw, splitKey(other)[0])) fixed.push(...o.listeners);
      }
      const verdicts = conflicts(fixed, listeners, true);
      const result = listenerStatuses(ls, listeners, verdicts, attachedCounts(`ListenerSet|${key}`), 'ListenerSet', now);
      statuses = result.statuses;
      conditions =
        result.invalid.length === 0
          ? [cond('Accepted', 'True', 'Accepted', 'ListenerSet is accepted', gen), cond('Programmed', 'True', 'Programmed', 'ListenerSet is programmed', gen)]
          : result.programmed > 0
            ? [cond('Accepted', 'True', 'ListenersNotValid', `Listeners ${result.invalid.map((n) => `"${n}"`).join(', ')} are invalid or conflicted`, gen), cond('Programmed', 'True', 'Programmed', 'ListenerSet is partially programmed', gen)]
            : [cond('Accepted', 'False', 'ListenersNotValid', 'No listener is valid', gen), cond('Programmed', 'False', 'Invalid', 'No listener could be programmed', gen)];
    }
    const before = JSON.stringify(obj(ls.status).conditions);
    ctx.storage.writeStatus(lsRt, ns, name, { ...obj(ls.status), conditions: withConditions(obj(ls.status).conditions, conditions, now), listeners: statuses }, { fieldManager: FIELD_MANAGER });
    const after = ctx.store.get(lsRt, ns, name);
    if (after && JSON.stringify(obj(after.status).conditions) !== before) {
      enqueueRoutesOf(`ListenerSet|${key}`, queue);
      queue.add(`gw:${gwKey}`, 20);
    }
  }

  function routeAllowed(l: Listener, routeKind: string, routeNs: string): boolean {
    if (!supportedKinds(l).kinds.includes(routeKind)) return false;
    const nsSpec = obj(l.allowedRoutes.namespaces);
    const from = str(nsSpec.from) ?? 'Same';
    if (from === 'All') return true;
    if (from === 'Same') return routeNs === l.ownerNs;
    if (from === 'Selector') {
      const sel = selectorFromObject(nsSpec.selector) ?? [];
      const nsObj = ctx.store.get(ctx.rt('/namespaces'), '', routeNs);
      return matchesLabels(sel, nsObj?.metadata.labels);
    }
    return false;
  }

  function resolvedRefs(kind: RouteKind, route: KubeObject): Condition {
    const ns = route.metadata.namespace ?? '';
    const gen = route.metadata.generation;
    for (const rule of arr(obj(route.spec).rules)) {
      for (const b of arr(obj(rule).backendRefs).filter(isObject)) {
        const group = str(b.group) ?? '';
        const bkind = str(b.kind) ?? 'Service';
        const bns = str(b.namespace) ?? ns;
        const bname = String(b.name);
        if (group !== '' || bkind !== 'Service') return cond('ResolvedRefs', 'False', 'InvalidKind', `backendRef kind ${group ? `${group}/` : ''}${bkind} is not supported`, gen);
        if (bns !== ns && !grantAllows(GROUP, kind, ns, bns, '', 'Service', bname)) {
          return cond('ResolvedRefs', 'False', 'RefNotPermitted', `backendRef to Service ${bns}/${bname} is not permitted by any ReferenceGrant`, gen);
        }
        if (!ctx.store.get(ctx.rt('/services'), bns, bname)) return cond('ResolvedRefs', 'False', 'BackendNotFound', `Service "${bns}/${bname}" not found`, gen);
      }
    }
    return cond('ResolvedRefs', 'True', 'ResolvedRefs', 'All references resolved', gen);
  }

  function reconcileRoute(routeKey: string, queue: Queue): void {
    const kind = routeKey.slice(0, routeKey.indexOf('|')) as RouteKind;
    const rt = routeRt(kind);
    const gwRt = rtOf('gateways');
    if (!rt || !gwRt) return;
    const [ns, name] = splitKey(routeKey.slice(routeKey.indexOf('|') + 1));
    const route = ctx.store.get(rt, ns, name);
    if (!route) return;
    const gen = route.metadata.generation;
    const hostnames = arr(obj(route.spec).hostnames).map(String);
    const refs = resolvedRefs(kind, route);
    const now = ctx.now();
    const controllerNames = options.controllerNames();
    const prevParents = arr(obj(route.status).parents).filter(isObject);
    const newAttachments = new Map<string, string[]>();
    const ourParents: JsonObject[] = [];
    for (const pref of arr(obj(route.spec).parentRefs).filter(isObject)) {
      const group = str(pref.group) ?? GROUP;
      const pkind = str(pref.kind) ?? 'Gateway';
      const pns = str(pref.namespace) ?? ns;
      const pname = String(pref.name);
      if (group !== GROUP) continue;
      let listeners: Listener[];
      let className: unknown;
      let parentOk = true;
      if (pkind === 'Gateway') {
        const gw = ctx.store.get(gwRt, pns, pname);
        if (!gw) continue;
        className = obj(gw.spec).gatewayClassName;
        listeners = listenersOf(gw);
      } else if (pkind === 'ListenerSet') {
        const lsRt = rtOf('listenersets');
        const ls = lsRt ? ctx.store.get(lsRt, pns, pname) : undefined;
        if (!ls) continue;
        const lpref = obj(obj(ls.spec).parentRef);
        const gw = ctx.store.get(gwRt, str(lpref.namespace) ?? pns, String(lpref.name));
        if (!gw) continue;
        className = obj(gw.spec).gatewayClassName;
        listeners = listenersOf(ls);
        parentOk = arr(obj(ls.status).conditions).some((c) => obj(c).type === 'Accepted' && obj(c).status === 'True');
      } else continue;
      const gc = ours(className);
      if (!gc) continue;
      const section = str(pref.sectionName);
      const port = typeof pref.port === 'number' ? pref.port : undefined;
      const candidates = listeners.filter((l) => (section === undefined || l.name === section) && (port === undefined || l.port === port));
      let accepted: Condition;
      let attachedTo: string[] = [];
      if (!parentOk) accepted = cond('Accepted', 'False', 'Pending', 'The parent ListenerSet is not accepted', gen);
      else if (candidates.length === 0) accepted = cond('Accepted', 'False', 'NoMatchingParent', `No listener of ${pkind} ${pns}/${pname} matches the parentRef's sectionName/port`, gen);
      else {
        const allowed = candidates.filter((l) => routeAllowed(l, kind, ns));
        if (allowed.length === 0) accepted = cond('Accepted', 'False', 'NotAllowedByListeners', `No listener of ${pkind} ${pns}/${pname} allows ${kind}s from namespace "${ns}"`, gen);
        else {
          const matching = allowed.filter((l) => hostnames.length === 0 || hostnames.some((h) => hostnamesIntersect(l.hostname, h)));
          if (matching.length === 0) accepted = cond('Accepted', 'False', 'NoMatchingListenerHostname', `No listener hostname of ${pkind} ${pns}/${pname} intersects the route's hostnames`, gen);
          else {
            accepted = cond('Accepted', 'True', 'Accepted', 'Route is accepted', gen);
            attachedTo = matching.map((l) => l.name);
          }
        }
      }
      newAttachments.set(`${pkind}|${pns}/${pname}`, attachedTo);
      const parentRef: JsonObject = { group, kind: pkind, ...(pref.namespace !== undefined ? { namespace: pref.namespace } : {}), name: pname };
      if (section !== undefined) parentRef.sectionName = section;
      if (port !== undefined) parentRef.port = port;
      const previous = prevParents.find((p) => deepEqual(p.parentRef, parentRef) && controllerNames.includes(String(p.controllerName)));
      ourParents.push({
        parentRef,
        controllerName: String(obj(gc.spec).controllerName),
        conditions: withConditions(previous?.conditions, [accepted, refs], now),
      });
    }
    const others = prevParents.filter((p) => !controllerNames.includes(String(p.controllerName)));
    const status = { ...obj(route.status), parents: [...others, ...ourParents] };
    ctx.storage.writeStatus(rt, ns, name, status, { fieldManager: FIELD_MANAGER });
    const key = `${kind}|${ns}/${name}`;
    const before = attachments.get(key);
    const changed = !before || before.size !== newAttachments.size || [...newAttachments].some(([p, ls]) => !deepEqual(before.get(p), ls));
    setAttachments(key, newAttachments);
    if (changed) {
      for (const p of new Set([...(before?.keys() ?? []), ...newAttachments.keys()])) {
        const [pk, pkey] = [p.slice(0, p.indexOf('|')), p.slice(p.indexOf('|') + 1)];
        queue.add(`${pk === 'ListenerSet' ? 'ls' : 'gw'}:${pkey}`, 20);
      }
    }
  }
}
