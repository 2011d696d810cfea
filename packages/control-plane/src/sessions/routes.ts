import { Type } from 'typebox';
import { IdSchema } from '@satusky/contracts';
import { AppError } from '../core/errors.ts';
import { actorOf } from '../http/auth.ts';
import { runMutation } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import { generatePassword, hashPassword } from '../core/passwords.ts';
import * as users from '../users/repository.ts';
import { createSession, endSession, SESSION_COOKIE, SESSION_TTL_MS, switchOrganization } from './service.ts';

const SessionBodySchema = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    organization: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
const SessionSchema = Type.Object({
  user: Type.Object({ id: IdSchema, email: Type.String() }),
  organization: Type.Object({ id: IdSchema, slug: Type.String(), name: Type.String() }),
  expires_at: Type.String({ format: 'date-time' }),
});

export function sessionRoutes(app: App, deps: AppDeps): void {
  const tags = ['auth'];
  const cookieOptions = (request: { protocol: string }) => ({
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
  });

  app.post(
    '/v1/auth/sessions',
    {
      config: { public: true, rateLimit: { max: deps.signInRateLimitPerMinute, timeWindow: 60_000 } },
      schema: {
        tags,
        operationId: 'createSession',
        summary: 'Browser sign-in (email and password, or an API token): sets an httpOnly, SameSite=Strict session cookie',
        body: SessionBodySchema,
        response: { 201: SessionSchema, ...errors() },
      },
    },
    async (request, reply) => {
      if (!request.body.token && !(request.body.email && request.body.password)) {
        throw new AppError('SATUSKY_VALIDATION_FAILED', 'Send email and password, or a token.', { details: [{ location: 'body', path: '', message: 'email and password, or token' }] });
      }
      const created = await runMutation(deps, request, reply, async (tx, audit) => ({
        status: 201,
        body: await createSession(tx, request.body, deps.clock(), audit),
      }));
      void reply.setCookie(SESSION_COOKIE, created.cookie, { ...cookieOptions(request), maxAge: Math.floor(SESSION_TTL_MS / 1000) });
      return { user: created.user, organization: created.organization, expires_at: created.expiresAt.toISOString() };
    },
  );

  app.delete(
    '/v1/auth/sessions/current',
    { schema: { tags, operationId: 'endSession', summary: 'Sign out: ends the session and clears the cookie', response: { 200: Type.Object({ ended: Type.Literal(true) }), ...errors() } } },
    async (request, reply) => {
      await runMutation(deps, request, reply, async (tx, audit) => {
        await endSession(tx, actorOf(request), audit);
        return { status: 200, body: { ended: true as const } };
      });
      void reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
      return { ended: true as const };
    },
  );

  app.put(
    '/v1/auth/sessions/current/organization',
    {
      schema: {
        tags,
        operationId: 'switchSessionOrganization',
        summary: 'Switch the organization a password session acts in',
        body: Type.Object({ organization: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ id: IdSchema, slug: Type.String(), name: Type.String() }), ...errors(403, 404, 422) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit) => ({ status: 200, body: await switchOrganization(tx, actorOf(request), request.body.organization, audit) })),
  );

  app.post(
    '/v1/admin/users/:userId/password-reset',
    {
      schema: {
        tags: ['users'],
        operationId: 'resetUserPassword',
        summary: 'Platform admins: set a new one-time password for a user (shown once)',
        params: Type.Object({ userId: IdSchema }),
        response: { 200: Type.Object({ user_id: IdSchema, email: Type.String(), password: Type.String() }), ...errors(403, 404) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit) => {
        const actor = actorOf(request);
        if (!actor.user.isPlatformAdmin) throw new AppError('SATUSKY_FORBIDDEN', 'Resetting passwords needs a platform admin.');
        const user = await users.findById(tx, request.params.userId);
        if (!user) throw new AppError('SATUSKY_USER_NOT_FOUND');
        const password = generatePassword();
        await users.setPasswordHash(tx, user.id, await hashPassword(password));
        // Every session of that user ends: the old password no longer grants access anywhere.
        await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
        audit({ action: 'user.password.reset', resourceType: 'user', resourceId: user.id, resourceName: user.email });
        return { status: 200, body: { user_id: user.id, email: user.email, password } };
      }),
  );
}
