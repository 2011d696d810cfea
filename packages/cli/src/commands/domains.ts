import { Command } from 'commander';
import { ApiError } from '@satusky/contracts/client';
import type { Domain, DomainCheck, DomainSetup } from '@satusky/contracts';
import { relativeTime, renderTable } from '../output.ts';
import { CliError, type CliDeps, type Session } from '../session.ts';
import { resolveAppName } from './app.ts';
import { confirmOrExit, withSession } from './shared.ts';

/** `domains check` exit codes: every fact passes, a fact fails, nothing fails but something is pending. */
export const CHECK_EXIT = { ok: 0, failed: 1, pending: 3 } as const;

export function printSetup(session: Session, setup: DomainSetup): void {
  session.io.out(`Create these DNS records at your DNS provider for ${setup.hostname}:\n`);
  session.io.out(
    renderTable(setup.records, [
      { header: 'TYPE', value: (r) => r.type },
      { header: 'NAME', value: (r) => r.name },
      { header: 'VALUE', value: (r) => r.value },
      { header: 'PURPOSE', value: (r) => r.purpose },
    ]),
  );
  for (const note of setup.notes) session.io.out(`\nnote: ${note}`);
}

const MARK: Record<string, string> = { pass: '✓', fail: '✗', pending: '…', unknown: '?' };

export function printCheck(session: Session, check: DomainCheck): void {
  session.io.out(`${check.hostname} (${check.kind === 'platform' ? 'generated hostname' : 'custom domain'}${check.app ? ` of ${check.app.name}` : ''}): ${check.ok ? 'OK' : 'NOT OK'}\n`);
  session.io.out(
    renderTable(check.facts, [
      { header: 'FACT', value: (f) => f.fact },
      { header: 'ZONE', value: (f) => f.zone },
      { header: 'STATUS', value: (f) => `${MARK[f.status] ?? ''} ${f.status}` },
      { header: 'REASON', value: (f) => f.reason },
      { header: 'OBSERVED', value: (f) => f.observed },
    ]),
  );
  const fixes = check.facts.filter((f) => f.status !== 'pass' && f.remediation);
  if (fixes.length > 0) {
    session.io.out('');
    for (const f of fixes) {
      session.io.out(`${MARK[f.status]} ${f.fact}${f.zone ? ` (${f.zone})` : ''}: ${f.reason}`);
      session.io.out(`    expected: ${f.expected}`);
      session.io.out(`    observed: ${f.observed}`);
      session.io.out(`    fix:      ${f.remediation}`);
    }
  }
}

export function checkExitCode(check: DomainCheck): number {
  if (check.facts.some((f) => f.status === 'fail')) return CHECK_EXIT.failed;
  if (check.facts.some((f) => f.status !== 'pass')) return CHECK_EXIT.pending;
  return CHECK_EXIT.ok;
}

/** Attaches each hostname that is not attached yet, and says what to create. For `deploy --domain`. */
export async function attachDomains(session: Session, org: string, app: string, hostnames: readonly string[]): Promise<Domain[]> {
  const client = session.client();
  const attached: Domain[] = [];
  for (const hostname of hostnames) {
    let domain: Domain;
    try {
      domain = await client.getDomain(org, hostname.toLowerCase());
      if (domain.app?.name !== app) throw new CliError(`${hostname} is attached to ${domain.app?.name ?? 'no app'}, not ${app}; remove it first (1ctl domains remove ${hostname}).`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'SATUSKY_DOMAIN_NOT_FOUND') throw error;
      domain = await client.addDomain(org, { hostname, app });
    }
    attached.push(domain);
    if (!session.json && domain.status === 'pending') {
      session.io.out('');
      printSetup(session, await client.domainSetup(org, domain.hostname));
      session.io.out(`Then check it: 1ctl domains check ${domain.hostname}`);
    }
  }
  return attached;
}

