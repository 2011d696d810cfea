import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { LOG_REDACT_PATHS } from './core/redact.ts';

export interface LoggerOptions {
  level: string;
  /** When set, everything at `level` goes to this file and only warnings reach stdout. */
  file?: string;
  /** For tests: write everything here instead. */
  stream?: NodeJS.WritableStream;
  /** With `file`: also show warnings on stdout (default true). */
  warningsToStdout?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' },
    base: { service: 'satusky' },
  };
  if (options.stream) return pino(base, options.stream);
  if (options.file) {
    mkdirSync(path.dirname(options.file), { recursive: true });
    return pino(
      base,
      pino.multistream([
        { level: options.level, stream: createWriteStream(options.file, { flags: 'a' }) },
        ...(options.warningsToStdout === false ? [] : [{ level: 'warn' as const, stream: process.stdout }]),
      ]),
    );
  }
  return pino(base);
}
