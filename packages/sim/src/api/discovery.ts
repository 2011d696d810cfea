// Discovery documents (kube-sim-spec §4): legacy APIVersions/APIGroupList/APIResourceList and
// aggregated discovery v2 (APIGroupDiscoveryList), all derived from the registry.

import { apiVersionOf, SUB_VERBS, type Registry, type ResourceType } from './registry.ts';

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(name: string, versions: string[]): object {
  const preferred = versions[0] ?? 'v1';
  return {
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${preferred}`, version: preferred },
  };
}

export function apiGroupList(registry: Registry): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().map((g) => groupEntry(g.name, g.versions)) };
}

export function apiGroup(registry: Registry, name: string): object | undefined {
  const g = registry.groups().find((x) => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g.name, g.versions) } : undefined;
}

function subresourcesOf(rt: ResourceType): { name: string; kind: string; group?: string; version?: string; verbs: string[] }[] {
  const out: { name: string; kind: string; group?: string; version?: string; verbs: string[] }[] = [];
  if (rt.scale) out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: [...SUB_VERBS] });
  if (rt.status) out.push({ name: 'status', kind: rt.kind, verbs: [...SUB_VERBS] });
  out.push(...rt.extraSubresources);
  return out;
}

export function apiResourceList(registry: Registry, group: string, version: string): object | undefined {
  const types = registry.resourcesAt(group, version);
  if (types.length === 0) return undefined;
  const resources: object[] = [];
  for (const rt of types) {
    const entry: Record<string, unknown> = {
      name: rt.resource,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: [...rt.verbs],
    };
    if (rt.shortNames.length > 0) entry.shortNames = rt.shortNames;
    if (rt.categories.length > 0) entry.categories = rt.categories;
    resources.push(entry);
    // A main resource must come before its subresources (client-node resolves kinds by first match).
    for (const sub of subresourcesOf(rt)) {
      const s: Record<string, unknown> = { name: `${rt.resource}/${sub.name}`, singularName: '', namespaced: rt.namespaced };
      if (sub.group !== undefined) s.group = sub.group;
      if (sub.version !== undefined) s.version = sub.version;
      s.kind = sub.kind;
      s.verbs = sub.verbs;
      resources.push(s);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
}

function discoveryResource(rt: ResourceType, version: string): object {
  const r: Record<string, unknown> = {
    resource: rt.resource,
    responseKind: { group: rt.group, version, kind: rt.kind },
    scope: rt.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: rt.singular,
    verbs: [...rt.verbs],
  };
  if (rt.shortNames.length > 0) r.shortNames = rt.shortNames;
  if (rt.categories.length > 0) r.categories = rt.categories;
  const subs = subresourcesOf(rt);
  if (subs.length > 0) {
    r.subresources = subs.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? rt.group, version: s.version ?? version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return r;
}

export function aggregatedDiscovery(registry: Registry, core: boolean, apiVersion: 'v2' | 'v2beta1'): object {
  const items: object[] = [];
  const groups = core ? [{ name: '', versions: ['v1'] }] : registry.groups();
  for (const g of groups) {
    const versions = g.versions.map((v) => ({
      version: v,
      resources: registry.resourcesAt(g.name, v).map((rt) => discoveryResource(rt, v)),
      freshness: 'Current',
    }));
    items.push({ metadata: core ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null }, versions });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${apiVersion}`, metadata: {}, items };
}
