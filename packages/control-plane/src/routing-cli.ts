/**
 * `satusky routing migrate|status`: operator commands that go through the API of a running control
 * plane (a PGlite database belongs to the process that runs it), as a platform admin.
 */
import { SatuskyClient } from '@satusky/contracts/client';
import { configDir, ProfileStore } from '@satusky/cli/profiles';

interface RoutingEntry {
  hostname: string;
  organization: string;
  app: string | null;
  status: string;
  route_kind: 'httproute' | 'ingress';
  ingress_retained: boolean;
}
interface RoutingState {
  mode: 'gateway' | 'ingress';
  domains: RoutingEntry[];
  migrating: number;
  legacy: number;
}

export interface RoutingCliOptions {
  apiUrl?: string;
  token?: string;
  profile?: string;
  wait: boolean;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  print: (line: string) => void;
}

async function clientFor(options: RoutingCliOptions): Promise<SatuskyClient> {
  const store = new ProfileStore(configDir(options.env));
  const name = options.profile ?? options.env.SATUSKY_PROFILE ?? (await store.active());
  const profile = name ? await store.read(name) : null;
  const baseUrl = options.apiUrl ?? options.env.SATUSKY_API_URL ?? profile?.api_url;
  const token = options.token ?? options.env.SATUSKY_TOKEN ?? profile?.token;
  if (!baseUrl || !token) throw new Error('no API URL or token: pass --api-url and --token, set SATUSKY_API_URL/SATUSKY_TOKEN, or log in with 1ctl');
  return new SatuskyClient({ baseUrl, token });
}

const line = (d: RoutingEntry) =>
  `  ${d.hostname.padEnd(36)} ${d.organization.padEnd(16)} ${(d.app ?? '-').padEnd(16)} ${d.route_kind === 'ingress' ? 'Ingress' : d.ingress_retained ? 'HTTPRoute (Ingress kept until accepted)' : 'HTTPRoute'}`;

/** Exit code: 0 done, 1 refused or failed, 2 timed out while domains were still migrating. */
export async function routingCommand(sub: string | undefined, options: RoutingCliOptions): Promise<number> {
  const client = await clientFor(options);
  if (sub === 'status') {
    const state = await client.request<RoutingState>('GET', '/v1/admin/routing');
    options.print(`Routing mode for new custom domains: ${state.mode === 'gateway' ? 'Gateway API (HTTPRoute)' : 'legacy Ingress'}`);
    options.print(`${state.domains.length} custom domain(s); ${state.legacy} on Ingress; ${state.migrating} migrating`);
    for (const d of state.domains) options.print(line(d));
    return 0;
  }
  if (sub !== 'migrate') throw new Error('usage: satusky routing migrate [--wait] | satusky routing status');
  const started = await client.request<{ started: string[]; state: RoutingState }>('POST', '/v1/admin/routing/migrate', { body: {} });
  if (started.started.length === 0 && started.state.migrating === 0) {
    options.print('Nothing to migrate: every custom domain is routed with an HTTPRoute.');
  } else {
    options.print(`Migrating ${started.started.length} custom domain(s) from Ingress to HTTPRoute; each Ingress stays until its HTTPRoute is accepted in every zone.`);
    for (const hostname of started.started) options.print(`  ${hostname}`);
  }
  if (started.state.mode === 'ingress') {
    options.print('note: new custom domains still get Ingresses; set routing_mode = "gateway" (SATUSKY_ROUTING_MODE=gateway) and restart.');
  }
  if (!options.wait) return 0;
  const deadline = Date.now() + options.timeoutMs;
  let state = started.state;
  while (state.migrating > 0) {
    if (Date.now() > deadline) {
      options.print(`Timed out with ${state.migrating} domain(s) still waiting for their HTTPRoute to be accepted everywhere:`);
      for (const d of state.domains.filter((x) => x.ingress_retained)) options.print(line(d));
      return 2;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const next = await client.request<RoutingState>('GET', '/v1/admin/routing');
    for (const d of state.domains) {
      if (d.ingress_retained && !next.domains.find((x) => x.hostname === d.hostname)?.ingress_retained) options.print(`  ✓ ${d.hostname}: HTTPRoute accepted everywhere; Ingress removed`);
    }
    state = next;
  }
  options.print('Done: no custom domain is routed by an Ingress any more.');
  return 0;
}
