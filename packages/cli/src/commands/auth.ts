import { Command } from 'commander';
import { ApiError } from '@satusky/contracts/client';
import { renderDetails } from '../output.ts';
import { CliError, maskToken, type CliDeps } from '../session.ts';
import { withSession } from './shared.ts';

export function authCommand(deps: CliDeps): Command {
  const auth = new Command('auth').description('Log in, log out and show the credentials in use');

  auth
    .command('login')
    .description('Store credentials in the profile: a token (--token or SATUSKY_API_KEY) or email and password')
    .option('--token <token>', 'an API token (default: SATUSKY_API_KEY)')
    .option('--email <email>', 'sign in with email and password instead (prompts for the password)')
    .option('--org <org>', 'with --email: the organization (id or slug) the new token acts in')
    .option('--password-stdin', 'with --email: read the password from standard input')
    .action(
      withSession(deps, async (session, options: { token?: string; email?: string; org?: string; passwordStdin?: boolean }) => {
        let token = options.token ?? session.deps.env.SATUSKY_API_KEY;
        if (options.email) {
          const password = await session.deps.readSecret('Password: ');
          if (!password) throw new CliError('A password is required.');
          const result = await session.makeClient(undefined).passwordLogin({
            email: options.email,
            password,
            ...(options.org ? { organization: options.org } : {}),
            token_name: '1ctl login',
          });
          token = result.token.token;
        }
        if (!token) throw new CliError('Pass --token <token>, set SATUSKY_API_KEY, or use --email.', 2);
        let me;
        try {
          me = await session.makeClient(token).me();
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) throw new CliError(`Login failed: ${error.message}`);
          throw error;
        }
        await session.saveProfile({
          ...(session.profile ?? {}),
          api_url: session.apiUrl,
          token,
          email: me.user.email,
          user_id: me.user.id,
          current_org_id: me.organization.organization_id,
          current_org_name: me.organization.organization_name,
          organization: me.organization.organization_slug,
        });
        if (session.json) {
          session.io.out(JSON.stringify({ user: me.user, organization: me.organization, profile: session.profileName }, null, 2));
        } else {
          session.io.out(`Logged in as ${me.user.email} (org: ${me.organization.organization_slug}) — profile "${session.profileName}"`);
        }
      }),
    );

  auth
    .command('logout')
    .description('Forget the token in the profile (use --revoke to also delete it on the server)')
    .option('--revoke', 'delete the token on the server before forgetting it')
    .action(
      withSession(deps, async (session, options: { revoke?: boolean }) => {
        if (!session.profile?.token) {
          session.io.out(`Profile "${session.profileName}" holds no token.`);
          return;
        }
        if (options.revoke) {
          const client = session.makeClient(session.profile.token);
          const me = await client.me();
          await client.deleteToken(me.organization.organization_id, me.token.id);
        }
        const { token: _token, org_tokens: _others, ...rest } = session.profile;
        await session.saveProfile(rest);
        session.io.out(options.revoke ? 'Token revoked and forgotten.' : `Logged out of profile "${session.profileName}" (the token itself still works until revoked).`);
      }),
    );

  auth
    .command('status')
    .description('Show the credentials in use and whether the server accepts them')
    .action(
      withSession(deps, async (session) => {
        const local = {
          profile: session.profileName,
          api_url: session.apiUrl,
          token_source: session.tokenSource,
          token: maskToken(session.token),
          user_id: session.profile?.user_id ?? null,
          email: session.profile?.email ?? null,
          org_id: session.profile?.current_org_id ?? null,
          org: session.profile?.organization ?? null,
        };
        if (!session.token) {
          if (session.json) session.io.out(JSON.stringify({ ...local, logged_in: false }, null, 2));
          else session.io.out(`Not logged in (profile "${session.profileName}", ${session.apiUrl}). Run: 1ctl auth login --token <token>`);
          throw new CliError('', 1);
        }
        let server: { reachable: boolean; valid: boolean | null; message: string };
        try {
          const me = await session.client().me();
          server = { reachable: true, valid: true, message: `token valid for ${me.user.email} in ${me.organization.organization_slug}` };
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) server = { reachable: true, valid: false, message: error.message };
          else server = { reachable: false, valid: null, message: (error as Error).message };
        }
        if (session.json) {
          session.io.out(JSON.stringify({ ...local, logged_in: true, server }, null, 2));
        } else {
          session.io.out(
            renderDetails([
              ['Profile', `${local.profile} (${local.api_url})`],
              ['User', local.email ? `${local.email} (${local.user_id})` : local.user_id],
              ['Org', local.org ? `${local.org} (${local.org_id})` : local.org_id],
              ['Token', `${local.token} (from ${local.token_source})`],
              ['Server', server.message],
            ]),
          );
        }
        if (server.valid === false) throw new CliError('', 1);
      }),
    );

  return auth;
}
