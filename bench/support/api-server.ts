// A control plane (or a bare Fastify handler) in its own process for bench/api.ts, so the load
// generator never shares the server's event loop. Prints one JSON line describing what it serves.
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import pino from 'pino';
import { openDatabase } from '../../packages/control-plane/src/db/database.ts';
import { startControlPlane } from '../../packages/control-plane/src/server.ts';
import { createTenant, testConfig } from '../../packages/control-plane/test/helpers.ts';

const { values } = parseArgs({ options: { mode: { type: 'string' }, 'database-url': { type: 'string' } } });

if (values.mode === 'bare') {
  const app = Fastify({ logger: false });
  app.get('/bare', async () => ({ user: { id: '00000000-0000-0000-0000-000000000000', email: 'bare@example.com' } }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  console.log(JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` }));
} else {
  const url = values['database-url'];
  const database = await openDatabase(url ? { kind: 'postgres', url } : { kind: 'pglite' });
  const cp = await startControlPlane(
    testConfig({ database: url ? { kind: 'postgres', url } : { kind: 'pglite' }, logLevel: 'error', rateLimitPerMinute: 100_000_000 }),
    { logger: pino({ level: 'error' }), database },
  );
  const tenant = await createTenant(database, 'bench');
  console.log(JSON.stringify({ url: cp.url, token: tenant.token, orgId: tenant.orgId, database: database.kind }));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
