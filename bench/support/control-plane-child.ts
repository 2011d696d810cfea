// The control plane with its controllers, in a process of its own (like `satusky serve`), so the
// benchmarks can measure its CPU and memory apart from the clusters and the load generator. It
// listens on 127.0.0.1 (any free port) and serves the real API; clusters are registered by the
// driver through that API.
//
// Argument: JSON ControlPlaneConfig. Handlers:
//   usage        CPU and memory of this process
//   converged    active targets: how many are applied and how many rolled out and ready (one query)
//   render       the objects the reconciler renders for the given apps (or all), per cluster, as
//                JSON files in `dir`: what a baseline applies without the control plane
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { openDatabase, type Database } from '../../packages/control-plane/src/db/database.ts';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from '../../packages/control-plane/src/controllers/manager.ts';
import { withAppliedHash } from '../../packages/control-plane/src/core/drift.ts';
import { renderAcmeIssuer, renderApp, renderEdgeGateway, renderNamespace, type KubeObject } from '../../packages/control-plane/src/core/render.ts';
import { startControlPlane } from '../../packages/control-plane/src/server.ts';
import { createTenant, createTestDatabase, testConfig } from '../../packages/control-plane/test/helpers.ts';
import { serveChild, usage } from './ipc.ts';

export interface ControlPlaneConfig {
  /** PostgreSQL (a URL with its own search_path); absent: PGlite, in this process. */
  databaseUrl?: string;
  controllers?: Partial<ControllerOptions>;
  /** Organizations to create besides the admin's (each with a token). */
  orgs?: number;
  tls?: boolean;
  logLevel?: string;
}

export interface Tenant {
  orgId: string;
  token: string;
}

export interface ControlPlaneReady {
  url: string;
  database: 'pglite' | 'postgres';
  admin: Tenant;
  orgs: Tenant[];
  controllers: ControllerOptions;
}

export interface Convergence {
  targets: number;
  applied: number;
  ready: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ControlPlaneConfig;
const logLevel = config.logLevel ?? 'error';
const database: Database = config.databaseUrl ? await openDatabase({ kind: 'postgres', url: config.databaseUrl, poolSize: 10 }) : await createTestDatabase();
const controllers: ControllerOptions = { ...DEFAULT_CONTROLLER_OPTIONS, ...config.controllers };
const base = testConfig();
const cp = await startControlPlane(
  testConfig({
    database: config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite' },
    logLevel,
    rateLimitPerMinute: 1_000_000_000,
    runControllers: true,
    controllers,
    domains: { ...base.domains, tls: config.tls ?? true },
  }),
  { logger: pino({ level: logLevel }), database, dashboardDir: null },
);
const admin = await createTenant(database, 'bench');
await database.db.updateTable('users').set({ is_platform_admin: true }).where('id', '=', admin.userId).execute();
const orgs: Tenant[] = [];
for (let i = 0; i < (config.orgs ?? 0); i++) {
  const t = await createTenant(database, `o${i}`);
  orgs.push({ orgId: t.orgId, token: t.token });
}

async function converged(): Promise<Convergence> {
  const row = await sql<{ targets: string | number; applied: string | number; ready: string | number }>`
    select count(*) as targets,
           count(*) filter (where t.applied_generation >= t.desired_generation) as applied,
           count(*) filter (where t.applied_generation >= t.desired_generation
             and o.observed_generation >= t.desired_generation
             and coalesce(o.ready_replicas, 0) >= coalesce(o.desired_replicas, 0)
             and coalesce(o.updated_replicas, 0) >= coalesce(o.desired_replicas, 0)
             and coalesce(o.available_replicas, 0) >= coalesce(o.desired_replicas, 0)
             and coalesce(o.replicas, 0) <= coalesce(o.updated_replicas, 0)) as ready
      from deployment_targets t
      left join deployment_observations o on o.deployment_id = t.deployment_id and o.cluster_id = t.cluster_id
     where t.state = 'active'`.execute(database.db);
  const r = row.rows[0]!;
  return { targets: Number(r.targets), applied: Number(r.applied), ready: Number(r.ready) };
}

/**
 * What the reconciler applies, per cluster: the edge Gateway and ACME issuer, each org's namespace
 * objects, and every app's objects (no secrets, no custom domains: the benchmarks use neither).
 */
async function render(payload: { dir: string; deploymentIds?: string[] }): Promise<Record<string, string>> {
  const db = database.db;
  let query = db
    .selectFrom('deployment_targets as t')
    .innerJoin('deployments as d', 'd.id', 't.deployment_id')
    .innerJoin('releases as r', 'r.id', 'd.current_release_id')
    .innerJoin('organizations as o', 'o.id', 'd.organization_id')
    .innerJoin('clusters as c', 'c.id', 't.cluster_id')
    .select([
      'c.name as cluster',
      'c.zone',
      'c.gateway_class',
      'c.ingress_class',
      'o.id as org_id',
      'o.slug',
      'o.namespace',
      'd.id',
      'd.name',
      'd.hostname',
      'r.template_version',
      'r.generation',
      'r.spec',
      'r.secret_keys',
      'r.secrets_version',
      'r.restart_nonce',
    ])
    .where('t.state', '=', 'active');
  if (payload.deploymentIds) query = query.where('d.id', 'in', payload.deploymentIds);
  const rows = await query.execute();
  const perCluster = new Map<string, { objects: KubeObject[]; namespaces: Set<string> }>();
  const tls = config.tls ?? true;
  for (const row of rows) {
    let entry = perCluster.get(row.cluster);
    if (!entry) {
      entry = { objects: [...renderEdgeGateway(row.gateway_class), ...(tls ? [renderAcmeIssuer(base.domains.acme)] : [])], namespaces: new Set() };
      perCluster.set(row.cluster, entry);
    }
    if (!entry.namespaces.has(row.namespace)) {
      entry.namespaces.add(row.namespace);
      entry.objects.push(...renderNamespace({ org: { id: row.org_id, slug: row.slug, namespace: row.namespace } }));
    }
    entry.objects.push(
      ...renderApp({
        org: { id: row.org_id, slug: row.slug, namespace: row.namespace },
        app: { id: row.id, name: row.name, hostname: row.hostname },
        release: {
          version: row.template_version,
          generation: row.generation,
          spec: row.spec,
          secretKeys: row.secret_keys,
          secretsVersion: row.secrets_version,
          restartNonce: row.restart_nonce,
        },
        cluster: { zone: row.zone },
        secrets: {},
        routing: { tls, ingressClass: row.ingress_class, domains: [] },
      }),
    );
  }
  const files: Record<string, string> = {};
  for (const [cluster, entry] of perCluster) {
    const file = path.join(payload.dir, `${cluster}.json`);
    await writeFile(file, JSON.stringify(entry.objects.map(withAppliedHash)));
    files[cluster] = file;
  }
  return files;
}

serveChild<ControlPlaneReady>(
  { url: cp.url!, database: database.kind, admin: { orgId: admin.orgId, token: admin.token }, orgs, controllers },
  {
    usage: () => usage(),
    converged: () => converged(),
    resync: () => cp.controllers?.resyncStats() ?? [],
    render: (payload: { dir: string; deploymentIds?: string[] }) => render(payload),
  },
  async () => {
    await cp.close();
    await database.close();
  },
);
