import { Type, type Static } from 'typebox';
import { EmailSchema, IdSchema, RoleSchema, TimestampSchema } from './common.ts';

export const MemberSchema = Type.Object(
  {
    /** The membership id (what `org team role|remove` take). */
    id: IdSchema,
    user_id: IdSchema,
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    created_at: TimestampSchema,
  },
  { $id: 'Member' },
);
export type Member = Static<typeof MemberSchema>;

export const AddMemberBodySchema = Type.Object(
  {
    email: EmailSchema,
    role: Type.Optional(RoleSchema),
    name: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type AddMemberBody = Static<typeof AddMemberBodySchema>;

export const AddMemberResponseSchema = Type.Object({
  member: MemberSchema,
  /**
   * Present only when the invitation created a new user account: a one-time initial password for
   * the invitee, shown once. Existing users keep their credentials.
   */
  initial_password: Type.Optional(Type.String()),
});
export type AddMemberResponse = Static<typeof AddMemberResponseSchema>;

export const ChangeRoleBodySchema = Type.Object({ role: RoleSchema }, { additionalProperties: false });
export type ChangeRoleBody = Static<typeof ChangeRoleBodySchema>;

export const MemberParamsSchema = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  memberId: IdSchema,
});

export const RemoveMemberResponseSchema = Type.Object({ removed: MemberSchema });
export type RemoveMemberResponse = Static<typeof RemoveMemberResponseSchema>;
