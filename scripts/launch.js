// Shared by the packages' bin launchers. Plain JavaScript on purpose: it must run on whatever Node
// started it, including versions that cannot strip TypeScript types.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const MIN_MAJOR = 24;

/** @param {URL} entryUrl */
export async function runEntry(entryUrl) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= MIN_MAJOR) {
    await import(entryUrl.href);
    return;
  }
  const require = createRequire(import.meta.url);
  let nodeBin;
  try {
    nodeBin = require.resolve('node/bin/node');
  } catch {
    console.error(`Satusky needs Node ${MIN_MAJOR}; run \`npm install\` in the repository first.`);
    process.exit(1);
  }
  const child = spawn(nodeBin, [fileURLToPath(entryUrl), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal ? 128 : 1));
  });
}
