import { Type, type Static, type TSchema } from 'typebox';
import {
  AppNameSchema,
  AppParamsSchema,
  AppSchema,
  AppStatusSchema,
  ConfigChangeAcceptedSchema,
  type DeployAccepted,
  DeleteAppQuerySchema,
  DeployAcceptedSchema,
  DeployBodySchema,
  EnvListSchema,
  EventListSchema,
  EventsQuerySchema,
  FailoverBodySchema,
  KeyValuePatchSchema,
  ListOf,
  LogsQuerySchema,
  LogsSchema,
  OperationParamsSchema,
  OperationSchema,
  OrgParamsSchema,
  ReleaseSchema,
  RollbackBodySchema,
  ScaleBodySchema,
  SecretListSchema,
} from '@satusky/contracts';
import type { Executor } from '../db/database.ts';
import { actorOf } from '../http/auth.ts';
import type { Actor } from '../http/context.ts';
import { runMutation, type AuditEvent } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import { assertCurrentOrg } from '../orgs/service.ts';
import { readLogs } from './logs.ts';
import * as service from './service.ts';

const DeployParamsSchema = Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }), app: AppNameSchema });

export function appRoutes(app: App, deps: AppDeps): void {
  const tags = ['apps'];
  const read = (): service.ReadContext => ({
    now: deps.clock(),
    staleAfterMs: deps.staleAfterMs,
    routing: {
      tls: deps.domains.settings.tls,
      dns: deps.domains.settings.dnsChecks ? { ttlMs: deps.domains.dnsTtlMs, staleAfterMs: Math.max(30_000, deps.domains.settings.checkIntervalMs * 5) } : null,
    },
  });
  const write = (audit: (e: AuditEvent) => void, afterCommit: (fn: () => void) => void): service.AppsContext => ({
    keyring: deps.keyring,
    now: deps.clock(),
    platformDomain: deps.platformDomain,
    staleAfterMs: deps.staleAfterMs,
    wake: deps.wake,
    afterCommit,
    audit,
  });

  app.get(
    '/v1/orgs/:org/apps',
    { schema: { tags, operationId: 'listApps', params: OrgParamsSchema, response: { 200: ListOf(AppSchema), ...errors(404) } } },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return { items: await service.list(deps.database.db, actor, read()) };
    },
  );

  app.put(
    '/v1/orgs/:org/apps/:app',
    {
      schema: {
        tags,
        operationId: 'deployApp',
        summary: 'Deploy: create or update an app from a deploy intent (the fields of satusky.toml). Answers 202 with the generation.',
        params: DeployParamsSchema,
        body: DeployBodySchema,
        response: { 202: DeployAcceptedSchema, 200: DeployAcceptedSchema, ...errors(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit, afterCommit) => {
        const accepted = await service.deploy(tx, actor, request.params.app, request.body, write(audit, afterCommit));
        return { status: accepted.changed ? 202 : 200, body: accepted };
      });
    },
  );

  app.get(
    '/v1/orgs/:org/apps/:app',
    { schema: { tags, operationId: 'getApp', params: AppParamsSchema, response: { 200: AppSchema, ...errors(404) } } },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.get(deps.database.db, actor, request.params.app, read());
    },
  );

  app.get(
    '/v1/orgs/:org/apps/:app/status',
    {
      schema: {
        tags,
        operationId: 'getAppStatus',
        summary: 'Conditions per zone and overall, each with when it was observed; a silent cluster is Unknown, never ready',
        params: AppParamsSchema,
        response: { 200: AppStatusSchema, ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.status(deps.database.db, actor, request.params.app, read());
    },
  );

  app.get(
    '/v1/orgs/:org/apps/:app/releases',
    { schema: { tags, operationId: 'listReleases', params: AppParamsSchema, response: { 200: ListOf(ReleaseSchema), ...errors(404) } } },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return { items: await service.listReleases(deps.database.db, actor, request.params.app) };
    },
  );

  const lifecycle = <B extends TSchema>(
    path: string,
    operationId: string,
    summary: string,
    body: B,
    run: (tx: Executor, actor: Actor, ref: string, body: Static<B>, ctx: service.AppsContext) => Promise<DeployAccepted>,
  ): void => {
    app.post(
      `/v1/orgs/:org/apps/:app/${path}`,
      {
        schema: {
          tags,
          operationId,
          summary,
          params: AppParamsSchema,
          body,
          response: { 202: DeployAcceptedSchema, 200: DeployAcceptedSchema, ...errors(404, 409) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        assertCurrentOrg(actor, request.params.org);
        return runMutation(deps, request, reply, async (tx, audit, afterCommit) => {
          const accepted = await run(tx, actor, request.params.app, request.body as Static<B>, write(audit, afterCommit));
          return { status: accepted.changed ? 202 : 200, body: accepted };
        });
      },
    );
  };
  lifecycle('rollback', 'rollbackApp', 'A new release from an earlier one (default: the one before the current)', RollbackBodySchema, (tx, actor, ref, body, ctx) =>
    service.rollback(tx, actor, ref, body.version, ctx),
  );
  lifecycle('restart', 'restartApp', 'Restart every pod (a new release with the same spec)', Type.Object({}, { additionalProperties: false }), (tx, actor, ref, _body, ctx) =>
    service.restart(tx, actor, ref, ctx),
  );
  lifecycle('scale', 'scaleApp', 'Set the replica count (refused while an autoscaler manages it)', ScaleBodySchema, (tx, actor, ref, body, ctx) =>
    service.scale(tx, actor, ref, body.replicas, ctx),
  );

  const FailoverAcceptedSchema = Type.Object({
    accepted: Type.Literal(true),
    command: Type.Object({ kind: Type.Union([Type.Literal('failover'), Type.Literal('failback')]), to: Type.Optional(Type.String()) }),
    serving: Type.String(),
    target: Type.String(),
  });
  for (const kind of ['failover', 'failback'] as const) {
    app.post(
      `/v1/orgs/:org/apps/:app/${kind}`,
      {
        schema: {
          tags: ['apps'],
          operationId: kind === 'failover' ? 'failoverApp' : 'failbackApp',
          summary:
            kind === 'failover'
              ? 'Active-passive: move traffic to another ready zone now (a drill); refused with the reason if it is not ready'
              : 'Active-passive: move traffic back to the primary now; refused with the reason if it is not ready',
          params: AppParamsSchema,
          body: kind === 'failover' ? FailoverBodySchema : Type.Object({}, { additionalProperties: false }),
          response: { 202: FailoverAcceptedSchema, ...errors(404, 409) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        assertCurrentOrg(actor, request.params.org);
        const command = kind === 'failover' ? { kind, to: (request.body as { to: string }).to } : { kind };
        return runMutation(deps, request, reply, async (tx, audit, afterCommit) => ({
          status: 202,
          body: await service.requestFailover(tx, actor, request.params.app, command, write(audit, afterCommit)),
        }));
      },
    );
  }

  app.delete(
    '/v1/orgs/:org/apps/:app',
    {
      schema: {
        tags,
        operationId: 'deleteApp',
        summary: 'Delete the app from every zone; answers an operation that reports what was removed and what remains',
        params: AppParamsSchema,
        querystring: DeleteAppQuerySchema,
        response: { 202: OperationSchema, ...errors(404) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit, afterCommit) => ({
        status: 202,
        body: await service.remove(tx, actor, request.params.app, request.query.purge_volumes ?? false, write(audit, afterCommit)),
      }));
    },
  );

  app.get(
    '/v1/orgs/:org/operations/:operationId',
    { schema: { tags, operationId: 'getOperation', params: OperationParamsSchema, response: { 200: OperationSchema, ...errors(404) } } },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.getOperation(deps.database.db, actor, request.params.operationId);
    },
  );

  app.get(
    '/v1/orgs/:org/apps/:app/env',
    { schema: { tags: ['config'], operationId: 'getEnv', params: AppParamsSchema, response: { 200: EnvListSchema, ...errors(404) } } },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.getEnv(deps.database.db, actor, request.params.app);
    },
  );

  app.patch(
    '/v1/orgs/:org/apps/:app/env',
    {
      schema: {
        tags: ['config'],
        operationId: 'patchEnv',
        summary: 'Set and unset environment variables; a change makes a new release',
        params: AppParamsSchema,
        body: KeyValuePatchSchema,
        response: { 202: ConfigChangeAcceptedSchema, 200: ConfigChangeAcceptedSchema, ...errors(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit, afterCommit) => {
        const result = await service.patchEnv(tx, actor, request.params.app, request.body, write(audit, afterCommit));
        return { status: result.changed ? 202 : 200, body: result };
      });
    },
  );

  app.get(
    '/v1/orgs/:org/apps/:app/secrets',
    {
      schema: {
        tags: ['config'],
        operationId: 'listSecrets',
        summary: 'Secret names and versions; values are never returned',
        params: AppParamsSchema,
        response: { 200: SecretListSchema, ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.listSecrets(deps.database.db, actor, request.params.app);
    },
  );

  app.patch(
    '/v1/orgs/:org/apps/:app/secrets',
    {
      schema: {
        tags: ['config'],
        operationId: 'patchSecrets',
        summary: 'Set and unset secrets (encrypted at rest); a change rolls the pods',
        params: AppParamsSchema,
        body: KeyValuePatchSchema,
        response: { 202: ConfigChangeAcceptedSchema, 200: ConfigChangeAcceptedSchema, ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit, afterCommit) => {
        const result = await service.patchSecrets(tx, actor, request.params.app, request.body, write(audit, afterCommit));
        return { status: result.changed ? 202 : 200, body: result };
      });
    },
  );

  app.get(
    '/v1/orgs/:org/apps/:app/events',
    {
      schema: {
        tags,
        operationId: 'listAppEvents',
        summary: 'The app timeline after a cursor (resume with the answer’s cursor)',
        params: AppParamsSchema,
        querystring: EventsQuerySchema,
        response: { 200: EventListSchema, ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.events(deps.database.db, actor, request.params.app, request.query.after ?? 0, request.query.limit ?? 200);
    },
  );

  app.get(
    '/v1/orgs/:org/apps/:app/logs',
    {
      schema: {
        tags,
        operationId: 'getAppLogs',
        summary: 'The last lines of every pod of the app in every zone (or one), each tagged with zone and pod',
        params: AppParamsSchema,
        querystring: LogsQuerySchema,
        response: { 200: LogsSchema, ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return readLogs(deps, actor, request.params.app, { tail: request.query.tail ?? 100, zone: request.query.zone });
    },
  );
}
