// Routing of an edge, as pure functions of a zone's stored objects (no I/O): which HTTPRoute or
// Ingress rule answers a request, which certificate a TLS handshake gets, where a redirect points.
//
// Gateway API semantics (v1.x): Gateways of a GatewayClass served by the simulator, their own
// listeners and those of the ListenerSets they allow; HTTPRoutes attach through parentRefs
// (sectionName, port, allowedRoutes namespaces and kinds, hostname intersection). A request is
// matched against every attached rule in precedence order: most specific matching hostname (an
// exact hostname beats a wildcard, a longer wildcard a shorter one, both beat none), then path
// (Exact, then RegularExpression, then the longest PathPrefix), then method, header and query
// matches, then the oldest route, then namespace/name, then rule order. The first that matches wins.
//
// Legacy Ingresses (networking.k8s.io/v1) of an IngressClass the simulator serves (or with no class
// when its class is the default) are folded into the same table; their wildcard hosts match one
// label only, as the Ingress API says.

import type { KubeObject } from '@satusky/sim';
import { arr, isObject, num, obj, str, type JsonObject } from '../util/json.ts';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export type Protocol = 'http' | 'https';

export interface RoutingInput {
  gatewayClasses: readonly KubeObject[];
  gateways: readonly KubeObject[];
  listenerSets: readonly KubeObject[];
  httpRoutes: readonly KubeObject[];
  ingresses: readonly KubeObject[];
  ingressClasses: readonly KubeObject[];
  namespaces: readonly KubeObject[];
  referenceGrants: readonly KubeObject[];
}

export interface RoutingConfig {
  /** `controllerName`s of the GatewayClasses this edge implements. */
  gatewayControllerNames: readonly string[];
  /** `spec.controller` of the IngressClasses this edge implements. */
  ingressControllerName: string;
}

export interface PathMatch {
  type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value: string;
  regex?: RegExp;
}

export interface ValueMatch {
  type: 'Exact' | 'RegularExpression';
  /** Lower-case for headers. */
  name: string;
  value: string;
  regex?: RegExp;
}

export interface RouteMatch {
  path: PathMatch;
  headers: ValueMatch[];
  queryParams: ValueMatch[];
  method?: string;
}

export interface BackendRef {
  namespace: string;
  name: string;
  port?: number;
  weight: number;
  /** Why this reference cannot be used (requests for it get 500). */
  problem?: string;
}

export interface RedirectSpec {
  scheme?: Protocol;
  hostname?: string;
  port?: number;
  path?: { type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; value: string };
  statusCode: number;
}

export interface RouteSource {
  kind: 'HTTPRoute' | 'Ingress';
  namespace: string;
  name: string;
  /** creationTimestamp (RFC 3339), for "oldest route wins". */
  createdAt: string;
}

export interface RouteEntry {
  protocol: Protocol;
  /** Effective hostnames (listener ∩ route); empty = any host. */
  hostnames: string[];
  /** Ingress wildcards match exactly one label; Gateway API ones one or more. */
  singleLabelWildcard: boolean;
  match: RouteMatch;
  redirect?: RedirectSpec;
  backends: BackendRef[];
  source: RouteSource;
  ruleIndex: number;
  matchIndex: number;
}

export interface TlsEntry {
  /** Listener hostname or Ingress TLS host; undefined = any server name. */
  hostname?: string;
  singleLabelWildcard: boolean;
  secret: { namespace: string; name: string };
  /** "Gateway ns/name listener https", "ListenerSet ...", "Ingress ns/name". */
  source: string;
  order: number;
}

export interface RouteTable {
  entries: RouteEntry[];
  tls: TlsEntry[];
  /** Candidates per protocol and host, sorted by precedence (filled lazily). */
  readonly cache: Map<string, Candidate[]>;
}

interface Candidate {
  entry: RouteEntry;
  hostScore: number;
}

