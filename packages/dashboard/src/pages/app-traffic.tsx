import type { App, AppEvent, AppStatus, FailoverStateView } from '@satusky/contracts';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { client, errorText, keys, queryClient } from '../api.ts';
import { ActionResult, Ago, ConfirmButton, Section } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { formatDuration, formatTime } from '../time.ts';

const PHASE_LABEL: Record<FailoverStateView['phase'], string> = {
  'primary-serving': 'Primary serving',
  detecting: 'Detecting a failure',
  'failing-over': 'Failing over',
  'secondary-serving': 'Secondary serving',
  'failing-back': 'Failing back',
};

const PHASE_TONE: Record<FailoverStateView['phase'], string> = {
  'primary-serving': 'ok',
  detecting: 'warn',
  'failing-over': 'warn',
  'secondary-serving': 'info',
  'failing-back': 'warn',
};

/** A step's time, machine-readable too; a dash until it happens. */
function Moment({ at }: { at: string | null }) {
  return at ? <time dateTime={at}>{formatTime(at)}</time> : <span>—</span>;
}

const ms = (from: string | null, to: string | null) => (from && to ? new Date(to).getTime() - new Date(from).getTime() : null);

/** Where the app's traffic goes now (the published DNS answer), and the failover state machine. */
export function TrafficPanel({ app, status, events, now }: { app: App; status: AppStatus; events: AppEvent[]; now: number }) {
  const traffic = status.traffic!;
  const failover = traffic.failover;
  const { org } = useViewer();
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  // A request's answer is news until the state machine moves on; then the state says it better.
  const epoch = failover?.epoch;
  useEffect(() => setResult(null), [epoch]);
  const after = async () => {
    await queryClient.invalidateQueries({ queryKey: keys.appStatus(org, app.name) });
  };
  const failoverTo = useMutation({
    mutationFn: (zone: string) => client.failover(org, app.name, zone),
    onSuccess: async (accepted) => {
      setResult({ ok: true, text: `Failover to ${accepted.target} requested; ${accepted.serving} serves until it completes.` });
      await after();
    },
    onError: (e) => setResult({ ok: false, text: `Failover refused: ${errorText(e)}` }),
  });
  const failback = useMutation({
    mutationFn: () => client.failback(org, app.name),
    onSuccess: async (accepted) => {
      setResult({ ok: true, text: `Failback to ${accepted.target} requested.` });
      await after();
    },
    onError: (e) => setResult({ ok: false, text: `Failback refused: ${errorText(e)}` }),
  });
  const timeline = events.filter((e) => e.category === 'failover' || e.category === 'dns').slice(-12).reverse();
  const zoneOf = (address: string) => {
    const i = traffic.addresses.indexOf(address);
    return i >= 0 ? (traffic.zones[i] ?? null) : null;
  };
  const others = status.clusters.map((c) => c.zone).filter((z) => failover && z !== failover.serving);

  return (
    <Section title="Traffic" id="traffic">
      <dl className="facts wide" data-testid="traffic">
        <div>
          <dt>Mode</dt>
          <dd>{traffic.mode}</dd>
        </div>
        <div>
          <dt>Hostname</dt>
          <dd>
            <code>{traffic.hostname}</code>
          </dd>
        </div>
        <div>
          <dt>DNS answers</dt>
          <dd data-testid="dns-target">
            {traffic.addresses.length === 0 ? (
              <span className="muted">nothing published</span>
            ) : (
              traffic.addresses.map((address) => (
                <span key={address} className="pill" data-address={address}>
                  <code>{address}</code>
                  {zoneOf(address) ? <span className="muted"> ({zoneOf(address)})</span> : null}
                </span>
              ))
            )}
          </dd>
        </div>
        <div>
          <dt>Serving zones</dt>
          <dd data-testid="serving-zones">{traffic.zones.length ? traffic.zones.join(', ') : '—'}</dd>
        </div>
      </dl>

      {failover ? (
        <div className="failover" data-testid="failover" data-phase={failover.phase} data-serving={failover.serving}>
          <h3>Failover</h3>
          <div className="failover-state">
            <span className={`badge ${PHASE_TONE[failover.phase]}`} data-testid="failover-phase">
              {PHASE_LABEL[failover.phase]}
            </span>
            <span>
              <strong data-testid="failover-serving">{failover.serving}</strong> serves
              {failover.serving !== failover.primary ? <> (primary {failover.primary})</> : <> (the primary)</>}
            </span>
            <span className="muted small">
              epoch {failover.epoch} · since <Ago at={failover.since} now={now} />
              {failover.failures > 0 ? ` · ${failover.failures} failed probe${failover.failures === 1 ? '' : 's'}` : ''}
            </span>
          </div>
          {failover.reason !== `${failover.serving} serves` ? <p className="small">{failover.reason}</p> : null}
          <ol className="timeline" aria-label="Last switch" data-testid="switch-timeline">
            <li className={failover.detected_at ? 'done' : ''} data-step="detected" data-done={failover.detected_at ? 'true' : 'false'}>
              <span className="timeline-label">Detected</span> <Moment at={failover.detected_at} />
            </li>
            <li className={failover.switched_at ? 'done' : ''} data-step="switched" data-done={failover.switched_at ? 'true' : 'false'}>
              <span className="timeline-label">Switched{failover.from ? ` from ${failover.from}` : ''}</span> <Moment at={failover.switched_at} />
              <span className="muted small"> {failover.switched_at ? `+${formatDuration(ms(failover.detected_at, failover.switched_at))}` : ''}</span>
            </li>
            <li className={failover.first_healthy_at ? 'done' : ''} data-step="first-healthy" data-done={failover.first_healthy_at ? 'true' : 'false'}>
              <span className="timeline-label">First healthy answer</span> <Moment at={failover.first_healthy_at} />
              <span className="muted small"> {failover.first_healthy_at ? `+${formatDuration(ms(failover.switched_at, failover.first_healthy_at))}` : ''}</span>
            </li>
          </ol>
          {failover.primary_healthy_since && failover.serving !== failover.primary ? (
            <p className="small muted">
              Primary healthy since <Ago at={failover.primary_healthy_since} now={now} />.
            </p>
          ) : null}
          <div className="actions-row">
            {others.map((zone) => (
              <ConfirmButton
                key={zone}
                label={`Fail over to ${zone}`}
                confirmLabel={`Yes, move traffic to ${zone}`}
                onConfirm={() => failoverTo.mutate(zone)}
                disabled={failoverTo.isPending}
              />
            ))}
            {failover.serving !== failover.primary ? (
              <ConfirmButton label={`Fail back to ${failover.primary}`} confirmLabel={`Yes, fail back to ${failover.primary}`} onConfirm={() => failback.mutate()} disabled={failback.isPending} />
            ) : null}
          </div>
          <ActionResult result={result} />
        </div>
      ) : null}

      {traffic.probes.length > 0 ? (
        <>
          <h3>Probes through each zone’s edge</h3>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Zone</th>
                  <th scope="col">Answer</th>
                  <th scope="col">Detail</th>
                  <th scope="col">Probed</th>
                </tr>
              </thead>
              <tbody>
                {traffic.probes.map((p) => (
                  <tr key={p.zone} data-probe={p.zone} data-ok={p.ok}>
                    <th scope="row">{p.zone}</th>
                    <td>
                      <span className={`badge ${p.ok ? 'ok' : 'bad'}`}>{p.ok ? 'answers' : 'fails'}</span>
                      {p.status_code !== null ? <span className="muted small"> HTTP {p.status_code}</span> : null}
                    </td>
                    <td className="small">
                      {p.detail}
                      {p.answered_by ? <span className="muted"> · answered by {p.answered_by}</span> : null}
                    </td>
                    <td className="nowrap">
                      <Ago at={p.probed_at} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}

      {timeline.length > 0 ? (
        <>
          <h3>Traffic timeline</h3>
          <ol className="event-list compact" data-testid="traffic-timeline">
            {timeline.map((e) => (
              <li key={e.id} className={`event level-${e.level}`} data-event-type={e.type}>
                <time dateTime={e.at} className="event-time">
                  {formatTime(e.at)}
                </time>
                <span className="event-type">{e.type}</span>
                <span className="event-message">{e.message}</span>
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </Section>
  );
}
