// world.json: written into the data directory while a world runs, so the CLI (and other tools) can
// find its control API, DNS, ports, zones and root CA. Kept light: the CLI imports it without
// loading the simulator.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostPort } from './options.ts';
import { errorMessage, isObject } from './util/json.ts';

export const STATE_FILE = 'world.json';

/** What `world.json` (in the data directory) holds: how to reach the world, and whether it runs. */
export interface WorldStateFile {
  format: 'satusky-world/v1';
  /** False once the world stopped (the file stays: the next start reuses the zones' API ports). */
  running: boolean;
  pid: number;
  startedAt: string;
  stoppedAt?: string;
  controlUrl: string;
  dns: HostPort;
  httpPort: number;
  httpsPort: number;
  rootCaPath: string;
  parkedAddress: string;
  platformZone: { domain: string; upstream: HostPort | null } | null;
  zones: { name: string; zone: string; displayName: string; edgeAddress: string; apiUrl: string; apiPort: number }[];
}

export async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path} is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
}

/** Reads `world.json` from a data directory (undefined when absent). */
export async function readStateFile(dataDir: string): Promise<WorldStateFile | undefined> {
  const data = await readJson(join(dataDir, STATE_FILE));
  if (!isObject(data)) return undefined;
  if (data.format !== 'satusky-world/v1') throw new Error(`${join(dataDir, STATE_FILE)} is not a satusky-world state file`);
  return data as unknown as WorldStateFile;
}

