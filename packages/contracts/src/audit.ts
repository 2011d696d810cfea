import { Type, type Static } from 'typebox';
import { IdSchema, TimestampSchema } from './common.ts';

export const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    organization_id: Type.Union([IdSchema, Type.Null()]),
    actor: Type.Object({
      user_id: Type.Union([IdSchema, Type.Null()]),
      email: Type.Union([Type.String(), Type.Null()]),
      token_id: Type.Union([IdSchema, Type.Null()]),
    }),
    /** Dotted verb, e.g. `org.create`, `member.role.change`, `token.disable`. */
    action: Type.String(),
    resource_type: Type.String(),
    resource_id: Type.Union([Type.String(), Type.Null()]),
    resource_name: Type.Union([Type.String(), Type.Null()]),
    request_id: Type.String(),
    idempotency_key: Type.Union([Type.String(), Type.Null()]),
    /** Changed fields; secret values are recorded as "[REDACTED]". */
    changes: Type.Record(Type.String(), Type.Unknown()),
    ip: Type.Union([Type.String(), Type.Null()]),
    user_agent: Type.Union([Type.String(), Type.Null()]),
    created_at: TimestampSchema,
  },
  { $id: 'AuditEntry' },
);
export type AuditEntry = Static<typeof AuditEntrySchema>;

export const AuditQuerySchema = Type.Object(
  {
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** A user id or an email address. */
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    /** Return entries older than this id (the previous page's `next_cursor`). */
    before: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuerySchema>;

export const AuditListSchema = Type.Object({
  items: Type.Array(AuditEntrySchema),
  next_cursor: Type.Union([Type.Integer(), Type.Null()]),
});
export type AuditList = Static<typeof AuditListSchema>;

export const AuditParamsSchema = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  entryId: Type.Integer({ minimum: 1 }),
});
