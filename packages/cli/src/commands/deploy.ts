import path from 'node:path';
import { Command, Option } from 'commander';
import type { DeployBody } from '@satusky/contracts';
import { renderDetails } from '../output.ts';
import { loadProject } from '../project.ts';
import { CliError, type CliDeps } from '../session.ts';
import { withSession } from './shared.ts';
import { attachDomains } from './domains.ts';
import { EXIT, waitForApp } from './wait.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseKeyValues(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of values ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new CliError(`${flag} expects KEY=VALUE, got "${entry}"`, 2);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new CliError(`${flag} must be an integer`, 2);
  return n;
}

export interface DeployOptions {
  name?: string;
  image?: string;
  config?: string;
  port?: string;
  env?: string[];
  cpuRequest?: string;
  cpuLimit?: string;
  cpu?: string;
  memory?: string;
  replicas?: string;
  zone?: string;
  healthPath?: string;
  waitFor?: string[];
  requiredSecret?: string[];
  strategy?: string;
  rollingMaxSurge?: string;
  rollingMaxUnavailable?: string;
  hpa?: boolean;
  hpaMinReplicas?: string;
  hpaMaxReplicas?: string;
  hpaCpuTarget?: string;
  hpaMemoryTarget?: string;
  pdb?: boolean;
  pdbType?: string;
  pdbMinAvailable?: string;
  pdbPercent?: string;
  volumeSize?: string;
  volumeMount?: string;
  volumeStorageClass?: string;
  wait?: boolean;
  timeout: string;
  domain?: string[];
  multiCluster?: boolean;
  multiclusterMode?: string;
  zones?: string;
  zoneSelector?: string[];
  primary?: string;
  failback?: string;
  failbackAfter?: string;
  failureThreshold?: string;
  probeInterval?: string;
  replicatesData?: boolean;
  backup?: string;
  backupRetention?: string;
  backupZone?: string;
  restoreOnFailover?: boolean;
}

/** satusky.toml, then flags on top: an explicit flag always wins. */
export function buildDeployBody(fromFile: Partial<DeployBody>, image: string, o: DeployOptions): DeployBody {
  const body: DeployBody = { ...fromFile, image };
  const setIf = <K extends keyof DeployBody>(key: K, value: DeployBody[K] | undefined) => {
    if (value !== undefined) body[key] = value;
  };
  setIf('port', int(o.port, '--port'));
  setIf('cpu_request', o.cpuRequest);
  setIf('cpu_limit', o.cpuLimit ?? o.cpu);
  setIf('memory', o.memory);
  setIf('replicas', int(o.replicas, '--replicas'));
  setIf('zone', o.zone);
  setIf('health_path', o.healthPath);
  if (o.waitFor?.length) body.wait_for = o.waitFor;
  if (o.requiredSecret?.length) body.required_secrets = o.requiredSecret;
  if (o.strategy !== undefined) {
    if (o.strategy !== 'rolling' && o.strategy !== 'recreate') throw new CliError('--strategy must be rolling or recreate', 2);
    body.strategy = o.strategy;
  }
  setIf('rolling_max_surge', o.rollingMaxSurge);
  setIf('rolling_max_unavailable', o.rollingMaxUnavailable);
  if (o.env?.length) body.env = { ...(body.env ?? {}), ...parseKeyValues(o.env, '--env') };
  if (o.hpa !== undefined || o.hpaMinReplicas || o.hpaMaxReplicas || o.hpaCpuTarget || o.hpaMemoryTarget) {
    body.hpa = {
      ...(body.hpa ?? { enabled: true }),
      enabled: o.hpa ?? body.hpa?.enabled ?? true,
      ...(o.hpaMinReplicas ? { min_replicas: int(o.hpaMinReplicas, '--hpa-min-replicas')! } : {}),
      ...(o.hpaMaxReplicas ? { max_replicas: int(o.hpaMaxReplicas, '--hpa-max-replicas')! } : {}),
      ...(o.hpaCpuTarget ? { cpu_target: int(o.hpaCpuTarget, '--hpa-cpu-target')! } : {}),
      ...(o.hpaMemoryTarget ? { memory_target: int(o.hpaMemoryTarget, '--hpa-memory-target')! } : {}),
    };
  }
  if (o.pdb !== undefined || o.pdbType || o.pdbMinAvailable || o.pdbPercent) {
    body.pdb = {
      ...(body.pdb ?? { enabled: true }),
      enabled: o.pdb ?? body.pdb?.enabled ?? true,
      ...(o.pdbType ? { type: o.pdbType as 'auto' | 'fixed' | 'percent' } : {}),
      ...(o.pdbMinAvailable ? { min_available: int(o.pdbMinAvailable, '--pdb-min-available')! } : {}),
      ...(o.pdbPercent ? { percent: int(o.pdbPercent, '--pdb-percent')! } : {}),
    };
  }
  const mcFlags = [o.multiCluster, o.multiclusterMode, o.zones, o.zoneSelector?.length, o.primary, o.failback, o.failbackAfter, o.failureThreshold, o.probeInterval, o.replicatesData, o.backup, o.restoreOnFailover];
  if (mcFlags.some((v) => v !== undefined && v !== 0)) {
    const current = body.multicluster ?? { enabled: true };
    if (o.multiclusterMode !== undefined && o.multiclusterMode !== 'active-active' && o.multiclusterMode !== 'active-passive') {
      throw new CliError('--multicluster-mode must be active-active or active-passive', 2);
    }
    if (o.failback !== undefined && o.failback !== 'auto' && o.failback !== 'manual') throw new CliError('--failback must be auto or manual', 2);
    if (o.backup !== undefined && !['hourly', 'daily', 'weekly', 'off'].includes(o.backup)) throw new CliError('--backup must be hourly, daily, weekly or off', 2);
    const selector = o.zoneSelector?.length ? parseKeyValues(o.zoneSelector, '--zone-selector') : undefined;
    body.multicluster = {
      ...current,
      enabled: o.multiCluster ?? current.enabled,
      ...(o.multiclusterMode ? { mode: o.multiclusterMode } : {}),
      ...(o.zones ? { zones: o.zones.split(',').map((z) => z.trim()).filter(Boolean) } : {}),
      ...(selector ? { selector } : {}),
      ...(o.primary ? { primary: o.primary } : {}),
      ...(o.failback ? { failback: o.failback } : {}),
      ...(o.failbackAfter ? { failback_after_seconds: int(o.failbackAfter, '--failback-after')! } : {}),
      ...(o.failureThreshold ? { failure_threshold: int(o.failureThreshold, '--failure-threshold')! } : {}),
      ...(o.probeInterval ? { probe_interval_seconds: int(o.probeInterval, '--probe-interval')! } : {}),
      ...(o.replicatesData !== undefined ? { replicates_data: o.replicatesData } : {}),
      ...(o.restoreOnFailover !== undefined ? { restore_on_failover: o.restoreOnFailover } : {}),
      ...(o.backup !== undefined
        ? {
            backup:
              o.backup === 'off'
                ? { enabled: false }
                : {
                    enabled: true,
                    schedule: o.backup as 'hourly' | 'daily' | 'weekly',
                    ...(o.backupRetention ? { retention: o.backupRetention as '24h' | '72h' | '168h' | '720h' } : {}),
                    ...(o.backupZone ? { zone: o.backupZone } : {}),
                  },
          }
        : {}),
    };
  }
  if (o.volumeSize || o.volumeMount) {
    if (!o.volumeSize || !o.volumeMount) throw new CliError('--volume-size and --volume-mount go together', 2);
    body.volumes = [{ name: 'data', size: o.volumeSize, mount_path: o.volumeMount, ...(o.volumeStorageClass ? { storage_class: o.volumeStorageClass } : {}) }];
  }
  return body;
}

