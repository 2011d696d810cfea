import { Type } from 'typebox';
import { CreatedApiTokenSchema, IdSchema, PasswordLoginBodySchema } from '@satusky/contracts';
import { runMutation } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import * as service from './service.ts';

export function authRoutes(app: App, deps: AppDeps): void {
  app.post(
    '/v1/auth/tokens',
    {
      config: {
        public: true,
        // Password guessing is limited per client address, far below the per-token API limit.
        rateLimit: { max: deps.signInRateLimitPerMinute, timeWindow: 60_000 },
      },
      schema: {
        tags: ['auth'],
        operationId: 'passwordLogin',
        summary: 'Sign in with email and password; answers a new API token scoped to one membership',
        body: PasswordLoginBodySchema,
        response: {
          201: Type.Object({
            token: CreatedApiTokenSchema,
            organization: Type.Object({ id: IdSchema, slug: Type.String(), name: Type.String() }),
          }),
          ...errors(),
        },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit) => ({
        status: 201,
        body: await service.passwordLogin(tx, request.body, deps.clock(), audit),
      })),
  );
}
