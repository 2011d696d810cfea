import { Command } from 'commander';
import { renderTable, relativeTime } from '../output.ts';
import { CliError, type CliDeps } from '../session.ts';
import { resolveAppName } from './app.ts';
import { withSession } from './shared.ts';

function pairs(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of values) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new CliError(`expected KEY=VALUE, got "${entry}"`, 2);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function changeMessage(kind: string, result: { changed: boolean; release: number | null; keys: string[] }): string {
  if (!result.changed) return `No ${kind} changed.`;
  return `Changed ${result.keys.join(', ')}${result.release ? `: release ${result.release} rolls out` : ' (applied with the first deploy)'}.`;
}

export function envCommand(deps: CliDeps, cwd: () => string): Command {
  const env = new Command('env').alias('environment').alias('config').description('Environment variables of an app (not secret; changes make a release)');

  env
    .command('set <KEY=VALUE...>')
    .alias('create')
    .description('Set variables')
    .option('-a, --app <app>', 'the app (default: satusky.toml)')
    .action(
      withSession(deps, async (session, values: string[], options: { app?: string }) => {
        const app = await resolveAppName(cwd(), options.app);
        const result = await session.client().patchEnv(await session.orgId(), app, { set: pairs(values) });
        session.io.out(session.json ? JSON.stringify(result, null, 2) : changeMessage('variables', result));
      }),
    );

  env
    .command('list')
    .alias('ls')
    .description('Variables and their values')
    .option('-a, --app <app>', 'the app')
    .action(
      withSession(deps, async (session, options: { app?: string }) => {
        const app = await resolveAppName(cwd(), options.app);
        const result = await session.client().getEnv(await session.orgId(), app);
        session.io.out(session.json ? JSON.stringify(result, null, 2) : renderTable(result.items, [{ header: 'KEY', value: (e) => e.key }, { header: 'VALUE', value: (e) => e.value }]));
      }),
    );

  env
    .command('unset')
    .description('Remove variables')
    .option('-a, --app <app>', 'the app')
    .requiredOption('-k, --key <KEY>', 'a variable to remove (repeatable)', collect)
    .action(
      withSession(deps, async (session, options: { app?: string; key: string[] }) => {
        const app = await resolveAppName(cwd(), options.app);
        const result = await session.client().patchEnv(await session.orgId(), app, { unset: options.key });
        session.io.out(session.json ? JSON.stringify(result, null, 2) : changeMessage('variables', result));
      }),
    );
  return env;
}

export function secretCommand(deps: CliDeps, cwd: () => string): Command {
  const secret = new Command('secret').alias('secrets').description('Secrets of an app: encrypted at rest, delivered as a Kubernetes Secret, never shown again');

  secret
    .command('create [KEY=VALUE...]')
    .alias('set')
    .description('Set secrets (values also from --kv; reading from stdin with --stdin KEY)')
    .option('-a, --app <app>', 'the app (default: satusky.toml)')
    .option('--kv <KEY=VALUE>', 'a secret (repeatable)', collect)
    .option('--stdin <KEY>', 'read the value of KEY from standard input (keeps it out of shell history)')
    .action(
      withSession(deps, async (session, values: string[] | undefined, options: { app?: string; kv?: string[]; stdin?: string }) => {
        const app = await resolveAppName(cwd(), options.app);
        const set = pairs([...(values ?? []), ...(options.kv ?? [])]);
        if (options.stdin) set[options.stdin] = await session.deps.readSecret(`${options.stdin}: `);
        if (Object.keys(set).length === 0) throw new CliError('nothing to set: pass KEY=VALUE', 2);
        const result = await session.client().patchSecrets(await session.orgId(), app, { set });
        session.io.out(session.json ? JSON.stringify(result, null, 2) : changeMessage('secrets', result));
      }),
    );

  secret
    .command('list')
    .alias('ls')
    .description('Secret names (values are never shown)')
    .option('-a, --app <app>', 'the app')
    .action(
      withSession(deps, async (session, options: { app?: string }) => {
        const app = await resolveAppName(cwd(), options.app);
        const result = await session.client().listSecrets(await session.orgId(), app);
        session.io.out(
          session.json
            ? JSON.stringify(result, null, 2)
            : renderTable(result.items, [
                { header: 'KEY', value: (s) => s.key },
                { header: 'VERSION', value: (s) => s.version },
                { header: 'UPDATED', value: (s) => relativeTime(s.updated_at) },
              ]),
        );
      }),
    );

  secret
    .command('unset')
    .alias('delete')
    .description('Remove secrets')
    .option('-a, --app <app>', 'the app')
    .requiredOption('-k, --key <KEY>', 'a secret to remove (repeatable)', collect)
    .action(
      withSession(deps, async (session, options: { app?: string; key: string[] }) => {
        const app = await resolveAppName(cwd(), options.app);
        const result = await session.client().patchSecrets(await session.orgId(), app, { unset: options.key });
        session.io.out(session.json ? JSON.stringify(result, null, 2) : changeMessage('secrets', result));
      }),
    );
  return secret;
}
