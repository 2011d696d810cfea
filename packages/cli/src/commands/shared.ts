import type { Command } from 'commander';
import { CliError, Session, type CliDeps, type GlobalOptions } from '../session.ts';

/**
 * Wraps a commander action: resolves the session from the global flags, then calls `fn` with the
 * action's own arguments (positionals, then the command's options), without the Command object.
 */
export function withSession<A extends unknown[]>(deps: CliDeps, fn: (session: Session, ...args: A) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const session = await Session.resolve(deps, command.optsWithGlobals<GlobalOptions>());
    await fn(session, ...(args.slice(0, -1) as A));
  };
}

/** Destructive commands ask first; without a terminal they need --yes. */
export async function confirmOrExit(session: Session, yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!(await session.deps.confirm(question))) throw new CliError('Aborted (pass --yes to skip this question).');
}

export function parsePositiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} must be a non-negative integer`, 2);
  return n;
}
