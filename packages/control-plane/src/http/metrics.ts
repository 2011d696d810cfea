import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance (never the global default), so tests can build many apps. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'satusky_' });
  const duration = new Histogram({
    name: 'satusky_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'satusky_http_errors_total',
    help: 'HTTP responses with status >= 400 by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });

  return {
    registry,
    instrument(app: FastifyInstance) {
      app.addHook('onResponse', async (request, reply) => {
        const labels = {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        };
        duration.observe(labels, reply.elapsedTime / 1000);
        if (reply.statusCode >= 400) errors.inc(labels);
      });
    },
  };
}
