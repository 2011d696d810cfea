import { Command } from 'commander';
import { renderDetails, renderTable } from '../output.ts';
import { CliError, type CliDeps } from '../session.ts';
import { parsePositiveInt, withSession } from './shared.ts';

export function auditCommand(deps: CliDeps): Command {
  const audit = new Command('audit').description('The audit log of the organization (admins)');

  audit
    .command('list')
    .description('Recent entries, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--action <action>', 'an action or prefix, e.g. token or member.add')
    .option('--user <user>', 'an actor, by user id or email')
    .option('--before <id>', 'entries older than this id (paging)')
    .action(
      withSession(deps, async (session, options: { limit: string; action?: string; user?: string; before?: string }) => {
        const limit = parsePositiveInt(options.limit, '--limit');
        if (limit < 1 || limit > 500) throw new CliError('--limit must be between 1 and 500', 2);
        const page = await session.client().listAudit(await session.orgId(), {
          limit,
          ...(options.action ? { action: options.action } : {}),
          ...(options.user ? { actor: options.user } : {}),
          ...(options.before ? { before: parsePositiveInt(options.before, '--before') } : {}),
        });
        if (session.json) {
          session.io.out(JSON.stringify(page, null, 2));
          return;
        }
        session.io.out(
          renderTable(page.items, [
            { header: 'ID', value: (e) => e.id },
            { header: 'TIME', value: (e) => e.created_at },
            { header: 'ACTOR', value: (e) => e.actor.email },
            { header: 'ACTION', value: (e) => e.action },
            { header: 'RESOURCE', value: (e) => `${e.resource_type}/${e.resource_name ?? e.resource_id ?? ''}` },
          ]),
        );
        if (page.next_cursor) session.io.out(`\nMore: 1ctl audit list --before ${page.next_cursor}`);
      }),
    );

  audit
    .command('get <id>')
    .description('One entry with its changes')
    .action(
      withSession(deps, async (session, id: string) => {
        const entry = await session.client().getAuditEntry(await session.orgId(), parsePositiveInt(id, 'id'));
        if (session.json) {
          session.io.out(JSON.stringify(entry, null, 2));
          return;
        }
        session.io.out(
          renderDetails([
            ['ID', entry.id],
            ['Time', entry.created_at],
            ['Actor', `${entry.actor.email ?? '-'} (token ${entry.actor.token_id ?? '-'})`],
            ['Action', entry.action],
            ['Resource', `${entry.resource_type} ${entry.resource_name ?? ''} ${entry.resource_id ?? ''}`.trim()],
            ['Request', `${entry.request_id}${entry.idempotency_key ? ` (X-Request-ID ${entry.idempotency_key})` : ''}`],
            ['From', `${entry.ip ?? '-'} ${entry.user_agent ?? ''}`.trim()],
            ['Changes', JSON.stringify(entry.changes)],
          ]),
        );
      }),
    );

  return audit;
}
