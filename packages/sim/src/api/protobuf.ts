import { text } from '../util/json.ts';
// Decoding of the protobuf request bodies kubectl >= 1.32 sends for typed imperative commands
// (`create configmap|secret|namespace|deployment|service|serviceaccount`), kube-sim-spec §7.10.
// The envelope is "k8s\0" + runtime.Unknown{typeMeta, raw}; the raw object is decoded with the
// field numbers of k8s.io/api's generated.proto for the kinds below. Unknown fields are skipped.

type FieldType =
  | 'string'
  | 'bytes'
  | 'int'
  | 'bool'
  | { message: Descriptor }
  | { map: 'string' | 'bytes' | { message: Descriptor } };

interface FieldDef {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** A pointer field in Go: its zero value is meaningful and kept (JSON omits the others). */
  keep?: boolean;
}

type Descriptor = Record<number, FieldDef>;

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

// ---------------------------------------------------------------- descriptors (k8s.io/api)

const Time: Descriptor = { 1: { name: 'seconds', type: 'int' }, 2: { name: 'nanos', type: 'int' } };
const OwnerReference: Descriptor = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool', keep: true },
  7: { name: 'blockOwnerDeletion', type: 'bool', keep: true },
};
const ObjectMeta: Descriptor = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  8: { name: 'creationTimestamp', type: { message: Time } },
  11: { name: 'labels', type: { map: 'string' } },
  12: { name: 'annotations', type: { map: 'string' } },
  13: { name: 'ownerReferences', type: { message: OwnerReference }, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const LabelSelectorRequirement: Descriptor = {
  1: { name: 'key', type: 'string' },
  2: { name: 'operator', type: 'string' },
  3: { name: 'values', type: 'string', repeated: true },
};
const LabelSelector: Descriptor = {
  1: { name: 'matchLabels', type: { map: 'string' } },
  2: { name: 'matchExpressions', type: { message: LabelSelectorRequirement }, repeated: true },
};
const IntOrString: Descriptor = { 1: { name: 'type', type: 'int' }, 2: { name: 'intVal', type: 'int' }, 3: { name: 'strVal', type: 'string' } };
const Quantity: Descriptor = { 1: { name: 'string', type: 'string' } };
const ContainerPort: Descriptor = {
  1: { name: 'name', type: 'string' },
  2: { name: 'hostPort', type: 'int' },
  3: { name: 'containerPort', type: 'int' },
  4: { name: 'protocol', type: 'string' },
  5: { name: 'hostIP', type: 'string' },
};
const EnvVar: Descriptor = { 1: { name: 'name', type: 'string' }, 2: { name: 'value', type: 'string' } };
const ResourceRequirements: Descriptor = {
  1: { name: 'limits', type: { map: { message: Quantity } } },
  2: { name: 'requests', type: { map: { message: Quantity } } },
};
const Container: Descriptor = {
  1: { name: 'name', type: 'string' },
  2: { name: 'image', type: 'string' },
  3: { name: 'command', type: 'string', repeated: true },
  4: { name: 'args', type: 'string', repeated: true },
  5: { name: 'workingDir', type: 'string' },
  6: { name: 'ports', type: { message: ContainerPort }, repeated: true },
  7: { name: 'env', type: { message: EnvVar }, repeated: true },
  8: { name: 'resources', type: { message: ResourceRequirements } },
  13: { name: 'terminationMessagePath', type: 'string' },
  14: { name: 'imagePullPolicy', type: 'string' },
  16: { name: 'stdin', type: 'bool' },
  17: { name: 'stdinOnce', type: 'bool' },
  18: { name: 'tty', type: 'bool' },
  20: { name: 'terminationMessagePolicy', type: 'string' },
};
const PodSpec: Descriptor = {
  2: { name: 'containers', type: { message: Container }, repeated: true },
  3: { name: 'restartPolicy', type: 'string' },
  4: { name: 'terminationGracePeriodSeconds', type: 'int', keep: true },
  6: { name: 'dnsPolicy', type: 'string' },
  7: { name: 'nodeSelector', type: { map: 'string' } },
  8: { name: 'serviceAccountName', type: 'string' },
  19: { name: 'schedulerName', type: 'string' },
  20: { name: 'initContainers', type: { message: Container }, repeated: true },
};
const PodTemplateSpec: Descriptor = {
  1: { name: 'metadata', type: { message: ObjectMeta } },
  2: { name: 'spec', type: { message: PodSpec } },
};
const RollingUpdateDeployment: Descriptor = {
  1: { name: 'maxUnavailable', type: { message: IntOrString } },
  2: { name: 'maxSurge', type: { message: IntOrString } },
};
const DeploymentStrategy: Descriptor = {
  1: { name: 'type', type: 'string' },
  2: { name: 'rollingUpdate', type: { message: RollingUpdateDeployment } },
};
const DeploymentSpec: Descriptor = {
  1: { name: 'replicas', type: 'int', keep: true },
  2: { name: 'selector', type: { message: LabelSelector } },
  3: { name: 'template', type: { message: PodTemplateSpec } },
  4: { name: 'strategy', type: { message: DeploymentStrategy } },
  5: { name: 'minReadySeconds', type: 'int' },
  6: { name: 'revisionHistoryLimit', type: 'int', keep: true },
  7: { name: 'paused', type: 'bool' },
  9: { name: 'progressDeadlineSeconds', type: 'int', keep: true },
};
const ServicePort: Descriptor = {
  1: { name: 'name', type: 'string' },
  2: { name: 'protocol', type: 'string' },
  3: { name: 'port', type: 'int' },
  4: { name: 'targetPort', type: { message: IntOrString } },
  5: { name: 'nodePort', type: 'int' },
  6: { name: 'appProtocol', type: 'string' },
};
const ServiceSpec: Descriptor = {
  1: { name: 'ports', type: { message: ServicePort }, repeated: true },
  2: { name: 'selector', type: { map: 'string' } },
  3: { name: 'clusterIP', type: 'string' },
  4: { name: 'type', type: 'string' },
  5: { name: 'externalIPs', type: 'string', repeated: true },
  7: { name: 'sessionAffinity', type: 'string' },
  10: { name: 'externalName', type: 'string' },
};
const ObjectReference: Descriptor = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'namespace', type: 'string' },
  3: { name: 'name', type: 'string' },
};
const LocalObjectReference: Descriptor = { 1: { name: 'name', type: 'string' } };

