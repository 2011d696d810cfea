import { AuditEntrySchema, AuditListSchema, AuditParamsSchema, AuditQuerySchema, OrgParamsSchema } from '@satusky/contracts';
import { actorOf } from '../http/auth.ts';
import { errors, type App, type AppDeps } from '../http/types.ts';
import { assertCurrentOrg } from '../orgs/service.ts';
import * as service from './service.ts';

export function auditRoutes(app: App, deps: AppDeps): void {
  const tags = ['audit'];

  app.get(
    '/v1/orgs/:org/audit',
    {
      schema: {
        tags,
        operationId: 'listAuditEntries',
        summary: 'The audit log, newest first (admins only); filter by action prefix and actor',
        params: OrgParamsSchema,
        querystring: AuditQuerySchema,
        response: { 200: AuditListSchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.list(deps.database.db, actor, request.query);
    },
  );

  app.get(
    '/v1/orgs/:org/audit/:entryId',
    {
      schema: {
        tags,
        operationId: 'getAuditEntry',
        params: AuditParamsSchema,
        response: { 200: AuditEntrySchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertCurrentOrg(actor, request.params.org);
      return service.get(deps.database.db, actor, request.params.entryId);
    },
  );
}
