import { Type, type Static } from 'typebox';
import { IdSchema, NullableTimestampSchema, TimestampSchema } from './common.ts';

/** A DNS hostname: lowercase labels of letters, digits and hyphens, at least two labels. */
export const HostnameSchema = Type.String({
  pattern: '^(?=.{4,253}\\.?$)([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\\.?$',
  description: 'A fully qualified hostname, e.g. shop.example.com (case does not matter)',
});

export const DomainVerificationSchema = Type.Object({
  record_type: Type.Literal('TXT'),
  record_name: Type.String({ description: '_satusky-challenge.<hostname>' }),
  record_value: Type.String({ description: 'satusky-verify=<token bound to this organization>' }),
});

export const DomainSchema = Type.Object(
  {
    id: IdSchema,
    hostname: Type.String(),
    app: Type.Union([Type.Object({ id: IdSchema, name: Type.String() }), Type.Null()]),
    www_redirect: Type.Boolean(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('verified'), Type.Literal('removed')]),
    verification: DomainVerificationSchema,
    verified_at: NullableTimestampSchema,
    /** How the custom hostname is routed: Gateway API HTTPRoute (the target) or legacy Ingress. */
    route_kind: Type.Union([Type.Literal('httproute'), Type.Literal('ingress')]),
    last_checked_at: NullableTimestampSchema,
    last_check_error: Type.Union([Type.String(), Type.Null()]),
    created_at: TimestampSchema,
  },
  { $id: 'Domain' },
);
export type Domain = Static<typeof DomainSchema>;

export const AddDomainBodySchema = Type.Object(
  {
    hostname: HostnameSchema,
    app: Type.String({ pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
    /** Also answer www.<hostname> and redirect it to the hostname. */
    www_redirect: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AddDomainBody = Static<typeof AddDomainBodySchema>;

export const DomainParamsSchema = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  hostname: Type.String({ minLength: 4, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$' }),
});

export const DnsInstructionSchema = Type.Object({
  purpose: Type.String({ description: 'ownership, routing, or www redirect' }),
  type: Type.Union([Type.Literal('TXT'), Type.Literal('CNAME'), Type.Literal('A'), Type.Literal('AAAA')]),
  name: Type.String(),
  value: Type.String(),
});
export const DomainSetupSchema = Type.Object({
  hostname: Type.String(),
  apex: Type.Boolean(),
  records: Type.Array(DnsInstructionSchema),
  notes: Type.Array(Type.String()),
});
export type DomainSetup = Static<typeof DomainSetupSchema>;

export const FactStatusSchema = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('pending'), Type.Literal('unknown')]);
export type FactStatus = Static<typeof FactStatusSchema>;

export const DomainFactSchema = Type.Object({
  fact: Type.Union([Type.Literal('metadata'), Type.Literal('route'), Type.Literal('dns'), Type.Literal('tls'), Type.Literal('http')]),
  /** The zone the fact is about (route, TLS and HTTP are per zone); null for the whole domain. */
  zone: Type.Union([Type.String(), Type.Null()]),
  status: FactStatusSchema,
  /** A stable reason code, e.g. DNS_WRONG_ADDRESS, TLS_NAME_MISMATCH. */
  reason: Type.String(),
  expected: Type.String(),
  observed: Type.String(),
  remediation: Type.Union([Type.String(), Type.Null()]),
});
export type DomainFact = Static<typeof DomainFactSchema>;

export const DomainCheckSchema = Type.Object(
  {
    hostname: Type.String(),
    /** The generated platform hostname or a custom domain. */
    kind: Type.Union([Type.Literal('platform'), Type.Literal('custom')]),
    app: Type.Union([Type.Object({ id: IdSchema, name: Type.String() }), Type.Null()]),
    ok: Type.Boolean(),
    probe: Type.Boolean(),
    facts: Type.Array(DomainFactSchema),
    checked_at: TimestampSchema,
  },
  { $id: 'DomainCheck' },
);
export type DomainCheck = Static<typeof DomainCheckSchema>;

export const DomainCheckQuerySchema = Type.Object({ probe: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const RemoveDomainResponseSchema = Type.Object({ removed: Type.Literal(true), hostname: Type.String(), reserved_until: TimestampSchema });
