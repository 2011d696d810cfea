import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AddDomainBody, Domain, DomainCheck, DomainSetup } from '@satusky/contracts';
import { checkDomain as judge, summarizeFacts, type HttpProbe, type TlsProbe, type ZoneView } from '../core/domain-check.ts';
import { challengeName, challengeValue, customHostnameProblem, isApex, normalizeHostname, setupRecords, txtProves } from '../core/domains.ts';
import { AppError } from '../core/errors.ts';
import type { DomainProber } from '../controllers/domain-probe.ts';
import type { Executor } from '../db/database.ts';
import type { DeploymentRow, DomainRow } from '../db/schema.ts';
import { recordEvent } from '../events/repository.ts';
import type { Actor } from '../http/context.ts';
import type { AuditEvent } from '../http/mutation.ts';

export interface DomainsContext {
  now: Date;
  platformDomain: string;
  routingMode: 'gateway' | 'ingress';
  reservationDays: number;
  wake: (clusterIds: readonly string[]) => void;
  afterCommit: (fn: () => void) => void;
  audit: (event: AuditEvent) => void;
}

export interface CheckContext {
  now: Date;
  staleAfterMs: number;
  prober: DomainProber;
  edgeHttpsPort: number;
}

const DAY = 86_400_000;
/** Verified domains are re-checked this often (the TXT may go; routing does not depend on it). */
export const RECHECK_VERIFIED_MS = 10 * 60_000;

function toDomain(row: DomainRow, app: { id: string; name: string } | null): Domain {
  return {
    id: row.id,
    hostname: row.hostname,
    app,
    www_redirect: row.www_redirect,
    status: row.status,
    verification: { record_type: 'TXT', record_name: challengeName(row.hostname), record_value: challengeValue(row.verification_token) },
    verified_at: row.verified_at?.toISOString() ?? null,
    route_kind: row.route_kind,
    last_checked_at: row.last_checked_at?.toISOString() ?? null,
    last_check_error: row.last_check_error,
    created_at: row.created_at.toISOString(),
  };
}

async function appsById(exec: Executor, ids: (string | null)[]): Promise<Map<string, DeploymentRow>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await exec.selectFrom('deployments').selectAll().where('id', 'in', wanted).where('state', '!=', 'deleted').execute();
  return new Map(rows.map((r) => [r.id, r]));
}

const appRef = (d: DeploymentRow | undefined) => (d ? { id: d.id, name: d.name } : null);

async function findDomain(exec: Executor, organizationId: string, hostname: string): Promise<DomainRow | undefined> {
  return exec
    .selectFrom('domains')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('hostname', '=', normalizeHostname(hostname))
    .where('status', '!=', 'removed')
    .executeTakeFirst();
}

async function requireDomain(exec: Executor, actor: Actor, hostname: string): Promise<DomainRow> {
  const row = await findDomain(exec, actor.organization.id, hostname);
  if (!row) throw new AppError('SATUSKY_DOMAIN_NOT_FOUND', `${normalizeHostname(hostname)} is not attached in ${actor.organization.slug}.`);
  return row;
}

export async function list(exec: Executor, actor: Actor, appName?: string): Promise<Domain[]> {
  let query = exec.selectFrom('domains').selectAll().where('organization_id', '=', actor.organization.id).where('status', '!=', 'removed');
  if (appName) {
    const deployment = await exec
      .selectFrom('deployments')
      .select('id')
      .where('organization_id', '=', actor.organization.id)
      .where('name', '=', appName)
      .where('state', '!=', 'deleted')
      .executeTakeFirst();
    if (!deployment) throw new AppError('SATUSKY_APP_NOT_FOUND', `No app "${appName}" in ${actor.organization.slug}.`);
    query = query.where('deployment_id', '=', deployment.id);
  }
  const rows = await query.orderBy('hostname').execute();
  const apps = await appsById(exec, rows.map((r) => r.deployment_id));
  return rows.map((r) => toDomain(r, appRef(apps.get(r.deployment_id ?? ''))));
}

