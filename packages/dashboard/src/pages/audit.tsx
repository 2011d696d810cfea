import type { AuditEntry } from '@satusky/contracts';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { client, isApiError, keys } from '../api.ts';
import { Empty, ErrorNote, Loading, Section } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { useTitle } from '../router.tsx';
import { formatTime } from '../time.ts';

const PAGE_SIZE = 50;

/** The organization's audit log (admins), newest first, filtered by action prefix and actor, paged. */
export function AuditPage() {
  const { org, isAdmin } = useViewer();
  useTitle('Audit log');
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [filter, setFilter] = useState<{ action?: string; actor?: string }>({});
  // Cursors of the pages seen so far: the last one is the current page's `before`.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  const query = { ...filter, ...(before ? { before } : {}) };
  const audit = useQuery({
    queryKey: keys.audit(org, query),
    queryFn: () => client.listAudit(org, { ...query, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    enabled: isAdmin,
    refetchInterval: before ? false : 10_000,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilter({ ...(action.trim() ? { action: action.trim() } : {}), ...(actor.trim() ? { actor: actor.trim() } : {}) });
    setCursors([undefined]);
  };

  if (!isAdmin) {
    return (
      <div className="page">
        <h1>Audit log</h1>
        <p className="note note-info">The audit log is for organization admins.</p>
      </div>
    );
  }

  return (
    <div className="page">
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <form className="inline-form filters" onSubmit={submit} aria-label="Filter the audit log">
        <label className="field">
          <span>Action (prefix)</span>
          <input value={action} onChange={(e) => setAction(e.target.value)} placeholder="token. or app.deploy" autoComplete="off" />
        </label>
        <label className="field">
          <span>Actor (email or user id)</span>
          <input value={actor} onChange={(e) => setActor(e.target.value)} autoComplete="off" />
        </label>
        <button type="submit" className="button primary">
          Filter
        </button>
        {filter.action || filter.actor ? (
          <button
            type="button"
            className="button ghost"
            onClick={() => {
              setAction('');
              setActor('');
              setFilter({});
              setCursors([undefined]);
            }}
          >
            Clear
          </button>
        ) : null}
      </form>
      <Section title={cursors.length > 1 ? `Page ${cursors.length}` : 'Newest entries'}>
        {audit.isPending ? <Loading what="the audit log" /> : null}
        {audit.isError ? (
          isApiError(audit.error) && audit.error.status === 403 ? (
            <p className="note note-info">The audit log is for organization admins.</p>
          ) : (
            <ErrorNote error={audit.error} />
          )
        ) : null}
        {audit.data && audit.data.items.length === 0 ? <Empty>No entries{filter.action || filter.actor ? ' match this filter' : ''}.</Empty> : null}
        {audit.data && audit.data.items.length > 0 ? (
          <ol className="audit-list" data-testid="audit">
            {audit.data.items.map((entry) => (
              <AuditRow key={entry.id} entry={entry} />
            ))}
          </ol>
        ) : null}
        <div className="pager">
          <button type="button" className="button" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer
          </button>
          <button
            type="button"
            className="button"
            disabled={!audit.data?.next_cursor}
            onClick={() => {
              const next = audit.data?.next_cursor;
              if (next) setCursors((c) => [...c, next]);
            }}
          >
            Older
          </button>
        </div>
      </Section>
    </div>
  );
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  const changes = Object.keys(entry.changes).length > 0;
  return (
    <li className="audit-entry" data-action={entry.action}>
      <details>
        <summary>
          <span className="audit-time small muted">{formatTime(entry.created_at)}</span>
          <code className="audit-action">{entry.action}</code>
          <span className="audit-resource">
            {entry.resource_type}
            {entry.resource_name ? ` ${entry.resource_name}` : entry.resource_id ? ` ${entry.resource_id}` : ''}
          </span>
          <span className="audit-actor small">{entry.actor.email ?? 'system'}</span>
        </summary>
        <dl className="facts wide small">
          <div>
            <dt>Request</dt>
            <dd>
              <code>{entry.request_id}</code>
              {entry.idempotency_key ? (
                <>
                  {' '}
                  · X-Request-ID <code>{entry.idempotency_key}</code>
                </>
              ) : null}
            </dd>
          </div>
          <div>
            <dt>From</dt>
            <dd>
              {entry.ip ?? '—'} · {entry.user_agent ?? '—'}
            </dd>
          </div>
          <div>
            <dt>Token</dt>
            <dd>{entry.actor.token_id ? <code>{entry.actor.token_id}</code> : '—'}</dd>
          </div>
        </dl>
        {changes ? <pre className="changes">{JSON.stringify(entry.changes, null, 2)}</pre> : null}
      </details>
    </li>
  );
}
