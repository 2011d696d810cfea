import { Command } from 'commander';
import type { App, AppEvent, AppStatus, DeployAccepted, Operation } from '@satusky/contracts';
import WebSocket from 'ws';
import { wsText } from '../ws-text.ts';
import { relativeTime, renderDetails, renderTable } from '../output.ts';
import { loadProject } from '../project.ts';
import { CliError, type CliDeps, type Session } from '../session.ts';
import { confirmOrExit, withSession } from './shared.ts';
import { EXIT, waitForApp } from './wait.ts';

/** The app a command is about: the argument, else [app] name in satusky.toml. */
export async function resolveAppName(cwd: string, name: string | undefined, config?: string): Promise<string> {
  if (name) return name;
  const project = await loadProject(cwd, config);
  if (project?.name) return project.name;
  throw new CliError('Which app? Pass its name, or run this where satusky.toml names it.', 2);
}

export function statusTable(status: AppStatus): string {
  return renderTable(status.clusters, [
    { header: 'ZONE', value: (c) => c.zone },
    { header: 'ROLE', value: (c) => c.role },
    { header: 'STATUS', value: (c) => (c.stale ? `${c.status} (stale)` : c.status) },
    { header: 'READY', value: (c) => `${c.replicas.ready ?? '-'}/${c.replicas.desired ?? '-'}` },
    { header: 'GENERATION', value: (c) => `${c.applied_generation}/${c.desired_generation}` },
    ...['Applied', 'WorkloadReady', 'ClusterReachable', 'RouteAccepted', 'TLSReady', 'DNSReady', 'Reachable'].map((type) => ({
      header: type.toUpperCase(),
      value: (c: AppStatus['clusters'][number]) => {
        const condition = c.conditions.find((x) => x.type === type);
        return condition ? `${condition.status === 'True' ? '✓' : condition.status === 'False' ? '✗' : '?'} ${condition.reason}` : '-';
      },
    })),
    { header: 'OBSERVED', value: (c) => relativeTime(c.observed_at) },
  ]);
}

function printStatus(session: Session, status: AppStatus): void {
  session.io.out(`${status.name}: ${status.status.toUpperCase()} (release ${status.release ?? '-'}, generation ${status.generation})`);
  session.io.out(status.message);
  if (status.clusters.length > 0) session.io.out(`\n${statusTable(status)}`);
  const problems = status.clusters.flatMap((c) => c.conditions.filter((x) => x.status !== 'True').map((x) => `  ${c.zone} ${x.type}: ${x.message}`));
  if (problems.length > 0) session.io.out(`\n${problems.join('\n')}`);
  const traffic = status.traffic;
  if (traffic) {
    session.io.out(`\nTraffic (${traffic.mode}): ${traffic.hostname} → ${traffic.addresses.length ? traffic.addresses.map((a, i) => `${a} (${traffic.zones[i] ?? '?'})`).join(', ') : 'nowhere yet'}`);
    const f = traffic.failover;
    if (f) {
      session.io.out(`Failover: ${f.phase}, serving ${f.serving} (primary ${f.primary}, epoch ${f.epoch}) since ${f.since}: ${f.reason}`);
      if (f.detected_at || f.switched_at) {
        session.io.out(`  detected ${f.detected_at ?? '-'} · switched ${f.switched_at ?? '-'} · first healthy ${f.first_healthy_at ?? '-'}`);
      }
    }
  }
  const b = status.backups;
  if (b) {
    session.io.out(`\nBackups (${b.cron} in ${b.zone}, kept ${b.retention}): ${b.state}`);
    session.io.out(`  last success ${b.last_success_at ?? '-'} · next run ${b.next_run_at ?? '-'} · recovery point ${b.recovery_point ?? 'none yet'}`);
    if (b.last_failure) session.io.out(`  last failure ${b.last_failure.at ?? '-'}: ${b.last_failure.backup}: ${b.last_failure.reason}`);
    for (const r of b.restores) session.io.out(`  restore ${r.name} in ${r.zone} from ${r.backup}: ${r.phase}${r.message ? ` (${r.message})` : ''}`);
    session.io.out(`  ${b.note}`);
  }
  if (status.domains.length > 0) {
    session.io.out('\nDomains:');
    for (const d of status.domains) {
      session.io.out(`  ${d.hostname.padEnd(32)} ${d.status.padEnd(9)} ${d.health.padEnd(8)} ${d.www_redirect ? '(+ www) ' : ''}${d.problems.join('; ')}`);
    }
    if (status.domains.some((d) => d.health !== 'ok')) session.io.out(`  Why a domain does not work: 1ctl domains check HOSTNAME`);
  }
}

function eventLine(e: AppEvent): string {
  const level = e.level === 'error' ? 'ERROR' : e.level === 'warning' ? 'WARN ' : 'INFO ';
  return `${e.at}  ${level} ${(e.zone ?? '-').padEnd(12)} ${e.type.padEnd(18)} ${e.message}`;
}

