import type { App, AppStatus } from '@satusky/contracts';
import { useQueries, useQuery } from '@tanstack/react-query';
import { client, keys, POLL } from '../api.ts';
import { Ago, Empty, ErrorNote, Loading, StatusChip } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { Link, useTitle } from '../router.tsx';
import { serverNow, useNow } from '../time.ts';

/** Every app of the organization, with one status chip per zone from the app's status endpoint. */
export function AppsPage() {
  const { org, orgName } = useViewer();
  useTitle('Apps');
  const now = useNow();
  const apps = useQuery({ queryKey: keys.apps(org), queryFn: () => client.listApps(org), refetchInterval: POLL.list });
  const list = (apps.data ?? []).filter((a) => a.state !== 'deleted');
  const statuses = useQueries({
    queries: list.map((app) => ({
      queryKey: keys.appStatus(org, app.name),
      queryFn: () => client.appStatus(org, app.name),
      refetchInterval: POLL.list,
    })),
  });

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Apps</h1>
          <p className="muted">
            {orgName} · deploy with <code>1ctl deploy</code> or <code>PUT /v1/orgs/{org}/apps/&lt;name&gt;</code>
          </p>
        </div>
        {apps.dataUpdatedAt ? (
          <p className="muted small" aria-live="off">
            Updated <Ago at={new Date(apps.dataUpdatedAt).toISOString()} now={now} />
          </p>
        ) : null}
      </div>
      {apps.isPending ? <Loading what="apps" /> : null}
      {apps.isError ? <ErrorNote error={apps.error} title="Could not load apps" /> : null}
      {apps.isSuccess && list.length === 0 ? (
        <Empty>
          No apps yet. Deploy one with <code>1ctl deploy</code>; it appears here as soon as the control plane accepts it.
        </Empty>
      ) : null}
      {list.length > 0 ? (
        <ul className="app-list" aria-label="Apps">
          {list.map((app, i) => {
            const status = statuses[i];
            return (
              <AppRow
                key={app.id}
                app={app}
                status={status?.data}
                statusUpdatedAt={status?.dataUpdatedAt ?? 0}
                statusError={status?.error ?? null}
                now={now}
              />
            );
          })}
        </ul>
      ) : null}
    </div>
  );
}

function AppRow({ app, status, statusUpdatedAt, statusError, now }: { app: App; status: AppStatus | undefined; statusUpdatedAt: number; statusError: unknown; now: number }) {
  const serverClock = serverNow(status?.evaluated_at, statusUpdatedAt, now);
  const release = app.release;
  return (
    <li className="app-row" data-app={app.name}>
      <div className="app-row-main">
        <div className="app-row-title">
          <Link to={`/apps/${encodeURIComponent(app.name)}`} className="app-name">
            {app.name}
          </Link>
          <StatusChip status={status?.status ?? app.status} />
          {app.state === 'deleting' ? <span className="badge warn">deleting</span> : null}
        </div>
        <div className="app-row-meta muted small">
          <span>{app.hostname}</span>
          {release ? (
            <span>
              v{release.version} · <code>{release.image}</code>
            </span>
          ) : (
            <span>no release yet</span>
          )}
        </div>
        {status?.message && status.status !== 'ready' ? <p className="small app-row-message">{status.message}</p> : null}
      </div>
      <div className="app-row-zones" aria-label={`${app.name} by zone`}>
        {status
          ? status.clusters.map((c) => (
              <StatusChip key={c.cluster_id} status={c.status} zone={c.zone} role={c.role} stale={c.stale} />
            ))
          : app.zones.map((z) => <StatusChip key={z.zone} status={z.status} zone={z.zone} role={z.role} />)}
        {status ? (
          <span className="muted small">
            evaluated <Ago at={status.evaluated_at} now={serverClock} />
          </span>
        ) : null}
        {statusError ? (
          <span className="inline-error small" role="alert">
            status unavailable
          </span>
        ) : null}
      </div>
    </li>
  );
}
