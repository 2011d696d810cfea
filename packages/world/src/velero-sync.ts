// The world's object storage for Velero: every zone's BackupStorageLocation `default` points at
// the same bucket, so a backup completed in one zone appears in the others, as Velero's backup
// sync does with a shared location. Without it a Restore in another zone (a failover with
// restore_on_failover) would find no backup to restore.

import type { KubeObject } from '@satusky/sim';
import type { WorldZone } from './world.ts';

const BACKUP = { apiVersion: 'velero.io/v1', kind: 'Backup' } as const;
const NAMESPACE = 'velero';
const SYNCED_FROM = 'velero.world.satusky.dev/synced-from';

/** Copies completed backups between zones. Returns how many copies it made. */
export function syncBackups(zones: readonly WorldZone[]): number {
  let copies = 0;
  for (const source of zones) {
    // Velero uploads a backup before it marks it Completed, so a completed backup is in the bucket
    // even if its zone went down a moment later (the zone's store stands in for the bucket here).
    if (!source.cluster.objects.resourceType(BACKUP)) continue;
    const completed = source.cluster.objects
      .list<KubeObject & { status?: { phase?: string } }>(BACKUP, { namespace: NAMESPACE })
      .filter((b) => b.status?.phase === 'Completed' && !(b.metadata.annotations as Record<string, string> | undefined)?.[SYNCED_FROM]);
    for (const backup of completed) {
      for (const target of zones) {
        if (target === source || !target.cluster.objects.resourceType(BACKUP)) continue;
        if (target.cluster.objects.get({ ...BACKUP, namespace: NAMESPACE, name: backup.metadata.name })) continue;
        target.cluster.objects.create(
          {
            apiVersion: BACKUP.apiVersion,
            kind: BACKUP.kind,
            metadata: {
              name: backup.metadata.name,
              namespace: NAMESPACE,
              labels: { ...(backup.metadata.labels ?? {}) },
              annotations: { [SYNCED_FROM]: source.name },
            },
            spec: backup.spec,
          },
          { fieldManager: 'velero-backup-sync' },
        );
        // Synced backups arrive complete; Velero does not run them again.
        target.cluster.objects.updateStatus({ ...BACKUP, namespace: NAMESPACE, name: backup.metadata.name }, backup.status, { fieldManager: 'velero-backup-sync' });
        copies += 1;
      }
    }
  }
  return copies;
}
