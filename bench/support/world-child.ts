// `satusky dev` (the simulated world — zones with clusters and edges, the world DNS, the ACME CA —
// and the control plane with its controllers, through the test harness) in a process of its own,
// so that the failover benchmark's polling never runs on the control plane's event loop.
//
// Argument: JSON { zones, probeIntervalMs, dnsTtl }. Handlers:
//   api { method, url, body }   an authenticated API call (the dev admin), through app.inject
//   fault { kind, zone }         world faults: zoneDown, apiDown, apiBlackhole, edgeDown, restore
//   registrar { name, values }   sets an A record at the world registrar (outside the platform zone)
//   usage                        CPU and memory of this process
import { startWorldHarness } from '../../packages/control-plane/test/world-harness.ts';
import { serveChild, usage } from './ipc.ts';

export interface WorldConfig {
  zones: string[];
  probeIntervalMs: number;
  dnsTtl: number;
}

export interface WorldReady {
  org: string;
  dns: { host: string; port: number };
  httpsPort: number;
  caPath: string;
  edges: Record<string, string>;
  platformDomain: string;
  controllers: { probeIntervalMs: number; probeTimeoutMs: number };
}

type FaultKind = 'zoneDown' | 'apiDown' | 'apiBlackhole' | 'edgeDown' | 'restore';

const config = JSON.parse(process.argv[2] ?? '{}') as WorldConfig;
const h = await startWorldHarness({
  zones: config.zones,
  probeIntervalMs: config.probeIntervalMs,
  config: { dns: { host: '127.0.0.1', port: 0, ttl: config.dnsTtl }, logLevel: 'error' },
});
const controllers = h.dev.controlPlane.controllers?.deps.options;

serveChild<WorldReady>(
  {
    org: h.org,
    dns: h.world.dns,
    httpsPort: h.world.httpsPort,
    caPath: h.world.ca.rootCaPath,
    edges: Object.fromEntries(config.zones.map((z) => [z, h.world.zone(z).edgeAddress])),
    platformDomain: h.dev.controlPlane.deps.platformDomain,
    controllers: { probeIntervalMs: controllers?.probeIntervalMs ?? config.probeIntervalMs, probeTimeoutMs: controllers?.probeTimeoutMs ?? 0 },
  },
  {
    api: (payload: { method: string; url: string; body?: unknown }) => h.api(payload.method, payload.url, payload.body),
    fault: async (payload: { kind: FaultKind; zone: string }) => {
      await h.world.faults[payload.kind](payload.zone);
      return Date.now();
    },
    registrar: (payload: { name: string; values: string[] }) => {
      h.world.registrar.set({ name: payload.name, type: 'A', values: payload.values });
      return Date.now();
    },
    usage: () => usage(),
  },
  () => h.close(),
);
