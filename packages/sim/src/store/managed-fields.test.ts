import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.ts';
import { fieldSetOf, fieldsV1ToSet, formatPath, recordUpdate, serverSideApply, setToFieldsV1 } from './managed-fields.ts';
import { builtinSchema, crdSchema } from './schema.ts';

const deploy = builtinSchema('Deployment');
const now = '2026-01-01T00:00:00Z';

function apply(live: Record<string, unknown> | undefined, applied: Record<string, unknown>, manager: string, force = false): Record<string, unknown> {
  return serverSideApply({ live, applied, root: deploy, manager, apiVersion: 'apps/v1', force, subresource: undefined, scope: 'main', now });
}

const base = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', team: 'a' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } },
  },
};

describe('field sets', () => {
  it('encodes the FieldsV1 trie the apiserver writes, with associative list keys', () => {
    const set = fieldSetOf(base, deploy, 'main');
    expect(setToFieldsV1(set)).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {}, 'f:team': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } } } } },
        },
      },
    });
  });

  it('round-trips any set through the trie', () => {
    const element = fc.oneof(fc.string({ minLength: 1, maxLength: 5 }).map((s) => `f:${s}`), fc.nat(99).map((n) => `k:{"name":"c${n}"}`), fc.string({ maxLength: 4 }).map((s) => `v:${JSON.stringify(s)}`));
    fc.assert(
      fc.property(fc.uniqueArray(fc.array(element, { minLength: 1, maxLength: 4 }).map((p) => p.join('\u0001'))), (paths) => {
        const set = new Set(paths);
        expect(fieldsV1ToSet(setToFieldsV1(set))).toEqual(set);
      }),
    );
  });

  it('formats paths as structured-merge-diff does', () => {
    expect(formatPath('f:spec\u0001f:template\u0001f:spec\u0001f:containers\u0001k:{"name":"nginx"}\u0001f:image')).toBe('.spec.template.spec.containers[name="nginx"].image');
    expect(formatPath('f:metadata\u0001f:finalizers\u0001v:"x"')).toBe('.metadata.finalizers[="x"]');
  });

  it('treats CRD lists per x-kubernetes-list-type and maps as granular', () => {
    const schema = crdSchema({ type: 'object', properties: { spec: { type: 'object', properties: { items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'] }, tags: { type: 'array' } } } } });
    const set = fieldSetOf({ spec: { items: [{ id: 'a', v: 1 }], tags: ['x'] } }, schema, 'all');
    expect(setToFieldsV1(set)).toEqual({ 'f:spec': { 'f:items': { 'k:{"id":"a"}': { '.': {}, 'f:id': {}, 'f:v': {} } }, 'f:tags': {} } });
  });
});

describe('server-side apply', () => {
  it('reports conflicts with the apiserver message and resolves them with force', () => {
    const created = apply(undefined, base, 'kubectl');
    const change = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } } };
    let err: unknown;
    try {
      apply(created, change, 'other');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(409);
    expect((err as ApiError).message).toBe('Apply failed with 2 conflicts: conflicts with "kubectl":\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image');
    expect((err as ApiError).details?.causes).toEqual([
      { type: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.replicas' },
      { type: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.template.spec.containers[name="nginx"].image' },
    ]);
    const forced = apply(created, change, 'other', true) as { spec: { replicas: number }; metadata: { managedFields: { manager: string; fieldsV1: unknown }[] } };
    expect(forced.spec.replicas).toBe(5);
    const kubectl = forced.metadata.managedFields.find((m) => m.manager === 'kubectl');
    expect(JSON.stringify(kubectl?.fieldsV1)).not.toContain('f:replicas');
  });

  it('names Update managers with their apiVersion in conflicts', () => {
    const obj = { ...base, metadata: { ...base.metadata, managedFields: recordUpdate({ before: undefined, after: base, root: deploy, manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', subresource: undefined, scope: 'main', now }, []) } };
    expect(() => apply(obj, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, 'kubectl')).toThrow(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
  });

  it('does not conflict when the applied value equals the live one (shared ownership)', () => {
    const created = apply(undefined, base, 'kubectl');
    const shared = apply(created, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }, 'hpa') as { metadata: { managedFields: { manager: string }[] } };
    expect(shared.metadata.managedFields.map((m) => m.manager)).toEqual(['kubectl', 'hpa']);
  });

  it('removes fields dropped from the applied config unless another manager owns them', () => {
    const created = apply(undefined, base, 'kubectl');
    const withOther = apply(created, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { team: 'a' } } }, 'labeller');
    const reduced = structuredClone(base) as Omit<typeof base, 'metadata'> & { metadata: { name: string; labels: Record<string, string> } };
    reduced.metadata.labels = { app: 'web' };
    reduced.spec.template.spec.containers = [];
    const after = apply(withOther, { ...reduced, spec: { ...reduced.spec, template: { ...reduced.spec.template, spec: { containers: [{ name: 'sidecar', image: 'envoy', ports: [] }] } } } }, 'kubectl') as typeof base;
    expect(after.metadata.labels).toEqual({ app: 'web', team: 'a' });
    expect(after.spec.template.spec.containers.map((c) => c.name)).toEqual(['sidecar']);
  });

  it('records Update entries that take fields from other managers', () => {
    const created = apply(undefined, base, 'kubectl') as typeof base & { metadata: { managedFields: unknown[] } };
    const changed = structuredClone(created);
    changed.spec.replicas = 7;
    const managed = recordUpdate({ before: created, after: changed, root: deploy, manager: 'kubectl-scale', apiVersion: 'apps/v1', subresource: undefined, scope: 'main', now }, [
      { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', set: fieldSetOf(base, deploy, 'main') },
    ]);
    expect(managed.map((m) => [m.manager, m.operation])).toEqual([
      ['kubectl', 'Apply'],
      ['kubectl-scale', 'Update'],
    ]);
    expect(managed[1]?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(JSON.stringify(managed[0]?.fieldsV1)).not.toContain('f:replicas');
  });
});
