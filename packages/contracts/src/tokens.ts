import { Type, type Static } from 'typebox';
import { IdSchema, NullableTimestampSchema, TimestampSchema } from './common.ts';

export const TokenStatusSchema = Type.Union([
  Type.Literal('active'),
  Type.Literal('disabled'),
  Type.Literal('expired'),
]);
export type TokenStatus = Static<typeof TokenStatusSchema>;

export const ApiTokenSchema = Type.Object(
  {
    id: IdSchema,
    name: Type.String(),
    membership_id: IdSchema,
    organization_id: IdSchema,
    user_id: IdSchema,
    user_email: Type.String(),
    /** The recognisable prefix and last characters, e.g. `sat_…k3Xz`; never the token itself. */
    hint: Type.String(),
    enabled: Type.Boolean(),
    status: TokenStatusSchema,
    expires_at: NullableTimestampSchema,
    last_used_at: NullableTimestampSchema,
    created_at: TimestampSchema,
  },
  { $id: 'ApiToken' },
);
export type ApiToken = Static<typeof ApiTokenSchema>;

export const CreatedApiTokenSchema = Type.Object(
  {
    ...ApiTokenSchema.properties,
    /** The token value. Shown once; only its hash is stored. */
    token: Type.String(),
  },
  { $id: 'CreatedApiToken' },
);
export type CreatedApiToken = Static<typeof CreatedApiTokenSchema>;

export const CreateApiTokenBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** Days until the token expires; 0 or absent means it never expires. */
    expires_in_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  },
  { additionalProperties: false },
);
export type CreateApiTokenBody = Static<typeof CreateApiTokenBodySchema>;

export const UpdateApiTokenBodySchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateApiTokenBody = Static<typeof UpdateApiTokenBodySchema>;

export const TokenParamsSchema = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  tokenId: IdSchema,
});

export const ListTokensQuerySchema = Type.Object(
  {
    /** Admins only: list every member's tokens, not just the caller's. */
    all: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const DeleteApiTokenResponseSchema = Type.Object({ deleted: Type.Literal(true), id: IdSchema });

/** Sign in with email and password; answers a new token scoped to one membership. */
export const PasswordLoginBodySchema = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
    /** Organization id or slug; defaults to the user's oldest membership. */
    organization: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    token_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  },
  { additionalProperties: false },
);
export type PasswordLoginBody = Static<typeof PasswordLoginBodySchema>;

