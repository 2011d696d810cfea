import { makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { APP_KINDS, LABELS, MANAGED_SELECTOR } from '../core/render.ts';
import type { KubeClient } from './kube-client.ts';

export const WATCHED_KINDS = [
  ...APP_KINDS,
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods' },
  // Velero objects of apps with backups (they live in the velero namespace, labelled like the app).
  { apiVersion: 'velero.io/v1', kind: 'Schedule', plural: 'schedules' },
  { apiVersion: 'velero.io/v1', kind: 'Backup', plural: 'backups' },
  { apiVersion: 'velero.io/v1', kind: 'Restore', plural: 'restores' },
] as const;
export type WatchedKind = (typeof WATCHED_KINDS)[number]['kind'];

export type InformerVerb = 'add' | 'update' | 'delete';
export type InformerHandler = (kind: WatchedKind, verb: InformerVerb, object: KubernetesObject) => void;

function pathOf(apiVersion: string, plural: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}/${plural}` : `/api/${apiVersion}/${plural}`;
}

/** Plain JSON: client-node lists typed models (Dates), watches deliver JSON; compare like with like. */
export function plain<T>(object: T): T {
  return JSON.parse(JSON.stringify(object)) as T;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// The cache keeps no managedFields: nothing here reads them, and they are often the larger part of
// an object the server returns (at 10,000 apps the cache and its copies were most of the heap).
function dropManagedFields(object: KubernetesObject): void {
  if (object.metadata && 'managedFields' in object.metadata) delete object.metadata.managedFields;
}

// One plain copy per cached object version: an informer replaces an object on every change, so the
// copy of an unchanged object can be handed out again. At thousands of apps the same objects were
// copied on every observation and resync (a tenth of the control plane's CPU). The copies are
// frozen, so a caller that tried to change a shared copy would fail loudly instead of corrupting it.
const plainCopies = new WeakMap<object, KubernetesObject>();
function frozenPlain(object: KubernetesObject): KubernetesObject {
  let copy = plainCopies.get(object);
  if (!copy) {
    copy = deepFreeze(plain(object));
    plainCopies.set(object, copy);
  }
  return copy;
}

interface Entry {
  informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  synced: boolean;
  /** Set by a successful list, cleared by any error: start() resolves either way. */
  listedSinceError: boolean;
  restartTimer: NodeJS.Timeout | null;
  failures: number;
}

/**
 * Label-selected informers (everything Satusky manages) over one cluster: a cache the reconciler
 * compares against and a stream of changes the observer and drift detection react to. An informer
 * that fails is restarted with backoff; until it has listed again it reports not synced, and callers
 * must not prune from it.
 */
export class ClusterInformers {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #entries = new Map<WatchedKind, Entry>();
  readonly #handlers: InformerHandler[] = [];
  readonly #onActivity: () => void;
  #stopped = false;

  constructor(client: KubeClient, log: Logger, onActivity: () => void) {
    this.#client = client;
    this.#log = log;
    this.#onActivity = onActivity;
  }

  on(handler: InformerHandler): void {
    this.#handlers.push(handler);
  }

  synced(kind: WatchedKind): boolean {
    return this.#entries.get(kind)?.synced ?? false;
  }

  allSynced(): boolean {
    return WATCHED_KINDS.every((k) => this.synced(k.kind));
  }

  /**
   * Cached objects of a kind that carry one app's deployment label, as frozen plain JSON. Filters before
   * copying: with thousands of apps in a cluster, copying the whole cache for every observation
   * was the control plane's main cost.
   */
  owned(kind: WatchedKind, deploymentId: string, namespace?: string): KubernetesObject[] {
    const entry = this.#entries.get(kind);
    if (!entry?.synced) return [];
    return entry.informer
      .list(namespace)
      .filter((o) => o.metadata?.labels?.[LABELS.deploymentId] === deploymentId)
      .map(frozenPlain);
  }

  get(kind: WatchedKind, namespace: string, name: string): KubernetesObject | undefined {
    const entry = this.#entries.get(kind);
    if (!entry?.synced) return undefined;
    const found = entry.informer.get(name, namespace);
    return found ? frozenPlain(found) : undefined;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await Promise.all(WATCHED_KINDS.map((k) => this.#startKind(k.kind, k.apiVersion, k.plural)));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(
      [...this.#entries.values()].map(async (entry) => {
        if (entry.restartTimer) clearTimeout(entry.restartTimer);
        entry.synced = false;
        await entry.informer.stop().catch(() => {});
      }),
    );
    this.#entries.clear();
  }

  /** Drops every watch and lists afresh (after the cluster comes back from an outage). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async #startKind(kind: WatchedKind, apiVersion: string, plural: string, failures = 0): Promise<void> {
    const informer = makeInformer<KubernetesObject>(
      this.#client.kubeConfig,
      pathOf(apiVersion, plural),
      async () => {
        const list = await this.#client.listWithMeta(apiVersion, kind, MANAGED_SELECTOR);
        for (const item of list.items) dropManagedFields(item);
        entry.listedSinceError = true;
        this.#onActivity();
        return list;
      },
      MANAGED_SELECTOR,
    );
    const entry: Entry = { informer, synced: false, listedSinceError: false, restartTimer: null, failures };
    const startAndSync = async () => {
      entry.listedSinceError = false;
      await informer.start();
      // start() resolves after the initial list was loaded into the cache, or after it failed.
      if (entry.listedSinceError) {
        entry.synced = true;
        entry.failures = 0;
      }
    };
    this.#entries.set(kind, entry);
    const emit = (verb: InformerVerb) => (object: KubernetesObject) => {
      this.#onActivity();
      // The handler gets the object the cache holds: stripping it here strips the cache.
      dropManagedFields(object);
      for (const handler of this.#handlers) handler(kind, verb, frozenPlain(object));
    };
    informer.on('add', emit('add'));
    informer.on('update', emit('update'));
    informer.on('delete', emit('delete'));
    informer.on('error', (error: unknown) => {
      entry.synced = false;
      entry.listedSinceError = false;
      if (this.#stopped || this.#entries.get(kind) !== entry) return;
      entry.failures += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(entry.failures - 1, 6));
      this.#log.debug({ kind, err: error, retryInMs: delay }, 'informer failed; restarting');
      entry.restartTimer = setTimeout(() => {
        entry.restartTimer = null;
        if (this.#stopped || this.#entries.get(kind) !== entry) return;
        // A fresh informer, which lists again. Restarting this one would resume its watch from the
        // last resourceVersion without listing, so the cache would stay marked unsynced for good
        // (and the cluster's apps never observed again) after any watch error.
        this.#startKind(kind, apiVersion, plural, entry.failures).catch((startError: unknown) => this.#log.warn({ kind, err: startError }, 'informer did not restart'));
        informer.stop().catch((stopError: unknown) => this.#log.debug({ kind, err: stopError }, 'stopping a failed informer failed'));
      }, delay);
      entry.restartTimer.unref();
    });
    try {
      await startAndSync();
    } catch {
      // The error handler above retries; the cache stays unsynced until then.
    }
  }
}
