import type { App, AppStatus } from '@satusky/contracts';
import { Ago, Section } from '../components.tsx';
import { formatTime, formatUntil } from '../time.ts';

export type Backups = NonNullable<AppStatus['backups']>;
type Restore = Backups['restores'][number];

/** The state's first word (`ok`, `failing: …`, `waiting for the first backup`, `unknown: …`) picks the colour. */
function stateTone(state: string): 'ok' | 'warn' | 'bad' | '' {
  if (state === 'ok') return 'ok';
  if (state.startsWith('failing') || state.startsWith('refused')) return 'bad';
  if (state.startsWith('unknown')) return '';
  return 'warn';
}

function restoreTone(phase: string): 'ok' | 'warn' | 'bad' {
  if (phase === 'Completed') return 'ok';
  if (/fail/i.test(phase)) return 'bad';
  return 'warn';
}

/** A timestamp both ways: when, and how long ago (server clock). */
function When({ at, now }: { at: string | null; now: number }) {
  if (!at) return <span className="muted">never</span>;
  return (
    <>
      <Ago at={at} now={now} /> <span className="muted small">({formatTime(at)})</span>
    </>
  );
}

/**
 * Backups of the app's volumes (Velero, in one zone): whether they run, the newest recovery point,
 * the next run, the last failure, and restores into other zones. A backup is one zone's data at
 * one moment, and the panel says so.
 */
export function BackupsPanel({ app, backups, now }: { app: App; backups: Backups; now: number }) {
  const plan = app.release?.placement.multicluster?.backup ?? null;
  const tone = stateTone(backups.state);
  return (
    <Section title="Backups" id="backups">
      <div data-testid="backups" data-state={backups.state} data-configured={backups.configured}>
        <p className="backup-state">
          <span className={`badge ${tone}`} data-testid="backup-state">
            {backups.state}
          </span>{' '}
          <span className="muted small">
            {backups.configured ? `Velero schedule ${backups.schedule} in ${backups.zone}` : `no Velero schedule accepted in ${backups.zone} yet`}
          </span>
        </p>
        <dl className="facts wide">
          <div data-field="schedule">
            <dt>Schedule</dt>
            <dd>
              {plan?.schedule ?? 'custom'} <span className="muted small">(cron <code>{backups.cron}</code>, UTC)</span>
            </dd>
          </div>
          <div data-field="zone">
            <dt>Zone backed up</dt>
            <dd>{backups.zone}</dd>
          </div>
          <div data-field="retention">
            <dt>Kept for</dt>
            <dd>{backups.retention}</dd>
          </div>
          <div data-field="recovery-point">
            <dt>Recovery point</dt>
            <dd>
              {backups.recovery_point ? (
                <When at={backups.recovery_point} now={now} />
              ) : (
                <span className="muted">none yet: a restore now would have nothing to bring back</span>
              )}
            </dd>
          </div>
          <div data-field="last-success">
            <dt>Last success</dt>
            <dd>
              <When at={backups.last_success_at} now={now} />
            </dd>
          </div>
          <div data-field="last-backup">
            <dt>Last backup started</dt>
            <dd>
              <When at={backups.last_backup} now={now} />
            </dd>
          </div>
          <div data-field="next-run">
            <dt>Next run</dt>
            <dd>
              {backups.next_run_at ? (
                <time dateTime={backups.next_run_at} title={formatTime(backups.next_run_at)}>
                  {formatUntil(new Date(backups.next_run_at).getTime(), now)}
                </time>
              ) : (
                <span className="muted">not scheduled</span>
              )}
            </dd>
          </div>
          <div data-field="last-failure">
            <dt>Last failure</dt>
            <dd>
              {backups.last_failure ? (
                <span className="inline-error">
                  <code>{backups.last_failure.backup}</code>: {backups.last_failure.reason}
                  {backups.last_failure.at ? (
                    <>
                      {' '}
                      (<Ago at={backups.last_failure.at} now={now} />)
                    </>
                  ) : null}
                </span>
              ) : (
                <span className="muted">none</span>
              )}
            </dd>
          </div>
        </dl>
        <h3>Restores</h3>
        {backups.restores.length === 0 ? (
          <p className="muted small" data-testid="no-restores">
            No restores.
          </p>
        ) : (
          <div className="table-wrap">
            <table data-testid="restores">
              <thead>
                <tr>
                  <th scope="col">Into zone</th>
                  <th scope="col">Backup</th>
                  <th scope="col">Phase</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {backups.restores.map((r: Restore) => (
                  <tr key={`${r.zone}-${r.name}`} data-restore={r.name} data-zone={r.zone} data-phase={r.phase}>
                    <th scope="row">{r.zone}</th>
                    <td>
                      <code className="break">{r.backup}</code>
                      {r.message ? <div className="cond-message">{r.message}</div> : null}
                    </td>
                    <td>
                      <span className={`badge ${restoreTone(r.phase)}`}>{r.phase}</span>
                    </td>
                    <td className="small">
                      started <Ago at={r.started_at} now={now} />
                      {r.completed_at ? (
                        <>
                          , completed <Ago at={r.completed_at} now={now} />
                        </>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="note note-info small" data-testid="backup-note">
          {backups.note}
        </p>
      </div>
    </Section>
  );
}
