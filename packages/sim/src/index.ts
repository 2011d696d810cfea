/**
 * `@satusky/sim`: a protocol-faithful simulated Kubernetes cluster (API server + KWOK-style
 * controllers) that the real `kubectl` and `@kubernetes/client-node` drive as they would a real
 * cluster. See packages/sim/README.md.
 *
 * ```ts
 * const cluster = await startSimCluster({ name: 'sim-kul-1', zone: 'sim-kul-1', nodes: 3 });
 * await cluster.writeKubeconfig('/tmp/kubeconfig');
 * cluster.objects.list({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' });
 * await cluster.faults.set({ api: 'down' });
 * await cluster.stop();
 * ```
 *
 * @packageDocumentation
 */

export { startSimCluster, SimCluster } from './cluster.ts';
export type { FaultControl, FaultSettings, FaultState, KubeconfigOptions, AddNodeOptions, SimClusterInfo } from './cluster.ts';
export type { SimClusterOptions, PodTimings, NodeCapacity, CertManagerTimings, VeleroTimings, AddonOptions } from './options.ts';
export { DEFAULT_GATEWAY_CLASS, DEFAULT_GATEWAY_CONTROLLER, DEFAULT_INGRESS_CLASS, INGRESS_CONTROLLER } from './options.ts';
export type { SimObjects, KindRef, ObjectRef, ListQuery, WatchQuery, WriteQuery, ObjectEvent } from './objects.ts';
export type { KubeObject, ObjectMeta, EventType } from './store/store.ts';
export type { DeleteOptions } from './store/storage.ts';
export type { ApiMode } from './server/listener.ts';
export type { RequestRecord } from './api/handler.ts';
export { ApiError } from './api/errors.ts';
export type { StatusBody, StatusCause, StatusDetails } from './api/errors.ts';
export { caCertificateIssuer } from './controllers/cert-manager.ts';
export type { CertificateIssuer, CertificateIssueRequest, CertificateIssueResult, IssuerRegistration } from './controllers/cert-manager.ts';
export { RUN_NOW_ANNOTATION as VELERO_RUN_NOW_ANNOTATION } from './controllers/velero.ts';
export { imageBehaviour } from './controllers/kubelet.ts';
export type { ImageBehaviour } from './controllers/kubelet.ts';
export { writeKubeconfigFile, kubeconfigYaml } from './server/kubeconfig.ts';
export type { KubeconfigEntry } from './server/kubeconfig.ts';
export { createCertificateAuthority, issueLeaf, parseCsr, parseCertificate, loadCertificateAuthority, createCsr, generateKeyPair } from './server/tls.ts';
export type { CertificateAuthority, IssuedLeaf, LeafOptions } from './server/tls.ts';
export type { Logger } from './controllers/manager.ts';

import type { SimCluster } from './cluster.ts';
import { writeKubeconfigFile as write } from './server/kubeconfig.ts';

/**
 * Writes one kubeconfig with a context per cluster (named after each cluster unless
 * `contextNames` says otherwise). With `merge`, entries of other clusters already in the file are
 * kept. The current context is the first cluster's unless `currentContext` is given.
 */
export async function writeMergedKubeconfig(
  path: string,
  clusters: SimCluster[],
  options: { merge?: boolean; currentContext?: string; contextNames?: Record<string, string>; namespace?: string } = {},
): Promise<void> {
  const entries = clusters.map((c) =>
    c.kubeconfigEntry({ contextName: options.contextNames?.[c.name] ?? c.name, ...(options.namespace ? { namespace: options.namespace } : {}) }),
  );
  const current = options.currentContext ?? entries[0]?.context;
  await write(path, entries, { merge: options.merge === true, ...(current ? { currentContext: current } : {}) });
}