interface Listener {
  name: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  hostname: string | undefined;
  allowedRoutes: JsonObject;
  tls: JsonObject;
  ownerKind: 'Gateway' | 'ListenerSet';
  ownerNamespace: string;
  ownerName: string;
}

// ------------------------------------------------------------------------------ hostnames

/**
 * How specifically `pattern` matches `host`: -1 = no match, 0 = catch-all (no pattern), a wildcard
 * scores its length, an exact name 1000 + its length. Names are compared lower-case.
 */
export function hostnameScore(pattern: string | undefined, host: string, singleLabelWildcard = false): number {
  if (pattern === undefined || pattern === '') return 0;
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (!p.startsWith('*.')) return p === h ? 1000 + p.length : -1;
  const suffix = p.slice(1); // ".example.com"
  if (!h.endsWith(suffix) || h.length <= suffix.length) return -1;
  const head = h.slice(0, h.length - suffix.length);
  if (singleLabelWildcard && head.includes('.')) return -1;
  return p.length;
}

/** Gateway API hostname intersection of a listener hostname and a route hostname. */
export function intersectHostnames(listener: string | undefined, route: string): string | undefined {
  const r = route.toLowerCase();
  if (listener === undefined) return r;
  const l = listener.toLowerCase();
  if (l === r) return r;
  const lw = l.startsWith('*.');
  const rw = r.startsWith('*.');
  if (lw && !rw) return hostnameScore(l, r) >= 0 ? r : undefined;
  if (rw && !lw) return hostnameScore(r, l) >= 0 ? l : undefined;
  if (lw && rw) {
    const [long, short] = l.length >= r.length ? [l, r] : [r, l];
    return long.slice(1).endsWith(short.slice(1)) ? long : undefined;
  }
  return undefined;
}

// ------------------------------------------------------------------------------ selectors

