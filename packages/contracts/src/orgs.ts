import { Type, type Static } from 'typebox';
import { IdSchema, RoleSchema, SlugSchema, TimestampSchema } from './common.ts';
import { CreatedApiTokenSchema } from './tokens.ts';

export const OrganizationSchema = Type.Object(
  {
    id: IdSchema,
    name: Type.String(),
    slug: SlugSchema,
    /** The Kubernetes namespace this organization owns in every cluster it uses. */
    namespace: Type.String(),
    description: Type.String(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    /** The caller's role in this organization. */
    role: RoleSchema,
    /** True for the organization the presented credential is scoped to. */
    current: Type.Boolean(),
  },
  { $id: 'Organization' },
);
export type Organization = Static<typeof OrganizationSchema>;

export const CreateOrganizationBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    slug: Type.Optional(SlugSchema),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type CreateOrganizationBody = Static<typeof CreateOrganizationBodySchema>;

export const CreateOrganizationResponseSchema = Type.Object({
  organization: OrganizationSchema,
  /**
   * A new API token scoped to the caller's admin membership of the new organization, shown once.
   * Tokens are scoped to one membership, so this is how the creator gets to act in it.
   */
  token: CreatedApiTokenSchema,
});
export type CreateOrganizationResponse = Static<typeof CreateOrganizationResponseSchema>;

export const DeleteOrganizationResponseSchema = Type.Object({
  deleted: Type.Literal(true),
  organization: Type.Object({ id: IdSchema, slug: SlugSchema, namespace: Type.String() }),
});
export type DeleteOrganizationResponse = Static<typeof DeleteOrganizationResponseSchema>;

export const OrgParamsSchema = Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }) });
