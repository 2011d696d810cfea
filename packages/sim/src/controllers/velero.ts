// Velero simulator: BackupStorageLocations become Available; Schedules validate their cron
// expression (phase Enabled / FailedValidation) and create Backups when due, or at once when the
// `velero.sim.satusky.dev/run-now` annotation changes; Backups go New → InProgress → Completed
// with item counts; Restores go New → InProgress → Completed (nothing is actually restored).

import { ApiError } from '../api/errors.ts';
import type { ResourceType } from '../api/registry.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { parseCron } from '../util/cron.ts';
import { arr, clone, obj, str, text, type JsonObject } from '../util/json.ts';
import { parseGoDuration, rfc3339 } from '../util/time.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { ownerRefTo, splitKey } from './util.ts';

export const RUN_NOW_ANNOTATION = 'velero.sim.satusky.dev/run-now';
const HANDLED_ANNOTATION = 'velero.sim.satusky.dev/run-now-handled';
const MAX_TIMER = 2_000_000_000;

export interface VeleroOptions {
  backupMs: number;
  restoreMs: number;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function veleroController(ctx: ControllerContext, options: VeleroOptions): Controller & { runSchedule(namespace: string, name: string): KubeObject } {
  const rt = (plural: string): ResourceType | undefined => ctx.maybeRt(`velero.io/${plural}`);

  const createBackup = (schedule: KubeObject, now: number): KubeObject => {
    const backups = rt('backups');
    if (!backups) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const ns = schedule.metadata.namespace ?? '';
    const spec = obj(schedule.spec);
    let name = `${schedule.metadata.name}-${stamp(now)}`;
    for (let i = 1; ctx.store.get(backups, ns, name); i++) name = `${schedule.metadata.name}-${stamp(now)}-${i}`;
    const backup = ctx.storage.create(
      backups,
      ns,
      {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: {
          name,
          namespace: ns,
          labels: { ...obj(obj(spec.template).metadata).labels as Record<string, string>, 'velero.io/schedule-name': schedule.metadata.name, 'velero.io/storage-location': str(obj(spec.template).storageLocation) ?? 'default' },
          ...(spec.useOwnerReferencesInBackup === true ? { ownerReferences: [ownerRefTo(schedule, false)] } : {}),
        },
        spec: clone(obj(spec.template)),
      },
      { internal: true, fieldManager: 'velero-server' },
    );
    const status = { ...obj(schedule.status), lastBackup: rfc3339(now) };
    ctx.storage.writeStatus(rt('schedules') as ResourceType, ns, schedule.metadata.name, status, { fieldManager: 'velero-server' });
    return backup;
  };

  const controller: Controller & { runSchedule(namespace: string, name: string): KubeObject } = {
    name: 'velero',
    runSchedule(namespace: string, name: string): KubeObject {
      const schedules = rt('schedules');
      const schedule = schedules ? ctx.store.get(schedules, namespace, name) : undefined;
      if (!schedule) throw new ApiError(404, 'NotFound', `schedules.velero.io "${name}" not found`, { name, group: 'velero.io', kind: 'schedules' });
      return createBackup(schedule, ctx.now());
    },
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.group !== 'velero.io' || e.type === 'DELETED') return;
      const key = `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`;
      switch (e.rt.kind) {
        case 'Schedule':
          queue.add(`schedule:${key}`);
          break;
        case 'Backup':
          queue.add(`backup:${key}`);
          break;
        case 'Restore':
          queue.add(`restore:${key}`);
          break;
        case 'BackupStorageLocation':
          queue.add(`bsl:${key}`);
          break;
        default:
          break;
      }
    },
    resync(queue) {
      for (const [kind, plural] of [['schedule', 'schedules'], ['backup', 'backups'], ['restore', 'restores'], ['bsl', 'backupstoragelocations']] as const) {
        const r = rt(plural);
        if (r) for (const o of ctx.store.iterate(r)) queue.add(`${kind}:${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      }
    },
    reconcile(key) {
      const kind = key.slice(0, key.indexOf(':'));
      const [ns, name] = splitKey(key.slice(key.indexOf(':') + 1));
      const now = ctx.now();
      if (kind === 'bsl') {
        const r = rt('backupstoragelocations');
        const bsl = r ? ctx.store.get(r, ns, name) : undefined;
        if (!r || !bsl) return undefined;
        if (obj(bsl.status).phase !== 'Available') {
          ctx.storage.writeStatus(r, ns, name, { ...obj(bsl.status), phase: 'Available', lastValidationTime: rfc3339(now) }, { fieldManager: 'velero-server' });
        }
        return undefined;
      }
      if (kind === 'schedule') return reconcileSchedule(ns, name, now);
      if (kind === 'backup') return reconcileBackup(ns, name, now);
      if (kind === 'restore') return reconcileRestore(ns, name, now);
      return undefined;
    },
  };
  return controller;

  function reconcileSchedule(ns: string, name: string, now: number): number | undefined {
    const r = rt('schedules');
    const s = r ? ctx.store.get(r, ns, name) : undefined;
    if (!r || !s || s.metadata.deletionTimestamp) return undefined;
    const spec = obj(s.spec);
    let cron: ReturnType<typeof parseCron>;
    try {
      cron = parseCron(text(spec.schedule ?? ''));
    } catch (err) {
      ctx.storage.writeStatus(r, ns, name, { ...obj(s.status), phase: 'FailedValidation', validationErrors: [`invalid schedule: ${err instanceof Error ? err.message : String(err)}`] }, { fieldManager: 'velero-server' });
      return undefined;
    }
    let current = s;
    if (obj(s.status).phase !== 'Enabled') {
      const status: JsonObject = { ...obj(s.status), phase: 'Enabled' };
      delete status.validationErrors;
      current = ctx.storage.writeStatus(r, ns, name, status, { fieldManager: 'velero-server' }) ?? s;
    }
    const ann = obj(current.metadata.annotations);
    const runNow = str(ann[RUN_NOW_ANNOTATION]);
    if (runNow !== undefined && runNow !== ann[HANDLED_ANNOTATION]) {
      ctx.storage.mutate(r, ns, name, (draft) => {
        draft.metadata.annotations = { ...obj(draft.metadata.annotations), [HANDLED_ANNOTATION]: runNow };
      }, { fieldManager: 'velero-server' });
      createBackup(ctx.store.get(r, ns, name) ?? current, now);
    }
    if (spec.paused === true) return undefined;
    const latest = ctx.store.get(r, ns, name) ?? current;
    const last = Date.parse(text(obj(latest.status).lastBackup ?? latest.metadata.creationTimestamp ?? '')) || now;
    const due = cron.next(last);
    if (due <= now) {
      createBackup(latest, now);
      return Math.min(Math.max(1, cron.next(now) - now), MAX_TIMER);
    }
    return Math.min(due - now, MAX_TIMER);
  }

  function countItems(namespaces: string[]): number {
    let n = 0;
    const all = namespaces.length === 0 || namespaces.includes('*');
    for (const t of ctx.registry.all()) {
      if (t.virtual || t.key === '/events') continue;
      if (!t.namespaced) {
        if (all) n += ctx.store.count(t);
        continue;
      }
      if (all) n += ctx.store.count(t);
      else for (const ns of namespaces) n += ctx.store.count(t, ns);
    }
    return n;
  }

  function reconcileBackup(ns: string, name: string, now: number): number | undefined {
    const r = rt('backups');
    const b = r ? ctx.store.get(r, ns, name) : undefined;
    if (!r || !b) return undefined;
    const status = obj(b.status);
    const spec = obj(b.spec);
    const phase = str(status.phase);
    if (phase === undefined || phase === '') {
      ctx.storage.writeStatus(r, ns, name, { ...status, phase: 'New' }, { fieldManager: 'velero-server' });
      return undefined;
    }
    if (phase === 'New') {
      const ttl = parseGoDuration(spec.ttl) ?? 720 * 3_600_000;
      const total = countItems(arr(spec.includedNamespaces).map(String));
      ctx.storage.writeStatus(
        r,
        ns,
        name,
        { ...status, phase: 'InProgress', version: 1, formatVersion: '1.1.0', startTimestamp: rfc3339(now), expiration: rfc3339(now + ttl), progress: { totalItems: total, itemsBackedUp: 0 } },
        { fieldManager: 'velero-server' },
      );
      return options.backupMs > 0 ? options.backupMs : undefined;
    }
    if (phase === 'InProgress') {
      const started = Date.parse(text(status.startTimestamp ?? '')) || now;
      if (now < started + options.backupMs) return started + options.backupMs - now;
      const total = Number(obj(status.progress).totalItems ?? 0);
      ctx.storage.writeStatus(r, ns, name, { ...status, phase: 'Completed', completionTimestamp: rfc3339(now), progress: { totalItems: total, itemsBackedUp: total } }, { fieldManager: 'velero-server' });
    }
    return undefined;
  }

  function reconcileRestore(ns: string, name: string, now: number): number | undefined {
    const r = rt('restores');
    const res = r ? ctx.store.get(r, ns, name) : undefined;
    if (!r || !res) return undefined;
    const status = obj(res.status);
    const phase = str(status.phase);
    if (phase === undefined || phase === '') {
      ctx.storage.writeStatus(r, ns, name, { ...status, phase: 'New' }, { fieldManager: 'velero-server' });
      return undefined;
    }
    if (phase === 'New') {
      const backupName = str(obj(res.spec).backupName) ?? str(obj(res.spec).scheduleName);
      const backups = rt('backups');
      const backup = backupName && backups ? ctx.store.get(backups, ns, backupName) : undefined;
      if (!backup || obj(backup.status).phase !== 'Completed') {
        ctx.storage.writeStatus(r, ns, name, { ...status, phase: 'FailedValidation', validationErrors: [backup ? `backup ${String(backupName)} is not completed` : `backup.velero.io "${String(backupName)}" not found`] }, { fieldManager: 'velero-server' });
        return undefined;
      }
      const total = Number(obj(obj(backup.status).progress).totalItems ?? 0);
      ctx.storage.writeStatus(r, ns, name, { ...status, phase: 'InProgress', startTimestamp: rfc3339(now), progress: { totalItems: total, itemsRestored: 0 } }, { fieldManager: 'velero-server' });
      return options.restoreMs > 0 ? options.restoreMs : undefined;
    }
    if (phase === 'InProgress') {
      const started = Date.parse(text(status.startTimestamp ?? '')) || now;
      if (now < started + options.restoreMs) return started + options.restoreMs - now;
      const total = Number(obj(status.progress).totalItems ?? 0);
      ctx.storage.writeStatus(r, ns, name, { ...status, phase: 'Completed', completionTimestamp: rfc3339(now), progress: { totalItems: total, itemsRestored: total }, warnings: 0, errors: 0 }, { fieldManager: 'velero-server' });
    }
    return undefined;
  }
}
