import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, DeployAccepted } from '@satusky/contracts';
import { waitFor } from '../helpers.ts';
import { startHarness, type Harness } from '../sim-harness.ts';
import { reportFigures, round, sized } from './suite.ts';

/**
 * The safety brake on pruning. A reconcile pass deletes what the app's release no longer renders;
 * if that would delete more than 10 % of the app's managed objects in the cluster (and more than 3),
 * the pass halts before deleting anything and the timeline says why — a wrong or partial view must
 * never turn into a mass deletion. Routes and certificates come and go with domains and are exempt by
 * design; an ordinary prune (one object the release dropped) still happens. Short: 10 stray objects;
 * full: 50.
 */
const STRAY = sized(10, 50);
const APP = 'brake';

let h: Harness;
let ns: string;
let deploymentId: string;

beforeAll(async () => {
  h = await startHarness({ zones: ['brake-1'], controllers: { probeTimeoutMs: 2_000 } });
  ns = `org-${h.tenant.slug}`;
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const sim = () => h.zones[0]!.sim;
const events = async () => (await h.api<{ items: AppEvent[] }>('GET', `/v1/orgs/${h.tenant.orgId}/apps/${APP}/events?limit=1000`)).body.items;

/** Objects that carry the app's labels (as leftovers of an older release would) but are not rendered. */
function addStray(kind: 'ConfigMap' | 'HTTPRoute', count: number, prefix: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = `${prefix}-${i}`;
    const labels = { 'app.kubernetes.io/managed-by': 'satusky', 'app.kubernetes.io/name': APP, 'satusky.com/deployment-id': deploymentId };
    sim().objects.create(
      kind === 'ConfigMap'
        ? { apiVersion: 'v1', kind, metadata: { name, namespace: ns, labels }, data: { leftover: String(i) } }
        : {
            apiVersion: 'gateway.networking.k8s.io/v1',
            kind,
            metadata: { name, namespace: ns, labels },
            spec: { parentRefs: [{ name: 'satusky-edge', namespace: 'satusky-system' }], hostnames: [`${name}.stray.example`] },
          },
      { fieldManager: 'satusky' },
    );
    names.push(name);
  }
  return names;
}

const present = (kind: 'ConfigMap' | 'HTTPRoute', names: string[]) =>
  names.filter((name) => sim().objects.get({ apiVersion: kind === 'ConfigMap' ? 'v1' : 'gateway.networking.k8s.io/v1', kind, namespace: ns, name })).length;

async function deploy(body: Record<string, unknown>): Promise<DeployAccepted> {
  const response = await h.api<DeployAccepted>('PUT', `/v1/orgs/${h.tenant.orgId}/apps/${APP}`, body);
  expect(response.status, response.text).toBe(202);
  return response.body;
}

describe('the mass-deletion brake', () => {
  it(`halts a pass that would delete ${STRAY} of the app's objects, raises an event, and deletes nothing`, async () => {
    const started = Date.now();
    const first = await deploy({ image: 'ghcr.io/acme/brake:1', pdb: { enabled: true } });
    deploymentId = first.deployment_id;
    await h.waitForStatus(APP, (s) => s.status === 'ready', { timeoutMs: 30_000 });

    // An ordinary prune goes through: the release stops rendering the PodDisruptionBudget.
    await deploy({ image: 'ghcr.io/acme/brake:1', pdb: { enabled: false } });
    await waitFor(() => !sim().objects.get({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: ns, name: APP }), {
      timeoutMs: 15_000,
      message: 'the dropped PodDisruptionBudget is pruned',
    });

    // Many objects of the app's that no release renders: deleting them all in one pass is refused.
    const stray = addStray('ConfigMap', STRAY, `${APP}-leftover`);
    sim().clearRequests();
    const lastEvent = Math.max(0, ...(await events()).map((e) => e.id));
    const halted = await deploy({ image: 'ghcr.io/acme/brake:2' });
    const refusal = await waitFor(async () => (await events()).find((e) => e.id > lastEvent && e.type === 'ApplyFailed' && e.message.includes('refusing to delete')), {
      timeoutMs: 15_000,
      message: 'ApplyFailed: refusing to delete',
    });
    expect(refusal.level).toBe('error');
    // Several passes later (retries with backoff, a resync) not one of them was deleted.
    const queue = h.cp.controllers!.queueOf(h.zones[0]!.clusterId)!;
    const haltedAt = Date.now();
    await waitFor(async () => Date.now() - haltedAt > 3_500 && (await h.cp.database.db.selectFrom('deployment_targets').select('attempts').where('deployment_id', '=', deploymentId).executeTakeFirstOrThrow()).attempts >= 2, {
      timeoutMs: 20_000,
      message: 'retried passes',
    });
    const survived = present('ConfigMap', stray);
    expect(survived).toBe(STRAY);
    const deletes = sim().requests().filter((r) => r.method === 'DELETE' && r.path.includes('/configmaps/'));
    expect(deletes.map((d) => d.path)).toEqual([]);
    // The generation is not reported as applied while the pass is halted.
    const status = await h.status(APP);
    expect(status.generation).toBe(halted.generation);
    expect(status.clusters[0]!.applied_generation).toBeLessThan(halted.generation);
    expect(status.status).not.toBe('ready');

    // An operator clears the leftovers by hand: the next pass completes.
    for (const name of stray) sim().objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
    await queue.idle();
    await h.waitForStatus(APP, (s) => s.status === 'ready' && s.generation === halted.generation, { timeoutMs: 40_000 });

    // Routes are exempt by design (they come and go with domains): stray routes are pruned at once.
    const routes = addStray('HTTPRoute', Math.min(STRAY, 10), `${APP}-route`);
    const pruned = await deploy({ image: 'ghcr.io/acme/brake:3' });
    await waitFor(() => present('HTTPRoute', routes) === 0, { timeoutMs: 15_000, message: 'stray routes pruned' });
    await h.waitForStatus(APP, (s) => s.status === 'ready' && s.generation === pruned.generation, { timeoutMs: 30_000 });

    reportFigures('mass-deletion', {
      stray_objects: STRAY,
      deleted_while_halted: STRAY - survived,
      delete_calls_while_halted: deletes.length,
      refusal: refusal.message,
      ordinary_prune: 'PodDisruptionBudget pruned',
      stray_routes_pruned: routes.length,
      duration_s: round((Date.now() - started) / 1000),
    });
  }, sized(120_000, 240_000));
});
