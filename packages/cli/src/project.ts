import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import type { DeployBody } from '@satusky/contracts';
import { CliError } from './session.ts';

/**
 * satusky.toml: the app's identity and configuration, safe to commit (secrets go through
 * `1ctl secret`). Both the docs-era single `[app]` table and the v0.11 sections are accepted.
 */
export interface ProjectConfig {
  file: string;
  name?: string;
  image?: string;
  body: Partial<DeployBody>;
  /** Keys the file had that Satusky does not use here, to mention rather than ignore silently. */
  ignored: string[];
}

const exists = async (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * The file a command reads: `--config x.toml` (or any path) as given, `--config staging` as
 * `satusky.staging.toml` next to the nearest `satusky.toml`, and otherwise the nearest
 * `satusky.toml` walking up from the working directory. Null when there is none.
 */
export async function findProjectFile(cwd: string, config?: string): Promise<string | null> {
  if (config && (config.endsWith('.toml') || config.includes('/'))) {
    const file = path.resolve(cwd, config);
    if (!(await exists(file))) throw new CliError(`config file ${file} does not exist`, 2);
    return file;
  }
  let dir = path.resolve(cwd);
  for (;;) {
    const base = path.join(dir, 'satusky.toml');
    if (await exists(base)) {
      if (!config) return base;
      const named = path.join(dir, `satusky.${config}.toml`);
      if (!(await exists(named))) throw new CliError(`no ${path.basename(named)} next to ${base}`, 2);
      return named;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (config) {
    const named = path.resolve(cwd, `satusky.${config}.toml`);
    if (await exists(named)) return named;
    throw new CliError(`no satusky.${config}.toml found`, 2);
  }
  return null;
}

type Table = Record<string, unknown>;

function table(doc: Table, key: string): Table {
  const value = doc[key];
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`[${key}] must be a table`, 2);
  return value as Table;
}

export function parseProject(text: string, file: string): ProjectConfig {
  let doc: Table;
  try {
    doc = parseToml(text);
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`, 2);
  }
  const app = table(doc, 'app');
  const build = table(doc, 'build');
  const checks = table(doc, 'checks');
  const deploy = table(doc, 'deploy');
  const env = table(doc, 'env');
  const volume = table(doc, 'volume');
  const hpa = table(doc, 'hpa');
  const pdb = table(doc, 'pdb');
  const secrets = table(doc, 'secrets');
  const ignored: string[] = [];
  const str = (t: Table, key: string, where: string): string | undefined => {
    const value = t[key];
    if (value === undefined) return undefined;
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') throw new CliError(`${file}: ${where}.${key} must be a string`, 2);
    return value;
  };
  const int = (t: Table, key: string, where: string): number | undefined => {
    const value = t[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new CliError(`${file}: ${where}.${key} must be an integer`, 2);
    return value;
  };
  const bool = (t: Table, key: string, where: string): boolean | undefined => {
    const value = t[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw new CliError(`${file}: ${where}.${key} must be true or false`, 2);
    return value;
  };
  const list = (t: Table, key: string, where: string): string[] | undefined => {
    const value = t[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new CliError(`${file}: ${where}.${key} must be a list of strings`, 2);
    return value as string[];
  };

  const body: Partial<DeployBody> = {};
  const set = <K extends keyof DeployBody>(key: K, value: DeployBody[K] | undefined) => {
    if (value !== undefined) body[key] = value;
  };
  set('port', int(app, 'port', 'app'));
  // `cpu` is the legacy burst alias of cpu_limit.
  set('cpu_limit', str(app, 'cpu_limit', 'app') ?? str(app, 'cpu', 'app'));
  set('cpu_request', str(app, 'cpu_request', 'app'));
  set('memory', str(app, 'memory', 'app'));
  set('replicas', int(app, 'replicas', 'app'));
  set('zone', str(app, 'zone', 'app'));
  set('health_path', str(checks, 'health_path', 'checks') ?? str(app, 'health_path', 'app'));
  const strategy = str(deploy, 'strategy', 'deploy') ?? str(app, 'strategy', 'app');
  if (strategy !== undefined && strategy !== 'rolling' && strategy !== 'recreate') throw new CliError(`${file}: strategy must be "rolling" or "recreate"`, 2);
  set('strategy', strategy);
  set('rolling_max_surge', str(deploy, 'rolling_max_surge', 'deploy') ?? str(app, 'rolling_max_surge', 'app'));
  set('rolling_max_unavailable', str(deploy, 'rolling_max_unavailable', 'deploy') ?? str(app, 'rolling_max_unavailable', 'app'));
  set('wait_for', list(deploy, 'wait_for', 'deploy') ?? list(app, 'wait_for', 'app'));
  set('required_secrets', list(secrets, 'required', 'secrets'));
  if (Object.keys(env).length > 0) {
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(env)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new CliError(`${file}: env.${key} must be a string`, 2);
      values[key] = String(value);
    }
    body.env = values;
  }
  const size = str(volume, 'size', 'volume');
  const mount = str(volume, 'mount', 'volume') ?? str(volume, 'mount_path', 'volume');
  if (size || mount) {
    if (!size || !mount) throw new CliError(`${file}: [volume] needs both size and mount`, 2);
    body.volumes = [
      {
        name: str(volume, 'name', 'volume') ?? 'data',
        size,
        mount_path: mount,
        ...(str(volume, 'storage_class', 'volume') ? { storage_class: str(volume, 'storage_class', 'volume')! } : {}),
        ...(str(volume, 'storage_type', 'volume') ? { storage_type: str(volume, 'storage_type', 'volume') as 'cluster-local' | 'object' } : {}),
      },
    ];
  }
  if (Object.keys(hpa).length > 0) {
    body.hpa = {
      enabled: bool(hpa, 'enabled', 'hpa') ?? true,
      ...(int(hpa, 'min_replicas', 'hpa') !== undefined ? { min_replicas: int(hpa, 'min_replicas', 'hpa')! } : {}),
      ...(int(hpa, 'max_replicas', 'hpa') !== undefined ? { max_replicas: int(hpa, 'max_replicas', 'hpa')! } : {}),
      ...(int(hpa, 'cpu_target', 'hpa') !== undefined ? { cpu_target: int(hpa, 'cpu_target', 'hpa')! } : {}),
      ...(int(hpa, 'memory_target', 'hpa') !== undefined ? { memory_target: int(hpa, 'memory_target', 'hpa')! } : {}),
    };
  }
  if (Object.keys(pdb).length > 0) {
    const type = str(pdb, 'type', 'pdb');
    body.pdb = {
      enabled: bool(pdb, 'enabled', 'pdb') ?? true,
      ...(type ? { type: type as 'auto' | 'fixed' | 'percent' } : {}),
      ...(int(pdb, 'min_available', 'pdb') !== undefined ? { min_available: int(pdb, 'min_available', 'pdb')! } : {}),
      ...(int(pdb, 'percent', 'pdb') !== undefined ? { percent: int(pdb, 'percent', 'pdb')! } : {}),
    };
  }
  const mc = table(doc, 'multicluster');
  if (Object.keys(mc).length > 0) {
    const mode = str(mc, 'mode', 'multicluster');
    if (mode !== undefined && mode !== 'active-active' && mode !== 'active-passive') throw new CliError(`${file}: multicluster.mode must be "active-active" or "active-passive"`, 2);
    const failback = str(mc, 'failback', 'multicluster');
    if (failback !== undefined && failback !== 'auto' && failback !== 'manual') throw new CliError(`${file}: multicluster.failback must be "auto" or "manual"`, 2);
    const selector = table(mc, 'selector');
    const backup = table(mc, 'backup');
    const zones = list(mc, 'zones', 'multicluster');
    const opt = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
    body.multicluster = {
      enabled: bool(mc, 'enabled', 'multicluster') ?? true,
      ...opt('mode', mode),
      ...opt('zones', zones),
      ...(Object.keys(selector).length ? { selector: Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, String(v)])) } : {}),
      ...opt('primary', str(mc, 'primary', 'multicluster')),
      ...opt('failback', failback),
      ...opt('failback_after_seconds', int(mc, 'failback_after_seconds', 'multicluster')),
      ...opt('failure_threshold', int(mc, 'failure_threshold', 'multicluster')),
      ...opt('probe_interval_seconds', int(mc, 'probe_interval_seconds', 'multicluster')),
      ...opt('replicates_data', bool(mc, 'replicates_data', 'multicluster')),
      ...opt('restore_on_failover', bool(mc, 'restore_on_failover', 'multicluster')),
      ...(Object.keys(backup).length
        ? {
            backup: {
              enabled: bool(backup, 'enabled', 'multicluster.backup') ?? true,
              ...opt('schedule', str(backup, 'schedule', 'multicluster.backup') as 'hourly' | 'daily' | 'weekly' | undefined),
              ...opt('retention', str(backup, 'retention', 'multicluster.backup') as '24h' | '72h' | '168h' | '720h' | undefined),
              ...opt('zone', str(backup, 'zone', 'multicluster.backup')),
            },
          }
        : {}),
    };
  }
  for (const key of ['dockerfile', 'fast_build', 'machine_tag', 'domain']) if (app[key] !== undefined) ignored.push(`app.${key}`);
  for (const key of Object.keys(build)) if (key !== 'image') ignored.push(`build.${key}`);
  if (deploy.machine_tag !== undefined) ignored.push('deploy.machine_tag');
  if (doc.vpa !== undefined) ignored.push('vpa');

  const name = str(app, 'name', 'app');
  const image = str(app, 'image', 'app') ?? str(build, 'image', 'build');
  return { file, ...(name ? { name } : {}), ...(image ? { image } : {}), body, ignored };
}

export async function loadProject(cwd: string, config?: string): Promise<ProjectConfig | null> {
  const file = await findProjectFile(cwd, config);
  if (!file) return null;
  return parseProject(await readFile(file, 'utf8'), file);
}

/** Writes a new satusky.toml with only the fields given (as `1ctl init` does). */
export async function writeProject(file: string, values: { name: string; image?: string; port?: number; cpu_request?: string; cpu_limit?: string; memory?: string; replicas?: number; zone?: string; health_path?: string }, force: boolean): Promise<void> {
  if (!force && (await exists(file))) throw new CliError(`${file} exists; pass --force to overwrite it`);
  const app: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== '' && key !== 'health_path') app[key] = value;
  }
  const doc: Record<string, unknown> = { app };
  if (values.health_path) doc.checks = { health_path: values.health_path };
  const header = '# Satusky app configuration: safe to commit (secrets go through `1ctl secret`).\n';
  await writeFile(file, `${header}${stringifyToml(doc)}\n`, { flag: force ? 'w' : 'wx' });
}
