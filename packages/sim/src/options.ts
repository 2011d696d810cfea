// Options of a simulated cluster and their defaults.

import type { CertificateIssuer } from './controllers/cert-manager.ts';
import type { Logger } from './controllers/manager.ts';

/** Delays of the simulated kubelet and scheduler. All default to 0 except where noted. */
export interface PodTimings {
  /** Delay before the scheduler binds a pending pod. Default 0. */
  scheduleMs?: number;
  /** Delay between binding and containers running (pull + start). Default 0. */
  startMs?: number;
  /** Delay between a container running and the pod being Ready. Default 0. */
  readyMs?: number;
  /** Ready delay for images whose name or tag contains `slow-start`. Default 3000. */
  slowStartMs?: number;
  /** How long a `crashloop` container runs before it exits with code 1. Default 100. */
  crashRunMs?: number;
  /** First CrashLoopBackOff delay; doubles per restart up to `crashBackoffMaxMs`. Default 400. */
  crashBackoffMs?: number;
  /** Cap of the CrashLoopBackOff delay. Default 5000. */
  crashBackoffMaxMs?: number;
  /** Time between ErrImagePull and ImagePullBackOff for `pull-error` images. Default 300. */
  pullBackoffMs?: number;
  /** Delay between a graceful pod delete and the pod's removal. Default 0. */
  terminationMs?: number;
  /** Wait `readinessProbe.initialDelaySeconds` before Ready. Default false. */
  honorProbeDelays?: boolean;
  /** Pods on a NotReady node are evicted after this long (taint-based eviction). Default 300000. */
  nodeEvictionMs?: number;
}

export type ResolvedPodTimings = Required<PodTimings>;

export function resolvePodTimings(t: PodTimings = {}): ResolvedPodTimings {
  return {
    scheduleMs: t.scheduleMs ?? 0,
    startMs: t.startMs ?? 0,
    readyMs: t.readyMs ?? 0,
    slowStartMs: t.slowStartMs ?? 3000,
    crashRunMs: t.crashRunMs ?? 100,
    crashBackoffMs: t.crashBackoffMs ?? 400,
    crashBackoffMaxMs: t.crashBackoffMaxMs ?? 5000,
    pullBackoffMs: t.pullBackoffMs ?? 300,
    terminationMs: t.terminationMs ?? 0,
    honorProbeDelays: t.honorProbeDelays ?? false,
    nodeEvictionMs: t.nodeEvictionMs ?? 300_000,
  };
}

export interface NodeCapacity {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
}

export interface CertManagerTimings {
  /** Delay before a certificate request is handed to the issuer. Default 0. */
  issueDelayMs?: number;
  /** First retry delay after a failed issuance; doubles up to `retryMaxMs`. Default 1000. */
  retryBaseMs?: number;
  /** Default 300000 (cert-manager itself backs off up to 32h). */
  retryMaxMs?: number;
}

export interface VeleroTimings {
  /** Time a Backup spends InProgress. Default 0. */
  backupMs?: number;
  /** Time a Restore spends InProgress. Default 0. */
  restoreMs?: number;
}

export interface AddonOptions {
  /** Gateway API v1.6 standard CRDs, GatewayClass `sim` and its status simulator. Default true. */
  gatewayApi?: boolean;
  /** cert-manager CRDs and simulator. Default true. */
  certManager?: boolean;
  /** Velero CRDs, namespace `velero`, BackupStorageLocation `default`. Default true. */
  velero?: boolean;
}

export interface SimClusterOptions {
  /** Cluster name: node names, kubeconfig names, the CA's subject. */
  name: string;
  /** `topology.kubernetes.io/zone` of the nodes. Defaults to `name`. */
  zone?: string;
  /** `topology.kubernetes.io/region` of the nodes. */
  region?: string;
  /** Number of Ready worker nodes seeded on first start. Default 3. */
  nodes?: number;
  /** Node capacity (KWOK-like defaults: 32 CPU, 128Gi, 1000 pods). */
  nodeCapacity?: NodeCapacity;
  /** Extra labels for seeded nodes. */
  nodeLabels?: Record<string, string>;
  /** Address the API listens on. Default 127.0.0.1. */
  host?: string;
  /** API port; 0 picks a free one (kept across restart()). Default 0. */
  port?: number;
  /** Port of the always-on control listener (`/_sim/...`). Default 0. */
  controlPort?: number;
  /** Bearer token clients must present; generated (and persisted with dataDir) when absent. */
  token?: string;
  /** Directory for the state snapshot, TLS material and token. In memory only when absent. */
  dataDir?: string;
  /** Address Gateway/ListenerSet/Ingress/LoadBalancer statuses report. Default: `host`. */
  gatewayAddress?: string;
  /** `controllerName` values the Gateway simulator serves. Default [`satusky.dev/sim-gateway-controller`]. */
  gatewayControllerNames?: string[];
  podTimings?: PodTimings;
  certificateIssuer?: CertificateIssuer;
  certManager?: CertManagerTimings;
  velero?: VeleroTimings;
  addons?: AddonOptions;
  /** `/version` minor; chooses the kubectl the gcloud dispatcher runs. Default "32". */
  kubernetesMinor?: string;
  /** Record Events. Default true. */
  events?: boolean;
  /** Events older than this are deleted. Default 1h. */
  eventTtlMs?: number;
  /** Watch events kept per resource type. Default 10000. */
  watchHistorySize?: number;
  /** Debounce of state snapshots after changes (with dataDir). Default 1000 ms. */
  persistDebounceMs?: number;
  /** Bookmark interval of watches that ask for them. Default 10000 ms. */
  bookmarkIntervalMs?: number;
  /** Structured log sink; silent by default. */
  logger?: Logger;
  /** Deep-freeze stored objects so accidental mutation throws. For tests; costs CPU. */
  strictImmutability?: boolean;
}

export const DEFAULT_GATEWAY_CONTROLLER = 'satusky.dev/sim-gateway-controller';
export const DEFAULT_GATEWAY_CLASS = 'sim';
export const DEFAULT_INGRESS_CLASS = 'sim';
export const INGRESS_CONTROLLER = 'satusky.dev/sim-ingress-controller';
