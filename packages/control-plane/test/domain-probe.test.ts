import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainProber } from '../src/controllers/domain-probe.ts';

let server: Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the domain prober and SSRF', () => {
  it('does not open a connection to a private address unless an operator allowed its range', async () => {
    const strict = new DomainProber({ resolvers: ['127.0.0.1:9'], trustedCaFiles: [], probeAllowedCidrs: [], timeoutMs: 500 });
    expect(await strict.tls('127.0.0.1', port, 'shop.example.com')).toMatchObject({ blocked: true });
    expect(await strict.http('127.0.0.1', port, 'shop.example.com', '/')).toMatchObject({ blocked: true, status: null });
    expect(connections).toBe(0);

    const dev = new DomainProber({ resolvers: ['127.0.0.1:9'], trustedCaFiles: [], probeAllowedCidrs: ['127.0.0.0/8'], timeoutMs: 500 });
    const probed = await dev.tls('127.0.0.1', port, 'shop.example.com');
    expect(probed.blocked).toBeUndefined();
    expect(probed.connectError).toBeTruthy();
    expect(connections).toBe(1);
  });
});
