import { Command, CommanderError, Option } from 'commander';
import { ApiError } from '@satusky/contracts/client';
import { appCommand } from './commands/app.ts';
import { auditCommand } from './commands/audit.ts';
import { clusterCommand } from './commands/cluster.ts';
import { envCommand, secretCommand } from './commands/config.ts';
import { deployCommand } from './commands/deploy.ts';
import { domainsCommand } from './commands/domains.ts';
import { initCommand } from './commands/init.ts';
import { logsCommand } from './commands/logs.ts';
import { authCommand } from './commands/auth.ts';
import { orgCommand } from './commands/org.ts';
import { profileCommand } from './commands/profile.ts';
import { tokenCommand } from './commands/token.ts';
import { userCommand } from './commands/user.ts';
import { CliError, type CliDeps } from './session.ts';

export const VERSION = '0.1.0';

export function buildProgram(deps: CliDeps): Command {
  const program = new Command('1ctl')
    .description('Satusky: deploy and operate apps across zones')
    .version(VERSION, '-v, --version')
    .option('--api-url <url>', 'the Satusky API URL (env SATUSKY_API_URL)')
    .option('-p, --profile <name>', 'the profile to use (env SATUSKY_PROFILE)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => deps.io.out(text.replace(/\n$/, '')),
      writeErr: (text) => deps.io.err(text.replace(/\n$/, '')),
    })
    .exitOverride();

  const cwd = () => deps.cwd?.() ?? process.cwd();
  for (const command of [
    initCommand(deps, cwd),
    deployCommand(deps, cwd),
    appCommand(deps, cwd),
    domainsCommand(deps, cwd),
    logsCommand(deps, cwd),
    envCommand(deps, cwd),
    secretCommand(deps, cwd),
    clusterCommand(deps),
    authCommand(deps),
    profileCommand(deps),
    orgCommand(deps),
    tokenCommand(deps),
    userCommand(deps),
    auditCommand(deps),
  ]) {
    program.addCommand(command);
  }
  // Subcommands inherit the error handling and output routing of the root.
  const configure = (command: Command): void => {
    command.exitOverride().configureOutput({
      writeOut: (text) => deps.io.out(text.replace(/\n$/, '')),
      writeErr: (text) => deps.io.err(text.replace(/\n$/, '')),
    });
    command.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/**
 * Runs 1ctl with `argv` (without the node and script names) and answers the exit code:
 * 0 success, 1 failure (the server's message and code on stderr), 2 usage error.
 */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      if (error.message) deps.io.err(`Error: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof ApiError) {
      const where = error.requestId ? `, request ${error.requestId}` : '';
      deps.io.err(`Error: ${error.message} (${error.code}${where})`);
      if (error.retryAfterSeconds) deps.io.err(`Retry after ${error.retryAfterSeconds}s.`);
      if (Array.isArray(error.details)) {
        for (const d of error.details as { path?: string; message?: string }[]) {
          if (d.message) deps.io.err(`  ${d.path || '(body)'}: ${d.message}`);
        }
      }
      return 1;
    }
    deps.io.err(`Error: ${(error as Error).message}`);
    return 1;
  }
}
