import type { LogLine, Logs } from '@satusky/contracts';
import { AppError } from '../core/errors.ts';
import { LABELS } from '../core/render.ts';
import type { Executor } from '../db/database.ts';
import type { Actor } from '../http/context.ts';
import type { AppDeps } from '../http/types.ts';
import * as repo from './repository.ts';

/** "2026-11-21T19:31:15.123456789Z message" → its parts (Kubernetes prefixes RFC 3339 nano timestamps). */
export function parseLogLine(raw: string): { at: string | null; message: string } {
  const space = raw.indexOf(' ');
  const stamp = space > 0 ? raw.slice(0, space) : '';
  const date = /^\d{4}-\d\d-\d\dT/.test(stamp) ? new Date(stamp) : null;
  if (!date || Number.isNaN(date.getTime())) return { at: null, message: raw };
  return { at: date.toISOString(), message: raw.slice(space + 1) };
}

export interface AppZones {
  deploymentId: string;
  name: string;
  namespace: string;
  zones: { clusterId: string; zone: string }[];
}

export async function appZones(exec: Executor, actor: Actor, ref: string, zone?: string): Promise<AppZones> {
  const deployment = await repo.findDeployment(exec, actor.organization.id, ref);
  if (!deployment) throw new AppError('SATUSKY_APP_NOT_FOUND', `No app "${ref}" in ${actor.organization.slug}.`);
  const targets = (await repo.targetsOf(exec, [deployment.id])).filter((t) => t.state === 'active');
  const clusters = await repo.clustersById(exec, targets.map((t) => t.cluster_id));
  const zones = targets
    .map((t) => ({ clusterId: t.cluster_id, zone: clusters.get(t.cluster_id)?.zone ?? t.cluster_id }))
    .filter((z) => !zone || z.zone === zone);
  if (zone && zones.length === 0) throw new AppError('SATUSKY_ZONE_NOT_FOUND', `${deployment.name} does not run in zone "${zone}".`);
  return { deploymentId: deployment.id, name: deployment.name, namespace: actor.organization.namespace, zones };
}

export function podSelector(deploymentId: string): string {
  return `${LABELS.deploymentId}=${deploymentId}`;
}

/** The last lines of every pod in every zone, merged by time. A zone that cannot be read is reported. */
export async function readLogs(deps: AppDeps, actor: Actor, ref: string, options: { tail: number; zone?: string | undefined }): Promise<Logs> {
  const app = await appZones(deps.database.db, actor, ref, options.zone);
  const lines: LogLine[] = [];
  const unavailable: Logs['unavailable'] = [];
  await Promise.all(
    app.zones.map(async ({ clusterId, zone }) => {
      try {
        const client = await deps.clusters.client(clusterId);
        const pods = await client.list('v1', 'Pod', { namespace: app.namespace, labelSelector: podSelector(app.deploymentId) });
        await Promise.all(
          pods.map(async (pod) => {
            const name = pod.metadata?.name ?? '';
            const text = await client.podLog(app.namespace, name, app.name, options.tail).catch(() => '');
            for (const raw of text.split('\n')) {
              if (!raw) continue;
              lines.push({ ...parseLogLine(raw), zone, pod: name, container: app.name });
            }
          }),
        );
      } catch (error) {
        unavailable.push({ zone, reason: (error as Error).message });
      }
    }),
  );
  lines.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
  return { lines: lines.slice(-options.tail), unavailable };
}
