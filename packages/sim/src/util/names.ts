import { createHash, randomBytes, randomUUID } from 'node:crypto';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

// Random bytes are drawn from a pool: one system call per 4 KiB instead of one per name.
let pool = Buffer.alloc(0);
let poolOffset = 0;

function random(length: number): Buffer {
  if (poolOffset + length > pool.length) {
    pool = randomBytes(Math.max(4096, length));
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

/** Random suffix as the apiserver generates for `generateName` (5 characters). */
export function randomSuffix(length = 5): string {
  const bytes = random(length);
  let out = '';
  for (const b of bytes) out += SAFE[b % SAFE.length];
  return out;
}

export function uid(): string {
  return randomUUID();
}

/** A stable short hash in the safe alphabet, like the pod-template-hash label. */
export function safeHash(input: string, length = 10): string {
  const digest = createHash('sha256').update(input).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE[(digest[i] ?? 0) % SAFE.length];
  return out;
}

export function hex(length: number): string {
  return random(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

/** Deterministic pseudo-random number in [0, 1) from a string seed (for simulated metrics). */
export function seededUnit(seed: string): number {
  const d = createHash('sha1').update(seed).digest();
  return d.readUInt32BE(0) / 0x1_0000_0000;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Subdomain(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}
