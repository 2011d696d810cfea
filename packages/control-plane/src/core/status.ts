import type { ClusterStatus, Condition, ConditionStatus, OverallStatus } from '@satusky/contracts';
import { routeCondition, tlsCondition, type RoutingObservation } from './routing.ts';

/** A pod-level problem the observer found for the app's current release. */
export interface WorkloadProblem {
  reason: string;
  message: string;
  pods: string[];
  /** `failure`: will not fix itself (bad image, crash loop); `transient`: may still converge. */
  severity: 'failure' | 'transient';
}

export interface WorkloadSummary {
  problems: WorkloadProblem[];
  progressDeadlineExceeded: boolean;
}

export interface TargetFact {
  clusterId: string;
  cluster: string;
  zone: string;
  role: 'serving' | 'warm';
  desiredGeneration: number;
  appliedGeneration: number;
  appliedAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** The cluster refused the objects themselves (invalid, forbidden): retrying will not help. */
  lastErrorTerminal: boolean;
  acceptedAt: Date;
  /** The zone's public edge and the latest probe of the app through it (absent: no edge registered). */
  edge?: { address: string; probe: EdgeProbeFact | null } | undefined;
  /** Routes and certificates the zone shows for the app (absent: not observed yet). */
  routing?: RoutingObservation | null;
  /** Whether the platform DNS should send the app's traffic to this zone now (not a warm standby). */
  dnsExpected?: boolean;
}

/** How the app's hostname resolved through the public resolvers, against what is published. */
export interface DnsFact {
  published: readonly string[];
  /** When the published record set last changed. */
  publishedAt: Date | null;
  observation: { rcode: string; addresses: readonly string[]; observedAt: Date } | null;
  /** Resolvers may keep old answers this long after a change. */
  ttlMs: number;
  /** An observation older than this says nothing about now. */
  staleAfterMs: number;
}

export interface EdgeProbeFact {
  ok: boolean;
  detail: string;
  probedAt: Date;
}

export interface ObservationFact {
  observedGeneration: number | null;
  releaseVersion: number | null;
  desiredReplicas: number | null;
  replicas: number | null;
  readyReplicas: number | null;
  updatedReplicas: number | null;
  availableReplicas: number | null;
  workload: WorkloadSummary;
  observedAt: Date;
}

export interface ClusterFact {
  healthState: 'unknown' | 'healthy' | 'degraded' | 'offline';
  healthReason: string;
  lastHeardAt: Date | null;
}

export interface AggregateInput {
  generation: number;
  releaseVersion: number | null;
  targets: readonly TargetFact[];
  observations: ReadonlyMap<string, ObservationFact>;
  clusters: ReadonlyMap<string, ClusterFact>;
  now: Date;
  /** A cluster silent for longer than this is stale: its conditions turn Unknown. */
  staleAfterMs: number;
  /** An edge probe older than this says nothing about now. */
  probeStaleAfterMs?: number;
  /** The app's generated hostname (RouteAccepted, TLSReady and DNSReady are about it). */
  hostname?: string;
  /** Certificates are expected (TLSReady is evaluated). */
  tls?: boolean;
  /** DNS is checked through public resolvers (DNSReady is evaluated); absent: not checked. */
  dns?: DnsFact | null;
}

/** Conditions about the endpoint rather than the workload: when only they fail, the app is degraded. */
const ENDPOINT_CONDITIONS = new Set(['Reachable', 'RouteAccepted', 'TLSReady', 'DNSReady']);
/** Certificate failures that come from the CA not reaching the hostname (DNS, connection, challenge). */
const CA_REACH_REASONS = new Set(['DNSNameNotResolved', 'ConnectionRefused', 'ChallengeNotFound', 'WrongChallengeResponse', 'Timeout']);
/** Endpoint reasons that mean "on its way", not "broken". */
const PENDING_REASONS = new Set(['Pending', 'Issuing', 'Propagating', 'Publishing', 'NotObserved', 'RouteMissing']);

