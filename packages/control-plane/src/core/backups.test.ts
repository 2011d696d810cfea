import { describe, expect, it } from 'vitest';
import { backupStatus, nextCronRun, observeBackups, renderBackupSchedule, scheduleName, type BackupObservation } from './backups.ts';

const backup = { schedule: 'daily', cron: '0 0 * * *', retention: '168h', zone: 'sim-a' };
const now = new Date('2026-11-21T10:30:00Z');

describe('backups', () => {
  it('computes the next run of the schedules Satusky offers, in UTC', () => {
    expect(nextCronRun('0 * * * *', now)?.toISOString()).toBe('2026-11-21T11:00:00.000Z');
    expect(nextCronRun('0 0 * * *', now)?.toISOString()).toBe('2026-11-22T00:00:00.000Z');
    // Weekly: Saturdays 18:00 (2026-11-21 is a Saturday, 10:30 → 18:00 the same day).
    expect(nextCronRun('0 18 * * 6', now)?.toISOString()).toBe('2026-11-21T18:00:00.000Z');
    expect(nextCronRun('0 18 * * 6', new Date('2026-11-21T18:00:00Z'))?.toISOString()).toBe('2026-11-28T18:00:00.000Z');
    expect(nextCronRun('nonsense', now)).toBeNull();
  });

  it('renders a Schedule that backs up only the app, with a short unique name and Velero durations', () => {
    const schedule = renderBackupSchedule({ org: { slug: 'acme', namespace: 'org-acme' }, app: { id: 'd-1', name: 'a'.repeat(63) }, backup });
    expect(schedule.metadata.name.length).toBeLessThanOrEqual(63);
    expect(schedule.metadata.name).toBe(scheduleName({ id: 'd-1', name: 'a'.repeat(63) }));
    expect(schedule.metadata.namespace).toBe('velero');
    expect(schedule.spec).toMatchObject({
      schedule: '0 0 * * *',
      template: { includedNamespaces: ['org-acme'], labelSelector: { matchLabels: { 'satusky.com/deployment-id': 'd-1' } }, ttl: '168h0m0s' },
    });
  });

  const observation = (backups: BackupObservation['backups']): BackupObservation => ({
    schedule: { name: 'web-1234abcd', phase: 'Enabled', lastBackup: '2026-11-21T10:00:00.000Z', validationErrors: [] },
    backups,
    restores: [],
  });
  const completed = { name: 'web-1234abcd-20261121100000', phase: 'Completed', startedAt: '2026-11-21T10:00:00.000Z', completedAt: '2026-11-21T10:00:05.000Z', expiresAt: null, failureReason: null, items: 7 };
  const failed = { name: 'web-1234abcd-20261121110000', phase: 'PartiallyFailed', startedAt: '2026-11-21T11:00:00.000Z', completedAt: '2026-11-21T11:00:03.000Z', expiresAt: null, failureReason: 'volume snapshot failed', items: 7 };

  it('says ok with the recovery point, failing when the newest backup failed, and never claims more than one zone', () => {
    const ok = backupStatus(backup, [{ zone: 'sim-a', stale: false, observation: observation([completed]) }], now)!;
    expect(ok).toMatchObject({ configured: true, state: 'ok', recovery_point: completed.completedAt, last_failure: null, next_run_at: '2026-11-22T00:00:00.000Z' });
    expect(ok.note).toContain('not kept in sync');
    const failing = backupStatus(backup, [{ zone: 'sim-a', stale: false, observation: observation([failed, completed]) }], now)!;
    expect(failing.state).toBe('failing: the last backup partiallyfailed');
    expect(failing.recovery_point).toBe(completed.completedAt);
    expect(failing.last_failure).toEqual({ at: failed.completedAt, backup: failed.name, reason: 'volume snapshot failed' });
    expect(backupStatus(backup, [{ zone: 'sim-a', stale: true, observation: observation([completed]) }], now)!.state).toMatch(/^unknown/);
    expect(backupStatus(backup, [{ zone: 'sim-a', stale: false, observation: { schedule: null, backups: [], restores: [] } }], now)!.state).toBe('not configured yet in sim-a');
    expect(backupStatus(null, [], now)).toBeNull();
  });

  it('reads Velero objects newest first', () => {
    const seen = observeBackups(
      [{ metadata: { name: 's' }, status: { phase: 'Enabled', lastBackup: '2026-11-21T10:00:00Z' } }],
      [
        { metadata: { name: 'old' }, status: { phase: 'Completed', startTimestamp: '2026-11-20T10:00:00Z', completionTimestamp: '2026-11-20T10:00:02Z' } },
        { metadata: { name: 'new' }, status: { phase: 'InProgress', startTimestamp: '2026-11-21T10:00:00Z' } },
      ],
      [{ metadata: { name: 'r' }, spec: { backupName: 'old' }, status: { phase: 'FailedValidation', validationErrors: ['backup not found'] } }],
    );
    expect(seen.backups.map((b) => b.name)).toEqual(['new', 'old']);
    expect(seen.restores[0]).toMatchObject({ name: 'r', backupName: 'old', phase: 'FailedValidation', message: 'backup not found' });
  });
});