export function domainsCommand(deps: CliDeps, cwd: () => string): Command {
  const domains = new Command('domains').alias('domain').description('Custom domains: attach, prove ownership, check why one does not work');

  domains
    .command('list')
    .description('Custom domains of the organization (or of one app)')
    .option('--app <app>', 'only this app')
    .action(
      withSession(deps, async (session, options: { app?: string }) => {
        const items = await session.client().listDomains(await session.orgId(), options.app);
        if (session.json) return session.io.out(JSON.stringify(items, null, 2));
        if (items.length === 0) return session.io.out('No custom domains. Attach one: 1ctl domains add HOSTNAME --app APP');
        session.io.out(
          renderTable(items, [
            { header: 'HOSTNAME', value: (d) => d.hostname },
            { header: 'APP', value: (d) => d.app?.name },
            { header: 'STATUS', value: (d) => d.status },
            { header: 'ROUTE', value: (d) => (d.route_kind === 'ingress' ? 'Ingress' : 'HTTPRoute') },
            { header: 'WWW', value: (d) => (d.www_redirect ? `www → ${d.hostname}` : '') },
            { header: 'CHECKED', value: (d) => relativeTime(d.last_checked_at) },
            { header: 'LAST RESULT', value: (d) => d.last_check_error ?? (d.status === 'verified' ? 'verified' : '') },
          ]),
        );
      }),
    );

  domains
    .command('add <hostname>')
    .description('Attach a hostname to an app; it is routed once the TXT record proves you own it')
    .option('--app <app>', 'the app (default: [app] name in satusky.toml)')
    .option('--www', 'also answer www.<hostname>, redirecting to it')
    .action(
      withSession(deps, async (session, hostname: string, options: { app?: string; www?: boolean }) => {
        const app = await resolveAppName(cwd(), options.app);
        const org = await session.orgId();
        const domain = await session.client().addDomain(org, { hostname, app, ...(options.www ? { www_redirect: true } : {}) });
        if (session.json) return session.io.out(JSON.stringify(domain, null, 2));
        session.io.out(`${domain.hostname} attached to ${app} (pending verification).`);
        session.io.out('');
        printSetup(session, await session.client().domainSetup(org, domain.hostname));
        session.io.out(`\nSatusky checks for the TXT record automatically. See where it stands: 1ctl domains check ${domain.hostname}`);
      }),
    );

  domains
    .command('setup <hostname>')
    .description('Every DNS record to create for a domain')
    .action(
      withSession(deps, async (session, hostname: string) => {
        const setup = await session.client().domainSetup(await session.orgId(), hostname);
        if (session.json) return session.io.out(JSON.stringify(setup, null, 2));
        printSetup(session, setup);
      }),
    );

  domains
    .command('check <hostname>')
    .description('Why a domain (or an app hostname) works or not, fact by fact; exit 0 all pass, 1 a fact fails, 3 still pending')
    .option('--probe', 'also GET the health path through every edge')
    .action(
      withSession(deps, async (session, hostname: string, options: { probe?: boolean }) => {
        const check = await session.client().checkDomain(await session.orgId(), hostname, options.probe === true);
        if (session.json) session.io.out(JSON.stringify(check, null, 2));
        else printCheck(session, check);
        const code = checkExitCode(check);
        if (code !== 0) throw new CliError('', code);
      }),
    );

  domains
    .command('remove <hostname>')
    .alias('rm')
    .description('Detach a domain: its routes and certificate go; the name stays reserved to your org for a while')
    .option('-y, --yes', 'do not ask')
    .action(
      withSession(deps, async (session, hostname: string, options: { yes?: boolean }) => {
        await confirmOrExit(session, options.yes, `Remove ${hostname}? Requests to it will stop being served.`);
        const result = await session.client().removeDomain(await session.orgId(), hostname);
        if (session.json) return session.io.out(JSON.stringify(result, null, 2));
        session.io.out(`Removed ${result.hostname}; it stays reserved to this organization until ${result.reserved_until}.`);
      }),
    );

  return domains;
}
