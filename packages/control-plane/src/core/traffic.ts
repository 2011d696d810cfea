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