export async function get(exec: Executor, actor: Actor, hostname: string): Promise<Domain> {
  const row = await requireDomain(exec, actor, hostname);
  const apps = await appsById(exec, [row.deployment_id]);
  return toDomain(row, appRef(apps.get(row.deployment_id ?? '')));
}

/**
 * Attaches a hostname to an app as pending: nothing is routed and no certificate is requested
 * until the TXT record proves the org controls the name. A hostname (and its www name) belongs to
 * one org; after removal it stays reserved to that org for the grace period.
 */
export async function add(exec: Executor, actor: Actor, body: AddDomainBody, ctx: DomainsContext): Promise<Domain> {
  const hostname = normalizeHostname(body.hostname);
  const problem = customHostnameProblem(hostname, ctx.platformDomain);
  if (problem) throw new AppError('SATUSKY_DOMAIN_INVALID', `${hostname} cannot be attached: ${problem}.`, { details: { hostname } });
  const www = body.www_redirect ?? false;
  if (www && hostname.startsWith('www.')) {
    throw new AppError('SATUSKY_DOMAIN_INVALID', `${hostname} already starts with www.; attach the bare domain with --www to redirect www to it.`);
  }
  const deployment = await exec
    .selectFrom('deployments')
    .selectAll()
    .where('organization_id', '=', actor.organization.id)
    .where('name', '=', body.app)
    .where('state', '=', 'active')
    .executeTakeFirst();
  if (!deployment) throw new AppError('SATUSKY_APP_NOT_FOUND', `No app "${body.app}" in ${actor.organization.slug}.`);

  const names = www ? [hostname, `www.${hostname}`] : [hostname];
  // Serialise claims of these names across concurrent requests (and processes).
  for (const name of names) await sql`select pg_advisory_xact_lock(hashtext(${`domain:${name}`}))`.execute(exec);

  const bare = names.map((n) => (n.startsWith('www.') ? n.slice(4) : n));
  const holders = await exec
    .selectFrom('domains')
    .selectAll()
    .where('status', '!=', 'removed')
    .where((eb) => eb.or([eb('hostname', 'in', names), eb.and([eb('www_redirect', '=', true), eb('hostname', 'in', bare)])]))
    .execute();
  for (const holder of holders) {
    const claimed = holder.www_redirect ? [holder.hostname, `www.${holder.hostname}`] : [holder.hostname];
    const clash = names.find((n) => claimed.includes(n));
    if (!clash) continue;
    if (holder.organization_id === actor.organization.id) {
      throw new AppError('SATUSKY_DOMAIN_EXISTS', `${clash} is already attached in ${actor.organization.slug}${holder.hostname !== clash ? ` (as the www name of ${holder.hostname})` : ''}.`, {
        details: { hostname: clash },
      });
    }
    throw new AppError('SATUSKY_DOMAIN_TAKEN', `${clash} is attached by another organization.`, { details: { hostname: clash } });
  }
  const reserved = await exec
    .selectFrom('domains')
    .select(['hostname', 'reserved_until', 'organization_id'])
    .where('status', '=', 'removed')
    .where('organization_id', '!=', actor.organization.id)
    .where('reserved_until', '>', ctx.now)
    .where((eb) => eb.or([eb('hostname', 'in', names), eb.and([eb('www_redirect', '=', true), eb('hostname', 'in', bare)])]))
    .orderBy('reserved_until', 'desc')
    .executeTakeFirst();
  if (reserved) {
    throw new AppError(
      'SATUSKY_DOMAIN_RESERVED',
      `${reserved.hostname} was released by another organization and stays reserved to it until ${reserved.reserved_until!.toISOString()}.`,
      { details: { hostname: reserved.hostname, reserved_until: reserved.reserved_until!.toISOString() } },
    );
  }

  const row = await exec
    .insertInto('domains')
    .values({
      id: randomUUID(),
      organization_id: actor.organization.id,
      deployment_id: deployment.id,
      hostname,
      www_redirect: www,
      verification_token: randomBytes(18).toString('base64url'),
      route_kind: ctx.routingMode === 'ingress' ? 'ingress' : 'httproute',
      next_check_at: ctx.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(exec, {
    deploymentId: deployment.id,
    organizationId: deployment.organization_id,
    generation: deployment.generation,
    category: 'route',
    type: 'DomainAdded',
    message: `${hostname} attached${www ? ' (www redirect)' : ''}; waiting for TXT ${challengeName(hostname)}`,
    detail: { hostname, www_redirect: www },
  });
  ctx.audit({ action: 'domain.add', resourceType: 'domain', resourceId: row.id, resourceName: hostname, changes: { app: deployment.name, www_redirect: www } });
  ctx.afterCommit(() => ctx.wake([]));
  return toDomain(row, { id: deployment.id, name: deployment.name });
}

/** Every record to create, with the app's current edge addresses for an apex. */
export async function setup(exec: Executor, actor: Actor, hostname: string): Promise<DomainSetup> {
  const row = await requireDomain(exec, actor, hostname);
  const deployment = row.deployment_id ? (await appsById(exec, [row.deployment_id])).get(row.deployment_id) : undefined;
  if (!deployment) throw new AppError('SATUSKY_APP_NOT_FOUND', `${row.hostname} is not attached to an app any more; remove it and attach it again.`);
  const edgeAddresses = await expectedAddresses(exec, deployment);
  const result = setupRecords({ hostname: row.hostname, token: row.verification_token, appHostname: deployment.hostname, edgeAddresses, wwwRedirect: row.www_redirect, verified: row.status === 'verified' });
  return { hostname: row.hostname, ...result };
}

/** What the platform DNS publishes for the app's hostname: the edges that should get its traffic. */
async function expectedAddresses(exec: Executor, deployment: DeploymentRow): Promise<string[]> {
  const rows = await exec
    .selectFrom('dns_records')
    .select('value')
    .where('deployment_id', '=', deployment.id)
    .where('name', '=', deployment.hostname.toLowerCase())
    .where('type', '=', 'A')
    .execute();
  return rows.map((r) => r.value).sort();
}

export async function remove(exec: Executor, actor: Actor, hostname: string, ctx: DomainsContext): Promise<{ removed: true; hostname: string; reserved_until: string }> {
  const row = await requireDomain(exec, actor, hostname);
  const reservedUntil = new Date(ctx.now.getTime() + ctx.reservationDays * DAY);
  await exec
    .updateTable('domains')
    .set({ status: 'removed', removed_at: ctx.now, reserved_until: reservedUntil, next_check_at: null, ingress_retained: false })
    .where('id', '=', row.id)
    .execute();
  let clusterIds: string[] = [];
  if (row.deployment_id) {
    clusterIds = await bumpRouting(exec, row.deployment_id);
    const deployment = (await appsById(exec, [row.deployment_id])).get(row.deployment_id);
    if (deployment) {
      await recordEvent(exec, {
        deploymentId: deployment.id,
        organizationId: deployment.organization_id,
        generation: deployment.generation,
        category: 'route',
        type: 'DomainRemoved',
        message: `${row.hostname} removed; its routes and certificate are being deleted; reserved to ${actor.organization.slug} until ${reservedUntil.toISOString()}`,
        detail: { hostname: row.hostname, reserved_until: reservedUntil.toISOString() },
      });
    }
  }
  ctx.audit({ action: 'domain.remove', resourceType: 'domain', resourceId: row.id, resourceName: row.hostname, changes: { reserved_until: reservedUntil.toISOString() } });
  ctx.afterCommit(() => ctx.wake(clusterIds));
  return { removed: true, hostname: row.hostname, reserved_until: reservedUntil.toISOString() };
}

/** The app's routes changed: every zone re-applies them. Returns the clusters to wake. */
export async function bumpRouting(exec: Executor, deploymentId: string): Promise<string[]> {
  await exec
    .updateTable('deployments')
    .set((eb) => ({ routing_generation: eb('routing_generation', '+', 1) }))
    .where('id', '=', deploymentId)
    .execute();
  const targets = await exec.selectFrom('deployment_targets').select('cluster_id').where('deployment_id', '=', deploymentId).where('state', '=', 'active').execute();
  return targets.map((t) => t.cluster_id);
}

/** What a TXT lookup showed, in words, and whether it proves ownership. */
export async function lookUpOwnership(prober: DomainProber, row: Pick<DomainRow, 'hostname' | 'verification_token'>): Promise<{ proven: boolean; observed: string }> {
  const name = challengeName(row.hostname);
  const txt = await prober.resolveTxt(name);
  if (txtProves(txt.records, row.verification_token)) return { proven: true, observed: `TXT ${name} found` };
  if (txt.rcode === 'NXDOMAIN') return { proven: false, observed: `no TXT record at ${name} (NXDOMAIN)` };
  if (txt.rcode !== 'NOERROR') return { proven: false, observed: `looking up ${name} failed: ${txt.rcode}${txt.error ? ` (${txt.error})` : ''}` };
  if (txt.records.length === 0) return { proven: false, observed: `no TXT record at ${name}` };
  const values = txt.records.map((r) => `"${r.join('')}"`).join(', ');
  return { proven: false, observed: `TXT ${name} is ${values}, not "${challengeValue(row.verification_token)}"` };
}

/** Ownership proven: the domain is routed and certified from now on. Returns the clusters to wake. */
export async function markVerified(exec: Executor, row: DomainRow, now: Date): Promise<string[]> {
  const updated = await exec
    .updateTable('domains')
    .set({ status: 'verified', verified_at: now, last_checked_at: now, last_check_error: null, check_attempts: 0, next_check_at: new Date(now.getTime() + RECHECK_VERIFIED_MS) })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0 || !row.deployment_id) return [];
  const clusterIds = await bumpRouting(exec, row.deployment_id);
  const deployment = (await appsById(exec, [row.deployment_id])).get(row.deployment_id);
  if (deployment) {
    await recordEvent(exec, {
      deploymentId: deployment.id,
      organizationId: deployment.organization_id,
      generation: deployment.generation,
      category: 'route',
      type: 'DomainVerified',
      message: `${row.hostname} verified (TXT ${challengeName(row.hostname)} seen); routing it${row.www_redirect ? ` and redirecting www.${row.hostname}` : ''} and requesting a certificate`,
      detail: { hostname: row.hostname },
    });
  }
  return clusterIds;
}

/**
 * `domains check`: every fact about one hostname (a custom domain of the org, or an app's
 * generated hostname), observed now. A pending domain whose TXT is now in place is verified on
 * the spot.
 */
export async function check(
  exec: Executor,
  actor: Actor,
  hostname: string,
  probe: boolean,
  ctx: CheckContext,
  verify: (row: DomainRow) => Promise<void>,
): Promise<DomainCheck> {
  const host = normalizeHostname(hostname);
  let domain = await findDomain(exec, actor.organization.id, host);
  let deployment: DeploymentRow | undefined;
  if (domain) {
    deployment = domain.deployment_id ? (await appsById(exec, [domain.deployment_id])).get(domain.deployment_id) : undefined;
  } else {
    deployment = await exec
      .selectFrom('deployments')
      .selectAll()
      .where('organization_id', '=', actor.organization.id)
      .where('hostname', '=', host)
      .where('state', '!=', 'deleted')
      .executeTakeFirst();
    if (!deployment) throw new AppError('SATUSKY_DOMAIN_NOT_FOUND', `${host} is neither a custom domain nor an app hostname in ${actor.organization.slug}.`);
  }

  let ownership: string | null = null;
  if (domain && domain.status === 'pending') {
    const seen = await lookUpOwnership(ctx.prober, domain);
    ownership = seen.observed;
    if (seen.proven) {
      await verify(domain);
      domain = (await findDomain(exec, actor.organization.id, host)) ?? domain;
    }
  }

  const zones: ZoneView[] = [];
  let expected: string[] = [];
  let healthPath = '/';
  let deployed = false;
  if (deployment) {
    expected = await expectedAddresses(exec, deployment);
    const release = deployment.current_release_id
      ? await exec.selectFrom('releases').select(['spec']).where('id', '=', deployment.current_release_id).executeTakeFirst()
      : undefined;
    healthPath = release?.spec.health_path ?? '/';
    const targets = await exec
      .selectFrom('deployment_targets as t')
      .innerJoin('clusters as c', 'c.id', 't.cluster_id')
      .leftJoin('deployment_observations as o', (join) => join.onRef('o.deployment_id', '=', 't.deployment_id').onRef('o.cluster_id', '=', 't.cluster_id'))
      .select(['c.zone', 'c.edge_address', 'c.last_heard_at', 't.applied_generation', 't.desired_generation', 't.applied_routing_generation', 'o.routing'])
      .where('t.deployment_id', '=', deployment.id)
      .where('t.state', '=', 'active')
      .orderBy('c.zone')
      .execute();
    deployed = release !== undefined && targets.length > 0;
    for (const t of targets) {
      zones.push({
        zone: t.zone,
        edgeAddress: t.edge_address,
        published: t.edge_address !== null && expected.includes(t.edge_address),
        stale: !t.last_heard_at || ctx.now.getTime() - t.last_heard_at.getTime() > ctx.staleAfterMs,
        applying: t.applied_generation < t.desired_generation || t.applied_routing_generation < deployment.routing_generation,
        routing: t.routing ?? null,
      });
    }
  }

  const routed = !domain || domain.status === 'verified';
  const dns = await ctx.prober.resolve(host);
  const tlsProbes = new Map<string, TlsProbe>();
  const httpProbes = probe ? new Map<string, HttpProbe>() : null;
  if (routed && deployed) {
    await Promise.all(
      zones.map(async (z) => {
        if (!z.edgeAddress) return;
        tlsProbes.set(z.zone, await ctx.prober.tls(z.edgeAddress, ctx.edgeHttpsPort, host));
        if (httpProbes) httpProbes.set(z.zone, await ctx.prober.http(z.edgeAddress, ctx.edgeHttpsPort, host, healthPath));
      }),
    );
  }

  const facts = judge({
    hostname: host,
    kind: domain ? 'custom' : 'platform',
    org: actor.organization.slug,
    app: deployment ? { name: deployment.name, hostname: deployment.hostname, deployed } : null,
    domain: domain
      ? {
          status: domain.status === 'verified' ? 'verified' : 'pending',
          verificationName: challengeName(domain.hostname),
          verificationValue: challengeValue(domain.verification_token),
          verifiedAt: domain.verified_at,
          lastCheckError: ownership ?? domain.last_check_error,
          routeKind: domain.route_kind,
        }
      : null,
    zones,
    expectedAddresses: expected,
    apex: domain ? isApex(host) : false,
    dns,
    tls: tlsProbes,
    http: httpProbes,
    edgeHttpsPort: ctx.edgeHttpsPort,
    healthPath,
    now: ctx.now,
  });
  return {
    hostname: host,
    kind: domain ? 'custom' : 'platform',
    app: deployment ? { id: deployment.id, name: deployment.name } : null,
    ok: summarizeFacts(facts).ok,
    probe,
    facts,
    checked_at: ctx.now.toISOString(),
  };
}

/**
 * `satusky routing migrate`: every legacy (Ingress) custom domain moves to an HTTPRoute. The
 * Ingress stays until the new route is accepted in every zone that serves the app (the domain
 * controller then drops it), so requests never meet a hostname nobody routes.
 */
export async function startRoutingMigration(exec: Executor): Promise<{ hostnames: string[]; clusterIds: string[] }> {
  // Pending domains have no route yet: they simply start out as HTTPRoutes.
  await exec.updateTable('domains').set({ route_kind: 'httproute' }).where('route_kind', '=', 'ingress').where('status', '=', 'pending').execute();
  const rows = await exec
    .updateTable('domains')
    .set({ route_kind: 'httproute', ingress_retained: true })
    .where('route_kind', '=', 'ingress')
    .where('status', '=', 'verified')
    .returning(['hostname', 'deployment_id'])
    .execute();
  const clusterIds: string[] = [];
  for (const deploymentId of new Set(rows.map((r) => r.deployment_id).filter((id): id is string => id !== null))) {
    clusterIds.push(...(await bumpRouting(exec, deploymentId)));
  }
  return { hostnames: rows.map((r) => r.hostname), clusterIds };
}
