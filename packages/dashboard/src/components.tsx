import type { ConditionStatus, OverallStatus } from '@satusky/contracts';
import { useId, useState, type ReactNode } from 'react';
import { errorText } from './api.ts';
import type { StreamState } from './streams.ts';
import { formatAgo, formatTime } from './time.ts';

const STATUS_LABEL: Record<OverallStatus, string> = {
  ready: 'Ready',
  progressing: 'Progressing',
  degraded: 'Degraded',
  failed: 'Failed',
  unknown: 'Unknown',
};

export function statusLabel(status: OverallStatus): string {
  return STATUS_LABEL[status] ?? status;
}

/** One zone's (or the app's) state: colour plus a word, never colour alone. */
export function StatusChip({ status, zone, role, stale, title }: { status: OverallStatus; zone?: string; role?: string; stale?: boolean; title?: string }) {
  const shown: OverallStatus = stale ? 'unknown' : status;
  return (
    <span
      className={`chip chip-${shown}`}
      data-zone={zone}
      data-status={shown}
      data-stale={stale ? 'true' : undefined}
      title={title ?? (stale ? `${zone ?? ''} has not been heard from recently: nothing shown for it is current` : undefined)}
    >
      <span className="chip-dot" aria-hidden="true" />
      {zone ? <span className="chip-zone">{zone}</span> : null}
      <span className="chip-status">{statusLabel(shown)}</span>
      {stale ? <span className="chip-note">stale</span> : null}
      {role === 'warm' ? <span className="chip-note">standby</span> : null}
    </span>
  );
}

const CONDITION_ICON: Record<ConditionStatus, string> = { True: '✓', False: '✕', Unknown: '?' };

export function ConditionMark({ status, pending }: { status: ConditionStatus; pending?: boolean }) {
  const waiting = status === 'False' && pending;
  return (
    <span className={`mark mark-${waiting ? 'pending' : status.toLowerCase()}`} aria-hidden="true">
      {waiting ? '…' : CONDITION_ICON[status]}
    </span>
  );
}

export function Ago({ at, now, prefix }: { at: string | null | undefined; now: number; prefix?: string }) {
  if (!at) return <span className="muted">{prefix ? `${prefix} never` : 'never'}</span>;
  const then = new Date(at).getTime();
  return (
    <time dateTime={at} title={formatTime(at)}>
      {prefix ? `${prefix} ` : ''}
      {formatAgo(then, now)}
    </time>
  );
}

export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  return (
    <div className="note note-error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {errorText(error)}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Section({ title, actions, children, id }: { title: string; actions?: ReactNode; children: ReactNode; id?: string }) {
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId} id={id}>
      <header className="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

/** A destructive action asks once more, inline (no blocking dialogs). */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  disabled,
  danger,
}: {
  label: string;
  confirmLabel?: string;
  onConfirm: () => void;
  disabled?: boolean;
  danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className={danger ? 'button danger-outline' : 'button'} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm">
      <button
        type="button"
        className={danger ? 'button danger' : 'button primary'}
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel ?? `Yes, ${label.toLowerCase()}`}
      </button>
      <button type="button" className="button ghost" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Result of the last action, success or failure, announced to screen readers. */
export function ActionResult({ result }: { result: { ok: boolean; text: string } | null }) {
  if (!result) return null;
  return (
    <p className={`note ${result.ok ? 'note-ok' : 'note-error'}`} role={result.ok ? 'status' : 'alert'}>
      {result.text}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function StreamBadge({ state }: { state: StreamState }) {
  const label = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <span className={`stream stream-${state}`} data-stream={state} role="status">
      <span className="chip-dot" aria-hidden="true" /> {label}
    </span>
  );
}

