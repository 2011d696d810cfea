import type { App, AppEvent, AppStatus, ClusterStatus, Condition } from '@satusky/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { client, errorText, keys, POLL, queryClient } from '../api.ts';
import { ActionResult, Ago, ConditionMark, ConfirmButton, ErrorNote, Loading, Section, StatusChip, StreamBadge } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { Link, useTitle } from '../router.tsx';
import { useEventStream, useLogStream, type StreamState } from '../streams.ts';
import { serverNow, useNow } from '../time.ts';
import { EventList, LogsPanel } from './app-activity.tsx';
import { ConfigPanel } from './app-config.tsx';
import { BackupsPanel } from './app-backups.tsx';
import { DomainsPanel, DomainsSummary } from './app-domains.tsx';
import { ReleasesPanel } from './app-releases.tsx';
import { TrafficPanel } from './app-traffic.tsx';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'releases', label: 'Releases' },
  { id: 'events', label: 'Events' },
  { id: 'logs', label: 'Logs' },
  { id: 'config', label: 'Env & secrets' },
  { id: 'domains', label: 'Domains' },
] as const;

/**
 * One app: what each zone reports, layer by layer and when it was observed, its traffic and
 * failover, releases, live events and logs, configuration and domains.
 */
export function AppPage({ app, tab }: { app: string; tab: string }) {
  const { org } = useViewer();
  useTitle(tab === 'overview' ? null : TABS.find((t) => t.id === tab)?.label, app, 'Apps');
  const now = useNow();
  // The list (not GET …/apps/:app) tells whether the app exists: a page opened before the first
  // deploy waits for it instead of polling a 404.
  const apps = useQuery({ queryKey: keys.apps(org), queryFn: () => client.listApps(org), refetchInterval: POLL.appPage });
  const found = apps.data?.find((a) => a.name === app && a.state !== 'deleted');
  const status = useQuery({
    queryKey: keys.appStatus(org, app),
    queryFn: () => client.appStatus(org, app),
    enabled: found !== undefined,
    refetchInterval: POLL.appPage,
  });
  const stream = useEventStream(org, app, found !== undefined);
  const logs = useLogStream(org, app, found !== undefined && tab === 'logs');

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/apps">Apps</Link> <span aria-hidden="true">/</span> <span>{app}</span>
      </nav>
      {apps.isPending ? <Loading what={app} /> : null}
      {apps.isError && !apps.data ? <ErrorNote error={apps.error} title="Could not load the app" /> : null}
      {apps.isSuccess && !found ? (
        <div className="card">
          <h1>{app}</h1>
          <p role="status" data-testid="app-missing">
            There is no app named <strong>{app}</strong> in this organization yet. This page keeps watching: deploy it
            (<code>1ctl deploy</code>) and its zones appear here as they come up.
          </p>
        </div>
      ) : null}
      {found ? (
        <>
          <AppHeader app={found} status={status.data} statusUpdatedAt={status.dataUpdatedAt} statusError={status.error} now={now} />
          <nav aria-label="App sections" className="tabs">
            <ul>
              {TABS.map((t) => (
                <li key={t.id}>
                  <Link to={t.id === 'overview' ? `/apps/${encodeURIComponent(app)}` : `/apps/${encodeURIComponent(app)}/${t.id}`} aria-current={tab === t.id ? 'page' : undefined}>
                    {t.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          {tab === 'overview' ? (
            <Overview app={found} status={status.data} statusUpdatedAt={status.dataUpdatedAt} events={stream.events} streamState={stream.state} now={now} />
          ) : null}
          {tab === 'releases' ? <ReleasesPanel app={found} /> : null}
          {tab === 'events' ? (
            <Section title="Events" actions={<StreamBadge state={stream.state} />}>
              <EventList events={stream.events} now={now} />
            </Section>
          ) : null}
          {tab === 'logs' ? <LogsPanel lines={logs.lines} zones={logs.zones} state={logs.state} /> : null}
          {tab === 'config' ? <ConfigPanel app={found} /> : null}
          {tab === 'domains' ? <DomainsPanel app={found} /> : null}
          {!TABS.some((t) => t.id === tab) ? (
            <p>
              No section named <code>{tab}</code>. <Link to={`/apps/${encodeURIComponent(app)}`}>Back to the overview</Link>.
            </p>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

function AppHeader({ app, status, statusUpdatedAt, statusError, now }: { app: App; status: AppStatus | undefined; statusUpdatedAt: number; statusError: unknown; now: number }) {
  const clock = serverNow(status?.evaluated_at, statusUpdatedAt, now);
  const behind = statusUpdatedAt > 0 && now - statusUpdatedAt > POLL.appPage * 4;
  return (
    <header className="app-head">
      <div className="app-head-title">
        <h1>{app.name}</h1>
        <StatusChip status={status?.status ?? app.status} />
      </div>
      <div className="app-head-meta muted small">
        <a href={app.url} target="_blank" rel="noopener noreferrer">
          {app.hostname}
        </a>
        <span>
          {app.release ? `release v${app.release.version}` : 'no release'} · generation {status?.generation ?? app.generation}
        </span>
        {status ? (
          <span>
            status evaluated <Ago at={status.evaluated_at} now={clock} />
          </span>
        ) : null}
      </div>
      {status?.message ? (
        <p className="app-head-message" data-testid="status-message">
          {status.message}
        </p>
      ) : null}
      {statusError && behind ? (
        <div className="note note-warn" role="alert">
          Could not refresh the status for <Ago at={new Date(statusUpdatedAt).toISOString()} now={now} prefix="since" />: {errorText(statusError)}. What
          is shown may no longer be true.
        </div>
      ) : null}
    </header>
  );
}

function Overview({
  app,
  status,
  statusUpdatedAt,
  events,
  streamState,
  now,
}: {
  app: App;
  status: AppStatus | undefined;
  statusUpdatedAt: number;
  events: AppEvent[];
  streamState: StreamState;
  now: number;
}) {
  const clock = serverNow(status?.evaluated_at, statusUpdatedAt, now);
  return (
    <div className="overview">
      <Actions app={app} />
      <Section title="Zones">
        {!status ? <Loading what="status" /> : null}
        {status && status.clusters.length === 0 ? <p className="muted">Not placed in any zone yet.</p> : null}
        <div className="zone-grid">
          {status?.clusters.map((c) => (
            <ZoneCard key={c.cluster_id} cluster={c} now={clock} inTraffic={status.traffic ? status.traffic.zones.includes(c.zone) : null} />
          ))}
        </div>
      </Section>
      {status?.traffic ? <TrafficPanel app={app} status={status} events={events} now={clock} /> : null}
      {status ? <DomainsSummary app={app} domains={status.domains} /> : null}
      {status?.backups ? <BackupsPanel app={app} backups={status.backups} now={clock} /> : null}
      {status && status.conditions.length > 0 ? (
        <Section title="Overall">
          <ConditionTable conditions={status.conditions} now={clock} showMissing={false} zoneStatus={status.status} />
        </Section>
      ) : null}
      <Section
        title="Recent events"
        actions={
          <>
            <StreamBadge state={streamState} />
            <Link to={`/apps/${encodeURIComponent(app.name)}/events`}>All events</Link>
          </>
        }
      >
        <EventList events={events} now={now} limit={10} />
      </Section>
    </div>
  );
}

/**
 * The layers a zone's state is built from, bottom up, by the condition types the API reports
 * (contracts `ConditionSchema`); a layer the server does not report says so, and a condition type
 * this list does not know is still shown, under its own name.
 */
const LAYERS: { type: string; label: string }[] = [
  { type: 'ClusterReachable', label: 'Cluster' },
  { type: 'Accepted', label: 'Accepted' },
  { type: 'Applied', label: 'Applied' },
  { type: 'WorkloadReady', label: 'Workload' },
  // The app's generated hostname: its route accepted by the zone's edge, its certificate issued,
  // the public DNS answering this zone's edge (a standby zone is rightly absent from DNS).
  { type: 'RouteAccepted', label: 'Route' },
  { type: 'TLSReady', label: 'TLS' },
  { type: 'DNSReady', label: 'DNS' },
  { type: 'Reachable', label: 'Reachable' },
];

/** Why a layer has no condition: a stale zone is not judged at all; otherwise the server does not evaluate it here. */
function absentText(type: string, stale: boolean): string {
  if (stale) return 'not evaluated while the zone is stale';
  if (type === 'DNSReady') return 'not reported: this control plane does not check DNS for this zone';
  return 'not reported for this zone';
}

/**
 * Reasons that say something is broken now, whatever the zone's verdict: a cluster that does not
 * answer, an edge that does not answer, DNS that settled on other addresses.
 */
const BROKEN_REASONS = new Set(['ClusterUnreachable', 'Unreachable', 'NotResolving']);

/**
 * A condition that is False while its zone is still progressing is "not yet", not a failure: the
 * words and colours follow the zone's own verdict, except for reasons that are failures outright.
 */
function conditionWord(status: Condition['status'], pending: boolean): string {
  if (status === 'True') return 'Yes';
  if (status === 'Unknown') return 'Unknown';
  return pending ? 'Not yet' : 'No';
}

function ConditionTable({
  conditions,
  now,
  showMissing,
  zoneStatus,
  stale = false,
}: {
  conditions: Condition[];
  now: number;
  showMissing: boolean;
  zoneStatus: AppStatus['status'];
  stale?: boolean;
}) {
  const progressing = zoneStatus === 'progressing';
  const isPending = (c: Condition) => progressing && !BROKEN_REASONS.has(c.reason);
  const known = new Set(LAYERS.map((l) => l.type));
  const rows: { label: string; type: string; condition: Condition | null }[] = [
    ...LAYERS.map((l) => ({ label: l.label, type: l.type, condition: conditions.find((c) => c.type === l.type) ?? null })).filter(
      (r) => showMissing || r.condition,
    ),
    ...conditions.filter((c) => !known.has(c.type)).map((c) => ({ label: c.type, type: c.type, condition: c })),
  ];
  return (
    <table className="conditions">
      <thead>
        <tr>
          <th scope="col">Layer</th>
          <th scope="col">State</th>
          <th scope="col">Reason</th>
          <th scope="col">Observed</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ label, type, condition }) =>
          condition ? (
            <tr
              key={type}
              data-condition={type}
              data-condition-status={condition.status}
              className={`cond-${condition.status === 'False' && isPending(condition) ? 'pending' : condition.status.toLowerCase()}`}
            >
              <th scope="row">{label}</th>
              <td>
                <ConditionMark status={condition.status} pending={isPending(condition)} /> <span className="cond-word">{conditionWord(condition.status, isPending(condition))}</span>
              </td>
              <td>
                <code>{condition.reason}</code>
                <div className="cond-message">{condition.message}</div>
              </td>
              <td className="nowrap">
                <Ago at={condition.observed_at} now={now} />
              </td>
            </tr>
          ) : (
            <tr key={type} data-condition={type} data-condition-status="absent" className="cond-absent">
              <th scope="row">{label}</th>
              <td colSpan={3} className="muted">
                {absentText(type, stale)}
              </td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}

/**
 * One zone. Its role is where the release placed it (serving, or warm standby); whether it gets
 * traffic now is what the published DNS says, which a failover changes without a new release.
 */
function ZoneCard({ cluster, now, inTraffic }: { cluster: ClusterStatus; now: number; inTraffic: boolean | null }) {
  const { replicas } = cluster;
  const placed = cluster.role === 'serving' ? 'placed to serve' : 'warm standby';
  return (
    <article
      className={`zone-card${cluster.stale ? ' is-stale' : ''}`}
      data-zone={cluster.zone}
      data-in-traffic={inTraffic === null ? undefined : String(inTraffic)}
      aria-label={`Zone ${cluster.zone}`}
    >
      <header className="zone-card-head">
        <div>
          <h3>{cluster.zone}</h3>
          <p className="muted small">
            cluster {cluster.cluster} · {placed}
            {inTraffic === null ? null : inTraffic ? ' · receives traffic now' : ' · no traffic now'}
          </p>
        </div>
        <StatusChip status={cluster.status} zone={cluster.zone} role={inTraffic ? 'serving' : cluster.role} stale={cluster.stale} />
      </header>
      {cluster.stale ? (
        <p className="note note-warn small" role="status">
          Stale: this zone has not been heard from recently, so nothing below is current.
        </p>
      ) : null}
      <dl className="facts">
        <div>
          <dt>Replicas ready</dt>
          <dd>
            {replicas.ready ?? '—'} / {replicas.desired ?? '—'}
            {replicas.updated !== null ? <span className="muted small"> ({replicas.updated} updated)</span> : null}
          </dd>
        </div>
        <div>
          <dt>Generation</dt>
          <dd>
            applied {cluster.applied_generation} of {cluster.desired_generation}
            {cluster.observed_generation !== null ? <span className="muted small">, observed {cluster.observed_generation}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Observed</dt>
          <dd>
            <Ago at={cluster.observed_at} now={now} />
          </dd>
        </div>
      </dl>
      <ConditionTable conditions={cluster.conditions} now={now} showMissing zoneStatus={cluster.stale ? 'unknown' : cluster.status} stale={cluster.stale} />
    </article>
  );
}

function Actions({ app }: { app: App }) {
  const { org } = useViewer();
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const current = app.release?.spec.replicas ?? 1;
  const [replicas, setReplicas] = useState(String(current));
  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: keys.apps(org) }),
      queryClient.invalidateQueries({ queryKey: keys.appStatus(org, app.name) }),
      queryClient.invalidateQueries({ queryKey: keys.releases(org, app.name) }),
    ]);
  const restart = useMutation({
    mutationFn: () => client.restart(org, app.name),
    onSuccess: async (accepted) => {
      setResult({ ok: true, text: `Restarting: release v${accepted.release}, generation ${accepted.generation}.` });
      await invalidate();
    },
    onError: (e) => setResult({ ok: false, text: `Restart refused: ${errorText(e)}` }),
  });
  const scale = useMutation({
    mutationFn: (n: number) => client.scale(org, app.name, n),
    onSuccess: async (accepted, n) => {
      setResult({ ok: true, text: accepted.changed ? `Scaling to ${n}: release v${accepted.release}.` : `Already at ${n} replicas.` });
      await invalidate();
    },
    onError: (e) => setResult({ ok: false, text: `Scale refused: ${errorText(e)}` }),
  });
  const hpa = app.release?.spec.hpa ?? null;
  const submitScale = (event: FormEvent) => {
    event.preventDefault();
    const n = Number(replicas);
    if (!Number.isInteger(n) || n < 0 || n > 100) {
      setResult({ ok: false, text: 'Replicas must be a whole number from 0 to 100.' });
      return;
    }
    scale.mutate(n);
  };
  if (!app.release) return null;
  return (
    <Section title="Actions">
      <div className="actions-row">
        <form className="inline-form" onSubmit={submitScale}>
          <label className="field inline">
            <span>Replicas</span>
            <input
              type="number"
              min={0}
              max={100}
              value={replicas}
              onChange={(e) => setReplicas(e.target.value)}
              disabled={hpa !== null}
              aria-describedby={hpa ? 'hpa-note' : undefined}
            />
          </label>
          <button type="submit" className="button" disabled={scale.isPending || hpa !== null}>
            Scale
          </button>
          {hpa ? (
            <span id="hpa-note" className="muted small">
              The autoscaler manages replicas ({hpa.min_replicas}–{hpa.max_replicas}).
            </span>
          ) : null}
        </form>
        <ConfirmButton label="Restart" confirmLabel="Yes, restart every pod" onConfirm={() => restart.mutate()} disabled={restart.isPending} />
        <Link className="button ghost" to={`/apps/${encodeURIComponent(app.name)}/releases`}>
          Releases and rollback
        </Link>
      </div>
      <ActionResult result={result} />
    </Section>
  );
}
