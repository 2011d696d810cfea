import type { Role } from '@satusky/contracts';

/**
 * The authenticated caller. A token is scoped to exactly one membership, so every credential acts
 * in exactly one organization with exactly one role.
 */
export interface Actor {
  user: { id: string; email: string; name: string; isPlatformAdmin: boolean };
  organization: { id: string; slug: string; name: string; namespace: string };
  membership: { id: string; role: Role };
  /** The credential: an API token, or a browser session (then `id` is the session's). */
  token: { id: string; name: string; expiresAt: Date | null };
  credential: 'token' | 'session';
}

export interface RequestMeta {
  requestId: string;
  idempotencyKey: string | null;
  ip: string | null;
  userAgent: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Routes are authenticated unless they opt out. */
    public?: boolean;
  }
}
