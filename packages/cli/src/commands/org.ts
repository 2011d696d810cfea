import { Command } from 'commander';
import type { Member, Organization } from '@satusky/contracts';
import { relativeTime, renderDetails, renderTable } from '../output.ts';
import { CliError, type CliDeps, type Session } from '../session.ts';
import { confirmOrExit, withSession } from './shared.ts';

function orgTable(orgs: Organization[]): string {
  return renderTable(orgs, [
    { header: 'ACTIVE', value: (o) => (o.current ? '*' : ' ') },
    { header: 'ORG ID', value: (o) => o.id },
    { header: 'NAME', value: (o) => o.name },
    { header: 'SLUG', value: (o) => o.slug },
    { header: 'NAMESPACE', value: (o) => o.namespace },
    { header: 'ROLE', value: (o) => o.role },
  ]);
}

function memberTable(members: Member[]): string {
  return renderTable(members, [
    { header: 'MEMBER ID', value: (m) => m.id },
    { header: 'EMAIL', value: (m) => m.email },
    { header: 'NAME', value: (m) => m.name },
    { header: 'ROLE', value: (m) => m.role },
    { header: 'JOINED', value: (m) => relativeTime(m.created_at) },
  ]);
}

function parseRole(role: string): 'admin' | 'member' {
  if (role !== 'admin' && role !== 'member') throw new CliError('--role must be "admin" or "member"', 2);
  return role;
}

async function findOrg(session: Session, ref: string): Promise<Organization> {
  const orgs = await session.client().listOrganizations();
  const org = orgs.find((o) => o.id === ref || o.slug === ref || o.name === ref);
  if (!org) throw new CliError(`You are not a member of an organization "${ref}" (see: 1ctl org list).`);
  return org;
}

