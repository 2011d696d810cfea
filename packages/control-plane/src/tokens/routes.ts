import {
  ApiTokenSchema,
  CreateApiTokenBodySchema,
  CreatedApiTokenSchema,
  DeleteApiTokenResponseSchema,
  ListOf,
  ListTokensQuerySchema,
  OrgParamsSchema,
  TokenParamsSchema,
  UpdateApiTokenBodySchema,
} from '@satusky/contracts';
import { actorOf } from '../http/auth.ts';
import { runMutation } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import { assertCurrentOrg } from '../orgs/service.ts';
import * as service from './service.ts';

export function tokenRoutes(app: App, deps: AppDeps): void {
  const tags = ['tokens'];

  app.get(
    '/v1/orgs/:org/tokens',
    {
      schema: {
        tags,
        operationId: 'listTokens',
        summary: "The caller's tokens in the organization (admins: ?all=true for everyone's)",
        params: OrgParamsSchema,
        querystring: ListTokensQuerySchema,
        response: { 200: ListOf(ApiTokenSchema), ...errors(403, 404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return { items: await service.list(deps.database.db, actor, request.query.all ?? false, deps.clock()) };
    },
  );

  app.post(
    '/v1/orgs/:org/tokens',
    {
      schema: {
        tags,
        operationId: 'createToken',
        summary: 'Create an API token for the caller’s membership; the value is shown once',
        params: OrgParamsSchema,
        body: CreateApiTokenBodySchema,
        response: { 201: CreatedApiTokenSchema, ...errors(404) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit) => ({
        status: 201,
        body: await service.create(tx, actor, request.body, deps.clock(), audit),
      }));
    },
  );

  app.get(
    '/v1/orgs/:org/tokens/:tokenId',
    {
      schema: {
        tags,
        operationId: 'getToken',
        params: TokenParamsSchema,
        response: { 200: ApiTokenSchema, ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.get(deps.database.db, actor, request.params.tokenId, deps.clock());
    },
  );

  app.patch(
    '/v1/orgs/:org/tokens/:tokenId',
    {
      schema: {
        tags,
        operationId: 'updateToken',
        summary: 'Enable, disable or rename a token; a disabled token is refused on the next request',
        params: TokenParamsSchema,
        body: UpdateApiTokenBodySchema,
        response: { 200: ApiTokenSchema, ...errors(404) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit) => ({
        status: 200,
        body: await service.update(tx, actor, request.params.tokenId, request.body, deps.clock(), audit),
      }));
    },
  );

  app.delete(
    '/v1/orgs/:org/tokens/:tokenId',
    {
      schema: {
        tags,
        operationId: 'deleteToken',
        params: TokenParamsSchema,
        response: { 200: DeleteApiTokenResponseSchema, ...errors(404) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit) => ({
        status: 200,
        body: await service.remove(tx, actor, request.params.tokenId, audit),
      }));
    },
  );
}
