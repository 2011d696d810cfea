// Kubeconfig files for simulated clusters: certificate-authority-data + bearer token, one context
// per cluster, written atomically with mode 0600; merging keeps entries of other clusters.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { isObject, type JsonObject } from '../util/json.ts';

export interface KubeconfigEntry {
  /** Context name (also used for the cluster and user entries). */
  context: string;
  server: string;
  caPem: string;
  token: string;
  namespace?: string;
}

function named(list: unknown): JsonObject[] {
  return Array.isArray(list) ? list.filter(isObject) : [];
}

export function buildKubeconfig(entries: KubeconfigEntry[], currentContext?: string, base?: JsonObject): JsonObject {
  const clusters = named(base?.clusters);
  const contexts = named(base?.contexts);
  const users = named(base?.users);
  const upsert = (list: JsonObject[], item: JsonObject): void => {
    const i = list.findIndex((x) => x.name === item.name);
    if (i >= 0) list[i] = item;
    else list.push(item);
  };
  for (const e of entries) {
    upsert(clusters, { name: e.context, cluster: { server: e.server, 'certificate-authority-data': Buffer.from(e.caPem, 'utf8').toString('base64') } });
    upsert(users, { name: e.context, user: { token: e.token } });
    upsert(contexts, { name: e.context, context: { cluster: e.context, user: e.context, namespace: e.namespace ?? 'default' } });
  }
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters,
    contexts,
    users,
    'current-context': currentContext ?? (typeof base?.['current-context'] === 'string' && base['current-context'] !== '' ? base['current-context'] : (entries[0]?.context ?? '')),
  };
}

export function kubeconfigYaml(entries: KubeconfigEntry[], currentContext?: string): string {
  return stringify(buildKubeconfig(entries, currentContext));
}

/**
 * Writes (or, with `merge`, updates) a kubeconfig file atomically. Merging replaces the entries
 * with the same names and keeps every other cluster, context and user already in the file.
 */
export async function writeKubeconfigFile(path: string, entries: KubeconfigEntry[], options: { merge?: boolean; currentContext?: string } = {}): Promise<void> {
  let base: JsonObject | undefined;
  if (options.merge) {
    try {
      const parsed: unknown = parse(await readFile(path, 'utf8'));
      if (isObject(parsed)) base = parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, stringify(buildKubeconfig(entries, options.currentContext, base)), { mode: 0o600 });
  await rename(tmp, path);
}
