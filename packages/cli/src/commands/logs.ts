import { Command } from 'commander';
import type { LogLine } from '@satusky/contracts';
import WebSocket from 'ws';
import { wsText } from '../ws-text.ts';
import { CliError, type CliDeps, type Session } from '../session.ts';
import { resolveAppName } from './app.ts';
import { withSession } from './shared.ts';

function formatLine(line: LogLine): string {
  return `${line.at ?? '-'} ${line.zone} ${line.pod}  ${line.message}`;
}

export function logsCommand(deps: CliDeps, cwd: () => string): Command {
  const logs = new Command('logs')
    .description('The last lines of every pod of an app, in every zone, tagged with zone and pod')
    .option('-a, --app <app>', 'the app (default: [app] name in satusky.toml)')
    .option('--config <name-or-path>', 'which satusky.toml names the app')
    .option('-n, --tail <n>', 'how many lines', '100')
    .option('--zone <zone>', 'only this zone')
    .action(
      withSession(deps, async (session, options: { app?: string; config?: string; tail: string; zone?: string }) => {
        const tail = Number(options.tail);
        if (!Number.isInteger(tail) || tail < 1 || tail > 5000) throw new CliError('--tail must be between 1 and 5000', 2);
        const app = await resolveAppName(cwd(), options.app, options.config);
        const result = await session.client().logs(await session.orgId(), app, { tail, ...(options.zone ? { zone: options.zone } : {}) });
        if (session.json) {
          session.io.out(JSON.stringify(result, null, 2));
          return;
        }
        for (const line of result.lines) session.io.out(formatLine(line));
        for (const gap of result.unavailable) session.io.err(`warning: ${gap.zone} could not be read: ${gap.reason}`);
        if (result.lines.length === 0 && result.unavailable.length === 0) session.io.err('(no log lines yet)');
      }),
    );

  logs
    .command('stream')
    .description('Follow every pod of the app live (pods started later are picked up)')
    .option('-a, --app <app>', 'the app')
    .option('--config <name-or-path>', 'which satusky.toml names the app')
    .option('-n, --tail <n>', 'lines of history per pod first', '10')
    .option('--since <time>', 'instead of a tail, every line from this RFC 3339 time on (resume where a stream stopped)')
    .option('--zone <zone>', 'only this zone')
    .action(
      withSession(deps, async (session, options: { app?: string; config?: string; tail: string; since?: string; zone?: string }) => {
        const tail = Number(options.tail);
        if (!Number.isInteger(tail) || tail < 0 || tail > 1000) throw new CliError('--tail must be between 0 and 1000', 2);
        if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) throw new CliError(`--since must be an RFC 3339 time such as 2026-11-21T10:00:00Z, not "${options.since}"`, 2);
        const app = await resolveAppName(cwd(), options.app, options.config);
        await streamLogs(session, await session.orgId(), app, { tail, since: options.since, zone: options.zone });
      }),
    );
  return logs;
}

async function streamLogs(session: Session, org: string, app: string, options: { tail: number; since?: string | undefined; zone?: string | undefined }): Promise<void> {
  const client = session.client();
  const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
  await new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(client.streamUrl(org, app, 'logs', since ? { since, zone: options.zone } : { tail: options.tail, zone: options.zone }), {
      headers: client.token ? { 'x-satusky-api-key': client.token } : {},
    });
    session.deps.signal?.addEventListener('abort', () => socket.close(), { once: true });
    socket.on('message', (data: WebSocket.RawData) => {
      const message = JSON.parse(wsText(data)) as { type: string; line?: LogLine; zone?: string; state?: string; reason?: string };
      if (message.type === 'line' && message.line) session.io.out(session.json ? JSON.stringify(message.line) : formatLine(message.line));
      else if (message.type === 'zone' && message.state === 'unavailable') session.io.err(`warning: ${message.zone} could not be read: ${message.reason}`);
    });
    socket.on('unexpected-response', (_req, res) => reject(new CliError(`the server refused the stream (${res.statusCode})`)));
    socket.on('close', () => resolve());
    socket.on('error', (error) => reject(new CliError(`log stream failed: ${error.message}`)));
  });
}
