// HTTP-01 validation as an ACME CA performs it: look the name up through the world DNS (a real
// query, CNAMEs followed by the resolver), connect to the address it resolves to on the world's HTTP
// port, GET /.well-known/acme-challenge/<token> with the name as Host, and compare the body with the
// key authorization. Failures carry stable reason codes and messages that name the address.

import { Resolver } from 'node:dns/promises';
import http from 'node:http';
import type { HostPort } from '../options.ts';
import { errorMessage } from '../util/json.ts';
import { hostPort } from '../util/net.ts';

export const FAILURE_REASONS = {
  DNSNameNotResolved: 'DNSNameNotResolved',
  ConnectionRefused: 'ConnectionRefused',
  ConnectionFailed: 'ConnectionFailed',
  ChallengeNotFound: 'ChallengeNotFound',
  WrongChallengeResponse: 'WrongChallengeResponse',
  Timeout: 'Timeout',
} as const;

export type FailureReason = (typeof FAILURE_REASONS)[keyof typeof FAILURE_REASONS];

export type Http01Result = { ok: true; address: string } | { ok: false; reason: FailureReason; message: string; address?: string };

export interface Http01Input {
  name: string;
  token: string;
  keyAuthorization: string;
  dns: HostPort;
  httpPort: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The DNS failure of a lookup, as a reason and message (pure). */
export function classifyDnsError(name: string, code: string | undefined, timeoutMs: number, detail = ''): { reason: FailureReason; message: string } {
  switch (code ?? '') {
    case 'ENOTFOUND':
      return { reason: 'DNSNameNotResolved', message: `${name} does not resolve (NXDOMAIN)` };
    case 'ENODATA':
      return { reason: 'DNSNameNotResolved', message: `${name} does not resolve (no A or AAAA record)` };
    case 'ESERVFAIL':
      return { reason: 'DNSNameNotResolved', message: `${name} does not resolve (SERVFAIL from the resolver)` };
    case 'ETIMEOUT':
      return { reason: 'Timeout', message: `looking up ${name} timed out after ${timeoutMs} ms` };
    default:
      return { reason: 'DNSNameNotResolved', message: `${name} could not be looked up (${code ?? 'error'}${detail ? `: ${detail}` : ''})` };
  }
}

/** The connection failure towards `address:port`, as a reason and message (pure). */
export function classifyConnectError(name: string, address: string, port: number, code: string | undefined, timeoutMs: number, detail = ''): { reason: FailureReason; message: string } {
  const where = hostPort(address, port);
  switch (code ?? '') {
    case 'ECONNREFUSED':
      return { reason: 'ConnectionRefused', message: `connection to ${where} refused (${name} resolves to ${address})` };
    case 'ETIMEDOUT':
      return { reason: 'Timeout', message: `no answer from ${where} within ${timeoutMs} ms (${name} resolves to ${address})` };
    default:
      return { reason: 'ConnectionFailed', message: `connection to ${where} failed (${code ?? 'error'}${detail ? `: ${detail}` : ''}; ${name} resolves to ${address})` };
  }
}

/** The verdict on the challenge response (pure). */
export function classifyResponse(input: { name: string; address: string; port: number; url: string; status: number; body: string; keyAuthorization: string; location?: string }): Http01Result {
  const where = hostPort(input.address, input.port);
  if (input.status === 200 && input.body.trim() === input.keyAuthorization) return { ok: true, address: input.address };
  if (input.status === 404) {
    return { ok: false, reason: 'ChallengeNotFound', address: input.address, message: `GET ${input.url} at ${where} answered 404: the challenge is not served there (${input.name} resolves to ${input.address}; does it point at a Satusky edge?)` };
  }
  if (input.status === 200) {
    return { ok: false, reason: 'WrongChallengeResponse', address: input.address, message: `GET ${input.url} at ${where} answered 200 with a different body than the key authorization (${input.name} resolves to ${input.address})` };
  }
  const redirect = input.status >= 300 && input.status < 400 && input.location ? `, redirecting to ${input.location}` : '';
  return { ok: false, reason: 'WrongChallengeResponse', address: input.address, message: `GET ${input.url} at ${where} answered ${input.status}${redirect} instead of the key authorization (${input.name} resolves to ${input.address})` };
}

async function lookup(name: string, dns: HostPort, timeoutMs: number, signal: AbortSignal | undefined): Promise<{ address: string } | { reason: FailureReason; message: string }> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([hostPort(dns.host, dns.port)]);
  const cancel = (): void => resolver.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    try {
      const v4 = await resolver.resolve4(name);
      if (v4[0]) return { address: v4[0] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENODATA') throw err;
    }
    const v6 = await resolver.resolve6(name);
    if (v6[0]) return { address: v6[0] };
    return classifyDnsError(name, 'ENODATA', timeoutMs);
  } catch (err) {
    return classifyDnsError(name, (err as NodeJS.ErrnoException).code, timeoutMs, errorMessage(err));
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

function get(address: string, port: number, host: string, path: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: address,
      port,
      path,
      method: 'GET',
      agent: false,
      headers: { host, 'user-agent': 'satusky-world-acme/1.0', accept: '*/*', connection: 'close' },
      ...(signal ? { signal } : {}),
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 16_384) body += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body, ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}) });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

/** Validates one name; never throws. */
export async function validateHttp01(input: Http01Input): Promise<Http01Result> {
  const found = await lookup(input.name, input.dns, input.timeoutMs, input.signal);
  if (!('address' in found)) return { ok: false, ...found };
  const path = `/.well-known/acme-challenge/${input.token}`;
  const authority = input.httpPort === 80 ? input.name : `${input.name}:${input.httpPort}`;
  const url = `http://${authority}${path}`;
  try {
    const res = await get(found.address, input.httpPort, authority, path, input.timeoutMs, input.signal);
    return classifyResponse({ name: input.name, address: found.address, port: input.httpPort, url, status: res.status, body: res.body, keyAuthorization: input.keyAuthorization, ...(res.location ? { location: res.location } : {}) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, address: found.address, ...classifyConnectError(input.name, found.address, input.httpPort, code, input.timeoutMs, errorMessage(err)) };
  }
}