export function orgCommand(deps: CliDeps): Command {
  const org = new Command('org').alias('organization').description('Organizations and their teams');

  org
    .command('list')
    .description('Organizations you belong to (* marks the one your token acts in)')
    .action(
      withSession(deps, async (session) => {
        const orgs = await session.client().listOrganizations();
        session.io.out(session.json ? JSON.stringify(orgs, null, 2) : orgTable(orgs));
      }),
    );

  org
    .command('current')
    .description('The organization the credentials act in')
    .action(
      withSession(deps, async (session) => {
        const current = await session.client().getOrganization(await session.orgId());
        session.io.out(session.json ? JSON.stringify(current, null, 2) : `${current.name} (${current.slug}, ${current.id})`);
      }),
    );

  org
    .command('switch <org>')
    .description('Act in another organization (by name, slug or id), using a token the profile holds for it')
    .action(
      withSession(deps, async (session, ref: string) => {
        const target = await findOrg(session, ref);
        const profile = session.profile;
        if (!profile?.token || session.tokenSource !== 'profile') {
          throw new CliError('org switch changes the profile; it cannot switch a token given by SATUSKY_API_KEY.');
        }
        if (target.current) {
          session.io.out(`Already acting in ${target.slug}.`);
          return;
        }
        const stored = profile.org_tokens?.[target.id];
        if (!stored) {
          throw new CliError(
            `The profile holds no token for ${target.slug}. Tokens are scoped to one organization: sign in to it with ` +
              `\`1ctl auth login --email ${profile.email ?? '<email>'} --org ${target.slug}\` or \`1ctl auth login --token <token for ${target.slug}>\`.`,
          );
        }
        const me = await session.makeClient(stored.token).me();
        const orgTokens = { ...(profile.org_tokens ?? {}) };
        delete orgTokens[target.id];
        if (profile.current_org_id && profile.organization) {
          orgTokens[profile.current_org_id] = { token: profile.token, name: profile.current_org_name ?? profile.organization, slug: profile.organization };
        }
        await session.saveProfile({
          ...profile,
          token: stored.token,
          current_org_id: me.organization.organization_id,
          current_org_name: me.organization.organization_name,
          organization: me.organization.organization_slug,
          org_tokens: orgTokens,
        });
        session.io.out(`Now acting in ${me.organization.organization_name} (${me.organization.organization_slug}).`);
      }),
    );

  org
    .command('create <name>')
    .description('Create an organization; you become its admin')
    .option('--slug <slug>', 'DNS-1123 slug (default: derived from the name)')
    .option('--description <text>', 'a description')
    .option('--switch', 'act in the new organization right away')
    .action(
      withSession(deps, async (session, name: string, options: { slug?: string; description?: string; switch?: boolean }) => {
        const created = await session.client().createOrganization({
          name,
          ...(options.slug ? { slug: options.slug } : {}),
          ...(options.description ? { description: options.description } : {}),
        });
        // Keep the new org's token so `org switch` can use it later.
        if (session.tokenSource === 'profile' && session.profile) {
          const profile = session.profile;
          const orgTokens = { ...(profile.org_tokens ?? {}) };
          orgTokens[created.organization.id] = { token: created.token.token, name: created.organization.name, slug: created.organization.slug };
          if (options.switch) {
            delete orgTokens[created.organization.id];
            if (profile.current_org_id && profile.token && profile.organization) {
              orgTokens[profile.current_org_id] = { token: profile.token, name: profile.current_org_name ?? profile.organization, slug: profile.organization };
            }
            await session.saveProfile({
              ...profile,
              token: created.token.token,
              current_org_id: created.organization.id,
              current_org_name: created.organization.name,
              organization: created.organization.slug,
              org_tokens: orgTokens,
            });
          } else {
            await session.saveProfile({ ...profile, org_tokens: orgTokens });
          }
        }
        if (session.json) {
          session.io.out(JSON.stringify(created, null, 2));
          return;
        }
        session.io.out(
          renderDetails([
            ['Created', `${created.organization.name} (${created.organization.slug})`],
            ['ID', created.organization.id],
            ['Namespace', created.organization.namespace],
          ]),
        );
        if (session.tokenSource === 'profile') {
          session.io.out(options.switch ? `Now acting in ${created.organization.slug}.` : `Switch to it with: 1ctl org switch ${created.organization.slug}`);
        } else {
          session.io.out(`Token for the new organization (shown once): ${created.token.token}`);
        }
      }),
    );

  org
    .command('delete <org>')
    .description('Delete the organization your token acts in (refused while it owns resources)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      withSession(deps, async (session, ref: string, options: { yes?: boolean }) => {
        await confirmOrExit(session, options.yes, `Delete organization ${ref} and its memberships and tokens?`);
        const result = await session.client().deleteOrganization(ref);
        session.io.out(session.json ? JSON.stringify(result, null, 2) : `Deleted organization ${result.organization.slug}.`);
      }),
    );

  const team = org.command('team').description('Members of the organization your token acts in');

  team
    .command('list')
    .description('List members')
    .action(
      withSession(deps, async (session) => {
        const members = await session.client().listMembers(await session.orgId());
        session.io.out(session.json ? JSON.stringify(members, null, 2) : memberTable(members));
      }),
    );

  team
    .command('add')
    .description('Add a member by email (a new account gets a one-time password, shown once)')
    .requiredOption('--email <email>', 'their email address')
    .option('--role <role>', 'admin or member', 'member')
    .option('--name <name>', 'their name, for a new account')
    .action(
      withSession(deps, async (session, options: { email: string; role: string; name?: string }) => {
        const result = await session.client().addMember(await session.orgId(), {
          email: options.email,
          role: parseRole(options.role),
          ...(options.name ? { name: options.name } : {}),
        });
        if (session.json) {
          session.io.out(JSON.stringify(result, null, 2));
          return;
        }
        session.io.out(`Added ${result.member.email} as ${result.member.role} (member id ${result.member.id}).`);
        if (result.initial_password) {
          session.io.out(`New account. One-time password (shown once): ${result.initial_password}`);
          session.io.out(`They sign in with: 1ctl auth login --email ${result.member.email}`);
        }
      }),
    );

  team
    .command('role <memberId>')
    .description("Change a member's role")
    .requiredOption('--role <role>', 'admin or member')
    .action(
      withSession(deps, async (session, memberId: string, options: { role: string }) => {
        const member = await session.client().changeMemberRole(await session.orgId(), memberId, parseRole(options.role));
        session.io.out(session.json ? JSON.stringify(member, null, 2) : `${member.email} is now ${member.role}.`);
      }),
    );

  team
    .command('remove <memberId>')
    .alias('rm')
    .alias('delete')
    .description('Remove a member (their tokens for this organization stop working)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      withSession(deps, async (session, memberId: string, options: { yes?: boolean }) => {
        await confirmOrExit(session, options.yes, `Remove member ${memberId}?`);
        const result = await session.client().removeMember(await session.orgId(), memberId);
        session.io.out(session.json ? JSON.stringify(result, null, 2) : `Removed ${result.removed.email}.`);
      }),
    );

  return org;
}
