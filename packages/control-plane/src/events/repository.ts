import type { AppEvent } from '@satusky/contracts';
import type { Executor } from '../db/database.ts';
import type { EventRow } from '../db/schema.ts';

export interface NewEvent {
  deploymentId: string;
  organizationId: string;
  clusterId?: string | null;
  zone?: string | null;
  generation?: number | null;
  category: 'deploy' | 'rollout' | 'workload' | 'cluster' | 'config' | 'delete' | 'route' | 'dns' | 'tls' | 'failover' | 'backup';
  type: string;
  level?: 'info' | 'warning' | 'error';
  message: string;
  detail?: Record<string, unknown>;
}

export async function recordEvent(exec: Executor, event: NewEvent): Promise<void> {
  await exec
    .insertInto('deployment_events')
    .values({
      deployment_id: event.deploymentId,
      organization_id: event.organizationId,
      cluster_id: event.clusterId ?? null,
      zone: event.zone ?? null,
      generation: event.generation ?? null,
      category: event.category,
      type: event.type,
      level: event.level ?? 'info',
      message: event.message,
      detail: JSON.stringify(event.detail ?? {}),
    })
    .execute();
}

export function toAppEvent(row: EventRow): AppEvent {
  return {
    id: row.id,
    at: row.at.toISOString(),
    category: row.category,
    type: row.type,
    level: row.level,
    message: row.message,
    zone: row.zone,
    generation: row.generation,
    detail: row.detail,
  };
}

export async function listEvents(exec: Executor, deploymentId: string, after: number, limit: number): Promise<AppEvent[]> {
  const rows = await exec
    .selectFrom('deployment_events')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toAppEvent);
}
