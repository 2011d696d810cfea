import { describe, expect, it } from 'vitest';
import type { ApiError } from '../api/errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';
import { builtinSchema } from './schema.ts';

describe('JSON patch', () => {
  it('applies add, remove, replace, move, copy and test with pointer escapes', () => {
    const doc = { metadata: { annotations: { 'a/b': '1' } }, list: [1, 2] };
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'replace', path: '/metadata/annotations/a~1b', value: '2' },
      { op: 'copy', from: '/list/0', path: '/first' },
      { op: 'move', from: '/first', path: '/moved' },
      { op: 'remove', path: '/list/1' },
      { op: 'test', path: '/moved', value: 1 },
    ]);
    expect(out).toEqual({ metadata: { annotations: { 'a/b': '2' } }, list: [1, 3], moved: 1 });
    expect(doc.list).toEqual([1, 2]);
  });

  it('answers 422 when an operation does not apply and 400 for a malformed patch', () => {
    const err = (f: () => unknown): ApiError => {
      try {
        f();
      } catch (e) {
        return e as ApiError;
      }
      throw new Error('expected a failure');
    };
    expect(err(() => applyJsonPatch({}, [{ op: 'replace', path: '/x', value: 1 }])).code).toBe(422);
    expect(err(() => applyJsonPatch({ x: 1 }, [{ op: 'test', path: '/x', value: 2 }])).code).toBe(422);
    expect(err(() => applyJsonPatch({}, { op: 'add' })).code).toBe(400);
  });
});

describe('merge patch', () => {
  it('deletes with null and replaces arrays', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: null, e: 4 }, l: [9] })).toEqual({ b: { d: 3, e: 4 }, l: [9] });
  });
});

describe('strategic merge patch', () => {
  const deploy = builtinSchema('Deployment');
  const current = {
    metadata: { finalizers: ['a'] },
    spec: {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
            { name: 'sidecar', image: 'envoy:1' },
          ],
        },
      },
    },
  };

  it('merges lists by their patch merge key and unions finalizers', () => {
    const out = applyStrategicMergePatch(current, {
      metadata: { finalizers: ['b'] },
      spec: { template: { spec: { $setElementOrder$containers: [], 'containers': [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: '2' }] }] } } },
    }, deploy) as typeof current;
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
    expect(out.spec.template.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['app', 'app:2'],
      ['sidecar', 'envoy:1'],
    ]);
    expect(out.spec.template.spec.containers[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
  });

  it('honours $patch: delete, $retainKeys and $deleteFromPrimitiveList, and strips directives', () => {
    const out = applyStrategicMergePatch(current, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
        template: { spec: { '$setElementOrder/containers': [{ name: 'app' }], containers: [{ name: 'sidecar', $patch: 'delete' }] } },
      },
    }, deploy) as typeof current & { spec: { strategy: Record<string, unknown> } };
    expect(out.metadata.finalizers).toEqual([]);
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(JSON.stringify(out)).not.toContain('$');
  });
});
