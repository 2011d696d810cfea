import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { appRoutes } from '../apps/routes.ts';
import { domainRoutes } from '../domains/routes.ts';
import { streamRoutes } from '../apps/streams.ts';
import { auditRoutes } from '../audit/routes.ts';
import { clusterRoutes } from '../clusters/routes.ts';
import { authRoutes } from '../auth/routes.ts';
import { AppError } from '../core/errors.ts';
import { memberRoutes } from '../members/routes.ts';
import { meRoutes } from '../me/routes.ts';
import { orgRoutes } from '../orgs/routes.ts';
import { sessionRoutes } from '../sessions/routes.ts';
import { tokenRoutes } from '../tokens/routes.ts';
import { registerAuthentication } from './auth.ts';
import { errorBody, registerErrorHandling } from './error-handler.ts';
import { createMetrics } from './metrics.ts';
import type { App, AppDeps } from './types.ts';

export interface BuildAppOptions {
  logger: FastifyServerOptions['loggerInstance'];
  version?: string;
  /** The dashboard's production build; served at / when it exists. */
  dashboardDir?: string | null;
}

/** Where `npm run build -w packages/dashboard` writes the dashboard. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

function generateRequestId(): string {
  return `req_${randomBytes(9).toString('base64url')}`;
}

/** Builds the HTTP application from already-constructed dependencies. Reads no environment. */
export async function buildApp(deps: AppDeps, options: BuildAppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: generateRequestId,
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 65_000,
    trustProxy: false,
    // Hostnames in paths may be 253 characters (the default limit is 100: a 414 for a valid name).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    // The router's own refusals (a path parameter over that length, a malformed %-escape) answer in
    // the API's error shape too, not Fastify's default body.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply.status(400).send(errorBody('SATUSKY_BAD_REQUEST', error.message, request.id));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are validated strictly (unknown or mistyped fields are a 400, never silently dropped
  // or coerced); query strings and path parameters are converted from text first.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // The API speaks JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-satusky-request-id', request.id);
    return payload;
  });

  const dashboardDir = options.dashboardDir === undefined ? DEFAULT_DASHBOARD_DIR : options.dashboardDir;
  const dashboard = dashboardDir !== null && existsSync(`${dashboardDir}/index.html`) ? dashboardDir : null;
  registerErrorHandling(app, dashboard !== null);
  await app.register(cookie);
  if (dashboard) {
    // The dashboard's files are public (the SPA signs in through the API); mark the routes the
    // static plugin adds so the authentication hook lets them through.
    let addingStatic = true;
    app.addHook('onRoute', (route) => {
      if (addingStatic) route.config = { ...route.config, public: true };
    });
    await app.register(fastifyStatic, {
      root: dashboard,
      prefix: '/',
      wildcard: false,
      index: 'index.html',
      setHeaders: (res, file) => {
        res.header(
          'content-security-policy',
          "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        );
        res.header('x-content-type-options', 'nosniff');
        res.header('referrer-policy', 'no-referrer');
        // Hashed assets never change; index.html must always be fresh.
        res.header('cache-control', file.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    addingStatic = false;
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Satusky API',
        version: options.version ?? '0.1.0',
        description:
          'Satusky control plane. Authenticate with `x-satusky-api-key: <token>` or `Authorization: Bearer <token>`. ' +
          'Mutations accept `X-Request-ID` for idempotent retries. Errors are `{error:{code,message,details?,request_id}}`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-satusky-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });

  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const metrics = createMetrics();
  metrics.instrument(app);

  registerAuthentication(app, deps.database, deps.clock);

  await app.register(rateLimit, {
    global: true,
    // After authentication, so the budget is per token: one noisy client cannot starve others.
    hook: 'preHandler',
    max: deps.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => (request.actor ? `token:${request.actor.token.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new AppError('SATUSKY_RATE_LIMITED', `Rate limit exceeded; retry in ${context.after}.`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });

  app.get('/healthz', { config: { public: true, rateLimit: false }, schema: { hide: true } }, async () => ({
    status: 'ok',
  }));

  app.get('/readyz', { config: { public: true, rateLimit: false }, schema: { hide: true } }, async (_request, reply) => {
    try {
      await deps.database.db.selectFrom('schema_migrations').select('version').limit(1).execute();
      return { status: 'ready' };
    } catch {
      return reply.status(503).header('retry-after', '2').send({ status: 'unavailable', reason: 'database' });
    }
  });

  app.get('/metrics', { config: { public: true, rateLimit: false }, schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  app.get(
    '/v1/openapi.json',
    { config: { public: true, rateLimit: false }, schema: { hide: true, response: { 200: Type.Unknown() } } },
    async () => app.swagger(),
  );

  meRoutes(app, deps);
  authRoutes(app, deps);
  orgRoutes(app, deps);
  memberRoutes(app, deps);
  tokenRoutes(app, deps);
  auditRoutes(app, deps);
  clusterRoutes(app, deps);
  appRoutes(app, deps);
  domainRoutes(app, deps);
  streamRoutes(app, deps);
  sessionRoutes(app, deps);

  await app.ready();
  return app;
}
