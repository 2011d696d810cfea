// World faults, per zone: the zone's Kubernetes API down (connections refused) or blackholed
// (connections accepted, never answered), its edge down (listeners closed, connections refused),
// nodes lost (NotReady: their pods become unready and leave the Services' endpoints), the whole
// zone down (API and edge), and restore (everything back).

import type { ApiMode } from '@satusky/sim';
import { WorldError } from './errors.ts';
import type { WorldZone } from './world.ts';

export const FAULTS = ['zone-down', 'api-down', 'api-blackhole', 'edge-down', 'lose-nodes', 'restore'] as const;
export type FaultName = (typeof FAULTS)[number];

export interface ZoneFaultState {
  api: ApiMode;
  edge: 'up' | 'down';
  /** Nodes this world made NotReady. */
  lostNodes: string[];
}

export interface WorldFaults {
  /** API refused and edge down. */
  zoneDown(zone: string): Promise<ZoneFaultState>;
  apiDown(zone: string): Promise<ZoneFaultState>;
  apiBlackhole(zone: string): Promise<ZoneFaultState>;
  edgeDown(zone: string): Promise<ZoneFaultState>;
  /** Makes `count` more Ready nodes NotReady. */
  loseNodes(zone: string, count: number): Promise<ZoneFaultState>;
  /** API answering, edge up, lost nodes Ready again. */
  restore(zone: string): Promise<ZoneFaultState>;
  /** Applies a fault by its CLI name. */
  apply(fault: FaultName, zone: string, count?: number): Promise<ZoneFaultState>;
  state(zone: string): ZoneFaultState;
}

export interface FaultHost {
  zone(name: string): WorldZone;
  /** Starts a zone's edge on the world's ports. */
  startEdge(zone: WorldZone): Promise<void>;
}

export function createFaults(host: FaultHost): WorldFaults {
  const lost = new Map<string, string[]>();
  const state = (name: string): ZoneFaultState => {
    const z = host.zone(name);
    return { api: z.cluster.faults.get().api, edge: z.edge.up ? 'up' : 'down', lostNodes: [...(lost.get(name) ?? [])] };
  };
  const faults: WorldFaults = {
    async zoneDown(name) {
      const z = host.zone(name);
      await Promise.all([z.cluster.faults.set({ api: 'down' }), z.edge.stop()]);
      return state(name);
    },
    async apiDown(name) {
      await host.zone(name).cluster.faults.set({ api: 'down' });
      return state(name);
    },
    async apiBlackhole(name) {
      await host.zone(name).cluster.faults.set({ api: 'blackhole' });
      return state(name);
    },
    async edgeDown(name) {
      await host.zone(name).edge.stop();
      return state(name);
    },
    async loseNodes(name, count) {
      const z = host.zone(name);
      if (!Number.isInteger(count) || count < 1) throw new WorldError('InvalidArgument', `lose-nodes needs a positive number of nodes, got ${String(count)}`);
      const already = lost.get(name) ?? [];
      const candidates = z.cluster.nodeNames().filter((n) => !already.includes(n));
      if (count > candidates.length) throw new WorldError('InvalidArgument', `zone ${name} has ${candidates.length} node(s) left to lose, not ${count}`);
      const victims = candidates.slice(0, count);
      for (const n of victims) z.cluster.setNodeReady(n, false);
      lost.set(name, [...already, ...victims]);
      return state(name);
    },
    async restore(name) {
      const z = host.zone(name);
      await z.cluster.faults.set({ api: 'ok', latencyMs: 0, errorRate: 0 });
      await host.startEdge(z);
      const nodes = new Set(z.cluster.nodeNames());
      for (const n of lost.get(name) ?? []) if (nodes.has(n)) z.cluster.setNodeReady(n, true);
      lost.delete(name);
      return state(name);
    },
    apply(fault, name, count) {
      switch (fault) {
        case 'zone-down':
          return faults.zoneDown(name);
        case 'api-down':
          return faults.apiDown(name);
        case 'api-blackhole':
          return faults.apiBlackhole(name);
        case 'edge-down':
          return faults.edgeDown(name);
        case 'lose-nodes':
          return faults.loseNodes(name, count ?? 1);
        case 'restore':
          return faults.restore(name);
      }
    },
    state,
  };
  return faults;
}
