import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * One switch sizes every reliability and security suite: `SATUSKY_SUITE=full` (what `npm run chaos`
 * sets) runs the full versions; anything else runs the short ones that `npm test` and CI run.
 */
export const SUITE: 'short' | 'full' = process.env.SATUSKY_SUITE === 'full' ? 'full' : 'short';
export const FULL = SUITE === 'full';

/** Which database the run uses (as test/helpers.ts decides). */
export const DB_KIND: 'postgres' | 'pglite' = process.env.DATABASE_URL ? 'postgres' : 'pglite';

/** The short or the full value of a size, count or duration. */
export function sized<T>(short: T, full: T): T {
  return FULL ? full : short;
}

const RESULTS_DIR = path.resolve(import.meta.dirname, '../../../../test-results/figures');

/**
 * Prints the figures a suite measured (so a chaos run shows them) and keeps them as JSON under
 * test-results/figures/ (git-ignored), one file per suite, size and database.
 */
export function reportFigures(suite: string, figures: Record<string, unknown>): void {
  const record = { suite, size: SUITE, database: DB_KIND, at: new Date().toISOString(), ...figures };
  process.stdout.write(`[figures] ${suite} (${SUITE}, ${DB_KIND}): ${JSON.stringify(figures)}\n`);
  try {
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, `${suite}.${SUITE}.${DB_KIND}.json`), `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`[figures] could not write ${suite}: ${String(error)}\n`);
  }
}

/** Percentile (nearest rank) of a list of numbers; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** A seeded PRNG (mulberry32), so a chaos run's random choices can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `SATUSKY_SEED` to replay one, else fresh (and reported with the figures). */
export const SEED = process.env.SATUSKY_SEED ? Number(process.env.SATUSKY_SEED) : Math.floor(Math.random() * 2 ** 31);
