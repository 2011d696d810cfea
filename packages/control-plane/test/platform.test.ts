import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, createTenant, createTestApp, type TestApp } from './helpers.ts';

describe('health, readiness, metrics and the OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves /healthz and /readyz without credentials', async () => {
    expect(JSON.parse((await t.app.inject('/healthz')).body)).toEqual({ status: 'ok' });
    const ready = await t.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
  });

  it('exposes Prometheus metrics that count requests by route and status', async () => {
    const a = await createTenant(t.database, 'metrics');
    await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(a.token) });
    await t.app.inject({ method: 'GET', url: '/v1/me' });
    const text = (await t.app.inject('/metrics')).body;
    expect(text).toMatch(/satusky_http_request_duration_seconds_count\{method="GET",route="\/v1\/me",status_code="200"\} \d+/);
    expect(text).toMatch(/satusky_http_errors_total\{method="GET",route="\/v1\/me",status_code="401"\} \d+/);
    expect(text).toContain('satusky_process_resident_memory_bytes');
  });

  it('publishes an OpenAPI 3 document describing every route with an operationId and error shapes', async () => {
    const doc = JSON.parse((await t.app.inject('/v1/openapi.json')).body);
    expect(doc.openapi).toBe('3.0.3');
    const operations = Object.values(doc.paths as Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>).flatMap((p) =>
      Object.values(p),
    );
    expect(operations.length).toBeGreaterThanOrEqual(16);
    for (const op of operations) {
      expect(op.operationId).toBeTruthy();
      expect(op.responses['401']).toBeDefined();
    }
    expect(doc.components.securitySchemes.apiKey.name).toBe('x-satusky-api-key');
  });

  it('reports not ready when the database is gone', async () => {
    const broken = await createTestApp();
    await broken.database.close();
    const response = await broken.app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    await broken.app.close();
  });
});

describe('rate limits per token', () => {
  it('answers 429 with Retry-After past the budget, while another token is unaffected', async () => {
    const t = await createTestApp({ rateLimitPerMinute: 5 });
    try {
      const noisy = await createTenant(t.database, 'noisy');
      const quiet = await createTenant(t.database, 'quiet');
      const statuses: number[] = [];
      for (let i = 0; i < 8; i += 1) {
        statuses.push((await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(noisy.token) })).statusCode);
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      const limited = await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(noisy.token) });
      expect(JSON.parse(limited.body).error.code).toBe('SATUSKY_RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: authHeaders(quiet.token) })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('sign-in rate limits per client address', () => {
  it('slows password and token guessing to the configured rate', async () => {
    const t = await createTestApp({ signInRateLimitPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await t.app.inject({ method: 'POST', url: '/v1/auth/sessions', payload: { email: 'x@example.com', password: `guess-${i}` } })).statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const tokens = await t.app.inject({ method: 'POST', url: '/v1/auth/tokens', payload: { email: 'x@example.com', password: 'guess' } });
      expect([401, 429]).toContain(tokens.statusCode);
    } finally {
      await t.close();
    }
  });
});

describe('the dashboard is served at /', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'satusky-dashboard-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Satusky</title><div id="root"></div>');
    await writeFile(path.join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    t = await createTestApp({ dashboardDir: dir });
  });
  afterAll(async () => {
    await t.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html with a strict CSP and no caching', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<div id="root">');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('serves hashed assets as immutable', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/assets/app-1a2b.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it('answers client-side routes with index.html, but API misses stay JSON 404s', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/apps/web', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root">');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const api = await t.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: { accept: 'text/html' } });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: 'SATUSKY_ROUTE_NOT_FOUND' } });
    const json = await t.app.inject({ method: 'GET', url: '/apps/web', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(404);
    const post = await t.app.inject({ method: 'POST', url: '/apps/web', headers: { accept: 'text/html' } });
    expect(post.statusCode).toBe(404);
  });
});
