import { createInterface } from 'node:readline/promises';
import { runCli } from './cli.ts';
import { configDir, ProfileStore } from './profiles.ts';
import type { CliDeps } from './session.ts';

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal without echoing it, or the first line of piped stdin. */
async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return (await readAllStdin()).split(/\r?\n/)[0] ?? '';
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  let value = '';
  try {
    for await (const chunk of stdin) {
      for (const char of (chunk as Buffer).toString('utf8')) {
        if (char === '\r' || char === '\n') return value;
        if (char === '\u0003') throw new Error('interrupted');
        if (char === '\u007f') value = value.slice(0, -1);
        else value += char;
      }
    }
    return value;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

// Ctrl-C ends follow/stream/watch commands cleanly; a second one exits at once.
const interrupted = new AbortController();
process.once('SIGINT', () => {
  interrupted.abort();
  process.once('SIGINT', () => process.exit(130));
});

const deps: CliDeps = {
  signal: interrupted.signal,
  env: process.env,
  io: { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
  store: new ProfileStore(configDir(process.env)),
  readSecret,
  confirm,
};

process.exitCode = await runCli(process.argv.slice(2), deps);
