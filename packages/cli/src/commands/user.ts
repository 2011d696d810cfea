import { Command } from 'commander';
import { renderDetails, renderTable } from '../output.ts';
import { CliError, type CliDeps } from '../session.ts';
import { withSession } from './shared.ts';

export function userCommand(deps: CliDeps): Command {
  const user = new Command('user').description('Your account');

  user
    .command('me')
    .alias('info')
    .description('Who you are, and your organizations and roles')
    .action(
      withSession(deps, async (session) => {
        const me = await session.client().me();
        if (session.json) {
          session.io.out(JSON.stringify(me, null, 2));
          return;
        }
        session.io.out(
          renderDetails([
            ['User', `${me.user.email}${me.user.name ? ` (${me.user.name})` : ''}`],
            ['User ID', me.user.id],
            ['Platform admin', me.user.is_platform_admin ? 'yes' : 'no'],
            ['Acting in', `${me.organization.organization_slug} as ${me.organization.role}`],
            ['Token', `${me.token.name} (expires ${me.token.expires_at ?? 'never'})`],
          ]),
        );
        session.io.out('');
        session.io.out(
          renderTable(me.memberships, [
            { header: 'ORG', value: (m) => m.organization_slug },
            { header: 'NAME', value: (m) => m.organization_name },
            { header: 'ROLE', value: (m) => m.role },
            { header: 'NAMESPACE', value: (m) => m.namespace },
          ]),
        );
      }),
    );

  user
    .command('password')
    .description('Set or change your password for email sign-in (reads it from the terminal or stdin)')
    .action(
      withSession(deps, async (session) => {
        const me = await session.client().me();
        const current = me.user.has_password ? await session.deps.readSecret('Current password: ') : undefined;
        const next = await session.deps.readSecret('New password (12+ characters): ');
        if (next.length < 12) throw new CliError('The new password needs at least 12 characters.', 2);
        await session.client().changePassword({ new_password: next, ...(current ? { current_password: current } : {}) });
        session.io.out('Password changed.');
      }),
    );

  return user;
}
