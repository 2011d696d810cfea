import type {} from '@fastify/websocket';
import type { V1Pod } from '@kubernetes/client-node';
import type { WebSocket } from 'ws';
import { Type } from 'typebox';
import { AppParamsSchema } from '@satusky/contracts';
import { actorOf } from '../http/auth.ts';
import type { FastifyRequest } from 'fastify';
import type { App, AppDeps } from '../http/types.ts';
import { assertCurrentOrg } from '../orgs/service.ts';
import { listEvents } from '../events/repository.ts';
import { appZones, parseLogLine, podSelector, type AppZones } from './logs.ts';

/** An RFC 3339 time, as the `at` of a log line (fractional seconds optional). */
const RFC3339 = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the stream routes' preHandler: the app, resolved before the upgrade. */
    streamTarget?: AppZones;
  }
}

function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/**
 * Live streams over WebSocket, authenticated like every other route:
 * - events: the app's timeline from a cursor, then as it grows (resume with the last id seen);
 * - logs: every pod in every zone followed, pods that appear later (a rollout) attached as they come.
 */
export function streamRoutes(app: App, deps: AppDeps): void {
  // Tenancy is decided before the upgrade: another org's app is a plain HTTP 404, never a socket.
  const resolveApp = async (request: FastifyRequest) => {
    const actor = actorOf(request);
    const params = request.params as { org: string; app: string };
    const query = request.query as { zone?: string };
    assertCurrentOrg(actor, params.org);
    request.streamTarget = await appZones(deps.database.db, actor, params.app, query.zone);
  };

  app.get(
    '/v1/orgs/:org/apps/:app/events/stream',
    {
      websocket: true,
      schema: {
        tags: ['apps'],
        operationId: 'streamAppEvents',
        summary: 'WebSocket: {type:"event", event} messages after the cursor `after`, then live',
        params: AppParamsSchema,
        querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
      },
      preHandler: resolveApp,
    },
    async (socket, request) => {
      const { deploymentId } = request.streamTarget!;
      let cursor = request.query.after ?? 0;
      let closed = false;
      socket.on('close', () => {
        closed = true;
      });
      send(socket, { type: 'hello', cursor });
      while (!closed) {
        const events = await listEvents(deps.database.db, deploymentId, cursor, 200);
        for (const event of events) {
          send(socket, { type: 'event', event });
          cursor = event.id;
        }
        if (events.length < 200) await new Promise((resolve) => setTimeout(resolve, 300));
      }
    },
  );

  app.get(
    '/v1/orgs/:org/apps/:app/logs/stream',
    {
      websocket: true,
      schema: {
        tags: ['apps'],
        operationId: 'streamAppLogs',
        summary:
          'WebSocket: {type:"line", line} for every pod of the app, and {type:"zone"} status messages. Resume with `since` (the `at` of the last line seen): lines from that moment on, instead of a tail',
        params: AppParamsSchema,
        querystring: Type.Object(
          {
            tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
            zone: Type.Optional(Type.String({ maxLength: 63 })),
            since: Type.Optional(Type.String({ maxLength: 40, pattern: RFC3339 })),
          },
          { additionalProperties: false },
        ),
      },
      preHandler: resolveApp,
    },
    async (socket, request) => {
      const target = request.streamTarget!;
      const followers = new Map<string, AbortController>();
      let closed = false;
      const stopAll = () => {
        closed = true;
        for (const controller of followers.values()) controller.abort();
        followers.clear();
      };
      socket.on('close', stopAll);
      const tail = request.query.tail ?? 10;
      // The cursor: a reconnecting client asks for what came after the last line it saw. The
      // kubelet takes sinceTime to the second, so lines earlier in that second are dropped here;
      // lines of the very same millisecond are sent again (the client drops those it has).
      const since = request.query.since === undefined ? null : Date.parse(request.query.since);
      const follow = since === null ? { tailLines: tail } : { sinceTime: new Date(Math.floor(since / 1000) * 1000).toISOString().replace('.000Z', 'Z') };
      const fresh = (line: { at: string | null }) => since === null || line.at === null || Date.parse(line.at) >= since;

      const attach = async () => {
        for (const { clusterId, zone } of target.zones) {
          try {
            const client = await deps.clusters.client(clusterId);
            const pods = await client.list<V1Pod>('v1', 'Pod', { namespace: target.namespace, labelSelector: podSelector(target.deploymentId) });
            send(socket, { type: 'zone', zone, state: 'attached', pods: pods.length });
            for (const pod of pods) {
              const name = pod.metadata?.name ?? '';
              const key = `${zone}/${name}`;
              if (followers.has(key) || closed) continue;
              const running = pod.status?.containerStatuses?.some((c) => c.state?.running);
              if (!running) continue;
              const controller = await client.followPodLog(
                target.namespace,
                name,
                target.name,
                follow,
                (raw) => {
                  const line = parseLogLine(raw);
                  if (fresh(line)) send(socket, { type: 'line', line: { ...line, zone, pod: name, container: target.name } });
                },
                () => {
                  followers.delete(key);
                  send(socket, { type: 'pod', zone, pod: name, state: 'ended' });
                },
              );
              if (closed) controller.abort();
              else followers.set(key, controller);
            }
          } catch (error) {
            send(socket, { type: 'zone', zone, state: 'unavailable', reason: (error as Error).message });
          }
        }
      };
      while (!closed) {
        await attach();
        // Pods come and go with rollouts; look again for new ones.
        for (let waited = 0; waited < 3000 && !closed; waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
  );
}
