import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_CLASS, startSimCluster, type SimCluster } from '@satusky/sim';
import { waitFor } from '../helpers.ts';
import { FAST_PODS } from '../sim-harness.ts';
import { scratchSchema } from './postgres.ts';
import { ControlPlaneProcess, freePort, waitReady } from './processes.ts';
import { reportFigures, round, SEED, seededRandom, sized } from './suite.ts';

/**
 * The control plane as a real process, SIGKILLed at random moments while clients deploy. Clients
 * retry each request with its X-Request-ID until it is answered, as 1ctl does. Afterwards: every
 * answered deploy is in the database exactly once (0 lost), no release and no generation was
 * applied twice (0 duplicates), and the cluster converges to the newest release of every app within
 * 30 s of the last restart. Short: 6 kills; full (`SATUSKY_SUITE=full`): 50.
 */
const KILLS = Number(process.env.SATUSKY_CRASH_KILLS ?? sized(6, 50));
const CONVERGENCE_BAR_MS = 30_000;
const APPS = ['alpha', 'bravo', 'charlie'];

interface ProcessMode {
  args: string[];
  env: Record<string, string>;
  onLine?: (line: string) => void;
  token(): Promise<string>;
  cleanup(): Promise<void>;
}

async function processMode(port: number): Promise<ProcessMode> {
  const base = {
    SATUSKY_PROBE_INTERVAL_MS: '300',
    SATUSKY_RESYNC_INTERVAL_MS: '3000',
    SATUSKY_LEASE_TTL_MS: '2000',
    SATUSKY_LOG_LEVEL: 'warn',
    SATUSKY_DNS_PORT: '0',
    SATUSKY_MASTER_KEYS: randomBytes(32).toString('base64'),
  };
  const url = process.env.DATABASE_URL;
  if (url) {
    const scratch = await scratchSchema(url, 'crash');
    let token: string | null = null;
    return {
      args: ['serve', '--port', String(port)],
      env: { ...base, DATABASE_URL: scratch.url },
      onLine(line: string) {
        const match = /Bootstrap admin token \(shown once\): (\S+)/.exec(line);
        if (match) token = match[1]!;
      },
      async token() {
        return waitFor(() => token, { timeoutMs: 20_000, message: 'bootstrap token' });
      },
      cleanup: () => scratch.drop(),
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'satusky-crash-'));
  return {
    args: ['dev', '--port', String(port), '--data-dir', path.join(dir, 'data')],
    // No simulated world: this test brings its own cluster.
    env: { ...base, SATUSKY_CONFIG_DIR: path.join(dir, 'cli'), SATUSKY_DEV_ZONES: 'none' },
    async token() {
      const profile = await waitFor(() => readFile(path.join(dir, 'cli', 'profiles', 'local.json'), 'utf8').catch(() => null), {
        timeoutMs: 20_000,
        message: 'dev profile',
      });
      return (JSON.parse(profile) as { token: string }).token;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

let sim: SimCluster;
let child: ControlPlaneProcess | null = null;
let mode: ProcessMode | undefined;
let base: string;

const start = () => new ControlPlaneProcess(mode!.args, mode!.env, mode!.onLine);

/** One request, retried with the same X-Request-ID until the control plane answers it. */
async function send(token: string, method: string, url: string, body: unknown, requestId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const response = await fetch(base + url, {
        method,
        headers: { 'x-satusky-api-key': token, 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status < 500) return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    } catch {
      // The process is down or was killed mid-request: try again with the same key.
    }
    if (Date.now() > deadline) {
      const state = child ? `the process ${child.exited ? `exited (${child.proc.exitCode ?? child.proc.signalCode})` : 'is running'}` : 'no process';
      throw new Error(`no answer to ${requestId} within 90 s; ${state}; its last lines:\n${child?.lines.slice(-30).join('\n') ?? ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  sim = await startSimCluster({ name: 'crash-zone', nodes: 2, podTimings: FAST_PODS });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  mode = await processMode(port);
});

afterAll(async () => {
  await child?.kill();
  await sim?.stop();
  await mode?.cleanup();
});

describe('crash safety of the control plane', () => {
  it(`loses no accepted deploy and applies nothing twice across ${KILLS} SIGKILLs`, async () => {
    const started = Date.now();
    const random = seededRandom(SEED);
    child = start();
    await waitReady(base);
    const token = await mode!.token();
    const registered = await send(token, 'POST', '/v1/clusters', { name: 'crash-zone', zone: 'crash-zone', kubeconfig: sim.kubeconfig(), gateway_class: DEFAULT_GATEWAY_CLASS }, 'register-cluster');
    expect(registered.status).toBe(201);
    const me = (await (await fetch(`${base}/v1/me`, { headers: { 'x-satusky-api-key': token } })).json()) as {
      organization: { organization_id: string; namespace: string };
    };
    const org = me.organization.organization_id;

    const answered: { app: string; requestId: string; image: string; generation: number; release: number }[] = [];
    const replays: { requestId: string; first: number; second: number }[] = [];
    let counter = 0;
    const deployLoop = async (app: string, stop: () => boolean) => {
      while (!stop()) {
        counter += 1;
        const requestId = `crash-${app}-${counter}`;
        const image = `ghcr.io/acme/${app}:${counter}`;
        const result = await send(token, 'PUT', `/v1/orgs/${org}/apps/${app}`, { image }, requestId);
        expect(result.status, JSON.stringify(result.body)).toBe(202);
        answered.push({ app, requestId, image, generation: result.body.generation as number, release: result.body.release as number });
        if (counter % 5 === 0) {
          // Retrying an answered request must replay it, never redo it.
          const again = await send(token, 'PUT', `/v1/orgs/${org}/apps/${app}`, { image }, requestId);
          replays.push({ requestId, first: result.body.release as number, second: again.body.release as number });
        }
      }
    };

    let lastStart = 0;
    for (let round = 0; round < KILLS; round += 1) {
      let stopped = false;
      const loops = APPS.map((app) => deployLoop(app, () => stopped));
      // Kill at a random moment while requests, transactions and reconciles are in flight.
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(random() * 600)));
      await child.kill();
      lastStart = Date.now();
      child = start();
      stopped = true;
      await Promise.all(loops);
      await waitReady(base);
    }

    // Converge: every app ready at its newest release, running the newest answered image.
    const newestOf = (app: string) => answered.filter((a) => a.app === app).sort((a, b) => b.generation - a.generation)[0]!;
    await Promise.all(
      APPS.map((app) =>
        waitFor(
          async () => {
            const status = (await (await fetch(`${base}/v1/orgs/${org}/apps/${app}/status`, { headers: { 'x-satusky-api-key': token } })).json()) as {
              status: string;
              generation: number;
            };
            return status.status === 'ready' && status.generation === newestOf(app).generation;
          },
          { timeoutMs: CONVERGENCE_BAR_MS + 5_000, intervalMs: 100, message: `${app} converges to generation ${newestOf(app).generation}` },
        ),
      ),
    );
    const convergedMs = Date.now() - lastStart;

    let lost = 0;
    let duplicateReleases = 0;
    let numberingErrors = 0;
    let duplicateApplies = 0;
    for (const app of APPS) {
      const live = sim.objects.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: me.organization.namespace, name: app }) as unknown as {
        spec: { template: { spec: { containers: { image: string }[] } } };
      };
      expect(live.spec.template.spec.containers[0]!.image).toBe(newestOf(app).image);

      const releases = (await (await fetch(`${base}/v1/orgs/${org}/apps/${app}/releases`, { headers: { 'x-satusky-api-key': token } })).json()) as {
        items: { version: number; generation: number; image: string }[];
      };
      const answeredHere = answered.filter((a) => a.app === app);
      // Nothing lost: every answered deploy is a release, with the answered number and image.
      lost += answeredHere.filter((a) => releases.items.find((r) => r.version === a.release)?.image !== a.image).length;
      // Nothing twice: exactly one release per answered request, numbered without gaps.
      duplicateReleases += Math.max(0, releases.items.length - answeredHere.length);
      const versions = releases.items.map((r) => r.version).sort((x, y) => x - y);
      if (versions.join(',') !== answeredHere.map((_, i) => i + 1).join(',')) numberingErrors += 1;

      const events = (await (await fetch(`${base}/v1/orgs/${org}/apps/${app}/events?limit=1000`, { headers: { 'x-satusky-api-key': token } })).json()) as {
        items: { type: string; generation: number | null }[];
      };
      const applied = events.items.filter((e) => e.type === 'Applied').map((e) => e.generation);
      duplicateApplies += applied.length - new Set(applied).size;
    }
    const replayMismatches = replays.filter((r) => r.second !== r.first).length;
    reportFigures('crash-safety', {
      seed: SEED,
      kills: KILLS,
      accepted_deploys: answered.length,
      replays_checked: replays.length,
      lost,
      duplicate_releases: duplicateReleases,
      release_numbering_errors: numberingErrors,
      duplicate_applies: duplicateApplies,
      replay_mismatches: replayMismatches,
      convergence_s_after_last_restart: round(convergedMs / 1000),
      duration_s: round((Date.now() - started) / 1000),
    });
    expect(lost).toBe(0);
    expect(duplicateReleases).toBe(0);
    expect(numberingErrors).toBe(0);
    expect(duplicateApplies).toBe(0);
    expect(replayMismatches).toBe(0);
    expect(convergedMs).toBeLessThan(CONVERGENCE_BAR_MS);
    expect(answered.length).toBeGreaterThan(KILLS);
  }, sized(180_000, 1_200_000));
});
