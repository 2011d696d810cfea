import type { Multicluster, Placement, Volume } from '@satusky/contracts';
import { AppError } from './errors.ts';

/** A zone as placement sees it for one organization. */
export interface ZoneOption {
  clusterId: string;
  cluster: string;
  zone: string;
  priority: number;
  isDefault: boolean;
  labels: Record<string, string>;
  /** Enabled for the org, enabled on the platform, and not offline. */
  available: boolean;
  /** Why not, when not available. */
  reason: string;
}

export interface PlacementRequest {
  zone?: string | undefined;
  /** Absent: keep the current mode and zones. `enabled: false`: back to one zone. */
  multicluster?: Multicluster | undefined;
  current: Placement | null;
  zones: readonly ZoneOption[];
  /** The app's volumes: the storage boundary depends on the placement. */
  volumes?: readonly Volume[];
}

export const BACKUP_SCHEDULES = { hourly: '0 * * * *', daily: '0 0 * * *', weekly: '0 18 * * 6' } as const;

const DEFAULTS = { failback: 'auto' as const, failback_after_seconds: 60, failure_threshold: 3, probe_interval_seconds: 2 };

function describe(zones: readonly ZoneOption[]): string {
  const available = zones.filter((z) => z.available).map((z) => z.zone);
  return available.length > 0 ? `available zones: ${available.join(', ')}` : 'no zone is available';
}

const preferred = (a: ZoneOption, b: ZoneOption) => Number(b.isDefault) - Number(a.isDefault) || a.priority - b.priority || a.zone.localeCompare(b.zone);

function entry(option: ZoneOption, role: 'serving' | 'warm') {
  return { zone: option.zone, cluster_id: option.clusterId, cluster: option.cluster, role };
}

/**
 * Where an app runs. Pure. One placement language: a zone, or several zones chosen by name and/or by
 * cluster labels, in `active-active` (every zone serves) or `active-passive` (the primary serves,
 * the others run warm). A zone the app already runs in stays usable while briefly offline (that must
 * not block config changes); a zone new to the app must be available.
 */
export function resolvePlacement(request: PlacementRequest): Placement {
  const { current } = request;
  const wantsMulti = request.multicluster ? request.multicluster.enabled : Boolean(current && current.mode !== 'single');
  const placement = wantsMulti ? resolveMulti(request, request.multicluster ?? reconstruct(current!)) : resolveSingle(request);
  checkStorage(placement, request.volumes ?? []);
  return placement;
}

/** The multicluster settings a stored placement was made from (to keep them across deploys). */
function reconstruct(current: Placement): Multicluster {
  const mc = current.multicluster;
  return {
    enabled: true,
    mode: current.mode === 'active-active' ? 'active-active' : 'active-passive',
    ...(mc?.requested_zones ? { zones: mc.requested_zones } : {}),
    ...(mc && Object.keys(mc.selector).length > 0 ? { selector: mc.selector } : {}),
    ...(mc?.primary ? { primary: mc.primary } : {}),
    ...(mc ? { failback: mc.failback, failback_after_seconds: mc.failback_after_seconds, failure_threshold: mc.failure_threshold, probe_interval_seconds: mc.probe_interval_seconds, replicates_data: mc.replicates_data, restore_on_failover: mc.restore_on_failover } : {}),
    ...(mc?.backup ? { backup: { enabled: true, schedule: mc.backup.schedule as 'hourly' | 'daily' | 'weekly', retention: mc.backup.retention as '24h' | '72h' | '168h' | '720h', zone: mc.backup.zone } } : {}),
  };
}

function resolveSingle(request: PlacementRequest): Placement {
  const { zones, current } = request;
  const currentZone = current?.mode === 'single' ? current.zones[0]?.zone : undefined;
  if (request.zone) {
    const option = zones.find((z) => z.zone === request.zone);
    if (!option) {
      throw new AppError('SATUSKY_ZONE_UNAVAILABLE', `Unknown zone "${request.zone}"; ${describe(zones)}.`, { details: { zone: request.zone, reason: 'unknown zone' } });
    }
    if (currentZone === option.zone && current) return { ...current, reason: 'kept: the app already runs there' };
    if (!option.available) {
      throw new AppError('SATUSKY_ZONE_UNAVAILABLE', `Zone "${option.zone}" is unavailable: ${option.reason}; ${describe(zones)}.`, {
        details: { zone: option.zone, reason: option.reason },
      });
    }
    return { mode: 'single', zones: [entry(option, 'serving')], reason: 'requested' };
  }
  if (current && current.zones.length > 0) {
    // Leaving multi-zone: stay in the zone that serves (the primary), if it is still there.
    const serving = current.zones.find((z) => z.role === 'serving') ?? current.zones[0]!;
    const option = zones.find((z) => z.clusterId === serving.cluster_id);
    if (current.mode === 'single') return { ...current, reason: 'kept from the previous release' };
    if (option) return { mode: 'single', zones: [entry(option, 'serving')], reason: 'kept the serving zone when leaving multi-zone' };
  }
  const chosen = zones.filter((z) => z.available).sort(preferred)[0];
  if (!chosen) {
    throw new AppError('SATUSKY_NO_ZONE_AVAILABLE', `No zone is available to this organization (${zones.map((z) => `${z.zone}: ${z.reason}`).join('; ') || 'none registered'}).`);
  }
  return { mode: 'single', zones: [entry(chosen, 'serving')], reason: chosen.isDefault ? 'the default zone' : 'the preferred available zone' };
}

