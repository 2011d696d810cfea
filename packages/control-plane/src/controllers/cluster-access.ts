import { createHash } from 'node:crypto';
import type { Keyring } from '../core/keyring.ts';
import type { Database } from '../db/database.ts';
import { loadKubeConfig } from '../clusters/kubeconfig.ts';
import { openKubeconfig } from '../clusters/service.ts';
import { AppError } from '../core/errors.ts';
import { KubeClient } from './kube-client.ts';

/** Clients per cluster, built from the sealed kubeconfigs; never a shared "current context". */
export interface ClusterAccess {
  client(clusterId: string): Promise<KubeClient>;
  /** Forget a cluster's client (its kubeconfig changed or it was deleted). */
  forget(clusterId: string): void;
}

export function createClusterAccess(database: Database, keyring: Keyring, options: { timeoutMs: number }): ClusterAccess {
  const cache = new Map<string, { fingerprint: string; client: KubeClient }>();
  return {
    async client(clusterId) {
      const row = await database.db.selectFrom('clusters').select(['id', 'kubeconfig_sealed']).where('id', '=', clusterId).executeTakeFirst();
      if (!row) throw new AppError('SATUSKY_CLUSTER_NOT_FOUND');
      const fingerprint = createHash('sha256').update(row.kubeconfig_sealed).digest('hex');
      const cached = cache.get(clusterId);
      if (cached?.fingerprint === fingerprint) return cached.client;
      const { kubeconfig, context } = openKubeconfig(row, keyring);
      const client = new KubeClient(loadKubeConfig(kubeconfig, context), { timeoutMs: options.timeoutMs });
      cache.set(clusterId, { fingerprint, client });
      return client;
    },
    forget(clusterId) {
      cache.delete(clusterId);
    },
  };
}
