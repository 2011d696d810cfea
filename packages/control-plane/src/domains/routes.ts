import { Type } from 'typebox';
import {
  AddDomainBodySchema,
  DomainCheckQuerySchema,
  DomainCheckSchema,
  DomainParamsSchema,
  DomainSchema,
  DomainSetupSchema,
  ListOf,
  OrgParamsSchema,
  RemoveDomainResponseSchema,
} from '@satusky/contracts';
import { AppError } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import { actorOf } from '../http/auth.ts';
import { runMutation, type AuditEvent } from '../http/mutation.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import { assertCurrentOrg } from '../orgs/service.ts';
import * as service from './service.ts';

export function domainRoutes(app: App, deps: AppDeps): void {
  const tags = ['domains'];
  const write = (audit: (e: AuditEvent) => void, afterCommit: (fn: () => void) => void): service.DomainsContext => ({
    now: deps.clock(),
    platformDomain: deps.platformDomain,
    routingMode: deps.domains.settings.routingMode,
    reservationDays: deps.domains.settings.reservationDays,
    wake: deps.wake,
    afterCommit,
    audit,
  });

  app.get(
    '/v1/orgs/:org/domains',
    {
      schema: {
        tags,
        operationId: 'listDomains',
        summary: 'Custom domains of the org (optionally of one app), with their verification state',
        params: OrgParamsSchema,
        querystring: Type.Object({ app: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })) }, { additionalProperties: false }),
        response: { 200: ListOf(DomainSchema), ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return { items: await service.list(deps.database.db, actor, request.query.app) };
    },
  );

  app.post(
    '/v1/orgs/:org/domains',
    {
      schema: {
        tags,
        operationId: 'addDomain',
        summary: 'Attach a hostname to an app, pending until the TXT record proves ownership; nothing is routed before',
        params: OrgParamsSchema,
        body: AddDomainBodySchema,
        response: { 201: DomainSchema, ...errors(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit, afterCommit) => ({
        status: 201,
        body: await service.add(tx, actor, request.body, write(audit, afterCommit)),
      }));
    },
  );

  app.get(
    '/v1/orgs/:org/domains/:hostname',
    { schema: { tags, operationId: 'getDomain', params: DomainParamsSchema, response: { 200: DomainSchema, ...errors(404) } } },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.get(deps.database.db, actor, request.params.hostname);
    },
  );

  app.get(
    '/v1/orgs/:org/domains/:hostname/setup',
    {
      schema: {
        tags,
        operationId: 'getDomainSetup',
        summary: 'Every DNS record to create: the ownership TXT, then a CNAME (or A records at an apex) and the www name',
        params: DomainParamsSchema,
        response: { 200: DomainSetupSchema, ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.setup(deps.database.db, actor, request.params.hostname);
    },
  );

  app.get(
    '/v1/orgs/:org/domains/:hostname/check',
    {
      schema: {
        tags,
        operationId: 'checkDomain',
        summary:
          'Why a hostname (custom domain or generated app hostname) works or not: metadata, route, DNS, TLS and, with probe=true, HTTP facts, each with a reason code and a fix',
        params: DomainParamsSchema,
        querystring: DomainCheckQuerySchema,
        response: { 200: DomainCheckSchema, ...errors(404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      const ctx: service.CheckContext = {
        now: deps.clock(),
        staleAfterMs: deps.staleAfterMs,
        prober: deps.domains.prober,
        edgeHttpsPort: deps.domains.edgeHttpsPort,
      };
      // Verifying a domain whose TXT is now visible is a write of its own, fenced by nothing but
      // the row's state: the background verifier would do the same a moment later.
      const verify = async (row: Parameters<typeof service.markVerified>[1]) => {
        const clusterIds = await deps.database.db.transaction().execute((tx) => service.markVerified(tx, row, deps.clock()));
        deps.wake(clusterIds);
      };
      return service.check(deps.database.db, actor, request.params.hostname, request.query.probe ?? false, ctx, verify);
    },
  );

  app.delete(
    '/v1/orgs/:org/domains/:hostname',
    {
      schema: {
        tags,
        operationId: 'removeDomain',
        summary: 'Detach a domain: its routes and certificate go; the hostname stays reserved to the org for the grace period',
        params: DomainParamsSchema,
        response: { 200: RemoveDomainResponseSchema, ...errors(404) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return runMutation(deps, request, reply, async (tx, audit, afterCommit) => ({
        status: 200,
        body: await service.remove(tx, actor, request.params.hostname, write(audit, afterCommit)),
      }));
    },
  );

  const RoutingEntrySchema = Type.Object({
    hostname: Type.String(),
    organization: Type.String(),
    app: Type.Union([Type.String(), Type.Null()]),
    status: Type.String(),
    route_kind: Type.Union([Type.Literal('httproute'), Type.Literal('ingress')]),
    /** Migrating: the Ingress is kept until the HTTPRoute is accepted in every zone. */
    ingress_retained: Type.Boolean(),
  });
  const RoutingStateSchema = Type.Object({
    mode: Type.Union([Type.Literal('gateway'), Type.Literal('ingress')]),
    domains: Type.Array(RoutingEntrySchema),
    migrating: Type.Integer(),
    legacy: Type.Integer(),
  });
  const routingState = () => routingStateIn(deps.database.db);

  app.get(
    '/v1/admin/routing',
    { schema: { tags: ['routing'], operationId: 'getRouting', summary: 'Platform admins: how custom domains are routed (Gateway API or legacy Ingress) and what is migrating', response: { 200: RoutingStateSchema, ...errors(403) } } },
    async (request) => {
      if (!actorOf(request).user.isPlatformAdmin) throw new AppError('SATUSKY_FORBIDDEN', 'Routing administration needs a platform admin.');
      return routingState();
    },
  );

  app.post(
    '/v1/admin/routing/migrate',
    {
      schema: {
        tags: ['routing'],
        operationId: 'migrateRouting',
        summary: 'Platform admins: move every Ingress-routed custom domain to an HTTPRoute; each Ingress goes once its HTTPRoute is accepted everywhere',
        body: Type.Object({}, { additionalProperties: false }),
        response: { 202: Type.Object({ started: Type.Array(Type.String()), state: RoutingStateSchema }), ...errors(403) },
      },
    },
    async (request, reply) =>
      runMutation(deps, request, reply, async (tx, audit, afterCommit) => {
        if (!actorOf(request).user.isPlatformAdmin) throw new AppError('SATUSKY_FORBIDDEN', 'Routing administration needs a platform admin.');
        const started = await service.startRoutingMigration(tx);
        audit({ action: 'routing.migrate', resourceType: 'routing', resourceName: 'custom-domains', changes: { hostnames: started.hostnames } });
        afterCommit(() => deps.wake(started.clusterIds));
        return { status: 202, body: { started: started.hostnames, state: await routingStateIn(tx) } };
      }),
  );

  async function routingStateIn(tx: Executor) {
    const rows = await tx
      .selectFrom('domains as d')
      .innerJoin('organizations as o', 'o.id', 'd.organization_id')
      .leftJoin('deployments as a', 'a.id', 'd.deployment_id')
      .select(['d.hostname', 'o.slug', 'a.name', 'd.status', 'd.route_kind', 'd.ingress_retained'])
      .where('d.status', '!=', 'removed')
      .orderBy('d.hostname')
      .execute();
    return {
      mode: deps.domains.settings.routingMode,
      domains: rows.map((r) => ({ hostname: r.hostname, organization: r.slug, app: r.name, status: r.status, route_kind: r.route_kind, ingress_retained: r.ingress_retained })),
      migrating: rows.filter((r) => r.ingress_retained).length,
      legacy: rows.filter((r) => r.route_kind === 'ingress').length,
    };
  }
}
