import type { Placement } from '@satusky/contracts';
import type { FailoverState, ZoneSignal } from './failover.ts';

export interface ZoneTraffic {
  zone: string;
  clusterId: string;
  role: 'serving' | 'warm';
  /** The zone's public edge address; a zone without one cannot be published. */
  edgeAddress: string | null;
  /** The app's objects are applied there (its route exists). */
  applied: boolean;
  signal: ZoneSignal;
}

export interface TrafficDecision {
  /** Edge addresses the app's hostname answers with. */
  addresses: string[];
  /** Zones behind those addresses. */
  zones: string[];
  reason: string;
}

const healthy = (z: ZoneTraffic) => z.signal.edgeOk === true && z.signal.workloadReady !== false;

/**
 * Which edges an app's hostname resolves to. Pure.
 * - one zone: that zone, once its route exists (a single zone has nowhere else to send traffic);
 * - active-passive: the zone the failover state machine says serves;
 * - active-active: every placed zone whose edge answers for the app; if none does, all of them
 *   (failing open beats publishing nothing, which resolvers would cache as non-existent).
 */
export function decideTraffic(placement: Placement, zones: readonly ZoneTraffic[], failover: FailoverState | null): TrafficDecision {
  const publishable = zones.filter((z) => z.edgeAddress && z.applied);
  const pick = (list: ZoneTraffic[], reason: string): TrafficDecision => ({
    addresses: [...new Set(list.map((z) => z.edgeAddress!))].sort(),
    zones: list.map((z) => z.zone).sort(),
    reason,
  });
  if (publishable.length === 0) return { addresses: [], zones: [], reason: 'no zone has the app routed yet' };
  switch (placement.mode) {
    case 'single':
      return pick(publishable.slice(0, 1), 'the only zone');
    case 'active-passive': {
      const serving = publishable.find((z) => z.zone === failover?.serving) ?? publishable.find((z) => z.role === 'serving');
      return serving ? pick([serving], failover ? `${failover.phase}: ${failover.reason}` : 'the primary') : { addresses: [], zones: [], reason: 'the serving zone is not routed yet' };
    }
    case 'active-active': {
      const up = publishable.filter((z) => z.role === 'serving' && healthy(z));
      if (up.length > 0) return pick(up, `${up.length} of ${publishable.length} zones answer`);
      return pick(
        publishable.filter((z) => z.role === 'serving'),
        'no zone answers its probe: publishing every zone rather than none',
      );
    }
  }
}

export interface SingleZoneProbePlan {
  /** Apps to probe in this run. */
  due: Set<string>;
  /** How long a single-zone app now waits between probes (the probe budget stretches it). */
  intervalMs: number;
}

/**
 * Which single-zone apps a traffic run probes: those unprobed for `singleZoneProbeMs`, the
 * longest-unprobed first (never-probed apps before all others), no more than `perSecond` for each
 * second of the run's interval. With more apps than the budget covers, each waits longer instead of
 * the edges taking thousands of probes a second; `intervalMs` says how much longer.
 */
export function planSingleZoneProbes(
  apps: readonly string[],
  lastProbeMs: (id: string) => number | undefined,
  nowMs: number,
  options: { singleZoneProbeMs: number; runIntervalMs: number; perSecond: number },
): SingleZoneProbePlan {
  const last = (id: string) => lastProbeMs(id) ?? Number.NEGATIVE_INFINITY;
  const budget = Math.max(1, Math.floor((options.perSecond * options.runIntervalMs) / 1000));
  const due = apps
    .filter((id) => nowMs - last(id) >= options.singleZoneProbeMs)
    .sort((a, b) => last(a) - last(b) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, budget);
  return { due: new Set(due), intervalMs: Math.max(options.singleZoneProbeMs, (apps.length / Math.max(options.perSecond, 1e-9)) * 1000) };
}
