import { describe, expect, it } from 'vitest';
import { decodeProtobufObject, ProtobufError } from './protobuf.ts';

// A minimal protobuf writer, enough to build what kubectl sends.
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const bytes = (field: number, b: Buffer | number[]): number[] => [...varint(field * 8 + 2), ...varint(b.length), ...b];
const str = (field: number, s: string): number[] => bytes(field, Buffer.from(s));
const int = (field: number, n: number): number[] => [...varint(field * 8), ...varint(n)];
const entry = (field: number, k: string, v: string): number[] => bytes(field, [...str(1, k), ...str(2, v)]);

function envelope(apiVersion: string, kind: string, raw: number[]): Buffer {
  return Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytes(2, raw), ...str(3, ''), ...str(4, '')]);
}

describe('protobuf request bodies', () => {
  it('decodes a ConfigMap as kubectl create configmap sends it', () => {
    const meta = [...str(1, 'cfg'), ...str(2, ''), ...str(3, 'default'), ...entry(11, 'app', 'x')];
    const body = envelope('v1', 'ConfigMap', [...bytes(1, meta), ...entry(2, 'a', '1'), ...entry(2, 'b', 'two')]);
    expect(decodeProtobufObject(body)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', labels: { app: 'x' } }, data: { a: '1', b: 'two' } });
  });

  it('decodes a Deployment with replicas, selector, template and int-or-string strategy fields', () => {
    const labels = entry(11, 'app', 'web');
    const container = [...str(1, 'nginx'), ...str(2, 'nginx:1'), ...bytes(6, int(3, 80)), ...bytes(8, [])];
    const template = [...bytes(1, labels), ...bytes(2, bytes(2, container))];
    const strategy = [...str(1, 'RollingUpdate'), ...bytes(2, [...bytes(1, [...int(1, 1), ...str(3, '25%')]), ...bytes(2, int(2, 2))])];
    const spec = [...int(1, 0), ...bytes(2, bytes(1, [...str(1, 'app'), ...str(2, 'web')])), ...bytes(3, template), ...bytes(4, strategy)];
    const out = decodeProtobufObject(envelope('apps/v1', 'Deployment', [...bytes(1, str(1, 'web')), ...bytes(2, spec)]));
    expect(out).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80 }], resources: {} }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 2 } },
      },
    });
  });

  it('refuses kinds it cannot decode and bodies without the envelope', () => {
    expect(() => decodeProtobufObject(envelope('batch/v1', 'Job', []))).toThrow(ProtobufError);
    expect(() => decodeProtobufObject(Buffer.from('{}'))).toThrow(ProtobufError);
  });
});
