// The simulator's own control API under `/_sim/…` (never used by Kubernetes clients): faults,
// the request log, nodes, restarts, watch expiry, pod logs and Velero triggers. Served on the
// always-on control listener (and on the API port while it answers), with the same bearer token.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, methodNotAllowed, pathNotFound, unauthorized } from './api/errors.ts';
import { toApiError } from './api/handler.ts';
import { parseJson, readBody, sendError, sendJson } from './api/http.ts';
import { isObject } from './util/json.ts';
import type { SimCluster } from './cluster.ts';

export async function handleControl(cluster: SimCluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const m = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!m || m[1] !== cluster.token) throw unauthorized();
    const url = new URL(req.url ?? '/', 'http://sim');
    const parts = url.pathname.replace(/\/+$/, '').split('/').slice(2).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const body = async (): Promise<Record<string, unknown>> => {
      const raw = await readBody(req);
      const parsed = raw.length === 0 ? {} : parseJson(raw);
      if (!isObject(parsed)) throw badRequest('expected a JSON object');
      return parsed;
    };
    const [head, a, b, c] = parts;
    switch (head ?? '') {
      case 'healthz':
        sendJson(res, 200, { ok: true });
        return;
      case 'info':
        sendJson(res, 200, cluster.info());
        return;
      case 'faults':
        if (method === 'GET') sendJson(res, 200, cluster.faults.get());
        else if (method === 'POST' || method === 'PUT' || method === 'PATCH') sendJson(res, 200, await cluster.faults.set(await body()));
        else throw methodNotAllowed();
        return;
      case 'requests':
        if (method === 'GET') {
          const limit = Number(url.searchParams.get('limit') ?? '0');
          const all = cluster.requests();
          sendJson(res, 200, { items: limit > 0 ? all.slice(-limit) : all });
        } else if (method === 'DELETE') {
          cluster.clearRequests();
          sendJson(res, 200, { items: [] });
        } else throw methodNotAllowed();
        return;
      case 'restart':
        if (method !== 'POST') throw methodNotAllowed();
        sendJson(res, 202, { restarting: true });
        res.on('finish', () => {
          cluster.restart().catch(() => undefined);
        });
        return;
      case 'watches':
        if (method !== 'POST' || a !== 'expire') throw pathNotFound();
        cluster.expireWatches();
        sendJson(res, 200, { expired: true });
        return;
      case 'nodes':
        if (a === undefined && method === 'POST') {
          const opts = await body();
          sendJson(res, 201, { name: cluster.addNode({ ...(typeof opts.name === 'string' ? { name: opts.name } : {}), ...(isObject(opts.labels) ? { labels: opts.labels as Record<string, string> } : {}) }) });
          return;
        }
        if (a !== undefined && b === 'ready' && (method === 'POST' || method === 'PUT')) {
          const opts = await body();
          cluster.setNodeReady(a, opts.ready !== false);
          sendJson(res, 200, { name: a, ready: opts.ready !== false });
          return;
        }
        if (a !== undefined && b === undefined && method === 'DELETE') {
          cluster.removeNode(a);
          sendJson(res, 200, { name: a, removed: true });
          return;
        }
        throw pathNotFound();
      case 'pods':
        // POST /_sim/pods/{ns}/{pod}/log {line, container?}
        if (a !== undefined && b !== undefined && c === 'log' && method === 'POST') {
          const opts = await body();
          if (typeof opts.line !== 'string') throw badRequest('line is required');
          cluster.appendPodLog(a, b, opts.line, typeof opts.container === 'string' ? opts.container : undefined);
          sendJson(res, 200, { appended: true });
          return;
        }
        throw pathNotFound();
      case 'velero':
        // POST /_sim/velero/schedules/{ns}/{name}/run
        if (a === 'schedules' && b !== undefined && c !== undefined && parts[4] === 'run' && method === 'POST') {
          sendJson(res, 201, { backup: cluster.runVeleroSchedule(b, c) });
          return;
        }
        throw pathNotFound();
      case 'snapshot':
        if (method !== 'POST') throw methodNotAllowed();
        await cluster.saveSnapshot();
        sendJson(res, 200, { saved: true });
        return;
      default:
        throw pathNotFound();
    }
  } catch (e) {
    const err = e instanceof ApiError ? e : toApiError(e);
    if (!res.headersSent) sendError(res, err);
    else res.end();
  }
}
