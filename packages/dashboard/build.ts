// Builds the dashboard when its sources changed.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The dashboard's production build, made when packages/dashboard/dist is missing or older than
 * anything it is built from (`npm start` and the browser tests' global setup both call it). The
 * build goes to a fresh directory that then replaces dist/ by rename, so a process serving the old
 * build never sees a half-written one.
 */
const root = import.meta.dirname;
const dist = path.join(root, 'dist');
const sources = [
  path.join(root, 'src'),
  path.join(root, 'public'),
  path.join(root, 'index.html'),
  path.join(root, 'vite.config.ts'),
  path.join(root, 'package.json'),
  // The typed client is bundled into the dashboard.
  path.resolve(root, '../contracts/src'),
];

async function newestMtime(target: string): Promise<number> {
  if (!existsSync(target)) return 0;
  const info = await stat(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(target)) newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  return newest;
}

export async function needsBuild(): Promise<boolean> {
  const index = path.join(dist, 'index.html');
  if (!existsSync(index)) return true;
  const built = (await stat(index)).mtimeMs;
  for (const source of sources) if ((await newestMtime(source)) > built) return true;
  return false;
}

export async function buildDashboard(): Promise<void> {
  const { build } = await import('vite');
  const temp = path.join(root, `.dist-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await build({ configFile: path.join(root, 'vite.config.ts'), root, logLevel: 'warn', build: { outDir: temp, emptyOutDir: true } });
    const old = `${temp}-old`;
    if (existsSync(dist)) await rename(dist, old);
    await rename(temp, dist);
    await rm(old, { recursive: true, force: true });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** `node packages/dashboard/build.ts`: build if needed (what `npm start` runs first). */
if (import.meta.main) {
  const started = Date.now();
  if (await needsBuild()) {
    await buildDashboard();
    console.log(`dashboard: built in ${Date.now() - started} ms`);
  }
}
