import type { HealthState } from '@satusky/contracts';
import { KubeError, type KubeClient } from './kube-client.ts';

export interface ProbeReading {
  readyz: { ok: boolean; latencyMs: number } | { error: string };
  nodes: { ready: number; total: number; notReady: string[] } | { error: string } | null;
}

export interface HealthVerdict {
  state: HealthState;
  reason: string;
  /** The API answered at all: the cluster was heard from. */
  heard: boolean;
  latencyMs: number | null;
  nodesReady: number | null;
  nodesTotal: number | null;
}

/** Cluster health from one probe: offline when the API does not answer, degraded when it answers badly. Pure. */
export function judgeHealth(reading: ProbeReading, options: { slowMs: number }): HealthVerdict {
  if ('error' in reading.readyz) {
    return { state: 'offline', reason: `API unreachable: ${reading.readyz.error}`, heard: false, latencyMs: null, nodesReady: null, nodesTotal: null };
  }
  const latencyMs = reading.readyz.latencyMs;
  if (!reading.readyz.ok) return { state: 'degraded', reason: 'API server reports not ready', heard: true, latencyMs, nodesReady: null, nodesTotal: null };
  if (!reading.nodes || 'error' in reading.nodes) {
    return { state: 'degraded', reason: `cannot list nodes: ${reading.nodes?.error ?? 'not read'}`, heard: true, latencyMs, nodesReady: null, nodesTotal: null };
  }
  const { ready, total, notReady } = reading.nodes;
  const counts = { nodesReady: ready, nodesTotal: total };
  if (total === 0 || ready === 0) return { state: 'degraded', reason: 'no ready nodes', heard: true, latencyMs, ...counts };
  if (ready < total) return { state: 'degraded', reason: `${ready}/${total} nodes ready (not ready: ${notReady.join(', ')})`, heard: true, latencyMs, ...counts };
  if (latencyMs > options.slowMs) return { state: 'degraded', reason: `slow API: ${latencyMs} ms`, heard: true, latencyMs, ...counts };
  return { state: 'healthy', reason: `${ready}/${total} nodes ready, API ${latencyMs} ms`, heard: true, latencyMs, ...counts };
}

export async function probeCluster(client: KubeClient, timeoutMs: number): Promise<ProbeReading> {
  let readyz: ProbeReading['readyz'];
  try {
    readyz = await client.readyz(timeoutMs);
  } catch (error) {
    return { readyz: { error: error instanceof KubeError ? error.message.replace(/^readyz: /, '') : String(error) }, nodes: null };
  }
  let nodes: ProbeReading['nodes'];
  try {
    nodes = await client.nodes(timeoutMs);
  } catch (error) {
    nodes = { error: error instanceof KubeError ? error.message : String(error) };
  }
  return { readyz, nodes };
}
