import type { AppSpec, DeployBody, Probe } from '@satusky/contracts';
import { canonicalJson } from './canonical.ts';
import { AppError } from './errors.ts';
import { parseImage } from './image.ts';
import { parseBinaryQuantity, parseCpu } from './quantity.ts';

export const DEFAULT_SPEC: Omit<AppSpec, 'image'> = {
  port: 8080,
  cpu_request: '250m',
  cpu_limit: '1',
  memory: '256Mi',
  replicas: 1,
  env: {},
  required_secrets: [],
  health_path: null,
  probes: { readiness: null, liveness: null, startup: null },
  strategy: 'rolling',
  rolling_max_surge: '25%',
  rolling_max_unavailable: '25%',
  hpa: null,
  pdb: null,
  volumes: [],
  wait_for: [],
};

/** Environment variables the platform sets itself; users cannot override them. */
export const RESERVED_ENV = new Set(['SATUSKY_APP', 'SATUSKY_ZONE', 'SATUSKY_RELEASE']);
/**
 * An environment variable (or secret) name: what contracts' EnvKeySchema says. Checked here as well
 * because a TypeBox Record only applies its key pattern as patternProperties, which lets other keys
 * through — and a key Kubernetes refuses ("", "1A", "A=B") would make a release that never applies.
 */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const MIN_MEMORY = 16 * 2 ** 20;
const MAX_MEMORY = 64 * 2 ** 30;
const MAX_CPU_MILLI = 16_000;

interface Problem {
  field: string;
  message: string;
}

function probeProblems(name: string, probe: Probe | undefined, problems: Problem[]): void {
  if (!probe) return;
  const handlers = [probe.http_get, probe.tcp_socket, probe.exec].filter(Boolean).length;
  if (handlers !== 1) problems.push({ field: `probes.${name}`, message: 'set exactly one of http_get, tcp_socket, exec' });
}

/**
 * Turns a deploy intent into the complete spec a release records: absent fields keep the current
 * release's values (or the defaults for a first deploy), `env` merges over the current env, and
 * the combination is checked for what a schema cannot express. Pure.
 */
