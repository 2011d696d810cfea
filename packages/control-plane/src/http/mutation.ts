import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import { canonicalJson } from '../core/canonical.ts';
import { AppError } from '../core/errors.ts';
import type { Keyring } from '../core/keyring.ts';
import { redactChanges } from '../core/redact.ts';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import type { Actor } from './context.ts';

export interface AuditEvent {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  resourceName?: string | null;
  organizationId?: string | null;
  changes?: Record<string, unknown>;
  /** For public routes (password sign-in), the user the event is about. */
  actor?: { userId: string; email: string; tokenId?: string | null };
}

export interface MutationResult<T> {
  status: number;
  body: T;
}

export type MutationWork<T> = (
  tx: Transaction<DB>,
  audit: (event: AuditEvent) => void,
  /** Runs after the transaction commits (e.g. wake the controllers); never inside it. */
  afterCommit: (fn: () => void) => void,
) => Promise<MutationResult<T>>;

export interface MutationDeps {
  database: Database;
  keyring: Keyring;
}

const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** How long a replay is answered from the stored response. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method}\n${url}\n${canonicalJson(body ?? null)}`).digest('hex');
}

export function idempotencyKeyOf(request: FastifyRequest): string | null {
  const raw = request.headers['x-request-id'];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError('SATUSKY_VALIDATION_FAILED', 'X-Request-ID must be 1–128 characters of A-Z a-z 0-9 . _ : -', {
      details: [{ location: 'headers', path: '/x-request-id', message: 'invalid format' }],
    });
  }
  return key;
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth += 1) {
    if ((e as { code?: unknown }).code === '23505') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs a mutation as one transaction holding the work, its audit entries and — when the request
 * carries `X-Request-ID` — the stored response. A retry with the same key and body replays that
 * response without doing the work again; the same key with a different request is refused. If the
 * process dies mid-way nothing is committed, so a retry does the work exactly once.
 */
export async function runMutation<T>(
  deps: MutationDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  work: MutationWork<T>,
): Promise<T> {
  const actor: Actor | null = request.actor;
  const key = actor ? idempotencyKeyOf(request) : null;
  const fingerprint = key ? requestFingerprint(request.method, request.url, request.body) : '';

  if (key && actor) {
    const replay = await findReplay(deps, actor.user.id, key, fingerprint);
    if (replay) return answer(reply, replay as MutationResult<T>, true);
  }

  const committed: (() => void)[] = [];
  try {
    const result = await deps.database.db.transaction().execute(async (tx) => {
      const events: AuditEvent[] = [];
      committed.length = 0;
      const outcome = await work(
        tx,
        (event) => events.push(event),
        (fn) => committed.push(fn),
      );
      if (events.length > 0) {
        await tx
          .insertInto('audit_log')
          .values(
            events.map((event) => ({
              organization_id: event.organizationId ?? actor?.organization.id ?? null,
              actor_user_id: event.actor?.userId ?? actor?.user.id ?? null,
              actor_email: event.actor?.email ?? actor?.user.email ?? null,
              actor_token_id: event.actor ? (event.actor.tokenId ?? null) : (actor?.token.id ?? null),
              action: event.action,
              resource_type: event.resourceType,
              resource_id: event.resourceId ?? null,
              resource_name: event.resourceName ?? null,
              request_id: request.id,
              idempotency_key: key,
              changes: JSON.stringify(redactChanges(event.changes ?? {})),
              ip: request.ip || null,
              user_agent: request.headers['user-agent']?.slice(0, 512) ?? null,
            })),
          )
          .execute();
      }
      if (key && actor) {
        await tx
          .insertInto('idempotency_keys')
          .values({
            user_id: actor.user.id,
            key,
            fingerprint,
            status_code: outcome.status,
            // Sealed: a stored response may carry a token or password shown once.
            response_sealed: deps.keyring.seal(JSON.stringify(outcome.body ?? null), `idempotency:${actor.user.id}:${key}`),
          })
          .execute();
      }
      return outcome;
    });
    for (const fn of committed) {
      try {
        fn();
      } catch (error) {
        request.log.error({ err: error }, 'after-commit hook failed');
      }
    }
    return answer(reply, result, false);
  } catch (error) {
    // A concurrent request with the same key committed first: answer with its response.
    if (key && actor && isUniqueViolation(error)) {
      const replay = await findReplay(deps, actor.user.id, key, fingerprint);
      if (replay) return answer(reply, replay as MutationResult<T>, true);
    }
    throw error;
  }
}

async function findReplay(
  deps: MutationDeps,
  userId: string,
  key: string,
  fingerprint: string,
): Promise<MutationResult<unknown> | null> {
  const row = await deps.database.db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) return null;
  if (Date.now() - row.created_at.getTime() > IDEMPOTENCY_WINDOW_MS) {
    // Past the window the key is free again.
    await deps.database.db.deleteFrom('idempotency_keys').where('user_id', '=', userId).where('key', '=', key).execute();
    return null;
  }
  if (row.fingerprint !== fingerprint) {
    throw new AppError('SATUSKY_IDEMPOTENCY_KEY_REUSED');
  }
  const body: unknown = JSON.parse(deps.keyring.open(row.response_sealed, `idempotency:${userId}:${key}`).toString('utf8'));
  return { status: row.status_code, body };
}

function answer<T>(reply: FastifyReply, result: MutationResult<T>, replayed: boolean): T {
  void reply.status(result.status);
  if (replayed) void reply.header('x-satusky-idempotent-replay', 'true');
  return result.body;
}
