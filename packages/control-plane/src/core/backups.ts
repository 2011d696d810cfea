/**
 * Backups of an app's cluster-local volumes with Velero: the Schedule an app renders in its backup
 * zone, the Restores a failover asks for, what a zone shows of them, and the status a user reads.
 * Pure. Nothing here claims cross-zone consistency: a backup is one zone's data at one moment.
 */
import { createHash } from 'node:crypto';
import type { Placement } from '@satusky/contracts';
import { LABELS, MANAGED_BY, type KubeObject } from './render.ts';

export const VELERO_NAMESPACE = 'velero';
export const VELERO_SCHEDULE_LABEL = 'velero.io/schedule-name';

/** The Velero Schedule of an app: short (it becomes a label value) and unique per app. */
export function scheduleName(app: { id: string; name: string }): string {
  return `${app.name.slice(0, 40)}-${createHash('sha256').update(app.id).digest('hex').slice(0, 8)}`;
}

/** `168h` → `168h0m0s` (Velero's duration format). */
function veleroTtl(retention: string): string {
  return `${Number.parseInt(retention, 10)}h0m0s`;
}

export function renderBackupSchedule(input: {
  org: { slug: string; namespace: string };
  app: { id: string; name: string };
  backup: NonNullable<NonNullable<Placement['multicluster']>['backup']>;
}): KubeObject {
  const labels = { [LABELS.name]: input.app.name, [LABELS.managedBy]: MANAGED_BY, [LABELS.deploymentId]: input.app.id, [LABELS.org]: input.org.slug };
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: { name: scheduleName(input.app), namespace: VELERO_NAMESPACE, labels },
    spec: {
      schedule: input.backup.cron,
      useOwnerReferencesInBackup: false,
      template: {
        // Backups carry the app's labels, so every zone's observer can tell whose they are.
        metadata: { labels },
        includedNamespaces: [input.org.namespace],
        labelSelector: { matchLabels: { [LABELS.deploymentId]: input.app.id } },
        snapshotVolumes: true,
        storageLocation: 'default',
        ttl: veleroTtl(input.backup.retention),
      },
    },
  };
}

export interface RestoreRequest {
  name: string;
  backupName: string;
}

export function renderRestore(input: { org: { slug: string; namespace: string }; app: { id: string; name: string }; restore: RestoreRequest }): KubeObject {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: {
      name: input.restore.name,
      namespace: VELERO_NAMESPACE,
      labels: { [LABELS.name]: input.app.name, [LABELS.managedBy]: MANAGED_BY, [LABELS.deploymentId]: input.app.id, [LABELS.org]: input.org.slug },
    },
    spec: {
      backupName: input.restore.backupName,
      includedNamespaces: [input.org.namespace],
      labelSelector: { matchLabels: { [LABELS.deploymentId]: input.app.id } },
      restorePVs: true,
      existingResourcePolicy: 'none',
    },
  };
}

export interface ObservedBackup {
  name: string;
  phase: string;
  startedAt: string | null;
  completedAt: string | null;
  expiresAt: string | null;
  failureReason: string | null;
  items: number | null;
}

export interface ObservedRestore {
  name: string;
  backupName: string;
  phase: string;
  startedAt: string | null;
  completedAt: string | null;
  message: string | null;
}

/** What one zone shows of an app's backups. */
export interface BackupObservation {
  schedule: { name: string; phase: string; lastBackup: string | null; validationErrors: string[] } | null;
  backups: ObservedBackup[];
  restores: ObservedRestore[];
}

interface VeleroLike {
  metadata?: { name?: string; creationTimestamp?: string | Date };
  spec?: { backupName?: string };
  status?: {
    phase?: string;
    lastBackup?: string;
    validationErrors?: string[];
    startTimestamp?: string;
    completionTimestamp?: string;
    expiration?: string;
    failureReason?: string;
    progress?: { totalItems?: number; itemsBackedUp?: number };
  };
}

const iso = (value: unknown): string | null => (value === undefined || value === null ? null : new Date(value as string).toISOString());

