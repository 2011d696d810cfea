import { Type, type Static, type TSchema } from 'typebox';

export const IdSchema = Type.String({ format: 'uuid', description: 'A UUID' });
export const TimestampSchema = Type.String({ format: 'date-time' });
export const NullableTimestampSchema = Type.Union([TimestampSchema, Type.Null()]);

export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('member')]);
export type Role = Static<typeof RoleSchema>;

/** DNS-1123 label used as an organization slug; the org's Kubernetes namespace derives from it. */
export const SlugSchema = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  minLength: 3,
  maxLength: 40,
  description: 'Lowercase letters, digits and hyphens (DNS-1123 label), 3–40 characters',
});

/** An organization reference in a path: its id or its slug. */
export const OrgRefSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' });

export const EmailSchema = Type.String({ format: 'email', minLength: 3, maxLength: 254 });

export function ListOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item) });
}
