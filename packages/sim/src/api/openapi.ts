// Minimal OpenAPI v3 (kube-sim-spec §5.3): an index of group-versions and, per group-version, a
// PATCH operation per kind that declares the `fieldValidation` parameter, which is what kubectl
// checks before `create -f`, `apply` and `replace`. `/openapi/v2` is deliberately absent (404).

import { apiVersionOf, type Registry, type ResourceType } from './registry.ts';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function openApiIndex(registry: Registry): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const hash = `sim${registry.generation}`;
  const add = (group: string, version: string): void => {
    const p = gvPath(group, version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
  };
  add('', 'v1');
  for (const g of registry.groups()) for (const v of g.versions) add(g.name, v);
  return { paths };
}

const PARAMS = [
  { name: 'dryRun', in: 'query', schema: { type: 'string' } },
  { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
  { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
  { name: 'force', in: 'query', schema: { type: 'boolean' } },
];

function patchOperation(rt: ResourceType, version: string): object {
  return {
    patch: {
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': { group: rt.group, version, kind: rt.kind },
      operationId: `patch${rt.kind}`,
      parameters: PARAMS,
      requestBody: {
        required: true,
        content: {
          'application/json-patch+json': { schema: {} },
          'application/merge-patch+json': { schema: {} },
          'application/apply-patch+yaml': { schema: {} },
        },
      },
      responses: { '200': { description: 'OK' } },
    },
  };
}

export function openApiDocument(registry: Registry, group: string, version: string): object | undefined {
  const types = registry.resourcesAt(group, version);
  if (types.length === 0) return undefined;
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const paths: Record<string, object> = {};
  for (const rt of types) {
    if (rt.virtual || !rt.verbs.includes('patch')) continue;
    const p = rt.namespaced ? `${base}/namespaces/{namespace}/${rt.resource}/{name}` : `${base}/${rt.resource}/{name}`;
    paths[p] = patchOperation(rt, version);
  }
  const schemas: Record<string, object> = {};
  for (const rt of types) {
    const s = rt.schemas?.[version];
    if (s) {
      schemas[`${rt.group.split('.').reverse().join('.')}.${version}.${rt.kind}`] = {
        ...s,
        'x-kubernetes-group-version-kind': [{ group: rt.group, version, kind: rt.kind }],
      };
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: { schemas },
  };
}

export { apiVersionOf };