export interface AggregateResult {
  status: OverallStatus;
  message: string;
  conditions: Condition[];
  clusters: ClusterStatus[];
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

function condition(type: string, status: ConditionStatus, reason: string, message: string, observedAt: Date | null): Condition {
  return { type, status, reason, message, observed_at: iso(observedAt) };
}

function ago(now: Date, then: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

function clusterStatus(input: AggregateInput, target: TargetFact): ClusterStatus {
  const { now } = input;
  const fact = input.clusters.get(target.clusterId) ?? { healthState: 'unknown', healthReason: 'never probed', lastHeardAt: null };
  const observation = input.observations.get(target.clusterId) ?? null;
  const stale = !fact.lastHeardAt || now.getTime() - fact.lastHeardAt.getTime() > input.staleAfterMs;
  const staleWhy = fact.lastHeardAt
    ? `${target.zone} not heard from since ${fact.lastHeardAt.toISOString()} (${ago(now, fact.lastHeardAt)})`
    : `${target.zone} has not been heard from yet`;

  const conditions: Condition[] = [
    condition('Accepted', 'True', 'ReleaseCreated', `generation ${target.desiredGeneration} accepted for ${target.zone}`, target.acceptedAt),
  ];

  // Reachability of the cluster itself.
  if (!fact.lastHeardAt) {
    conditions.push(condition('ClusterReachable', 'Unknown', 'NotProbed', staleWhy, null));
  } else if (stale || fact.healthState === 'offline') {
    conditions.push(condition('ClusterReachable', 'False', 'ClusterUnreachable', `${staleWhy}: ${fact.healthReason}`, fact.lastHeardAt));
  } else {
    conditions.push(
      condition('ClusterReachable', 'True', fact.healthState === 'degraded' ? 'Degraded' : 'Healthy', fact.healthReason, fact.lastHeardAt),
    );
  }

  let applied: Condition;
  let workload: Condition;
  let workloadFailed = false;
  if (stale) {
    // Whatever we saw last may no longer be true: say so instead of repeating it.
    applied = condition('Applied', 'Unknown', 'ClusterStale', `${staleWhy}; last applied generation ${target.appliedGeneration}`, target.appliedAt);
    workload = condition(
      'WorkloadReady',
      'Unknown',
      'ClusterStale',
      observation
        ? `${staleWhy}; last seen ${observation.readyReplicas ?? 0}/${observation.desiredReplicas ?? 0} ready at ${observation.observedAt.toISOString()}`
        : staleWhy,
      observation?.observedAt ?? null,
    );
  } else {
    if (target.appliedGeneration >= target.desiredGeneration) {
      applied = condition('Applied', 'True', 'Applied', `generation ${target.appliedGeneration} applied to ${target.zone}`, target.appliedAt);
    } else if (target.lastError) {
      applied = condition('Applied', 'False', target.lastErrorTerminal ? 'Rejected' : 'ApplyFailed', target.lastError, target.lastErrorAt);
    } else {
      applied = condition('Applied', 'False', 'Pending', `generation ${target.desiredGeneration} is waiting to be applied`, null);
    }
    ({ condition: workload, failed: workloadFailed } = workloadCondition(target, observation));
  }
  conditions.push(applied, workload);
  if (input.hostname && !stale && target.routing !== undefined) {
    const at = target.routing ? (observation?.observedAt ?? null) : null;
    conditions.push(routeCondition(target.routing, input.hostname, target.zone, at));
    if (input.tls) conditions.push(tlsCondition(target.routing, input.hostname, target.zone, at, now));
  }
  if (input.hostname && input.dns && target.edge && !stale) {
    const dns = dnsCondition(input.dns, input.hostname, target, now);
    conditions.push(dns);
    // The CA validates through public DNS: until the hostname resolves here, a failed validation is
    // the expected first attempt, not a broken certificate (cert-manager retries).
    const tls = conditions.find((c) => c.type === 'TLSReady');
    if (tls && tls.status === 'False' && dns.status !== 'True' && CA_REACH_REASONS.has(tls.reason)) {
      Object.assign(tls, { reason: 'Issuing', message: `waiting for ${input.hostname} to resolve to ${target.zone} before the CA can validate it (last attempt: ${tls.message})` });
    }
  }
  const reachable = target.edge ? reachableCondition(input, target, observation) : null;
  if (reachable) conditions.push(reachable);

  let status: OverallStatus;
  const core = conditions.filter((c) => !ENDPOINT_CONDITIONS.has(c.type));
  const endpoint = conditions.filter((c) => ENDPOINT_CONDITIONS.has(c.type));
  const clusterDown = conditions.find((c) => c.type === 'ClusterReachable')?.status === 'False';
  if (stale) status = 'unknown';
  // The API does not answer (yet not stale): nothing is rolling out. If users still reach the app
  // through the edge, it serves without control; otherwise we cannot tell.
  else if (clusterDown) status = reachable?.status === 'True' ? 'degraded' : 'unknown';
  else if (target.lastErrorTerminal && target.appliedGeneration < target.desiredGeneration) status = 'failed';
  else if (workloadFailed) status = 'failed';
  else if (conditions.every((c) => c.status === 'True')) status = 'ready';
  // The workload is ready, but users cannot reach it through this zone: a route refused, a
  // certificate the CA will not issue, DNS that points elsewhere, an edge that does not answer.
  else if (core.every((c) => c.status === 'True') && endpoint.some((c) => c.status === 'False' && !PENDING_REASONS.has(c.reason))) status = 'degraded';
  else status = 'progressing';

  return {
    zone: target.zone,
    cluster: target.cluster,
    cluster_id: target.clusterId,
    role: target.role,
    status,
    desired_generation: target.desiredGeneration,
    applied_generation: target.appliedGeneration,
    observed_generation: observation?.observedGeneration ?? null,
    replicas: {
      desired: observation?.desiredReplicas ?? null,
      ready: observation?.readyReplicas ?? null,
      updated: observation?.updatedReplicas ?? null,
      available: observation?.availableReplicas ?? null,
    },
    conditions,
    stale,
    receives_traffic: target.dnsExpected ?? target.role === 'serving',
    observed_at: iso(observation?.observedAt),
  };
}

/**
 * Whether users reach the app through this zone's edge, from the latest probe. A probe that
 * predates the rollout it would judge is pending, not a verdict.
 */
function reachableCondition(input: AggregateInput, target: TargetFact, observation: ObservationFact | null): Condition {
  const probe = target.edge?.probe ?? null;
  const via = `through the ${target.zone} edge (${target.edge?.address ?? '?'})`;
  if (!probe) return condition('Reachable', 'Unknown', 'NotProbed', `not probed ${via} yet`, null);
  if (input.now.getTime() - probe.probedAt.getTime() > (input.probeStaleAfterMs ?? 30_000)) {
    return condition('Reachable', 'Unknown', 'ProbeStale', `last probe ${via} at ${probe.probedAt.toISOString()}: ${probe.detail}`, probe.probedAt);
  }
  if (probe.ok) return condition('Reachable', 'True', 'Reachable', `${probe.detail} ${via}`, probe.probedAt);
  if (observation && probe.probedAt < observation.observedAt) {
    return condition('Reachable', 'Unknown', 'ProbePending', `waiting for a probe ${via} after the rollout (last: ${probe.detail})`, probe.probedAt);
  }
  return condition('Reachable', 'False', 'Unreachable', `${probe.detail} ${via}`, probe.probedAt);
}

/**
 * DNSReady in one zone: the app's hostname resolves through the public resolvers to this zone's
 * edge when it should (and a standby zone is rightly absent).
 */
function dnsCondition(dns: DnsFact, hostname: string, target: TargetFact, now: Date): Condition {
  const edge = target.edge!.address;
  const published = dns.published.includes(edge);
  const obs = dns.observation;
  if (!published) {
    if (target.dnsExpected === false) {
      return target.role === 'serving'
        ? condition('DNSReady', 'True', 'NotServing', `${hostname} does not send traffic to ${target.zone} now: traffic moved to another zone (failover); it returns on failback`, obs?.observedAt ?? null)
        : condition('DNSReady', 'True', 'Standby', `${hostname} does not send traffic to ${target.zone} (standby); it joins DNS on failover`, obs?.observedAt ?? null);
    }
    return condition('DNSReady', 'False', 'Publishing', `${target.zone}'s edge (${edge}) is not in the DNS records of ${hostname} yet`, obs?.observedAt ?? null);
  }
  if (!obs) return condition('DNSReady', 'Unknown', 'NotObserved', `${hostname} has not been resolved through the public resolvers yet`, null);
  if (now.getTime() - obs.observedAt.getTime() > dns.staleAfterMs) {
    return condition('DNSReady', 'Unknown', 'ObservationStale', `last resolution of ${hostname} at ${obs.observedAt.toISOString()}`, obs.observedAt);
  }
  if (obs.addresses.includes(edge)) return condition('DNSReady', 'True', 'Resolves', `${hostname} resolves to ${obs.addresses.join(', ')}`, obs.observedAt);
  const seen = obs.rcode === 'NOERROR' ? (obs.addresses.length ? obs.addresses.join(', ') : 'no addresses') : obs.rcode;
  // Resolvers may hold the previous answer until its TTL runs out after a change.
  const settled = dns.publishedAt === null || obs.observedAt.getTime() - dns.publishedAt.getTime() > dns.ttlMs * 2;
  return condition('DNSReady', 'False', settled ? 'NotResolving' : 'Propagating', `${hostname} resolves to ${seen}, not to ${target.zone}'s edge ${edge}`, obs.observedAt);
}

/** The workload condition, and whether it is a failure that will not fix itself. */
function workloadCondition(target: TargetFact, observation: ObservationFact | null): { condition: Condition; failed: boolean } {
  const ok = (c: Condition) => ({ condition: c, failed: false });
  if (!observation) return ok(condition('WorkloadReady', 'Unknown', 'NotObserved', `no observation from ${target.zone} yet`, null));
  const at = observation.observedAt;
  const failure = observation.workload.problems.find((p) => p.severity === 'failure');
  if (failure) {
    return { condition: condition('WorkloadReady', 'False', failure.reason, `${failure.message} (${failure.pods.join(', ')})`, at), failed: true };
  }
  if (observation.observedGeneration === null || observation.observedGeneration < target.desiredGeneration) {
    return ok(condition(
      'WorkloadReady',
      'False',
      'RolloutPending',
      `${target.zone} has not rolled out generation ${target.desiredGeneration} yet (observed ${observation.observedGeneration ?? 'none'})`,
      at,
    ));
  }
  if (observation.workload.progressDeadlineExceeded) {
    return { condition: condition('WorkloadReady', 'False', 'ProgressDeadlineExceeded', 'the rollout exceeded its progress deadline', at), failed: true };
  }
  const desired = observation.desiredReplicas ?? 0;
  const ready = observation.readyReplicas ?? 0;
  const updated = observation.updatedReplicas ?? 0;
  const available = observation.availableReplicas ?? 0;
  const total = observation.replicas ?? 0;
  if (ready >= desired && updated >= desired && available >= desired && total <= updated) {
    return ok(condition('WorkloadReady', 'True', 'Ready', `${ready}/${desired} replicas ready (release ${observation.releaseVersion ?? '?'})`, at));
  }
  const transient = observation.workload.problems[0];
  return ok(
    condition(
      'WorkloadReady',
      'False',
      transient ? transient.reason : 'Progressing',
      `${ready}/${desired} replicas ready, ${updated} updated${transient ? `; ${transient.message}` : ''}`,
      at,
    ),
  );
}

function combine(type: string, parts: { zone: string; condition: Condition }[]): Condition {
  const statuses = parts.map((p) => p.condition.status);
  const status: ConditionStatus = statuses.includes('False') ? 'False' : statuses.every((s) => s === 'True') ? 'True' : 'Unknown';
  const relevant = parts.filter((p) => p.condition.status === status);
  const reason = relevant.length === 1 || new Set(relevant.map((p) => p.condition.reason)).size === 1 ? (relevant[0]?.condition.reason ?? 'NoTargets') : 'Mixed';
  const message = parts.length === 0 ? 'no zone runs this app' : parts.map((p) => `${p.zone}: ${p.condition.message}`).join('; ');
  const times = parts.map((p) => p.condition.observed_at).filter((t): t is string => t !== null).sort();
  return { type, status, reason, message, observed_at: times[0] ?? null };
}

/**
 * Per-cluster and overall conditions of one app from what is desired, what was applied, what each
 * cluster last showed and when each was last heard from. Pure.
 */
export function aggregateStatus(input: AggregateInput): AggregateResult {
  if (input.releaseVersion === null || input.targets.length === 0) {
    return { status: 'unknown', message: 'Not deployed: the app has no release yet.', conditions: [], clusters: [] };
  }
  const clusters = input.targets.map((t) => clusterStatus(input, t));
  const types = ['Accepted', 'Applied', 'WorkloadReady', 'ClusterReachable', 'RouteAccepted', 'TLSReady', 'DNSReady', 'Reachable'];
  const conditions = types.flatMap((type) => {
    const parts = clusters.flatMap((c) => {
      const found = c.conditions.find((x) => x.type === type);
      return found ? [{ zone: c.zone, condition: found }] : [];
    });
    return parts.length > 0 ? [combine(type, parts)] : [];
  });

  const serving = clusters.filter((c) => c.role === 'serving');
  let status: OverallStatus;
  if (clusters.every((c) => c.status === 'ready')) status = 'ready';
  else if (serving.some((c) => c.status === 'ready')) status = 'degraded';
  else if (clusters.some((c) => c.status === 'failed')) status = 'failed';
  else if (clusters.some((c) => c.status === 'degraded')) status = 'degraded';
  else if (clusters.every((c) => c.status === 'unknown')) status = 'unknown';
  else status = 'progressing';

  return { status, message: summarize(status, clusters, input.releaseVersion), conditions, clusters };
}

function summarize(status: OverallStatus, clusters: ClusterStatus[], release: number): string {
  const detail = (c: ClusterStatus) => {
    const bad = c.conditions.find((x) => x.status !== 'True');
    return bad ? `${c.zone}: ${bad.reason} — ${bad.message}` : `${c.zone}: ${c.replicas.ready ?? 0}/${c.replicas.desired ?? 0} ready`;
  };
  switch (status) {
    case 'ready':
      return `Release ${release} is ready in ${clusters.map((c) => `${c.zone} (${c.replicas.ready}/${c.replicas.desired})`).join(', ')}.`;
    case 'degraded':
      return `Release ${release} is serving, but not everywhere: ${clusters.filter((c) => c.status !== 'ready').map(detail).join('; ')}.`;
    case 'failed':
      return `Release ${release} failed: ${clusters.filter((c) => c.status === 'failed').map(detail).join('; ')}.`;
    case 'unknown':
      return `Status unknown: ${clusters.map(detail).join('; ')}.`;
    case 'progressing':
      return `Release ${release} is rolling out: ${clusters.filter((c) => c.status !== 'ready').map(detail).join('; ')}.`;
  }
}
