import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import { hashToken, isWellFormedToken } from '../core/tokens.ts';
import type { Database } from '../db/database.ts';
import * as tokens from '../tokens/repository.ts';
import { actorFromSession, SESSION_COOKIE } from '../sessions/service.ts';
import type { Actor } from './context.ts';

/** The credential a request presents: `x-satusky-api-key` (what 1ctl sends) or a Bearer token. */
export function presentedToken(request: FastifyRequest): string | null {
  const apiKey = request.headers['x-satusky-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey.trim();
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1]!;
  }
  return null;
}

/**
 * Resolves a token to its actor. Validated on every request, with no cache, so a disabled,
 * expired or deleted token is refused on the very next request.
 */
export async function authenticate(database: Database, token: string | null, now: Date): Promise<Actor> {
  if (!token) throw new AppError('SATUSKY_UNAUTHENTICATED', 'Missing API token: send x-satusky-api-key or Authorization: Bearer.');
  if (!isWellFormedToken(token)) throw new AppError('SATUSKY_UNAUTHENTICATED', 'Invalid API token.');
  const row = await tokens.findByHash(database.db, hashToken(token));
  if (!row) throw new AppError('SATUSKY_UNAUTHENTICATED', 'Invalid API token.');
  if (!row.enabled) throw new AppError('SATUSKY_UNAUTHENTICATED', 'This API token is disabled.');
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) {
    throw new AppError('SATUSKY_UNAUTHENTICATED', 'This API token has expired.');
  }
  // last_used_at is kept to the minute: most requests find it fresh and write nothing.
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > tokens.LAST_USED_RESOLUTION_MS) {
    await tokens.touchLastUsed(database.db, row.id, now);
  }
  return {
    user: { id: row.user_id, email: row.user_email, name: row.user_name, isPlatformAdmin: row.is_platform_admin },
    organization: { id: row.organization_id, slug: row.org_slug, name: row.org_name, namespace: row.org_namespace },
    membership: { id: row.membership_id, role: row.role },
    token: { id: row.id, name: row.name, expiresAt: row.expires_at },
    credential: 'token',
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser session (cookie) must not be usable by another site: the cookie is SameSite=Strict,
 * cookie-authenticated mutations must carry `x-satusky-csrf` (a header no cross-site form or script
 * can add without a CORS preflight we never grant), and any Origin must be this server.
 */
function checkSessionRequest(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin) {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw new AppError('SATUSKY_FORBIDDEN', 'Cross-origin requests are not accepted with a session.');
    }
    if (host !== request.headers.host) throw new AppError('SATUSKY_FORBIDDEN', 'Cross-origin requests are not accepted with a session.');
  }
  const upgrade = request.headers.upgrade?.toLowerCase() === 'websocket';
  if (!SAFE_METHODS.has(request.method) && !upgrade && request.headers['x-satusky-csrf'] !== '1') {
    throw new AppError('SATUSKY_FORBIDDEN', 'Session requests that change state must send the x-satusky-csrf: 1 header.');
  }
}

export function registerAuthentication(app: FastifyInstance, database: Database, clock: () => Date): void {
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public || !request.routeOptions.url) return;
    const token = presentedToken(request);
    const cookie = request.cookies[SESSION_COOKIE];
    if (!token && cookie) {
      checkSessionRequest(request);
      request.actor = await actorFromSession(database.db, cookie, clock());
      return;
    }
    request.actor = await authenticate(database, token, clock());
  });
}

/** For handlers of authenticated routes: the actor is always set there. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('SATUSKY_UNAUTHENTICATED');
  return request.actor;
}
