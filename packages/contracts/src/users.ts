import { Type, type Static } from 'typebox';
import { IdSchema, NullableTimestampSchema, RoleSchema, SlugSchema, TimestampSchema } from './common.ts';

export const UserSchema = Type.Object(
  {
    id: IdSchema,
    email: Type.String(),
    name: Type.String(),
    is_platform_admin: Type.Boolean(),
    has_password: Type.Boolean(),
    created_at: TimestampSchema,
  },
  { $id: 'User' },
);
export type User = Static<typeof UserSchema>;

export const MembershipSummarySchema = Type.Object({
  membership_id: IdSchema,
  organization_id: IdSchema,
  organization_name: Type.String(),
  organization_slug: SlugSchema,
  namespace: Type.String(),
  role: RoleSchema,
});
export type MembershipSummary = Static<typeof MembershipSummarySchema>;

/** Who the caller is: the user, and the one membership the presented token is scoped to. */
export const MeSchema = Type.Object(
  {
    user: UserSchema,
    /** The organization this credential acts in. */
    organization: MembershipSummarySchema,
    token: Type.Object({
      id: IdSchema,
      name: Type.String(),
      expires_at: NullableTimestampSchema,
    }),
    memberships: Type.Array(MembershipSummarySchema),
  },
  { $id: 'Me' },
);
export type Me = Static<typeof MeSchema>;

export const ChangePasswordBodySchema = Type.Object(
  {
    current_password: Type.Optional(Type.String({ maxLength: 200 })),
    new_password: Type.String({ minLength: 12, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBodySchema>;
