// State snapshots for clusters with a data directory: every object, one JSON line each, written
// to a temporary file and renamed into place (atomic), after changes (throttled) and on stop.
// Loading restores objects and the resourceVersion counter, which keeps increasing.

import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonOf } from '../api/http.ts';
import type { KubeObject, Store } from '../store/store.ts';
import { isObject, text } from '../util/json.ts';

export interface Snapshot {
  name: string;
  resourceVersion: number;
  savedAt: string;
  objects: { key: string; object: KubeObject }[];
}

const FILE = 'state.ndjson';

export async function loadSnapshot(dir: string): Promise<Snapshot | undefined> {
  let content: string;
  try {
    content = await readFile(join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const lines = content.split('\n').filter((l) => l.trim() !== '');
  const header: unknown = JSON.parse(lines[0] ?? '{}');
  if (!isObject(header) || header.format !== 'satusky-sim/v1') throw new Error(`${join(dir, FILE)} is not a satusky-sim snapshot`);
  const objects: Snapshot['objects'] = [];
  for (const line of lines.slice(1)) {
    const entry: unknown = JSON.parse(line);
    if (isObject(entry) && typeof entry.k === 'string' && isObject(entry.o)) objects.push({ key: entry.k, object: entry.o as KubeObject });
  }
  return { name: text(header.name ?? ''), resourceVersion: Number(header.resourceVersion ?? 0), savedAt: text(header.savedAt ?? ''), objects };
}

export class Persistence {
  readonly #dir: string;
  readonly #store: Store;
  readonly #name: string;
  readonly #debounceMs: number;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;
  #dirty = false;
  #unsubscribe: (() => void) | undefined;

  constructor(dir: string, store: Store, name: string, debounceMs: number, onError: (err: unknown) => void) {
    this.#dir = dir;
    this.#store = store;
    this.#name = name;
    this.#debounceMs = debounceMs;
    this.#onError = onError;
  }

  start(): void {
    this.#unsubscribe ??= this.#store.subscribe(() => this.#markDirty());
  }

  #markDirty(): void {
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.save().catch(this.#onError);
    }, this.#debounceMs);
    this.#timer.unref();
  }

  /** Writes a snapshot now (waits for one in progress first). */
  async save(): Promise<void> {
    while (this.#saving) await this.#saving;
    this.#dirty = false;
    this.#saving = this.#write().finally(() => {
      this.#saving = undefined;
    });
    await this.#saving;
  }

  async #write(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const target = join(this.#dir, FILE);
    const tmp = `${target}.${process.pid}.tmp`;
    // Collected synchronously so the snapshot is consistent; object JSON is cached and shared.
    const header = { format: 'satusky-sim/v1', name: this.#name, resourceVersion: this.#store.resourceVersion, savedAt: new Date().toISOString() };
    const lines: string[] = [`${JSON.stringify(header)}\n`];
    for (const { rt, object } of this.#store.all()) {
      if (!rt.virtual) lines.push(`{"k":${JSON.stringify(rt.key)},"o":${jsonOf(object)}}\n`);
    }
    const fh = await open(tmp, 'w', 0o600);
    try {
      let chunk = '';
      for (const line of lines) {
        chunk += line;
        if (chunk.length > 1 << 20) {
          await fh.write(chunk);
          chunk = '';
        }
      }
      await fh.write(chunk);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  }

  /** Stops listening and flushes a final snapshot. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.save();
  }

  get dirty(): boolean {
    return this.#dirty;
  }
}