function resolveMulti(request: PlacementRequest, mc: Multicluster): Placement {
  const { zones, current } = request;
  const mode = mc.mode ?? 'active-passive';
  const selector = mc.selector ?? {};
  const placedIds = new Set((current?.zones ?? []).map((z) => z.cluster_id));
  const matches = (z: ZoneOption) => Object.entries(selector).every(([k, v]) => z.labels[k] === v);

  let candidates: ZoneOption[];
  if (mc.zones) {
    candidates = [];
    for (const name of mc.zones) {
      const option = zones.find((z) => z.zone === name);
      if (!option) throw new AppError('SATUSKY_ZONE_UNAVAILABLE', `Unknown zone "${name}"; ${describe(zones)}.`, { details: { zone: name, reason: 'unknown zone' } });
      if (!matches(option)) {
        throw new AppError('SATUSKY_PLACEMENT_INVALID', `Zone "${name}" does not carry the labels ${JSON.stringify(selector)}.`, { details: { zone: name, selector } });
      }
      if (!option.available && !placedIds.has(option.clusterId)) {
        throw new AppError('SATUSKY_ZONE_UNAVAILABLE', `Zone "${name}" is unavailable: ${option.reason}.`, { details: { zone: name, reason: option.reason } });
      }
      candidates.push(option);
    }
  } else {
    // Every zone matching the selector that is available, or that the app already runs in.
    candidates = zones.filter((z) => matches(z) && (z.available || placedIds.has(z.clusterId)));
  }
  if (candidates.length < 2) {
    throw new AppError(
      'SATUSKY_PLACEMENT_INVALID',
      `${mode} needs at least two zones; ${candidates.length === 1 ? `only ${candidates[0]!.zone} qualifies` : 'none qualifies'}${Object.keys(selector).length ? ` (selector ${JSON.stringify(selector)})` : ''}; ${describe(zones)}.`,
      { details: { mode, zones: candidates.map((z) => z.zone), selector } },
    );
  }
  candidates.sort(preferred);

  let primary: string | null = null;
  if (mode === 'active-passive') {
    const requested = mc.primary ?? current?.multicluster?.primary ?? null;
    const chosen = requested ? candidates.find((z) => z.zone === requested) : (candidates.find((z) => z.available) ?? candidates[0]);
    if (!chosen) {
      throw new AppError('SATUSKY_PLACEMENT_INVALID', `The primary "${requested ?? ''}" is not one of the placed zones (${candidates.map((z) => z.zone).join(', ')}).`);
    }
    primary = chosen.zone;
  }
  const backup = mc.backup?.enabled
    ? {
        schedule: mc.backup.schedule ?? 'daily',
        cron: BACKUP_SCHEDULES[mc.backup.schedule ?? 'daily'],
        retention: mc.backup.retention ?? '168h',
        zone: mc.backup.zone ?? primary ?? candidates[0]!.zone,
      }
    : null;
  if (backup && !candidates.some((z) => z.zone === backup.zone)) {
    throw new AppError('SATUSKY_PLACEMENT_INVALID', `The backup zone "${backup.zone}" is not one of the placed zones.`);
  }
  return {
    mode,
    zones: candidates.map((z) => entry(z, mode === 'active-active' || z.zone === primary ? 'serving' : 'warm')),
    reason: mc.zones ? 'requested zones' : Object.keys(selector).length ? `zones matching ${JSON.stringify(selector)}` : 'every available zone',
    multicluster: {
      primary,
      failback: mc.failback ?? DEFAULTS.failback,
      failback_after_seconds: mc.failback_after_seconds ?? DEFAULTS.failback_after_seconds,
      failure_threshold: mc.failure_threshold ?? DEFAULTS.failure_threshold,
      probe_interval_seconds: mc.probe_interval_seconds ?? DEFAULTS.probe_interval_seconds,
      replicates_data: mc.replicates_data ?? false,
      selector,
      requested_zones: mc.zones ?? null,
      backup,
      restore_on_failover: mc.restore_on_failover ?? (mode === 'active-passive' && backup !== null),
    },
  };
}

/**
 * The storage boundary: a cluster-local volume is a PVC in each zone, with its own data. Serving
 * from several zones at once would split the data, so active-active refuses it unless the app says
 * it replicates its own data; active-passive needs backups to carry data to the standby.
 */
function checkStorage(placement: Placement, volumes: readonly Volume[]): void {
  const local = volumes.filter((v) => (v.storage_type ?? 'cluster-local') === 'cluster-local');
  if (local.length === 0 || placement.mode === 'single') return;
  const names = local.map((v) => v.name).join(', ');
  if (placement.mode === 'active-active' && !placement.multicluster?.replicates_data) {
    throw new AppError(
      'SATUSKY_STORAGE_BOUNDARY',
      `Volume(s) ${names} are cluster-local: each zone would get its own copy of the data, and active-active would serve diverging data from ${placement.zones.map((z) => z.zone).join(' and ')}. Use storage_type "object" for shared data, set replicates_data if the app replicates its own data between zones, or use active-passive with backups.`,
      { details: { volumes: local.map((v) => v.name), mode: placement.mode } },
    );
  }
  if (placement.mode === 'active-passive' && !placement.multicluster?.backup) {
    throw new AppError(
      'SATUSKY_STORAGE_BOUNDARY',
      `Volume(s) ${names} are cluster-local: the standby zone would start empty after a failover. Enable backups (multicluster.backup) so its data can be restored there, or use storage_type "object".`,
      { details: { volumes: local.map((v) => v.name), mode: placement.mode } },
    );
  }
}
