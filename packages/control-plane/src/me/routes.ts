import { Type } from 'typebox';
import { ChangePasswordBodySchema, MeSchema } from '@satusky/contracts';
import { actorOf } from '../http/auth.ts';
import { runMutation } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import * as service from './service.ts';

export function meRoutes(app: App, deps: AppDeps): void {
  const tags = ['users'];

  app.get(
    '/v1/me',
    {
      schema: {
        tags,
        operationId: 'whoAmI',
        summary: 'Who the caller is, the organization the credential acts in, and all their memberships',
        response: { 200: MeSchema, ...errors() },
      },
    },
    async (request) => service.me(deps.database.db, actorOf(request)),
  );

  app.put(
    '/v1/me/password',
    {
      schema: {
        tags,
        operationId: 'changePassword',
        summary: 'Set or change the password used for email sign-in',
        body: ChangePasswordBodySchema,
        response: { 200: Type.Object({ changed: Type.Literal(true) }), ...errors(403) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit) => ({
        status: 200,
        body: await service.changePassword(tx, actorOf(request), request.body, audit),
      })),
  );
}
