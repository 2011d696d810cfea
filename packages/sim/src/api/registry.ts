// The resource registry: the single source of truth for discovery, OpenAPI, Table output, routing
// and CRD registration (kube-sim-spec §4.1).

import type { JsonObject } from '../util/json.ts';

export const FULL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
export const SUB_VERBS = ['get', 'patch', 'update'] as const;

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath?: string;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceType {
  /** `group/resource`, the storage key; `/pods` for the core group. */
  readonly key: string;
  readonly group: string;
  /** Served versions, preferred first. */
  readonly versions: string[];
  readonly storageVersion: string;
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly shortNames: string[];
  readonly categories: string[];
  readonly status: boolean;
  readonly scale?: ScaleSubresource;
  /** Extra subresources with their own verbs (pods/log, namespaces/finalize...). */
  readonly extraSubresources: { name: string; kind: string; group?: string; version?: string; verbs: string[] }[];
  /** `metadata.generation` is maintained (apps, networking, CRs...). */
  readonly tracksGeneration: boolean;
  /** Built-in semantics: strategic merge patch allowed, unconditional PUT allowed. */
  readonly builtin: boolean;
  readonly source: 'builtin' | 'crd' | 'aggregated';
  /** DELETE answers with the object rather than a Status. */
  readonly returnsDeletedObject: boolean;
  /** additionalPrinterColumns per version (CRDs). */
  readonly crdColumns?: Record<string, PrinterColumn[]>;
  /** openAPIV3Schema per version (CRDs). */
  readonly schemas?: Record<string, JsonObject | undefined>;
  /** Read-only virtual resources computed on request (metrics.k8s.io). */
  readonly virtual?: boolean;
}

export interface ResourceTypeInit {
  group: string;
  versions: string[];
  storageVersion?: string;
  resource: string;
  singular?: string;
  kind: string;
  listKind?: string;
  namespaced: boolean;
  verbs?: readonly string[];
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  scale?: ScaleSubresource;
  extraSubresources?: ResourceType['extraSubresources'];
  tracksGeneration?: boolean;
  builtin?: boolean;
  source?: ResourceType['source'];
  returnsDeletedObject?: boolean;
  crdColumns?: Record<string, PrinterColumn[]>;
  schemas?: Record<string, JsonObject | undefined>;
  virtual?: boolean;
}

export function defineResource(init: ResourceTypeInit): ResourceType {
  const builtin = init.builtin ?? true;
  return {
    key: `${init.group}/${init.resource}`,
    group: init.group,
    versions: init.versions,
    storageVersion: init.storageVersion ?? init.versions[0] ?? 'v1',
    resource: init.resource,
    singular: init.singular ?? init.kind.toLowerCase(),
    kind: init.kind,
    listKind: init.listKind ?? `${init.kind}List`,
    namespaced: init.namespaced,
    verbs: init.verbs ?? FULL_VERBS,
    shortNames: init.shortNames ?? [],
    categories: init.categories ?? [],
    status: init.status ?? false,
    ...(init.scale ? { scale: init.scale } : {}),
    extraSubresources: init.extraSubresources ?? [],
    tracksGeneration: init.tracksGeneration ?? !builtin,
    builtin,
    source: init.source ?? (builtin ? 'builtin' : 'crd'),
    returnsDeletedObject: init.returnsDeletedObject ?? false,
    ...(init.crdColumns ? { crdColumns: init.crdColumns } : {}),
    ...(init.schemas ? { schemas: init.schemas } : {}),
    ...(init.virtual ? { virtual: true } : {}),
  };
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Kubernetes version priority (v1 > v1beta2 > v1beta1 > v1alpha1 > other), as CRD discovery sorts. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) {
    if (pa[0] !== pb[0]) return pb[0] - pa[0];
    if (pa[1] !== pb[1]) return pb[1] - pa[1];
    return pb[2] - pa[2];
  }
  if (pa) return -1;
  if (pb) return 1;
  return a.localeCompare(b);
}

/**
 * Holds every served resource type. Mutated when CRDs are established or removed; `generation`
 * changes on every mutation so discovery and OpenAPI documents can carry a changing hash/ETag.
 */
export class Registry {
  #byKey = new Map<string, ResourceType>();
  #byGvr = new Map<string, ResourceType>();
  #byGk = new Map<string, ResourceType>();
  #generation = 0;
  #listeners = new Set<() => void>();

  get generation(): number {
    return this.#generation;
  }

  add(rt: ResourceType): void {
    const previous = this.#byKey.get(rt.key);
    if (previous) this.#unindex(previous);
    this.#byKey.set(rt.key, rt);
    for (const v of rt.versions) this.#byGvr.set(`${rt.group}/${v}/${rt.resource}`, rt);
    this.#byGk.set(`${rt.group}/${rt.kind}`, rt);
    this.#changed();
  }

  remove(key: string): void {
    const rt = this.#byKey.get(key);
    if (!rt) return;
    this.#unindex(rt);
    this.#byKey.delete(key);
    this.#changed();
  }

  #unindex(rt: ResourceType): void {
    for (const v of rt.versions) this.#byGvr.delete(`${rt.group}/${v}/${rt.resource}`);
    if (this.#byGk.get(`${rt.group}/${rt.kind}`) === rt) this.#byGk.delete(`${rt.group}/${rt.kind}`);
  }

  #changed(): void {
    this.#generation++;
    for (const l of this.#listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(key: string): ResourceType | undefined {
    return this.#byKey.get(key);
  }

  byGroupVersionResource(group: string, version: string, resource: string): ResourceType | undefined {
    return this.#byGvr.get(`${group}/${version}/${resource}`);
  }

  byGroupKind(group: string, kind: string): ResourceType | undefined {
    return this.#byGk.get(`${group}/${kind}`);
  }

  /** Resolves an `apiVersion` + `kind` pair, checking that the version is served. */
  byApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    const rt = this.#byGk.get(`${group}/${kind}`);
    return rt && rt.versions.includes(version) ? rt : undefined;
  }

  all(): ResourceType[] {
    return [...this.#byKey.values()];
  }

  /** Groups with their served versions in preference order; the core group is excluded. */
  groups(): { name: string; versions: string[] }[] {
    const groups = new Map<string, Set<string>>();
    for (const rt of this.#byKey.values()) {
      if (rt.group === '') continue;
      let set = groups.get(rt.group);
      if (!set) groups.set(rt.group, (set = new Set()));
      for (const v of rt.versions) set.add(v);
    }
    return [...groups.entries()]
      .map(([name, versions]) => ({ name, versions: [...versions].sort(compareKubeVersions) }))
      .sort((a, b) => groupOrder(a.name) - groupOrder(b.name) || a.name.localeCompare(b.name));
  }

  /** Resource types served at a group-version, in registration order. */
  resourcesAt(group: string, version: string): ResourceType[] {
    return [...this.#byKey.values()].filter((rt) => rt.group === group && rt.versions.includes(version));
  }
}

// The real apiserver lists built-in groups in a fixed priority order, CRD groups afterwards.
const GROUP_ORDER = [
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
];

function groupOrder(name: string): number {
  const i = GROUP_ORDER.indexOf(name);
  return i < 0 ? 1000 : i;
}
