import { Command } from 'commander';
import type { ApiToken } from '@satusky/contracts';
import { relativeTime, renderDetails, renderTable } from '../output.ts';
import type { CliDeps, Session } from '../session.ts';
import { confirmOrExit, parsePositiveInt, withSession } from './shared.ts';

function tokenTable(tokens: ApiToken[]): string {
  return renderTable(tokens, [
    { header: 'ID', value: (t) => t.id },
    { header: 'NAME', value: (t) => t.name },
    { header: 'OWNER', value: (t) => t.user_email },
    { header: 'TOKEN', value: (t) => t.hint },
    { header: 'STATUS', value: (t) => t.status },
    { header: 'EXPIRES', value: (t) => (t.expires_at ? relativeTime(t.expires_at) : 'never') },
    { header: 'LAST USED', value: (t) => relativeTime(t.last_used_at) },
  ]);
}

function tokenDetails(t: ApiToken): string {
  return renderDetails([
    ['ID', t.id],
    ['Name', t.name],
    ['Owner', t.user_email],
    ['Token', t.hint],
    ['Status', t.status],
    ['Expires', t.expires_at ?? 'never'],
    ['Last used', t.last_used_at],
    ['Created', t.created_at],
  ]);
}

async function setEnabled(session: Session, id: string, enabled: boolean): Promise<void> {
  const token = await session.client().updateToken(await session.orgId(), id, { enabled });
  session.io.out(session.json ? JSON.stringify(token, null, 2) : `Token ${token.name} is now ${token.status}.`);
}

export function tokenCommand(deps: CliDeps): Command {
  const token = new Command('token').description('API tokens for the organization your credentials act in');

  token
    .command('create <name>')
    .description('Create a token (its value is shown once)')
    .option('--expires <days>', 'days until it expires; 0 = never', '0')
    .action(
      withSession(deps, async (session, name: string, options: { expires: string }) => {
        const created = await session.client().createToken(await session.orgId(), {
          name,
          expires_in_days: parsePositiveInt(options.expires, '--expires'),
        });
        if (session.json) {
          session.io.out(JSON.stringify(created, null, 2));
          return;
        }
        session.io.out(tokenDetails(created));
        session.io.out(`\nToken (shown once, store it now): ${created.token}`);
      }),
    );

  token
    .command('list')
    .description('Your tokens (admins: --all for everyone’s)')
    .option('--all', "every member's tokens (admins only)")
    .action(
      withSession(deps, async (session, options: { all?: boolean }) => {
        const tokens = await session.client().listTokens(await session.orgId(), { all: options.all ?? false });
        session.io.out(session.json ? JSON.stringify(tokens, null, 2) : tokenTable(tokens));
      }),
    );

  token
    .command('get <id>')
    .description('Show one token')
    .action(
      withSession(deps, async (session, id: string) => {
        const t = await session.client().getToken(await session.orgId(), id);
        session.io.out(session.json ? JSON.stringify(t, null, 2) : tokenDetails(t));
      }),
    );

  token
    .command('enable <id>')
    .description('Enable a token')
    .action(withSession(deps, async (session, id: string) => setEnabled(session, id, true)));

  token
    .command('disable <id>')
    .description('Disable a token; it is refused from the next request on')
    .action(withSession(deps, async (session, id: string) => setEnabled(session, id, false)));

  token
    .command('delete <id>')
    .alias('rm')
    .description('Delete a token')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      withSession(deps, async (session, id: string, options: { yes?: boolean }) => {
        await confirmOrExit(session, options.yes, `Delete token ${id}?`);
        const result = await session.client().deleteToken(await session.orgId(), id);
        session.io.out(session.json ? JSON.stringify(result, null, 2) : `Deleted token ${result.id}.`);
      }),
    );

  return token;
}