export function observeBackups(schedules: readonly VeleroLike[], backups: readonly VeleroLike[], restores: readonly VeleroLike[]): BackupObservation {
  const schedule = schedules[0];
  const byTime = (a: { startedAt: string | null; name: string }, b: { startedAt: string | null; name: string }) =>
    (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || b.name.localeCompare(a.name);
  return {
    schedule: schedule
      ? {
          name: schedule.metadata?.name ?? '?',
          phase: schedule.status?.phase ?? 'New',
          lastBackup: iso(schedule.status?.lastBackup),
          validationErrors: schedule.status?.validationErrors ?? [],
        }
      : null,
    backups: backups
      .map((b) => ({
        name: b.metadata?.name ?? '?',
        phase: b.status?.phase ?? 'New',
        startedAt: iso(b.status?.startTimestamp ?? b.metadata?.creationTimestamp),
        completedAt: iso(b.status?.completionTimestamp),
        expiresAt: iso(b.status?.expiration),
        failureReason: b.status?.failureReason ?? null,
        items: b.status?.progress?.totalItems ?? null,
      }))
      .sort(byTime)
      .slice(0, 20),
    restores: restores
      .map((r) => ({
        name: r.metadata?.name ?? '?',
        backupName: r.spec?.backupName ?? '?',
        phase: r.status?.phase ?? 'New',
        startedAt: iso(r.status?.startTimestamp ?? r.metadata?.creationTimestamp),
        completedAt: iso(r.status?.completionTimestamp),
        message: r.status?.validationErrors?.join('; ') ?? r.status?.failureReason ?? null,
      }))
      .sort(byTime)
      .slice(0, 10),
  };
}

/** The next time a five-field cron (numbers or `*` per field, no ranges) fires after `from`, in UTC. */
export function nextCronRun(cron: string, from: Date): Date | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const match = (field: string, value: number) => field === '*' || field.split(',').some((part) => Number(part) === value);
  const t = new Date(from.getTime());
  t.setUTCSeconds(0, 0);
  for (let i = 0; i < 60 * 24 * 8; i += 1) {
    t.setUTCMinutes(t.getUTCMinutes() + 1);
    if (
      match(fields[0]!, t.getUTCMinutes()) &&
      match(fields[1]!, t.getUTCHours()) &&
      match(fields[2]!, t.getUTCDate()) &&
      match(fields[3]!, t.getUTCMonth() + 1) &&
      match(fields[4]!, t.getUTCDay())
    ) {
      return t;
    }
  }
  return null;
}

export const FINISHED_FAILED = new Set(['Failed', 'PartiallyFailed', 'FailedValidation']);

export interface BackupStatus {
  schedule: string;
  cron: string;
  retention: string;
  zone: string;
  /** The Schedule exists in the backup zone and Velero accepted it. */
  configured: boolean;
  state: string;
  last_success_at: string | null;
  last_backup: string | null;
  last_failure: { at: string | null; backup: string; reason: string } | null;
  next_run_at: string | null;
  /** The newest completed backup: what a restore brings back. Data written since is not in it. */
  recovery_point: string | null;
  restores: { zone: string; name: string; backup: string; phase: string; started_at: string | null; completed_at: string | null; message: string | null }[];
  note: string;
}

/** The backup status of an app from its placement and what each zone shows. */
export function backupStatus(
  backup: NonNullable<NonNullable<Placement['multicluster']>['backup']> | null,
  observations: readonly { zone: string; observation: BackupObservation | null; stale: boolean }[],
  now: Date,
): BackupStatus | null {
  if (!backup) return null;
  const home = observations.find((o) => o.zone === backup.zone);
  const schedule = home?.observation?.schedule ?? null;
  const backups = home?.observation?.backups ?? [];
  const success = backups.find((b) => b.phase === 'Completed') ?? null;
  const failure = backups.find((b) => FINISHED_FAILED.has(b.phase)) ?? null;
  const configured = schedule !== null && schedule.phase === 'Enabled';
  let state: string;
  if (!home || home.stale) state = `unknown: ${backup.zone} has not been heard from recently`;
  else if (!schedule) state = `not configured yet in ${backup.zone}`;
  else if (schedule.phase === 'FailedValidation') state = `refused by Velero: ${schedule.validationErrors.join('; ')}`;
  else if (failure && (!success || (failure.startedAt ?? '') > (success.startedAt ?? ''))) state = `failing: the last backup ${failure.phase.toLowerCase()}`;
  else if (success) state = 'ok';
  else state = 'waiting for the first backup';
  const restores = observations.flatMap((o) =>
    (o.observation?.restores ?? []).map((r) => ({ zone: o.zone, name: r.name, backup: r.backupName, phase: r.phase, started_at: r.startedAt, completed_at: r.completedAt, message: r.message })),
  );
  return {
    schedule: schedule?.name ?? '-',
    cron: backup.cron,
    retention: backup.retention,
    zone: backup.zone,
    configured,
    state,
    last_success_at: success?.completedAt ?? null,
    last_backup: schedule?.lastBackup ?? null,
    last_failure: failure ? { at: failure.completedAt ?? failure.startedAt, backup: failure.name, reason: failure.failureReason ?? failure.phase } : null,
    next_run_at: nextCronRun(backup.cron, now)?.toISOString() ?? null,
    recovery_point: success?.completedAt ?? null,
    restores,
    note: `Backups copy ${backup.zone}'s volumes at one moment; other zones are not kept in sync. A restore brings back the recovery point; data written after it is not in it.`,
  };
}