const KINDS: Record<string, Descriptor> = {
  'v1/ConfigMap': {
    1: { name: 'metadata', type: { message: ObjectMeta } },
    2: { name: 'data', type: { map: 'string' } },
    3: { name: 'binaryData', type: { map: 'bytes' } },
    4: { name: 'immutable', type: 'bool', keep: true },
  },
  'v1/Secret': {
    1: { name: 'metadata', type: { message: ObjectMeta } },
    2: { name: 'data', type: { map: 'bytes' } },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: { map: 'string' } },
    5: { name: 'immutable', type: 'bool', keep: true },
  },
  'v1/Namespace': {
    1: { name: 'metadata', type: { message: ObjectMeta } },
    2: { name: 'spec', type: { message: { 1: { name: 'finalizers', type: 'string', repeated: true } } } },
  },
  'v1/Service': {
    1: { name: 'metadata', type: { message: ObjectMeta } },
    2: { name: 'spec', type: { message: ServiceSpec } },
  },
  'v1/ServiceAccount': {
    1: { name: 'metadata', type: { message: ObjectMeta } },
    2: { name: 'secrets', type: { message: ObjectReference }, repeated: true },
    3: { name: 'imagePullSecrets', type: { message: LocalObjectReference }, repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool', keep: true },
  },
  'policy/v1/Eviction': {
    1: { name: 'metadata', type: { message: ObjectMeta } },
    2: {
      name: 'deleteOptions',
      type: {
        message: {
          1: { name: 'gracePeriodSeconds', type: 'int', keep: true },
          3: { name: 'orphanDependents', type: 'bool', keep: true },
          4: { name: 'propagationPolicy', type: 'string' },
          5: { name: 'dryRun', type: 'string', repeated: true },
        },
      },
    },
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: { name: 'metadata', type: { message: ObjectMeta } },
    2: {
      name: 'spec',
      type: {
        message: {
          1: {
            name: 'resourceAttributes',
            type: {
              message: {
                1: { name: 'namespace', type: 'string' },
                2: { name: 'verb', type: 'string' },
                3: { name: 'group', type: 'string' },
                4: { name: 'version', type: 'string' },
                5: { name: 'resource', type: 'string' },
                6: { name: 'subresource', type: 'string' },
                7: { name: 'name', type: 'string' },
              },
            },
          },
          2: { name: 'nonResourceAttributes', type: { message: { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } } } },
        },
      },
    },
  },
  'apps/v1/Deployment': {
    1: { name: 'metadata', type: { message: ObjectMeta } },
    2: { name: 'spec', type: { message: DeploymentSpec } },
  },
};

