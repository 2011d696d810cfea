// A world with a data directory survives a stop and a start: registrar records, the root CA,
// cluster objects, and the zones' API ports (so kubeconfigs stay valid).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStateFile, startWorld, type World } from '../src/index.ts';
import { tempDir } from './helpers.ts';

describe('persistence', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let world: World | undefined;

  afterAll(async () => {
    await world?.stop();
    await dir?.remove();
  });

  it('keeps registrar records, the root CA, cluster objects and API ports across a restart', async () => {
    dir = await tempDir('persist');
    const options = { dataDir: dir.path, zones: [{ name: 'sim-per-1', nodes: 1 }], httpPort: 0, httpsPort: 0, dnsPort: 0 };
    world = await startWorld(options);
    world.registrar.set({ name: 'shop.example.com', type: 'A', values: ['127.0.1.1'], ttl: 42 });
    world.registrar.set({ name: '_verify.example.com', type: 'TXT', values: ['a', 'b'] });
    world.zone('sim-per-1').cluster.objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept', namespace: 'default' }, data: { answer: '42' } });
    const caPem = world.ca.certificatePem;
    const apiPort = world.zone('sim-per-1').cluster.port;
    const token = world.zone('sim-per-1').cluster.token;
    const records = world.registrar.list();
    expect(world.ca.rootCaPath).toBe(join(dir.path, 'world-root-ca.pem'));
    expect(await readFile(world.ca.rootCaPath, 'utf8')).toBe(caPem);
    const state = await readStateFile(dir.path);
    expect(state).toMatchObject({ running: true, controlUrl: world.controlUrl, dns: world.dns, httpPort: world.httpPort, rootCaPath: world.ca.rootCaPath, zones: [{ name: 'sim-per-1', edgeAddress: '127.0.1.1', apiPort }] });
    await world.stop();
    expect(await readStateFile(dir.path)).toMatchObject({ running: false, zones: [{ apiPort }] });
    expect(existsSync(join(dir.path, 'zones', 'sim-per-1'))).toBe(true);

    world = await startWorld(options);
    expect(world.ca.certificatePem).toBe(caPem);
    expect(world.registrar.list()).toEqual(records);
    const cluster = world.zone('sim-per-1').cluster;
    expect(cluster.objects.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'kept' })?.data).toEqual({ answer: '42' });
    expect(cluster.port).toBe(apiPort);
    expect(cluster.token).toBe(token);
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`${world.dns.host}:${world.dns.port}`]);
    expect(await resolver.resolve4('shop.example.com', { ttl: true })).toEqual([{ address: '127.0.1.1', ttl: 42 }]);
    expect(await resolver.resolveTxt('_verify.example.com')).toEqual([['a', 'b']]);
  });
});
