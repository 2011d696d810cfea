import { Type, type Static } from 'typebox';

/**
 * The catalogue of stable error codes. A code, once published, keeps its meaning forever and is
 * never reused for something else; add new codes instead. The HTTP status is part of the contract.
 */
export const ERROR_CODES = {
  SATUSKY_BAD_REQUEST: { status: 400, message: 'The request could not be parsed.' },
  SATUSKY_VALIDATION_FAILED: { status: 400, message: 'The request does not match the schema.' },
  SATUSKY_UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  SATUSKY_FORBIDDEN: { status: 403, message: 'You are not allowed to do this.' },
  SATUSKY_NOT_FOUND: { status: 404, message: 'Not found.' },
  SATUSKY_ROUTE_NOT_FOUND: { status: 404, message: 'No such API route.' },
  SATUSKY_ORG_NOT_FOUND: { status: 404, message: 'Organization not found.' },
  SATUSKY_MEMBER_NOT_FOUND: { status: 404, message: 'Member not found.' },
  SATUSKY_TOKEN_NOT_FOUND: { status: 404, message: 'API token not found.' },
  SATUSKY_AUDIT_ENTRY_NOT_FOUND: { status: 404, message: 'Audit entry not found.' },
  SATUSKY_USER_NOT_FOUND: { status: 404, message: 'User not found.' },
  SATUSKY_APP_NOT_FOUND: { status: 404, message: 'App not found.' },
  SATUSKY_RELEASE_NOT_FOUND: { status: 404, message: 'Release not found.' },
  SATUSKY_CLUSTER_NOT_FOUND: { status: 404, message: 'Cluster not found.' },
  SATUSKY_ZONE_NOT_FOUND: { status: 404, message: 'Zone not found.' },
  SATUSKY_OPERATION_NOT_FOUND: { status: 404, message: 'Operation not found.' },
  SATUSKY_DOMAIN_NOT_FOUND: { status: 404, message: 'Domain not found.' },
  SATUSKY_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed.' },
  SATUSKY_ORG_SLUG_TAKEN: { status: 409, message: 'That organization slug is taken.' },
  SATUSKY_MEMBER_EXISTS: { status: 409, message: 'That user is already a member.' },
  SATUSKY_LAST_ADMIN: { status: 409, message: 'An organization must keep at least one admin.' },
  SATUSKY_ORG_NOT_EMPTY: { status: 409, message: 'The organization still owns resources.' },
  SATUSKY_CLUSTER_EXISTS: { status: 409, message: 'A cluster with that name or zone is already registered.' },
  SATUSKY_CLUSTER_IN_USE: { status: 409, message: 'The cluster still runs deployments.' },
  SATUSKY_APP_DELETING: { status: 409, message: 'The app is being deleted.' },
  SATUSKY_SCALE_MANAGED_BY_HPA: { status: 409, message: 'Replicas are managed by the autoscaler.' },
  SATUSKY_NOTHING_TO_ROLL_BACK: { status: 409, message: 'There is no earlier release to roll back to.' },
  SATUSKY_APP_NOT_DEPLOYED: { status: 409, message: 'The app has no release yet.' },
  SATUSKY_DOMAIN_TAKEN: { status: 409, message: 'That hostname belongs to another organization.' },
  SATUSKY_DOMAIN_RESERVED: { status: 409, message: 'That hostname was released recently and is still reserved.' },
  SATUSKY_DOMAIN_EXISTS: { status: 409, message: 'That hostname is already attached.' },
  SATUSKY_NOT_MULTI_ZONE: { status: 409, message: 'The app does not run active-passive in several zones.' },
  SATUSKY_FAILOVER_REFUSED: { status: 409, message: 'The failover target is not ready.' },
  SATUSKY_IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    message: 'A request with this X-Request-ID is still being processed.',
  },
  SATUSKY_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  SATUSKY_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type.' },
  SATUSKY_IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'This X-Request-ID was already used for a different request.',
  },
  SATUSKY_INVALID_INPUT: { status: 422, message: 'The request is well-formed but cannot be processed.' },
  SATUSKY_INVALID_IMAGE: { status: 422, message: 'Not a valid image reference.' },
  SATUSKY_INVALID_RESOURCES: { status: 422, message: 'Invalid CPU or memory settings.' },
  SATUSKY_INVALID_KUBECONFIG: { status: 422, message: 'The kubeconfig cannot be used.' },
  SATUSKY_ZONE_UNAVAILABLE: { status: 422, message: 'The zone is not available to this organization.' },
  SATUSKY_NO_ZONE_AVAILABLE: { status: 422, message: 'No zone is available to this organization.' },
  SATUSKY_PLACEMENT_INVALID: { status: 422, message: 'The placement cannot be satisfied.' },
  SATUSKY_STORAGE_BOUNDARY: { status: 422, message: 'The volumes do not fit this placement.' },
  SATUSKY_DOMAIN_INVALID: { status: 422, message: 'That hostname cannot be used.' },
  SATUSKY_RATE_LIMITED: { status: 429, message: 'Too many requests.' },
  SATUSKY_INTERNAL: { status: 500, message: 'Internal error.' },
  SATUSKY_UNAVAILABLE: { status: 503, message: 'Temporarily unavailable; retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code, e.g. SATUSKY_ORG_NOT_FOUND' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
      request_id: Type.String(),
    }),
  },
  { $id: 'ErrorBody', description: 'Every error response has this shape.' },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