export function deployCommand(deps: CliDeps, cwd: () => string): Command {
  return new Command('deploy')
    .description('Deploy an app from satusky.toml and flags (flags win); --wait ends on the truth')
    .option('--name <name>', 'app name (default: [app] name in satusky.toml)')
    .option('--image <image>', 'a prebuilt image reference (Satusky does not build here)')
    .option('--config <name-or-path>', 'satusky.<name>.toml, or a path to a .toml file')
    .option('--port <port>', 'the port the app listens on (default 8080)')
    .option('--env <KEY=VALUE>', 'an environment variable (repeatable)', collect)
    .option('--cpu-request <cpu>', 'guaranteed CPU per replica (default 250m)')
    .option('--cpu-limit <cpu>', 'burst CPU per replica (default 1)')
    .addOption(new Option('--cpu <cpu>', 'legacy alias of --cpu-limit').hideHelp())
    .option('--memory <memory>', 'memory per replica, Mi or Gi (default 256Mi)')
    .option('--replicas <n>', 'replicas (0 = default)')
    .option('--zone <zone>', 'the zone to run in (see 1ctl cluster zones)')
    .option('--health-path <path>', 'readiness check path, e.g. /health')
    .option('--wait-for <host:port>', 'a TCP dependency to wait for at start (repeatable)', collect)
    .option('--required-secret <KEY>', 'a secret the app needs (repeatable)', collect)
    .option('--strategy <strategy>', 'rolling or recreate')
    .option('--rolling-max-surge <n>', 'e.g. 25% or 1')
    .option('--rolling-max-unavailable <n>', 'e.g. 25% or 0')
    .option('--hpa', 'autoscale on CPU')
    .option('--no-hpa', 'turn autoscaling off')
    .option('--hpa-min-replicas <n>', 'autoscaler minimum')
    .option('--hpa-max-replicas <n>', 'autoscaler maximum')
    .option('--hpa-cpu-target <percent>', 'target CPU utilisation')
    .option('--hpa-memory-target <percent>', 'target memory utilisation (0 = off)')
    .option('--pdb', 'add a disruption budget')
    .option('--no-pdb', 'no disruption budget')
    .option('--pdb-type <type>', 'auto, fixed or percent')
    .option('--pdb-min-available <n>', 'for --pdb-type fixed')
    .option('--pdb-percent <n>', 'for --pdb-type percent: max unavailable %')
    .option('--volume-size <size>', 'a cluster-local volume, e.g. 10Gi')
    .option('--volume-mount <path>', 'where to mount it')
    .option('--volume-storage-class <class>', 'storage class (default ceph-block)')
    .option('--multi-cluster', 'run in several zones ([multicluster] in satusky.toml)')
    .option('--no-multi-cluster', 'back to a single zone')
    .option('--multicluster-mode <mode>', 'active-active (every zone serves) or active-passive (the primary serves, the rest run warm)')
    .option('--zones <a,b>', 'the zones to run in (default: every available zone)')
    .option('--zone-selector <label=value>', 'only zones whose clusters carry this label (repeatable; composes with --zones)', collect)
    .option('--primary <zone>', 'active-passive: the zone that serves while healthy')
    .option('--failback <policy>', 'active-passive: auto (after a healthy period) or manual')
    .option('--failback-after <seconds>', 'active-passive: how long the primary must be healthy before auto failback')
    .option('--failure-threshold <n>', 'failed probes through the serving edge before traffic moves')
    .option('--probe-interval <seconds>', 'seconds between probes through each edge')
    .option('--replicates-data', 'the app replicates its own data (allows cluster-local volumes in active-active)')
    .option('--backup <schedule>', 'volume backups: hourly, daily, weekly or off (Velero)')
    .option('--backup-retention <ttl>', '24h, 72h, 168h or 720h')
    .option('--backup-zone <zone>', 'the zone that runs the backups (default: the primary)')
    .option('--restore-on-failover', 'active-passive: restore the latest backup into the new primary on failover')
    .option('--domain <hostname>', 'attach a custom domain (repeatable); prints the DNS records to create', collect)
    .option('--wait', 'wait until the release is ready; exit 0 ready, 1 failed, 2 timed out, 3 degraded')
    .option('--timeout <seconds>', 'how long --wait waits', '600')
    .action(
      withSession(deps, async (session, options: DeployOptions) => {
        const project = await loadProject(cwd(), options.config);
        const name = options.name ?? project?.name;
        if (!name) throw new CliError(`No app name: pass --name or set [app] name in satusky.toml (looked from ${cwd()}).`, 2);
        const image = options.image ?? project?.image;
        if (!image) throw new CliError('No image: pass --image (or set [app] image in satusky.toml). Satusky deploys prebuilt images.', 2);
        const timeoutMs = Number(options.timeout) * 1000;
        if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError('--timeout must be a positive number of seconds', 2);
        for (const key of project?.ignored ?? []) session.io.err(`note: ${path.basename(project!.file)}: ${key} is not used by this deploy`);
        const body = buildDeployBody(project?.body ?? {}, image, options);
        const org = await session.orgId();
        const accepted = await session.client().deploy(org, name, body);
        if (!session.json) {
          session.io.out(
            accepted.changed
              ? `Release ${accepted.release} of ${accepted.name} accepted (generation ${accepted.generation}) → ${accepted.placement.zones.map((z) => (accepted.placement.mode === 'single' ? z.zone : `${z.zone} (${z.role})`)).join(', ')}${accepted.placement.mode === 'single' ? '' : ` [${accepted.placement.mode}]`}`
              : `${accepted.name} already runs this configuration (release ${accepted.release}); nothing to do.`,
          );
          if (accepted.missing_required_secrets.length > 0) {
            session.io.err(`warning: missing required secrets: ${accepted.missing_required_secrets.join(', ')} (set them with: 1ctl secret create --app ${name} KEY=VALUE)`);
          }
        }
        const domains = options.domain?.length ? await attachDomains(session, org, name, options.domain) : [];
        if (!options.wait) {
          if (session.json) session.io.out(JSON.stringify(domains.length ? { ...accepted, domains } : accepted, null, 2));
          else session.io.out(`Status: 1ctl app status ${name}  ·  URL (once ready): https://${accepted.hostname}`);
          return;
        }
        const outcome = await waitForApp(session, org, name, accepted.generation, { timeoutMs });
        if (session.json) {
          session.io.out(JSON.stringify({ accepted, status: outcome.status }, null, 2));
        } else {
          const mark = outcome.exitCode === EXIT.ready ? '✓' : '✗';
          session.io.out(`${mark} ${outcome.summary}`);
          if (outcome.exitCode === EXIT.ready) session.io.out(renderDetails([['URL', `https://${accepted.hostname}`]]));
          if (outcome.exitCode === EXIT.failed) session.io.out(`See: 1ctl app events ${name}  ·  1ctl logs --app ${name}`);
          if (outcome.exitCode === EXIT.degraded) session.io.out(`The workload runs but the endpoint does not work everywhere. Find out why: 1ctl domains check ${accepted.hostname}`);
        }
        if (outcome.exitCode !== 0) throw new CliError('', outcome.exitCode);
      }),
    );
}
