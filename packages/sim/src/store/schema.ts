// Structural knowledge about objects: which lists are associative (and by which keys), which are
// sets, which maps are atomic. Server-side apply (field ownership), strategic merge patch (merge
// keys) and CRD defaulting all walk objects through these nodes. Built-in kinds use the list types
// their Go types declare; CRDs use the x-kubernetes-* extensions of their openAPIV3Schema.

import { clone, isObject, type JsonObject } from '../util/json.ts';

export type ListType = 'atomic' | 'set' | 'map';

export interface SchemaNode {
  field(name: string): SchemaNode;
  items(): SchemaNode;
  readonly listType: ListType;
  readonly listKeys: readonly string[];
  /** The object is replaced as a whole (LabelSelector, maps marked x-kubernetes-map-type: atomic). */
  readonly atomic: boolean;
  /** Strategic-merge-patch key for lists of objects (built-ins only). */
  readonly patchMergeKey: string | undefined;
  /** Strategic-merge-patch strategy: primitive lists with `merge` are unions. */
  readonly patchStrategy: 'merge' | 'replace' | undefined;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const SELECTOR_FIELDS = new Set(['selector', 'podSelector', 'namespaceSelector', 'labelSelector']);
const MAP_SELECTOR_KINDS = new Set(['Service', 'ReplicationController']);

interface ListRule {
  type: ListType;
  keys: string[];
  mergeKey?: string;
  strategy?: 'merge';
}

function builtinListRule(kind: string, path: readonly string[]): ListRule {
  const last = path[path.length - 1] ?? '';
  const parent = path[path.length - 2];
  const grand = path[path.length - 3] ?? '';
  if (CONTAINER_LISTS.has(last)) return { type: 'map', keys: ['name'], mergeKey: 'name' };
  switch (last) {
    case 'env':
    case 'imagePullSecrets':
    case 'resourceClaims':
    case 'schedulingGates':
      return { type: 'map', keys: ['name'], mergeKey: 'name' };
    case 'volumes':
      return path.length === 2 || path[path.length - 2] === 'spec' ? { type: 'map', keys: ['name'], mergeKey: 'name' } : { type: 'atomic', keys: [] };
    case 'volumeMounts':
      return { type: 'map', keys: ['mountPath'], mergeKey: 'mountPath' };
    case 'volumeDevices':
      return { type: 'map', keys: ['devicePath'], mergeKey: 'devicePath' };
    case 'hostAliases':
      return { type: 'map', keys: ['ip'], mergeKey: 'ip' };
    case 'topologySpreadConstraints':
      return { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], mergeKey: 'topologyKey' };
    case 'conditions':
      return { type: 'map', keys: ['type'], mergeKey: 'type' };
    case 'ownerReferences':
      return { type: 'map', keys: ['uid'], mergeKey: 'uid' };
    case 'finalizers':
      return path.length === 2 && path[0] === 'metadata' ? { type: 'set', keys: [], strategy: 'merge' } : { type: 'atomic', keys: [] };
    case 'ports':
      if (parent === '[]' && CONTAINER_LISTS.has(grand)) return { type: 'map', keys: ['containerPort', 'protocol'], mergeKey: 'containerPort' };
      if (kind === 'Service' && path.length === 2 && path[0] === 'spec') return { type: 'map', keys: ['port', 'protocol'], mergeKey: 'port' };
      return { type: 'atomic', keys: [] };
    case 'addresses':
      if (kind === 'Node' && path[0] === 'status') return { type: 'map', keys: ['type'], mergeKey: 'type' };
      return { type: 'atomic', keys: [] };
    default:
      return { type: 'atomic', keys: [] };
  }
}

class BuiltinNode implements SchemaNode {
  readonly #kind: string;
  readonly #path: readonly string[];
  readonly #rule: ListRule;
  readonly atomic: boolean;

  constructor(kind: string, path: readonly string[]) {
    this.#kind = kind;
    this.#path = path;
    this.#rule = builtinListRule(kind, path);
    const last = path[path.length - 1] ?? '';
    this.atomic =
      SELECTOR_FIELDS.has(last) &&
      !(last === 'selector' && MAP_SELECTOR_KINDS.has(kind) && path.length === 2) &&
      !(kind === 'Scale' && last === 'selector');
  }

  field(name: string): SchemaNode {
    // Under metadata, only ownerReferences/finalizers are special; labels/annotations are plain maps.
    return new BuiltinNode(this.#kind, [...this.#path, name]);
  }

  items(): SchemaNode {
    return new BuiltinNode(this.#kind, [...this.#path, '[]']);
  }

  get listType(): ListType {
    return this.#rule.type;
  }

  get listKeys(): readonly string[] {
    return this.#rule.keys;
  }

  get patchMergeKey(): string | undefined {
    return this.#rule.mergeKey;
  }

  get patchStrategy(): 'merge' | 'replace' | undefined {
    return this.#rule.strategy;
  }
}

/** Root node for a built-in kind. */
export function builtinSchema(kind: string): SchemaNode {
  return new BuiltinNode(kind, []);
}

class CrdNode implements SchemaNode {
  readonly #schema: JsonObject | undefined;
  readonly #root: boolean;

  constructor(schema: JsonObject | undefined, root = false) {
    this.#schema = schema;
    this.#root = root;
  }

  field(name: string): SchemaNode {
    if (this.#root && name === 'metadata') return builtinSchema('CustomResource').field('metadata');
    const s = this.#schema;
    if (!s) return UNKNOWN;
    const props = s.properties;
    if (isObject(props) && isObject(props[name])) return new CrdNode(props[name]);
    if (isObject(s.additionalProperties)) return new CrdNode(s.additionalProperties);
    return UNKNOWN;
  }

  items(): SchemaNode {
    const s = this.#schema;
    return s && isObject(s.items) ? new CrdNode(s.items) : UNKNOWN;
  }

  get listType(): ListType {
    const t = this.#schema?.['x-kubernetes-list-type'];
    return t === 'map' ? 'map' : t === 'set' ? 'set' : 'atomic';
  }

  get listKeys(): readonly string[] {
    const keys = this.#schema?.['x-kubernetes-list-map-keys'];
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  }

  get atomic(): boolean {
    return this.#schema?.['x-kubernetes-map-type'] === 'atomic';
  }

  readonly patchMergeKey = undefined;
  readonly patchStrategy = undefined;
}

const UNKNOWN: SchemaNode = new CrdNode(undefined);

/** Root node for a custom resource, from its version's openAPIV3Schema (may be absent). */
export function crdSchema(schema: JsonObject | undefined): SchemaNode {
  return new CrdNode(schema, true);
}

/**
 * Applies structural-schema `default:` values, in place: parents first, then children, as the
 * apiserver does on create and update. Returns the same object.
 */
export function applySchemaDefaults(value: unknown, schema: JsonObject | undefined): unknown {
  if (!schema) return value;
  if (isObject(value)) {
    const props = isObject(schema.properties) ? schema.properties : undefined;
    if (props) {
      for (const [name, sub] of Object.entries(props)) {
        if (!isObject(sub)) continue;
        if (value[name] === undefined && sub.default !== undefined) value[name] = clone(sub.default);
        if (value[name] !== undefined) applySchemaDefaults(value[name], sub);
      }
    } else if (isObject(schema.additionalProperties)) {
      for (const v of Object.values(value)) applySchemaDefaults(v, schema.additionalProperties);
    }
  } else if (Array.isArray(value) && isObject(schema.items)) {
    for (const el of value) applySchemaDefaults(el, schema.items);
  }
  return value;
}
