import type { App } from '../src/http/types.ts';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path with `{param}` placeholders. */
  path: string;
  operationId: string;
  public: boolean;
  bodySchema: JsonSchema | null;
  querySchema: { name: string; schema: JsonSchema }[];
  pathParams: { name: string; schema: JsonSchema }[];
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  minProperties?: number;
  items?: JsonSchema;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        security?: unknown[];
        parameters?: { in: string; name: string; schema: JsonSchema }[];
        requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
      }
    >
  >;
}

/** Every operation the API documents: the source of truth for route-by-route suites. */
export function routesOf(app: App): RouteSpec[] {
  const doc = app.swagger() as unknown as OpenApiDoc;
  const routes: RouteSpec[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const params = op.parameters ?? [];
      routes.push({
        method: method.toUpperCase() as RouteSpec['method'],
        path,
        operationId: op.operationId ?? `${method} ${path}`,
        public: path === '/v1/auth/tokens',
        bodySchema: op.requestBody?.content['application/json'].schema ?? null,
        querySchema: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        pathParams: params.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema })),
      });
    }
  }
  return routes;
}

export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name} in ${path}`);
    return encodeURIComponent(value);
  });
}

/**
 * Invalid variants of a JSON body, derived from its schema: wrong top-level types, unknown
 * properties, each required property missing, and per property wrong types and out-of-range values.
 */
export function invalidBodies(schema: JsonSchema, valid: Record<string, unknown>): { why: string; body: unknown }[] {
  const out: { why: string; body: unknown }[] = [
    { why: 'array instead of object', body: [] },
    { why: 'string instead of object', body: 'x' },
    { why: 'number instead of object', body: 42 },
    { why: 'null body', body: null },
    { why: 'unknown property', body: { ...valid, surprise: true } },
  ];
  for (const name of schema.required ?? []) {
    const { [name]: _removed, ...rest } = valid;
    out.push({ why: `missing ${name}`, body: rest });
  }
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    for (const [why, value] of invalidValues(prop)) out.push({ why: `${name}: ${why}`, body: { ...valid, [name]: value } });
  }
  return out;
}

export function invalidValues(prop: JsonSchema): [string, unknown][] {
  const values: [string, unknown][] = [];
  const type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
  const literals = prop.enum ?? prop.anyOf?.map((a) => a.const ?? a.enum?.[0]).filter((v) => v !== undefined);
  if (literals && literals.length > 0) {
    values.push(['not one of the allowed values', 'definitely-not-allowed'], ['number for a literal', 7]);
    return values;
  }
  switch (type) {
    case 'string':
      values.push(['number for a string', 123], ['object for a string', { a: 1 }]);
      if (prop.maxLength !== undefined) values.push(['too long', 'a'.repeat(prop.maxLength + 1)]);
      if (prop.minLength !== undefined && prop.minLength > 0) values.push(['too short', 'a'.repeat(prop.minLength - 1)]);
      if (prop.pattern) values.push(['does not match the pattern', 'Not Valid!']);
      if (prop.format === 'email') values.push(['not an email', 'not-an-email']);
      if (prop.format === 'uuid') values.push(['not a uuid', 'not-a-uuid']);
      break;
    case 'integer':
      values.push(['string for an integer', 'five'], ['fraction for an integer', 1.5]);
      if (prop.minimum !== undefined) values.push(['below the minimum', prop.minimum - 1]);
      if (prop.maximum !== undefined) values.push(['above the maximum', prop.maximum + 1]);
      break;
    case 'boolean':
      values.push(['string for a boolean', 'yes'], ['number for a boolean', 1]);
      break;
    case undefined:
    default:
      break;
  }
  return values;
}