// ---------------------------------------------------------------- wire reader

class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }

  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function toSigned(n: number): number {
  // int32 negatives are encoded as 10-byte varints (two's complement on 64 bits).
  return n >= 2 ** 63 ? n - 2 ** 64 : n;
}

function decodeScalar(type: 'string' | 'bytes' | 'int' | 'bool', r: Reader, wire: number): unknown {
  if (type === 'int') return toSigned(r.varint());
  if (type === 'bool') return r.varint() !== 0;
  if (wire !== 2) throw new Error('expected length-delimited field');
  const b = r.bytes();
  return type === 'string' ? b.toString('utf8') : b.toString('base64');
}

function decodeMessage(buf: Buffer, desc: Descriptor): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    const def = desc[field];
    if (!def) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    const t = def.type;
    if (typeof t === 'string') {
      value = decodeScalar(t, r, wire);
      // Go marshals non-pointer zero values; their JSON form omits them (omitempty).
      if (!def.keep && !def.repeated && (value === '' || value === 0 || value === false)) continue;
    } else if ('message' in t) value = decodeMessage(r.bytes(), t.message);
    else {
      const entry = new Reader(r.bytes());
      let key = '';
      let v: unknown = t.map === 'bytes' ? '' : t.map === 'string' ? '' : {};
      while (entry.pos < entry.end) {
        const etag = entry.varint();
        const ef = Math.floor(etag / 8);
        if (ef === 1) key = entry.bytes().toString('utf8');
        else if (ef === 2) {
          if (t.map === 'string') v = entry.bytes().toString('utf8');
          else if (t.map === 'bytes') v = entry.bytes().toString('base64');
          else v = decodeMessage(entry.bytes(), t.map.message);
        } else entry.skip(etag & 7);
      }
      const map = (out[def.name] as Record<string, unknown> | undefined) ?? {};
      map[key] = v;
      out[def.name] = map;
      continue;
    }
    if (def.repeated) {
      const list = (out[def.name] as unknown[] | undefined) ?? [];
      list.push(value);
      out[def.name] = list;
    } else out[def.name] = value;
  }
  return out;
}

/** Turns the decoded proto shapes into their JSON forms (Time, IntOrString, Quantity). */
function normalize(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v, key));
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  if (key === 'creationTimestamp') return null;
  if (['maxSurge', 'maxUnavailable', 'targetPort'].includes(key)) {
    return o.type === 1 ? (o.strVal ?? '') : (o.intVal ?? 0);
  }
  if (key === 'limits' || key === 'requests') {
    const q: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) q[k] = (v as Record<string, unknown>).string ?? '0';
    return q;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const n = normalize(v, k);
    if (n !== null) out[k] = n;
  }
  return out;
}

export class ProtobufError extends Error {}

/** Decodes a `application/vnd.kubernetes.protobuf` body into its JSON object form. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('missing protobuf envelope');
  const unknown = decodeMessage(body.subarray(4), {
    1: { name: 'typeMeta', type: { message: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } } },
    2: { name: 'raw', type: 'bytes' },
  });
  const tm = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const key = `${tm.apiVersion ?? ''}/${tm.kind ?? ''}`;
  const desc = KINDS[key];
  if (!desc) throw new ProtobufError(`protobuf bodies are not supported for ${key}`);
  const raw = Buffer.from(text(unknown.raw ?? ''), 'base64');
  const decoded = normalize(decodeMessage(raw, desc)) as Record<string, unknown>;
  return { apiVersion: tm.apiVersion, kind: tm.kind, ...decoded };
}

/** Lists every field of a protobuf message (debug aid for adding kinds). */
export function dumpProtobuf(buf: Buffer, depth = 0): string[] {
  const out: string[] = [];
  const r = new Reader(buf);
  try {
    while (r.pos < r.end) {
      const tag = r.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 2) {
        const b = r.bytes();
        const printable = /^[\x20-\x7e]*$/.test(b.toString('latin1'));
        out.push(`${'  '.repeat(depth)}${field}: ${printable ? JSON.stringify(b.toString('utf8')) : `<${b.length} bytes>`}`);
        if (!printable || b.length > 1) {
          try {
            if (!printable) out.push(...dumpProtobuf(b, depth + 1));
          } catch {
            // not a message
          }
        }
      } else if (wire === 0) out.push(`${'  '.repeat(depth)}${field}= ${r.varint()}`);
      else r.skip(wire);
    }
  } catch (e) {
    out.push(`${'  '.repeat(depth)}! ${(e as Error).message}`);
  }
  return out;
}