export function resolveAppSpec(body: DeployBody, current: AppSpec | null): AppSpec {
  const base: Omit<AppSpec, 'image'> = current ?? DEFAULT_SPEC;
  const problems: Problem[] = [];

  const image = parseImage(body.image);
  if (!image) {
    throw new AppError('SATUSKY_INVALID_IMAGE', `"${body.image}" is not a valid image reference (e.g. ghcr.io/acme/api:1.4.2).`, {
      details: [{ field: 'image', message: 'not a valid image reference' }],
    });
  }

  const pdbBody = body.pdb;
  const hpaBody = body.hpa;
  const spec: AppSpec = {
    image: body.image,
    port: body.port ?? base.port,
    cpu_request: body.cpu_request ?? base.cpu_request,
    cpu_limit: body.cpu_limit ?? base.cpu_limit,
    memory: body.memory ?? base.memory,
    replicas: body.replicas === undefined ? base.replicas : body.replicas === 0 ? DEFAULT_SPEC.replicas : body.replicas,
    env: { ...base.env, ...(body.env ?? {}) },
    required_secrets: body.required_secrets ? [...body.required_secrets].sort() : base.required_secrets,
    health_path: body.health_path ?? base.health_path,
    probes: {
      readiness: body.probes?.readiness ?? base.probes.readiness,
      liveness: body.probes?.liveness ?? base.probes.liveness,
      startup: body.probes?.startup ?? base.probes.startup,
    },
    strategy: body.strategy ?? base.strategy,
    rolling_max_surge: body.rolling_max_surge ?? base.rolling_max_surge,
    rolling_max_unavailable: body.rolling_max_unavailable ?? base.rolling_max_unavailable,
    hpa:
      hpaBody === undefined
        ? base.hpa
        : hpaBody.enabled
          ? {
              min_replicas: hpaBody.min_replicas ?? 1,
              max_replicas: hpaBody.max_replicas ?? 10,
              cpu_target: hpaBody.cpu_target ?? 80,
              memory_target: hpaBody.memory_target ?? 0,
            }
          : null,
    pdb: base.pdb,
    volumes: body.volumes ?? base.volumes,
    wait_for: body.wait_for ?? base.wait_for,
  };

  // Resources.
  const request = parseCpu(spec.cpu_request);
  const limit = parseCpu(spec.cpu_limit);
  const memory = parseBinaryQuantity(spec.memory);
  if (request === null || request <= 0) problems.push({ field: 'cpu_request', message: 'must be a positive CPU quantity' });
  if (limit === null || limit <= 0) problems.push({ field: 'cpu_limit', message: 'must be a positive CPU quantity' });
  if (request !== null && limit !== null && limit < request) {
    problems.push({ field: 'cpu_limit', message: `must be at least cpu_request (${spec.cpu_request})` });
  }
  if (limit !== null && limit > MAX_CPU_MILLI) problems.push({ field: 'cpu_limit', message: 'at most 16 CPUs' });
  if (memory === null || memory < MIN_MEMORY || memory > MAX_MEMORY) {
    problems.push({ field: 'memory', message: 'between 16Mi and 64Gi, with an Mi or Gi suffix' });
  }
  if (problems.length > 0) {
    throw new AppError('SATUSKY_INVALID_RESOURCES', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { details: problems });
  }

  // Autoscaling and disruption budget.
  if (spec.hpa && spec.hpa.min_replicas > spec.hpa.max_replicas) {
    problems.push({ field: 'hpa.min_replicas', message: 'must not exceed hpa.max_replicas' });
  }
  if (pdbBody !== undefined) {
    if (!pdbBody.enabled) {
      spec.pdb = null;
    } else {
      const type = pdbBody.type ?? 'auto';
      if (type === 'percent') {
        const percent = pdbBody.percent ?? 50;
        if (percent < 1 || percent > 99) problems.push({ field: 'pdb.percent', message: 'between 1 and 99' });
        spec.pdb = { max_unavailable_percent: percent };
      } else if (type === 'fixed') {
        const minAvailable = pdbBody.min_available ?? 1;
        if (!spec.hpa && minAvailable >= spec.replicas) {
          problems.push({ field: 'pdb.min_available', message: `must be below replicas (${spec.replicas}) or no pod could ever be evicted` });
        }
        spec.pdb = { min_available: minAvailable };
      } else {
        spec.pdb = { min_available: 1 };
      }
    }
  } else if (!current && spec.replicas > 1) {
    // As the real 1ctl does: a budget is on by default when there is more than one replica.
    spec.pdb = { min_available: 1 };
  }

  // Probes, volumes, environment.
  probeProblems('readiness', spec.probes.readiness ?? undefined, problems);
  probeProblems('liveness', spec.probes.liveness ?? undefined, problems);
  probeProblems('startup', spec.probes.startup ?? undefined, problems);
  const volumeNames = new Set<string>();
  const mountPaths = new Set<string>();
  for (const [i, volume] of spec.volumes.entries()) {
    if (volumeNames.has(volume.name)) problems.push({ field: `volumes[${i}].name`, message: `duplicate volume "${volume.name}"` });
    if (mountPaths.has(volume.mount_path)) problems.push({ field: `volumes[${i}].mount_path`, message: `duplicate mount path ${volume.mount_path}` });
    if (volume.mount_path === '/' || /(^|\/)\.\.(\/|$)/.test(volume.mount_path)) {
      problems.push({ field: `volumes[${i}].mount_path`, message: 'must be a directory below /, without ..' });
    }
    volumeNames.add(volume.name);
    mountPaths.add(volume.mount_path);
  }
  for (const target of spec.wait_for) {
    const port = Number(target.slice(target.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) problems.push({ field: 'wait_for', message: `${target}: port out of range` });
  }
  for (const key of Object.keys(spec.env)) {
    if (!ENV_KEY.test(key)) problems.push({ field: `env.${key}`, message: 'must be letters, digits and _, not starting with a digit, at most 128 characters' });
    if (RESERVED_ENV.has(key)) problems.push({ field: `env.${key}`, message: 'reserved by the platform' });
    if (spec.required_secrets.includes(key)) problems.push({ field: `env.${key}`, message: 'also declared as a required secret' });
  }
  if (problems.length > 0) {
    throw new AppError('SATUSKY_INVALID_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { details: problems });
  }
  return spec;
}

/** Two specs are the same release content (used to answer "nothing changed" to a repeated deploy). */
export function sameSpec(a: AppSpec, b: AppSpec): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
