import { Command } from 'commander';
import type { Zone } from '@satusky/contracts';
import { relativeTime, renderTable } from '../output.ts';
import { readFile } from 'node:fs/promises';
import { CliError, type CliDeps } from '../session.ts';
import { withSession } from './shared.ts';

export function clusterCommand(deps: CliDeps): Command {
  const cluster = new Command('cluster').alias('clusters').description('Zones and their clusters; platform admins register and update clusters');

  cluster
    .command('zones')
    .description('Every zone: whether your organization can deploy there now, and why not')
    .action(
      withSession(deps, async (session) => {
        const zones = await session.client().zones(await session.orgId());
        session.io.out(
          session.json
            ? JSON.stringify(zones, null, 2)
            : renderTable(zones, [
                { header: 'ZONE', value: (z: Zone) => `${z.zone}${z.is_default ? ' (default)' : ''}` },
                { header: 'LABEL', value: (z) => z.label },
                { header: 'REGION', value: (z) => z.region },
                { header: 'STATUS', value: (z) => z.status },
                { header: 'REASON', value: (z) => (z.status === 'available' ? '' : z.reason) },
              ]),
        );
      }),
    );

  cluster
    .command('list')
    .alias('ls')
    .description('Clusters enabled for your organization, with health; platform admins: --all')
    .option('--all', 'every registered cluster with its endpoint (platform admins)')
    .action(
      withSession(deps, async (session, options: { all?: boolean }) => {
        if (options.all) {
          const clusters = await session.client().listClusters();
          session.io.out(
            session.json
              ? JSON.stringify(clusters, null, 2)
              : renderTable(clusters, [
                  { header: 'NAME', value: (c) => c.name },
                  { header: 'ZONE', value: (c) => c.zone },
                  { header: 'ENDPOINT', value: (c) => c.endpoint },
                  { header: 'HEALTH', value: (c) => c.health.state },
                  { header: 'REASON', value: (c) => c.health.reason },
                  { header: 'HEARD', value: (c) => relativeTime(c.health.last_heard_at) },
                  { header: 'DEFAULT', value: (c) => (c.is_default ? '★' : ' ') },
                  { header: 'PRIORITY', value: (c) => c.priority },
                  { header: 'ENABLED', value: (c) => (c.enabled ? 'yes' : 'no') },
                ]),
          );
          return;
        }
        const zones = (await session.client().zones(await session.orgId())).filter((z) => z.enabled);
        session.io.out(
          session.json
            ? JSON.stringify(zones, null, 2)
            : renderTable(zones, [
                { header: 'NAME', value: (z) => z.cluster },
                { header: 'ZONE', value: (z) => z.zone },
                { header: 'HEALTH', value: (z) => z.health.state },
                { header: 'REASON', value: (z) => z.health.reason },
                { header: 'HEARD', value: (z) => relativeTime(z.health.last_heard_at) },
                { header: 'LATENCY', value: (z) => (z.health.latency_ms === null ? '-' : `${z.health.latency_ms} ms`) },
                { header: 'NODES', value: (z) => (z.health.nodes_total === null ? '-' : `${z.health.nodes_ready}/${z.health.nodes_total}`) },
              ]),
        );
      }),
    );
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const labels = (values: string[] | undefined): Record<string, string> | undefined => {
    if (!values?.length) return undefined;
    const out: Record<string, string> = {};
    for (const entry of values) {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new CliError(`--label expects KEY=VALUE, got "${entry}"`, 2);
      out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return out;
  };

  cluster
    .command('register <name>')
    .description('Platform admins: register a cluster as a zone, through the API (the kubeconfig is stored sealed)')
    .requiredOption('--zone <zone>', 'the zone it serves (a DNS label)')
    .requiredOption('--kubeconfig <file>', 'a kubeconfig file for the cluster')
    .option('--context <name>', 'the kubeconfig context (default: its current context)')
    .option('--display-name <name>', 'a human name, e.g. "Kuala Lumpur"')
    .option('--region <region>', 'a region label')
    .option('--priority <n>', 'lower is preferred for new apps', '100')
    .option('--default', 'the default zone for new apps')
    .option('--edge-address <ip>', "the zone's public edge (what app hostnames resolve to)")
    .option('--gateway-class <class>', 'the GatewayClass of the edge Gateway', 'satusky-edge')
    .option('--ingress-class <class>', 'the IngressClass for legacy Ingress routes', 'nginx')
    .option('--label <key=value>', 'a cluster label for placement selectors (repeatable)', collect)
    .action(
      withSession(
        deps,
        async (
          session,
          name: string,
          o: { zone: string; kubeconfig: string; context?: string; displayName?: string; region?: string; priority: string; default?: boolean; edgeAddress?: string; gatewayClass: string; ingressClass: string; label?: string[] },
        ) => {
          const kubeconfig = await readFile(o.kubeconfig, 'utf8').catch((error: unknown) => {
            throw new CliError(`cannot read ${o.kubeconfig}: ${(error as Error).message}`, 2);
          });
          const priority = Number(o.priority);
          if (!Number.isInteger(priority) || priority < 0) throw new CliError('--priority must be a non-negative integer', 2);
          const registered = await session.client().registerCluster({
            name,
            zone: o.zone,
            kubeconfig,
            priority,
            gateway_class: o.gatewayClass,
            ingress_class: o.ingressClass,
            ...(o.context ? { context: o.context } : {}),
            ...(o.displayName ? { display_name: o.displayName } : {}),
            ...(o.region ? { region: o.region } : {}),
            ...(o.default ? { is_default: true } : {}),
            ...(o.edgeAddress ? { edge_address: o.edgeAddress } : {}),
            ...(labels(o.label) ? { labels: labels(o.label)! } : {}),
          });
          if (session.json) return session.io.out(JSON.stringify(registered, null, 2));
          session.io.out(`Registered ${registered.name} as zone ${registered.zone} (${registered.endpoint}); its health appears within seconds: 1ctl cluster list --all`);
        },
      ),
    );

  cluster
    .command('update <cluster>')
    .description('Platform admins: change a cluster (edge address, priority, default, enabled, kubeconfig)')
    .option('--display-name <name>', 'a human name')
    .option('--priority <n>', 'lower is preferred for new apps')
    .option('--default', 'make it the default zone')
    .option('--edge-address <ip>', "the zone's public edge address ('none' to clear)")
    .option('--enable', 'allow new placements')
    .option('--disable', 'no new placements (running apps stay)')
    .option('--kubeconfig <file>', 'a new kubeconfig (rotated credentials)')
    .option('--context <name>', 'the kubeconfig context')
    .action(
      withSession(
        deps,
        async (session, ref: string, o: { displayName?: string; priority?: string; default?: boolean; edgeAddress?: string; enable?: boolean; disable?: boolean; kubeconfig?: string; context?: string }) => {
          if (o.enable && o.disable) throw new CliError('--enable and --disable contradict each other', 2);
          const body: Record<string, unknown> = {};
          if (o.displayName) body.display_name = o.displayName;
          if (o.priority !== undefined) body.priority = Number(o.priority);
          if (o.default) body.is_default = true;
          if (o.edgeAddress) body.edge_address = o.edgeAddress === 'none' ? null : o.edgeAddress;
          if (o.enable) body.enabled = true;
          if (o.disable) body.enabled = false;
          if (o.kubeconfig) body.kubeconfig = await readFile(o.kubeconfig, 'utf8');
          if (o.context) body.context = o.context;
          if (Object.keys(body).length === 0) throw new CliError('nothing to change: pass at least one option', 2);
          const updated = await session.client().updateCluster(ref, body);
          if (session.json) return session.io.out(JSON.stringify(updated, null, 2));
          session.io.out(`Updated ${updated.name} (zone ${updated.zone}).`);
        },
      ),
    );
  return cluster;
}