function matchesSelector(selector: unknown, labels: JsonObject): boolean {
  const s = obj(selector);
  for (const [k, v] of Object.entries(obj(s.matchLabels))) if (labels[k] !== v) return false;
  for (const e of arr(s.matchExpressions).filter(isObject)) {
    const key = String(e.key);
    const values = arr(e.values).map(String);
    const has = Object.hasOwn(labels, key);
    const value = has ? String(labels[key]) : undefined;
    switch (e.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function namespaceAllowed(from: string, selector: unknown, ownerNs: string, ns: string, nsLabels: Map<string, JsonObject>): boolean {
  if (from === 'All') return true;
  if (from === 'Same') return ns === ownerNs;
  if (from === 'Selector') return matchesSelector(selector, nsLabels.get(ns) ?? {});
  return false;
}

function referenceGranted(
  grants: readonly KubeObject[],
  from: { group: string; kind: string; namespace: string },
  to: { group: string; kind: string; namespace: string; name: string },
): boolean {
  if (from.namespace === to.namespace) return true;
  return grants.some((g) => {
    if (g.metadata.namespace !== to.namespace) return false;
    const spec = obj(g.spec);
    const fromOk = arr(spec.from).filter(isObject).some((f) => (str(f.group) ?? '') === from.group && f.kind === from.kind && f.namespace === from.namespace);
    const toOk = arr(spec.to).filter(isObject).some((t) => (str(t.group) ?? '') === to.group && t.kind === to.kind && (str(t.name) === undefined || t.name === to.name));
    return fromOk && toOk;
  });
}

// ------------------------------------------------------------------------------ table

const byAge = (a: KubeObject, b: KubeObject): number =>
  (str(a.metadata.creationTimestamp) ?? '').localeCompare(str(b.metadata.creationTimestamp) ?? '') ||
  `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`);

const live = (o: KubeObject): boolean => o.metadata.deletionTimestamp === undefined;

function listenersOf(o: KubeObject, ownerKind: 'Gateway' | 'ListenerSet'): Listener[] {
  const out: Listener[] = [];
  for (const l of arr(obj(o.spec).listeners).filter(isObject)) {
    const protocol = l.protocol === 'HTTPS' ? 'HTTPS' : l.protocol === 'HTTP' ? 'HTTP' : undefined;
    if (!protocol) continue;
    const tls = obj(l.tls);
    if (protocol === 'HTTPS' && tls.mode === 'Passthrough') continue;
    out.push({
      name: String(l.name),
      port: num(l.port) ?? 0,
      protocol,
      hostname: str(l.hostname)?.toLowerCase(),
      allowedRoutes: obj(l.allowedRoutes),
      tls,
      ownerKind,
      ownerNamespace: o.metadata.namespace ?? '',
      ownerName: o.metadata.name,
    });
  }
  return out;
}

function listenerSetAllowed(gw: KubeObject, ls: KubeObject, nsLabels: Map<string, JsonObject>): boolean {
  const nsSpec = obj(obj(obj(gw.spec).allowedListeners).namespaces);
  return namespaceAllowed(str(nsSpec.from) ?? 'None', nsSpec.selector, gw.metadata.namespace ?? '', ls.metadata.namespace ?? '', nsLabels);
}

function routeAllowedOn(l: Listener, routeNs: string, nsLabels: Map<string, JsonObject>): boolean {
  const kinds = arr(l.allowedRoutes.kinds).filter(isObject);
  if (kinds.length > 0 && !kinds.some((k) => (str(k.group) ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === 'HTTPRoute')) return false;
  const nsSpec = obj(l.allowedRoutes.namespaces);
  return namespaceAllowed(str(nsSpec.from) ?? 'Same', nsSpec.selector, l.ownerNamespace, routeNs, nsLabels);
}

function compileRegex(value: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${value})$`);
  } catch {
    return undefined;
  }
}

function parseValueMatches(list: unknown, lower: boolean): ValueMatch[] | undefined {
  const out: ValueMatch[] = [];
  for (const m of arr(list).filter(isObject)) {
    const type = m.type === 'RegularExpression' ? 'RegularExpression' : 'Exact';
    const name = lower ? String(m.name).toLowerCase() : String(m.name);
    const value = typeof m.value === 'string' ? m.value : '';
    if (type === 'RegularExpression') {
      const regex = compileRegex(value);
      if (!regex) return undefined;
      out.push({ type, name, value, regex });
    } else out.push({ type, name, value });
  }
  return out;
}

function parsePathMatch(p: unknown): PathMatch | undefined {
  const path = obj(p);
  const type = path.type === 'Exact' ? 'Exact' : path.type === 'RegularExpression' ? 'RegularExpression' : 'PathPrefix';
  const value = str(path.value) ?? '/';
  if (type === 'RegularExpression') {
    const regex = compileRegex(value);
    return regex ? { type, value, regex } : undefined;
  }
  if (!value.startsWith('/')) return undefined;
  return { type, value };
}

function parseRouteMatch(m: JsonObject): RouteMatch | undefined {
  const path = parsePathMatch(m.path);
  const headers = parseValueMatches(m.headers, true);
  const queryParams = parseValueMatches(m.queryParams, false);
  if (!path || !headers || !queryParams) return undefined;
  const method = str(m.method);
  return { path, headers, queryParams, ...(method ? { method: method.toUpperCase() } : {}) };
}

function parseRedirect(filters: unknown): RedirectSpec | undefined {
  const f = arr(filters).filter(isObject).find((x) => x.type === 'RequestRedirect');
  if (!f) return undefined;
  const r = obj(f.requestRedirect);
  const scheme = r.scheme === 'https' ? 'https' : r.scheme === 'http' ? 'http' : undefined;
  const p = obj(r.path);
  const path =
    p.type === 'ReplaceFullPath'
      ? { type: 'ReplaceFullPath' as const, value: str(p.replaceFullPath) ?? '/' }
      : p.type === 'ReplacePrefixMatch'
        ? { type: 'ReplacePrefixMatch' as const, value: str(p.replacePrefixMatch) ?? '/' }
        : undefined;
  const hostname = str(r.hostname);
  const port = num(r.port);
  return {
    statusCode: num(r.statusCode) ?? 302,
    ...(scheme ? { scheme } : {}),
    ...(hostname ? { hostname: hostname.toLowerCase() } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(path ? { path } : {}),
  };
}

/** Builds the routing table of one edge from a zone's objects. */
export function buildRouteTable(input: RoutingInput, config: RoutingConfig): RouteTable {
  const nsLabels = new Map(input.namespaces.map((n) => [n.metadata.name, obj(n.metadata.labels)]));
  const classes = new Set(input.gatewayClasses.filter((gc) => live(gc) && config.gatewayControllerNames.includes(String(obj(gc.spec).controllerName))).map((gc) => gc.metadata.name));
  const gateways = input.gateways.filter((g) => live(g) && classes.has(String(obj(g.spec).gatewayClassName))).sort(byAge);
  const gatewayByKey = new Map(gateways.map((g) => [`${g.metadata.namespace ?? ''}/${g.metadata.name}`, g]));
  const listeners = new Map<string, Listener[]>();
  for (const g of gateways) listeners.set(`Gateway|${g.metadata.namespace ?? ''}/${g.metadata.name}`, listenersOf(g, 'Gateway'));
  const listenerSets = input.listenerSets.filter(live).sort(byAge);
  for (const ls of listenerSets) {
    const ns = ls.metadata.namespace ?? '';
    const parent = obj(obj(ls.spec).parentRef);
    if ((str(parent.group) ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (str(parent.kind) ?? 'Gateway') !== 'Gateway') continue;
    const gw = gatewayByKey.get(`${str(parent.namespace) ?? ns}/${String(parent.name)}`);
    if (!gw || !listenerSetAllowed(gw, ls, nsLabels)) continue;
    listeners.set(`ListenerSet|${ns}/${ls.metadata.name}`, listenersOf(ls, 'ListenerSet'));
  }

  const tls: TlsEntry[] = [];
  for (const list of listeners.values()) {
    for (const l of list) {
      if (l.protocol !== 'HTTPS') continue;
      const ref = arr(l.tls.certificateRefs).filter(isObject)[0];
      if (!ref || (str(ref.group) ?? '') !== '' || (str(ref.kind) ?? 'Secret') !== 'Secret') continue;
      const secret = { namespace: str(ref.namespace) ?? l.ownerNamespace, name: String(ref.name) };
      if (!referenceGranted(input.referenceGrants, { group: GATEWAY_GROUP, kind: l.ownerKind, namespace: l.ownerNamespace }, { group: '', kind: 'Secret', ...secret })) continue;
      tls.push({
        ...(l.hostname ? { hostname: l.hostname } : {}),
        singleLabelWildcard: false,
        secret,
        source: `${l.ownerKind} ${l.ownerNamespace}/${l.ownerName} listener ${l.name}`,
        order: tls.length,
      });
    }
  }

  const entries: RouteEntry[] = [];
  for (const route of input.httpRoutes.filter(live)) {
    const ns = route.metadata.namespace ?? '';
    const spec = obj(route.spec);
    const routeHosts = arr(spec.hostnames).map(String).map((h) => h.toLowerCase());
    const source: RouteSource = { kind: 'HTTPRoute', namespace: ns, name: route.metadata.name, createdAt: str(route.metadata.creationTimestamp) ?? '' };
    // Listener attachments: protocol -> effective hostname sets (deduplicated).
    const attachments = new Map<string, { protocol: Protocol; hostnames: string[] }>();
    for (const pref of arr(spec.parentRefs).filter(isObject)) {
      if ((str(pref.group) ?? GATEWAY_GROUP) !== GATEWAY_GROUP) continue;
      const kind = str(pref.kind) ?? 'Gateway';
      if (kind !== 'Gateway' && kind !== 'ListenerSet') continue;
      const candidates = listeners.get(`${kind}|${str(pref.namespace) ?? ns}/${String(pref.name)}`) ?? [];
      const section = str(pref.sectionName);
      const port = num(pref.port);
      for (const l of candidates) {
        if (section !== undefined && l.name !== section) continue;
        if (port !== undefined && l.port !== port) continue;
        if (!routeAllowedOn(l, ns, nsLabels)) continue;
        let hostnames: string[];
        if (routeHosts.length === 0) hostnames = l.hostname ? [l.hostname] : [];
        else {
          hostnames = routeHosts.map((h) => intersectHostnames(l.hostname, h)).filter((h): h is string => h !== undefined);
          if (hostnames.length === 0) continue;
        }
        const protocol: Protocol = l.protocol === 'HTTPS' ? 'https' : 'http';
        hostnames = [...new Set(hostnames)].sort();
        attachments.set(`${protocol}|${hostnames.join(',')}`, { protocol, hostnames });
      }
    }
    if (attachments.size === 0) continue;
    arr(spec.rules).forEach((r, ruleIndex) => {
      const rule = obj(r);
      const redirect = parseRedirect(rule.filters);
      const backends = arr(rule.backendRefs)
        .filter(isObject)
        .map((b): BackendRef => {
          const group = str(b.group) ?? '';
          const kind = str(b.kind) ?? 'Service';
          const ref: BackendRef = { namespace: str(b.namespace) ?? ns, name: String(b.name), weight: num(b.weight) ?? 1 };
          const port = num(b.port);
          if (port !== undefined) ref.port = port;
          if ((group !== '' && group !== 'core') || kind !== 'Service') ref.problem = `backendRef kind ${group ? `${group}/` : ''}${kind} is not supported`;
          else if (!referenceGranted(input.referenceGrants, { group: GATEWAY_GROUP, kind: 'HTTPRoute', namespace: ns }, { group: '', kind: 'Service', namespace: ref.namespace, name: ref.name })) {
            ref.problem = `backendRef to Service ${ref.namespace}/${ref.name} is not permitted by any ReferenceGrant`;
          }
          return ref;
        });
      const rawMatches = arr(rule.matches).filter(isObject);
      const matches = rawMatches.length > 0 ? rawMatches : [{}];
      matches.forEach((m, matchIndex) => {
        const match = parseRouteMatch(m);
        if (!match) return;
        for (const a of attachments.values()) {
          entries.push({ protocol: a.protocol, hostnames: a.hostnames, singleLabelWildcard: false, match, ...(redirect ? { redirect } : {}), backends, source, ruleIndex, matchIndex });
        }
      });
    });
  }

  const ingressOurs = (ing: KubeObject): boolean => {
    const className = str(obj(ing.spec).ingressClassName) ?? str(obj(ing.metadata.annotations)['kubernetes.io/ingress.class']);
    if (className) {
      const ic = input.ingressClasses.find((c) => c.metadata.name === className);
      return obj(ic?.spec).controller === config.ingressControllerName;
    }
    return input.ingressClasses.some((c) => obj(c.metadata.annotations)['ingressclass.kubernetes.io/is-default-class'] === 'true' && obj(c.spec).controller === config.ingressControllerName);
  };
  const ingressBackend = (ns: string, backend: unknown): BackendRef => {
    const b = obj(backend);
    const service = obj(b.service);
    if (!isObject(b.service)) return { namespace: ns, name: '', weight: 1, problem: 'Ingress resource backends are not supported' };
    const port = num(obj(service.port).number);
    return { namespace: ns, name: String(service.name), weight: 1, ...(port !== undefined ? { port } : {}) };
  };
  for (const ing of input.ingresses.filter(live).sort(byAge)) {
    if (!ingressOurs(ing)) continue;
    const ns = ing.metadata.namespace ?? '';
    const spec = obj(ing.spec);
    const source: RouteSource = { kind: 'Ingress', namespace: ns, name: ing.metadata.name, createdAt: str(ing.metadata.creationTimestamp) ?? '' };
    const push = (hostnames: string[], match: RouteMatch, backend: BackendRef, ruleIndex: number, matchIndex: number): void => {
      for (const protocol of ['http', 'https'] as const) entries.push({ protocol, hostnames, singleLabelWildcard: true, match, backends: [backend], source, ruleIndex, matchIndex });
    };
    arr(spec.rules).forEach((r, ruleIndex) => {
      const rule = obj(r);
      const host = str(rule.host)?.toLowerCase();
      arr(obj(rule.http).paths).forEach((p, matchIndex) => {
        const path = obj(p);
        const value = str(path.path) ?? '/';
        if (!value.startsWith('/')) return;
        const match: RouteMatch = { path: { type: path.pathType === 'Exact' ? 'Exact' : 'PathPrefix', value }, headers: [], queryParams: [] };
        push(host ? [host] : [], match, ingressBackend(ns, path.backend), ruleIndex, matchIndex);
      });
    });
    if (isObject(spec.defaultBackend)) {
      push([], { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }, ingressBackend(ns, spec.defaultBackend), Number.MAX_SAFE_INTEGER, 0);
    }
    for (const t of arr(spec.tls).filter(isObject)) {
      const secretName = str(t.secretName);
      if (!secretName) continue;
      const hosts = arr(t.hosts).map(String).filter((h) => h !== '');
      for (const h of hosts.length > 0 ? hosts : [undefined]) {
        tls.push({ ...(h ? { hostname: h.toLowerCase() } : {}), singleLabelWildcard: true, secret: { namespace: ns, name: secretName }, source: `Ingress ${ns}/${ing.metadata.name}`, order: tls.length });
      }
    }
  }
  return { entries, tls, cache: new Map() };
}

// ------------------------------------------------------------------------------ matching

const PATH_RANK = { Exact: 3, RegularExpression: 2, PathPrefix: 1 } as const;

function precedence(a: Candidate, b: Candidate): number {
  const x = a.entry;
  const y = b.entry;
  return (
    b.hostScore - a.hostScore ||
    PATH_RANK[y.match.path.type] - PATH_RANK[x.match.path.type] ||
    y.match.path.value.length - x.match.path.value.length ||
    (y.match.method ? 1 : 0) - (x.match.method ? 1 : 0) ||
    y.match.headers.length - x.match.headers.length ||
    y.match.queryParams.length - x.match.queryParams.length ||
    x.source.createdAt.localeCompare(y.source.createdAt) ||
    `${x.source.namespace}/${x.source.name}`.localeCompare(`${y.source.namespace}/${y.source.name}`) ||
    x.ruleIndex - y.ruleIndex ||
    x.matchIndex - y.matchIndex
  );
}

/** The rule candidates for a host, most specific first. */
export function candidatesFor(table: RouteTable, protocol: Protocol, host: string): Candidate[] {
  const key = `${protocol}|${host}`;
  const cached = table.cache.get(key);
  if (cached) return cached;
  const out: Candidate[] = [];
  for (const entry of table.entries) {
    if (entry.protocol !== protocol) continue;
    let hostScore = entry.hostnames.length === 0 ? 0 : -1;
    for (const h of entry.hostnames) hostScore = Math.max(hostScore, hostnameScore(h, host, entry.singleLabelWildcard));
    if (hostScore >= 0) out.push({ entry, hostScore });
  }
  out.sort(precedence);
  if (table.cache.size > 10_000) table.cache.clear();
  table.cache.set(key, out);
  return out;
}

export function pathMatches(m: PathMatch, path: string): boolean {
  switch (m.type) {
    case 'Exact':
      return path === m.value;
    case 'RegularExpression':
      return m.regex?.test(path) ?? false;
    case 'PathPrefix': {
      const prefix = m.value.replace(/\/+$/, '');
      if (prefix === '') return true;
      return path === prefix || path.startsWith(`${prefix}/`);
    }
  }
}

function valueMatches(m: ValueMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  return m.type === 'Exact' ? value === m.value : (m.regex?.test(value) ?? false);
}

export interface RoutingRequest {
  protocol: Protocol;
  /** Lower-case, without port. */
  host: string;
  /** Path without the query string. */
  path: string;
  method: string;
  /** Header lookup by lower-case name. */
  header: (name: string) => string | undefined;
  query: URLSearchParams;
}

/** The first rule (in precedence order) that matches the request, or undefined (404). */
export function matchRoute(table: RouteTable, req: RoutingRequest): RouteEntry | undefined {
  for (const { entry } of candidatesFor(table, req.protocol, req.host)) {
    const m = entry.match;
    if (!pathMatches(m.path, req.path)) continue;
    if (m.method && m.method !== req.method) continue;
    if (!m.headers.every((h) => valueMatches(h, req.header(h.name)))) continue;
    if (!m.queryParams.every((q) => valueMatches(q, req.query.get(q.name) ?? undefined))) continue;
    return entry;
  }
  return undefined;
}

/** Whether any rule serves this host at all (to tell "unknown host" from "no matching path"). */
export function hostKnown(table: RouteTable, protocol: Protocol, host: string): boolean {
  return candidatesFor(table, protocol, host).length > 0;
}

/** The certificate for a TLS server name: the most specific listener/Ingress hostname, then the first declared. */
export function selectTls(table: RouteTable, serverName: string): TlsEntry | undefined {
  let best: TlsEntry | undefined;
  let bestScore = -1;
  for (const t of table.tls) {
    const score = hostnameScore(t.hostname, serverName, t.singleLabelWildcard);
    if (score > bestScore || (score === bestScore && best !== undefined && t.order < best.order)) {
      best = t;
      bestScore = score;
    }
  }
  return best;
}

/** Weighted choice among backend references; undefined when every weight is 0 or there are none. */
export function pickBackend(backends: readonly BackendRef[], random: () => number = Math.random): BackendRef | undefined {
  const total = backends.reduce((s, b) => s + Math.max(0, b.weight), 0);
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const b of backends) {
    if (b.weight <= 0) continue;
    r -= b.weight;
    if (r < 0) return b;
  }
  return backends.filter((b) => b.weight > 0).at(-1);
}

export interface RedirectContext {
  protocol: Protocol;
  host: string;
  path: string;
  /** Query string including '?', or ''. */
  search: string;
  /** The PathPrefix value the request matched (for ReplacePrefixMatch). */
  matchedPrefix?: string;
  /** The edge's published ports: a Gateway's port 80 is the edge HTTP port, 443 the HTTPS one. */
  ports: { http: number; https: number };
}

/**
 * The Location of a RequestRedirect. Without an explicit port, a scheme change goes to the well-known
 * port of the new scheme and otherwise the request's port; 80 and 443 are published as the edge's
 * HTTP and HTTPS ports. The port is omitted when it is the scheme's default.
 */
export function redirectLocation(r: RedirectSpec, ctx: RedirectContext): string {
  const scheme = r.scheme ?? ctx.protocol;
  const hostname = r.hostname ?? ctx.host;
  const publish = (p: number): number => (p === 80 ? ctx.ports.http : p === 443 ? ctx.ports.https : p);
  const port = r.port !== undefined ? publish(r.port) : r.scheme !== undefined ? (scheme === 'https' ? ctx.ports.https : ctx.ports.http) : ctx.protocol === 'https' ? ctx.ports.https : ctx.ports.http;
  const defaultPort = scheme === 'https' ? 443 : 80;
  let path = ctx.path;
  if (r.path?.type === 'ReplaceFullPath') path = r.path.value;
  else if (r.path?.type === 'ReplacePrefixMatch') {
    const prefix = (ctx.matchedPrefix ?? '/').replace(/\/+$/, '');
    const rest = path.slice(prefix.length);
    path = r.path.value.replace(/\/+$/, '') + rest;
    if (!path.startsWith('/')) path = `/${path}`;
  }
  return `${scheme}://${hostname}${port === defaultPort ? '' : `:${port}`}${path}${ctx.search}`;
}