async function waitAfter(session: Session, org: string, app: string, accepted: DeployAccepted, wait: boolean | undefined, timeout: string): Promise<void> {
  if (!wait) return;
  const outcome = await waitForApp(session, org, app, accepted.generation, { timeoutMs: Number(timeout) * 1000 });
  session.io.out(`${outcome.exitCode === EXIT.ready ? '✓' : '✗'} ${outcome.summary}`);
  if (outcome.exitCode !== 0) throw new CliError('', outcome.exitCode);
}

export function appCommand(deps: CliDeps, cwd: () => string): Command {
  const app = new Command('app').alias('apps').description('Apps: status, releases, rollback, restart, scale, delete, events');

  app
    .command('list')
    .alias('ls')
    .description('Apps in the organization, with a status per zone')
    .action(
      withSession(deps, async (session) => {
        const apps = await session.client().listApps(await session.orgId());
        if (session.json) {
          session.io.out(JSON.stringify(apps, null, 2));
          return;
        }
        session.io.out(
          renderTable(apps, [
            { header: 'NAME', value: (a: App) => a.name },
            { header: 'STATUS', value: (a) => a.status },
            { header: 'RELEASE', value: (a) => a.release?.version },
            { header: 'IMAGE', value: (a) => a.release?.image },
            { header: 'ZONES', value: (a) => a.zones.map((z) => `${z.zone}:${z.status}`).join(' ') },
            { header: 'URL', value: (a) => a.url },
            { header: 'UPDATED', value: (a) => relativeTime(a.updated_at) },
          ]),
        );
      }),
    );

  app
    .command('get [app]')
    .description('The app, its current release and where it runs')
    .action(
      withSession(deps, async (session, name: string | undefined) => {
        const a = await session.client().getApp(await session.orgId(), await resolveAppName(cwd(), name));
        if (session.json) {
          session.io.out(JSON.stringify(a, null, 2));
          return;
        }
        const spec = a.release?.spec;
        session.io.out(
          renderDetails([
            ['App', a.name],
            ['ID', a.id],
            ['Namespace', a.namespace],
            ['URL', a.url],
            ['Status', a.status],
            ['Release', a.release ? `${a.release.version} (${a.release.reason}, generation ${a.release.generation})` : 'not deployed'],
            ['Image', spec?.image],
            ['Port', spec?.port],
            ['Replicas', spec?.hpa ? `autoscaled ${spec.hpa.min_replicas}-${spec.hpa.max_replicas}` : spec?.replicas],
            ['CPU', spec ? `${spec.cpu_request} request / ${spec.cpu_limit} limit` : null],
            ['Memory', spec?.memory],
            ['Strategy', spec?.strategy],
            ['Health path', spec?.health_path],
            ['Env', spec ? Object.keys(spec.env).join(', ') || '-' : null],
            ['Secrets', a.release?.secret_keys.join(', ') || '-'],
            ['Volumes', spec?.volumes.map((v) => `${v.name} ${v.size} at ${v.mount_path}`).join(', ') || '-'],
            ['Zones', a.zones.map((z) => `${z.zone} (${z.role}, ${z.status})`).join(', ') || '-'],
            ['Updated', a.updated_at],
          ]),
        );
      }),
    );

  for (const kind of ['failover', 'failback'] as const) {
    const command = app
      .command(`${kind} [app]`)
      .description(
        kind === 'failover'
          ? 'Active-passive: move traffic to another ready zone now (a drill); refused with the reason if it is not ready'
          : 'Active-passive: move traffic back to the primary now; refused with the reason if it is not ready',
      )
      .option('--wait', 'wait until DNS points at the target and it answers')
      .option('--timeout <seconds>', 'how long --wait waits', '120');
    if (kind === 'failover') command.requiredOption('--to <zone>', 'the zone to serve from');
    command.action(
      withSession(deps, async (session, name: string | undefined, options: { to?: string; wait?: boolean; timeout: string }) => {
        const appName = await resolveAppName(cwd(), name);
        const org = await session.orgId();
        const client = session.client();
        const accepted = kind === 'failover' ? await client.failover(org, appName, options.to!) : await client.failback(org, appName);
        if (!options.wait) {
          if (session.json) return session.io.out(JSON.stringify(accepted, null, 2));
          session.io.out(`${kind === 'failover' ? 'Failover' : 'Failback'} of ${appName} from ${accepted.serving} to ${accepted.target} accepted. Follow it: 1ctl app status ${appName} --watch`);
          return;
        }
        const started = Date.now();
        const deadline = started + Number(options.timeout) * 1000;
        for (;;) {
          const status = await client.appStatus(org, appName);
          const traffic = status.traffic;
          if (traffic?.failover?.serving === accepted.target && traffic.zones.length > 0 && traffic.zones.every((z) => z === accepted.target)) {
            if (session.json) return session.io.out(JSON.stringify({ accepted, status }, null, 2));
            session.io.out(`✓ ${appName} is served from ${accepted.target} (${traffic.addresses.join(', ')}) after ${((Date.now() - started) / 1000).toFixed(1)} s`);
            return;
          }
          if (Date.now() > deadline) {
            session.io.out(`✗ timed out: ${traffic?.failover ? `${traffic.failover.phase}, serving ${traffic.failover.serving}: ${traffic.failover.reason}` : status.message}`);
            throw new CliError('', EXIT.timeout);
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }),
    );
  }

  app
    .command('status [app]')
    .description('Conditions per zone and layer, each with when it was observed')
    .option('--watch', 'refresh until interrupted')
    .option('--interval <seconds>', 'refresh interval for --watch', '2')
    .action(
      withSession(deps, async (session, name: string | undefined, options: { watch?: boolean; interval: string }) => {
        const org = await session.orgId();
        const appName = await resolveAppName(cwd(), name);
        for (;;) {
          const status = await session.client().appStatus(org, appName);
          if (session.json) session.io.out(JSON.stringify(status, null, 2));
          else printStatus(session, status);
          if (!options.watch || session.deps.signal?.aborted) return;
          await new Promise((resolve) => setTimeout(resolve, Number(options.interval) * 1000));
          if (!session.json) session.io.out('');
        }
      }),
    );

  app
    .command('releases [app]')
    .description('Every release, newest first')
    .action(
      withSession(deps, async (session, name: string | undefined) => {
        const releases = await session.client().releases(await session.orgId(), await resolveAppName(cwd(), name));
        if (session.json) {
          session.io.out(JSON.stringify(releases, null, 2));
          return;
        }
        session.io.out(
          renderTable(releases, [
            { header: 'VERSION', value: (r) => r.version },
            { header: 'IMAGE', value: (r) => r.image },
            { header: 'REASON', value: (r) => (r.rollback_of ? `rollback to ${r.rollback_of}` : r.reason) },
            { header: 'STATUS', value: (r) => r.status },
            { header: 'ZONES', value: (r) => r.placement.zones.map((z) => z.zone).join(', ') },
            { header: 'DEPLOYED', value: (r) => relativeTime(r.created_at) },
          ]),
        );
      }),
    );

  app
    .command('rollback [app]')
    .description('A new release from an earlier one (default: the one before the current)')
    .option('--version <n>', 'the release to roll back to')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--wait', 'wait until it is ready')
    .option('--timeout <seconds>', 'how long --wait waits', '600')
    .action(
      withSession(deps, async (session, name: string | undefined, options: { version?: string; yes?: boolean; wait?: boolean; timeout: string }) => {
        const org = await session.orgId();
        const appName = await resolveAppName(cwd(), name);
        const version = options.version === undefined ? undefined : Number(options.version);
        if (version !== undefined && (!Number.isInteger(version) || version < 1)) throw new CliError('--version must be a release number', 2);
        await confirmOrExit(session, options.yes, `Roll ${appName} back to ${version ? `release ${version}` : 'the previous release'}?`);
        const accepted = await session.client().rollback(org, appName, version);
        session.io.out(session.json ? JSON.stringify(accepted, null, 2) : `Rolled back: release ${accepted.release} (generation ${accepted.generation}).`);
        await waitAfter(session, org, appName, accepted, options.wait, options.timeout);
      }),
    );

  app
    .command('restart [app]')
    .description('Restart every pod of the app')
    .option('--wait', 'wait until it is ready')
    .option('--timeout <seconds>', 'how long --wait waits', '600')
    .action(
      withSession(deps, async (session, name: string | undefined, options: { wait?: boolean; timeout: string }) => {
        const org = await session.orgId();
        const appName = await resolveAppName(cwd(), name);
        const accepted = await session.client().restart(org, appName);
        session.io.out(session.json ? JSON.stringify(accepted, null, 2) : `Restarting ${appName}: release ${accepted.release}.`);
        await waitAfter(session, org, appName, accepted, options.wait, options.timeout);
      }),
    );

  app
    .command('scale <appOrReplicas> [replicas]')
    .description('Set the replica count: app scale [app] <replicas>')
    .option('--wait', 'wait until it is ready')
    .option('--timeout <seconds>', 'how long --wait waits', '600')
    .action(
      withSession(deps, async (session, first: string, second: string | undefined, options: { wait?: boolean; timeout: string }) => {
        const org = await session.orgId();
        const appName = await resolveAppName(cwd(), second === undefined ? undefined : first);
        const replicas = Number(second ?? first);
        if (!Number.isInteger(replicas) || replicas < 0) throw new CliError('replicas must be a non-negative integer', 2);
        const accepted = await session.client().scale(org, appName, replicas);
        session.io.out(
          session.json ? JSON.stringify(accepted, null, 2) : accepted.changed ? `Scaling ${appName} to ${replicas}: release ${accepted.release}.` : `${appName} already runs ${replicas} replica(s).`,
        );
        await waitAfter(session, org, appName, accepted, options.wait, options.timeout);
      }),
    );

  app
    .command('delete [app]')
    .alias('destroy')
    .alias('rm')
    .description('Delete the app from every zone and report what was removed and what remains')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--purge-volumes', 'also delete its volumes (their data is gone for good)')
    .option('--no-wait', 'do not wait for the removal to finish')
    .option('--timeout <seconds>', 'how long to wait', '300')
    .action(
      withSession(deps, async (session, name: string | undefined, options: { yes?: boolean; purgeVolumes?: boolean; wait: boolean; timeout: string }) => {
        const org = await session.orgId();
        const appName = await resolveAppName(cwd(), name);
        await confirmOrExit(session, options.yes, `Delete ${appName} from every zone${options.purgeVolumes ? ' AND its volumes' : ''}?`);
        let operation: Operation = await session.client().deleteApp(org, appName, options.purgeVolumes ?? false);
        const deadline = Date.now() + Number(options.timeout) * 1000;
        while (options.wait && operation.state === 'running' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          operation = await session.client().getOperation(org, operation.id);
        }
        if (session.json) {
          session.io.out(JSON.stringify(operation, null, 2));
        } else {
          session.io.out(operation.state === 'succeeded' ? `Deleted ${appName}.` : `Deleting ${appName}: ${operation.state} (follow: ${operation.status_url})`);
          const rows = operation.result.clusters.flatMap((c) => [
            ...c.removed.map((o) => ({ zone: c.zone, object: o, status: 'removed', note: '' })),
            ...c.remaining.map((r) => ({ zone: c.zone, object: r.object, status: 'remains', note: r.reason })),
            ...(c.state !== 'done' ? [{ zone: c.zone, object: '-', status: c.state, note: c.error ?? 'waiting for the cluster' }] : []),
          ]);
          if (rows.length > 0) {
            session.io.out(
              renderTable(rows, [
                { header: 'ZONE', value: (r) => r.zone },
                { header: 'OBJECT', value: (r) => r.object },
                { header: 'STATUS', value: (r) => r.status },
                { header: 'NOTE', value: (r) => r.note },
              ]),
            );
          }
        }
        if (operation.state !== 'succeeded' && options.wait) throw new CliError('', EXIT.timeout);
      }),
    );

  app
    .command('events [app]')
    .description('The app timeline; --follow keeps streaming')
    .option('--follow', 'stream new events as they happen')
    .option('--after <id>', 'only events after this id', '0')
    .action(
      withSession(deps, async (session, name: string | undefined, options: { follow?: boolean; after: string }) => {
        const org = await session.orgId();
        const appName = await resolveAppName(cwd(), name);
        const page = await session.client().events(org, appName, Number(options.after), 1000);
        for (const e of page.items) session.io.out(session.json ? JSON.stringify(e) : eventLine(e));
        if (!options.follow) return;
        await followEvents(session, org, appName, page.cursor);
      }),
    );

  return app;
}

/** Streams events over WebSocket, reconnecting from the last id seen; never prints one twice. */
async function followEvents(session: Session, org: string, app: string, cursor: number): Promise<void> {
  const client = session.client();
  const signal = session.deps.signal;
  let last = cursor;
  for (let attempt = 0; !signal?.aborted; attempt += 1) {
    const closed = await new Promise<{ code: number; fatal: string | null }>((resolve) => {
      const socket = new WebSocket(client.streamUrl(org, app, 'events', { after: last }), { headers: client.token ? { 'x-satusky-api-key': client.token } : {} });
      const stop = () => socket.close();
      signal?.addEventListener('abort', stop, { once: true });
      socket.on('close', () => signal?.removeEventListener('abort', stop));
      socket.on('message', (data: WebSocket.RawData) => {
        const message = JSON.parse(wsText(data)) as { type: string; event?: AppEvent };
        if (message.type === 'event' && message.event && message.event.id > last) {
          last = message.event.id;
          session.io.out(session.json ? JSON.stringify(message.event) : eventLine(message.event));
        }
      });
      socket.on('unexpected-response', (_req, res) => resolve({ code: res.statusCode ?? 0, fatal: `the server refused the stream (${res.statusCode})` }));
      socket.on('close', (code) => resolve({ code, fatal: null }));
      socket.on('error', () => {});
    });
    if (closed.fatal) throw new CliError(closed.fatal);
    if (signal?.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** Math.min(attempt, 4))));
  }
}
