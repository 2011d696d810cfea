import type { ClusterHealth, HealthState } from '@satusky/contracts';
import { useQuery } from '@tanstack/react-query';
import { client, keys, POLL } from '../api.ts';
import { Ago, Empty, ErrorNote, Loading, Section, StatusChip } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { Link, useTitle } from '../router.tsx';
import { useNow } from '../time.ts';

const HEALTH_TONE: Record<HealthState, string> = { healthy: 'ok', degraded: 'warn', offline: 'bad', unknown: 'muted' };

function Health({ health, now }: { health: ClusterHealth; now: number }) {
  return (
    <div className="health" data-health={health.state}>
      <span className={`badge ${HEALTH_TONE[health.state]}`}>{health.state}</span>{' '}
      <span className="small">{health.reason || (health.nodes_total !== null ? `${health.nodes_ready ?? 0}/${health.nodes_total} nodes ready` : '')}</span>
      <div className="muted small">
        heard <Ago at={health.last_heard_at} now={now} />
      </div>
    </div>
  );
}

/** The zones this organization can deploy to, their clusters' health, and where each app runs. */
export function ZonesPage() {
  const { org, isPlatformAdmin } = useViewer();
  useTitle('Zones');
  const now = useNow();
  const zones = useQuery({ queryKey: keys.zones(org), queryFn: () => client.zones(org), refetchInterval: POLL.list });
  const apps = useQuery({ queryKey: keys.apps(org), queryFn: () => client.listApps(org), refetchInterval: POLL.list });
  const clusters = useQuery({ queryKey: keys.clusters, queryFn: () => client.listClusters(), refetchInterval: POLL.list, enabled: isPlatformAdmin });

  const zoneNames = [...new Set([...(zones.data ?? []).map((z) => z.zone), ...(apps.data ?? []).flatMap((a) => a.zones.map((z) => z.zone))])].sort();
  const appList = (apps.data ?? []).filter((a) => a.state !== 'deleted');

  return (
    <div className="page">
      <div className="page-head">
        <h1>Zones</h1>
      </div>
      <Section title="Zones available to this organization">
        {zones.isPending ? <Loading what="zones" /> : null}
        {zones.isError ? <ErrorNote error={zones.error} /> : null}
        {zones.data && zones.data.length === 0 ? <Empty>No zones are enabled for this organization.</Empty> : null}
        {zones.data && zones.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Zone</th>
                  <th scope="col">Deploy here</th>
                  <th scope="col">Cluster health</th>
                </tr>
              </thead>
              <tbody>
                {zones.data.map((z) => (
                  <tr key={z.zone} data-zone-row={z.zone}>
                    <th scope="row">
                      {z.label || z.zone} {z.is_default ? <span className="badge info">default</span> : null}
                      <div className="muted small">
                        {[z.label && z.label !== z.zone ? z.zone : null, z.region || null, z.cluster !== z.zone ? `cluster ${z.cluster}` : null].filter(Boolean).join(' · ')}
                      </div>
                    </th>
                    <td>
                      <span className={`badge ${z.status === 'available' ? 'ok' : 'bad'}`}>{z.status}</span>
                      {z.reason && z.reason !== z.status ? <div className="small">{z.reason}</div> : null}
                    </td>
                    <td>
                      <Health health={z.health} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>

      <Section title="Where each app runs">
        {apps.isError ? <ErrorNote error={apps.error} /> : null}
        {apps.isSuccess && appList.length === 0 ? <Empty>No apps yet.</Empty> : null}
        {appList.length > 0 ? (
          <div className="table-wrap">
            <table className="grid" data-testid="placement-grid">
              <thead>
                <tr>
                  <th scope="col">App</th>
                  {zoneNames.map((z) => (
                    <th scope="col" key={z}>
                      {z}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {appList.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">
                      <Link to={`/apps/${encodeURIComponent(a.name)}`}>{a.name}</Link>
                    </th>
                    {zoneNames.map((zone) => {
                      const placed = a.zones.find((z) => z.zone === zone);
                      return (
                        <td key={zone} data-cell={`${a.name}/${zone}`}>
                          {placed ? <StatusChip status={placed.status} role={placed.role} /> : <span className="muted" aria-label="not placed here">·</span>}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>

      {isPlatformAdmin ? (
        <Section title="All clusters (platform admin)">
          {clusters.isPending ? <Loading what="clusters" /> : null}
          {clusters.isError ? <ErrorNote error={clusters.error} /> : null}
          {clusters.data ? (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Cluster</th>
                    <th scope="col">Zone</th>
                    <th scope="col">Edge</th>
                    <th scope="col">State</th>
                    <th scope="col">Health</th>
                  </tr>
                </thead>
                <tbody>
                  {clusters.data.map((c) => (
                    <tr key={c.id} data-cluster={c.name}>
                      <th scope="row">
                        {c.display_name || c.name}
                        <div className="muted small break">{c.endpoint}</div>
                      </th>
                      <td>
                        {c.zone}
                        <div className="muted small">
                          {[c.region || null, `priority ${c.priority}`, c.is_default ? 'default' : null].filter(Boolean).join(' · ')}
                        </div>
                      </td>
                      <td className="small">
                        {c.edge_address ? <code>{c.edge_address}</code> : <span className="muted">none</span>}
                        <div className="muted">{c.gateway_class}</div>
                      </td>
                      <td>
                        <span className={`badge ${c.enabled ? 'ok' : 'muted'}`}>{c.enabled ? 'enabled' : 'disabled'}</span>
                      </td>
                      <td>
                        <Health health={c.health} now={now} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </Section>
      ) : null}
    </div>
  );
}
