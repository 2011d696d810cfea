import {
  ClusterParamsSchema,
  ClusterSchema,
  ListOf,
  OrgParamsSchema,
  OrgZoneParamsSchema,
  RegisterClusterBodySchema,
  SetOrgZoneBodySchema,
  UpdateClusterBodySchema,
  ZoneSchema,
} from '@satusky/contracts';
import { Type } from 'typebox';
import { actorOf } from '../http/auth.ts';
import { runMutation } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import { assertCurrentOrg } from '../orgs/service.ts';
import * as service from './service.ts';

export function clusterRoutes(app: App, deps: AppDeps): void {
  const tags = ['clusters'];

  app.get(
    '/v1/orgs/:org/zones',
    {
      schema: {
        tags,
        operationId: 'listZones',
        summary: 'Every zone, whether this organization can deploy there now, and why not',
        params: OrgParamsSchema,
        response: { 200: ListOf(ZoneSchema), ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return { items: await service.zonesFor(deps.database.db, actor.organization.id, { now: deps.clock(), staleAfterMs: deps.staleAfterMs }) };
    },
  );

  app.put(
    '/v1/admin/orgs/:org/zones/:zone',
    {
      schema: {
        tags,
        operationId: 'setOrgZone',
        summary: 'Platform admins: enable or disable a zone for an organization',
        params: OrgZoneParamsSchema,
        body: SetOrgZoneBodySchema,
        response: { 200: ZoneSchema, ...errors(403, 404) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit) => ({
        status: 200,
        body: await service.setOrgZone(tx, actorOf(request), request.params.org, request.params.zone, request.body.enabled, { now: deps.clock(), staleAfterMs: deps.staleAfterMs }, audit),
      })),
  );

  app.get(
    '/v1/clusters',
    { schema: { tags, operationId: 'listClusters', summary: 'Platform admins: every registered cluster with its health', response: { 200: ListOf(ClusterSchema), ...errors(403) } } },
    async (request) => ({ items: await service.listAll(deps.database.db, actorOf(request), deps.keyring) }),
  );

  app.post(
    '/v1/clusters',
    {
      schema: {
        tags,
        operationId: 'registerCluster',
        summary: 'Platform admins: register a cluster (a zone) with its kubeconfig, which is stored sealed and never returned',
        body: RegisterClusterBodySchema,
        response: { 201: ClusterSchema, ...errors(403, 409, 422) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit, afterCommit) => {
        const cluster = await service.register(tx, actorOf(request), request.body, deps.keyring, audit);
        afterCommit(() => deps.wake([cluster.id]));
        return { status: 201, body: cluster };
      }),
  );

  app.get(
    '/v1/clusters/:cluster',
    { schema: { tags, operationId: 'getCluster', params: ClusterParamsSchema, response: { 200: ClusterSchema, ...errors(403, 404) } } },
    async (request) => service.get(deps.database.db, actorOf(request), request.params.cluster, deps.keyring),
  );

  app.patch(
    '/v1/clusters/:cluster',
    {
      schema: {
        tags,
        operationId: 'updateCluster',
        params: ClusterParamsSchema,
        body: UpdateClusterBodySchema,
        response: { 200: ClusterSchema, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit, afterCommit) => {
        const cluster = await service.update(tx, actorOf(request), request.params.cluster, request.body, deps.keyring, audit);
        afterCommit(() => {
          deps.clusters.forget(cluster.id);
          deps.wake([cluster.id]);
        });
        return { status: 200, body: cluster };
      }),
  );

  app.delete(
    '/v1/clusters/:cluster',
    {
      schema: {
        tags,
        operationId: 'deleteCluster',
        summary: 'Platform admins: unregister a cluster that runs no deployments',
        params: ClusterParamsSchema,
        response: { 200: Type.Object({ deleted: Type.Literal(true), id: Type.String() }), ...errors(403, 404, 409) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit, afterCommit) => {
        const result = await service.remove(tx, actorOf(request), request.params.cluster, audit);
        afterCommit(() => deps.clusters.forget(result.id));
        return { status: 200, body: result };
      }),
  );
}
