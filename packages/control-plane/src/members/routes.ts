import {
  AddMemberBodySchema,
  AddMemberResponseSchema,
  ChangeRoleBodySchema,
  ListOf,
  MemberParamsSchema,
  MemberSchema,
  OrgParamsSchema,
  RemoveMemberResponseSchema,
} from '@satusky/contracts';
import { actorOf } from '../http/auth.ts';
import { runMutation } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import { assertCurrentOrg } from '../orgs/service.ts';
import * as service from './service.ts';

export function memberRoutes(app: App, deps: AppDeps): void {
  const tags = ['team'];

  app.get(
    '/v1/orgs/:org/members',
    {
      schema: {
        tags,
        operationId: 'listMembers',
        params: OrgParamsSchema,
        response: { 200: ListOf(MemberSchema), ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return { items: await service.list(deps.database.db, actor) };
    },
  );

  app.post(
    '/v1/orgs/:org/members',
    {
      schema: {
        tags,
        operationId: 'addMember',
        summary: 'Add a member by email (creates the account with a one-time password if it does not exist)',
        params: OrgParamsSchema,
        body: AddMemberBodySchema,
        response: { 201: AddMemberResponseSchema, ...errors(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit) => ({
        status: 201,
        body: await service.add(tx, actor, request.body, audit),
      }));
    },
  );

  app.patch(
    '/v1/orgs/:org/members/:memberId',
    {
      schema: {
        tags,
        operationId: 'changeMemberRole',
        params: MemberParamsSchema,
        body: ChangeRoleBodySchema,
        response: { 200: MemberSchema, ...errors(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit) => ({
        status: 200,
        body: await service.changeRole(tx, actor, request.params.memberId, request.body, audit),
      }));
    },
  );

  app.delete(
    '/v1/orgs/:org/members/:memberId',
    {
      schema: {
        tags,
        operationId: 'removeMember',
        params: MemberParamsSchema,
        response: { 200: RemoveMemberResponseSchema, ...errors(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit) => ({
        status: 200,
        body: await service.remove(tx, actor, request.params.memberId, audit),
      }));
    },
  );
}
