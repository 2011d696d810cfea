import {
  CreateOrganizationBodySchema,
  CreateOrganizationResponseSchema,
  DeleteOrganizationResponseSchema,
  ListOf,
  OrganizationSchema,
  OrgParamsSchema,
} from '@satusky/contracts';
import { actorOf } from '../http/auth.ts';
import { runMutation } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import * as service from './service.ts';

export function orgRoutes(app: App, deps: AppDeps): void {
  const tags = ['organizations'];

  app.get(
    '/v1/orgs',
    {
      schema: {
        tags,
        operationId: 'listOrganizations',
        summary: "The caller's organizations",
        response: { 200: ListOf(OrganizationSchema), ...errors() },
      },
    },
    async (request) => ({ items: await service.listMine(deps.database.db, actorOf(request)) }),
  );

  app.post(
    '/v1/orgs',
    {
      schema: {
        tags,
        operationId: 'createOrganization',
        summary: 'Create an organization; the caller becomes its admin and gets a token scoped to it',
        body: CreateOrganizationBodySchema,
        response: { 201: CreateOrganizationResponseSchema, ...errors(409, 422) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit) => ({
        status: 201,
        body: await service.create(tx, actorOf(request), request.body, deps.clock(), audit),
      })),
  );

  app.get(
    '/v1/orgs/:org',
    {
      schema: {
        tags,
        operationId: 'getOrganization',
        params: OrgParamsSchema,
        response: { 200: OrganizationSchema, ...errors(404) },
      },
    },
    async (request) => service.get(deps.database.db, actorOf(request), request.params.org),
  );

  app.delete(
    '/v1/orgs/:org',
    {
      schema: {
        tags,
        operationId: 'deleteOrganization',
        summary: 'Delete an organization (refused while it still owns resources)',
        params: OrgParamsSchema,
        response: { 200: DeleteOrganizationResponseSchema, ...errors(403, 404, 409) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit) => ({
        status: 200,
        body: await service.remove(tx, actorOf(request), request.params.org, deps.ownedResourceCounters, audit),
      })),
  );
}

