import { Command } from 'commander';
import { renderTable } from '../output.ts';
import { CliError, DEFAULT_API_URL, type CliDeps } from '../session.ts';
import { PROFILE_NAME_PATTERN } from '../profiles.ts';
import { withSession } from './shared.ts';

export function profileCommand(deps: CliDeps): Command {
  const profile = new Command('profile').description('Named API endpoints and credentials');

  profile
    .command('create <name>')
    .description('Create a profile for an API URL')
    .option('--url <url>', 'the API URL', DEFAULT_API_URL)
    .action(
      withSession(deps, async (session, name: string, options: { url: string }) => {
        if (!PROFILE_NAME_PATTERN.test(name)) throw new CliError(`invalid profile name "${name}"`, 2);
        try {
          new URL(options.url);
        } catch {
          throw new CliError(`--url: "${options.url}" is not a URL`, 2);
        }
        if (await deps.store.read(name)) throw new CliError(`profile "${name}" already exists`);
        await deps.store.write(name, { api_url: options.url });
        session.io.out(`Created profile "${name}" (${options.url}). Use it with: 1ctl profile use ${name}`);
      }),
    );

  profile
    .command('use <name>')
    .description('Make a profile the active one')
    .action(
      withSession(deps, async (session, name: string) => {
        const found = await deps.store.read(name);
        if (!found) throw new CliError(`no profile "${name}"`);
        await deps.store.setActive(name);
        session.io.out(`Active profile: ${name} (${found.api_url})`);
      }),
    );

  profile
    .command('list')
    .description('List profiles')
    .action(
      withSession(deps, async (session) => {
        const active = await deps.store.active();
        const rows = await Promise.all(
          (await deps.store.list()).map(async (name) => ({ name, active: name === active, profile: await deps.store.read(name) })),
        );
        if (session.json) {
          session.io.out(
            JSON.stringify(
              rows.map((r) => ({ name: r.name, active: r.active, api_url: r.profile?.api_url ?? null, org: r.profile?.organization ?? null, logged_in: Boolean(r.profile?.token) })),
              null,
              2,
            ),
          );
          return;
        }
        session.io.out(
          renderTable(rows, [
            { header: 'ACTIVE', value: (r) => (r.active ? '*' : ' ') },
            { header: 'NAME', value: (r) => r.name },
            { header: 'API URL', value: (r) => r.profile?.api_url },
            { header: 'ORG', value: (r) => r.profile?.organization },
            { header: 'LOGGED IN', value: (r) => (r.profile?.token ? 'yes' : 'no') },
          ]),
        );
      }),
    );

  profile
    .command('current')
    .description('Show the profile in use and its resolved API URL')
    .action(
      withSession(deps, async (session) => {
        if (session.json) session.io.out(JSON.stringify({ name: session.profileName, api_url: session.apiUrl }, null, 2));
        else session.io.out(`${session.profileName} (${session.apiUrl})`);
      }),
    );

  profile
    .command('delete <name>')
    .description('Delete a profile and the credentials it holds')
    .action(
      withSession(deps, async (session, name: string) => {
        if (!(await deps.store.delete(name))) throw new CliError(`no profile "${name}"`);
        session.io.out(`Deleted profile "${name}".`);
      }),
    );

  return profile;
}
