// HTTP plumbing shared by the API handlers: content negotiation, body reading, JSON/Status replies.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as yamlStringify } from 'yaml';
import type { KubeObject } from '../store/store.ts';
import { ApiError, badRequest, notAcceptable } from './errors.ts';

// Stored objects are immutable, so their serialization can be cached and shared by every reader.
const jsonCache = new WeakMap<object, string>();

export function jsonOf(o: KubeObject): string {
  let s = jsonCache.get(o);
  if (s === undefined) {
    s = JSON.stringify(o);
    jsonCache.set(o, s);
  }
  return s;
}

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [{ type: '*/*', params: {} }];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const i = p.indexOf('=');
      if (i > 0) params[p.slice(0, i).trim()] = p.slice(i + 1).trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

export type Negotiated =
  | { format: 'json' }
  | { format: 'yaml' }
  | { format: 'table'; version: string }
  | { format: 'discovery'; version: 'v2' | 'v2beta1' };

export function negotiate(accept: MediaType[], opts: { table?: boolean; discovery?: boolean }): Negotiated {
  for (const m of accept) {
    if (m.params.as === 'Table' && opts.table && m.params.g === 'meta.k8s.io' && (m.params.v === 'v1' || m.params.v === 'v1beta1')) {
      return { format: 'table', version: m.params.v };
    }
    if (m.params.as === 'APIGroupDiscoveryList' && opts.discovery && m.params.g === 'apidiscovery.k8s.io' && (m.params.v === 'v2' || m.params.v === 'v2beta1')) {
      return { format: 'discovery', version: m.params.v };
    }
    if (m.params.as !== undefined) continue;
    if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*' || m.type === 'application/json-patch+json') return { format: 'json' };
    if (m.type === 'application/yaml') return { format: 'yaml' };
  }
  throw notAcceptable();
}

export async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (e) {
    throw badRequest(`json: cannot unmarshal request body: ${(e as Error).message}`);
  }
}

export function commonHeaders(res: ServerResponse, auditId: string, warnings: string[] = []): void {
  res.setHeader('Audit-Id', auditId);
  res.setHeader('Cache-Control', 'no-cache, private');
  if (warnings.length > 0) {
    res.setHeader(
      'Warning',
      warnings.map((w) => `299 - "${w.replace(/"/g, '\\"')}"`),
    );
  }
}

export function sendRaw(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, format: 'json' | 'yaml' = 'json'): void {
  if (format === 'yaml') sendRaw(res, status, 'application/yaml', yamlStringify(body));
  else sendRaw(res, status, 'application/json', JSON.stringify(body));
}

export function sendError(res: ServerResponse, e: ApiError): void {
  sendRaw(res, e.code, 'application/json', JSON.stringify(e.toStatus()));
}
