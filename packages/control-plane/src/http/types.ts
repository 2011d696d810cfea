import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBodySchema } from '@satusky/contracts';
import type { Keyring } from '../core/keyring.ts';
import type { Database } from '../db/database.ts';
import type { OwnedResourceCounter } from '../orgs/service.ts';
import type { ClusterAccess } from '../controllers/cluster-access.ts';
import type { DomainProber } from '../controllers/domain-probe.ts';
import type { DomainSettings } from '../config.ts';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What routes need; built once by the composition root. */
export interface AppDeps {
  database: Database;
  keyring: Keyring;
  clock: () => Date;
  rateLimitPerMinute: number;
  /** Password and token sign-ins per client address per minute (guessing is slow by design). */
  signInRateLimitPerMinute: number;
  ownedResourceCounters: OwnedResourceCounter[];
  /** The platform DNS zone app hostnames are generated in. */
  platformDomain: string;
  /** A cluster silent for longer than this makes its conditions Unknown. */
  staleAfterMs: number;
  /** Wakes the controllers for these clusters (after a commit). */
  /** New desired state committed: for these clusters, and (when known) for these apps only. */
  wake: (clusterIds: readonly string[], deploymentIds?: readonly string[]) => void;
  /** Cluster access for reads that go to the clusters (logs). */
  clusters: ClusterAccess;
  /** Custom domains: settings and the checker's network probes. */
  domains: { settings: DomainSettings; prober: DomainProber; edgeHttpsPort: number; /** TTL of platform records (resolvers may hold old answers this long). */ dnsTtlMs: number };
}

/** Error responses a route documents in OpenAPI; every one has the ErrorBody shape. */
export function errors(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503)[]) {
  const all = new Set<number>([400, 401, 429, 503, ...statuses]);
  return Object.fromEntries([...all].map((s) => [s, ErrorBodySchema])) as Record<number, typeof ErrorBodySchema>;
}
