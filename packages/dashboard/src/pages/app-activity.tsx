import type { AppEvent, LogLine } from '@satusky/contracts';
import { useEffect, useRef, useState } from 'react';
import { Ago, Empty, Section, StreamBadge } from '../components.tsx';
import type { StreamState, ZoneLogState } from '../streams.ts';

/** The app's timeline, newest first. */
export function EventList({ events, now, limit }: { events: AppEvent[]; now: number; limit?: number }) {
  const [level, setLevel] = useState<'all' | 'warning' | 'error'>('all');
  const filtered = events.filter((e) => level === 'all' || (level === 'error' ? e.level === 'error' : e.level !== 'info'));
  const shown = filtered.slice(limit ? -limit : -500).reverse();
  return (
    <div>
      {limit ? null : (
        <div className="toolbar">
          <label className="field inline">
            <span>Show</span>
            <select value={level} onChange={(e) => setLevel(e.target.value as typeof level)}>
              <option value="all">all events</option>
              <option value="warning">warnings and errors</option>
              <option value="error">errors</option>
            </select>
          </label>
          <span className="muted small">{filtered.length} events</span>
        </div>
      )}
      {shown.length === 0 ? <Empty>No events yet.</Empty> : null}
      <ol className="event-list" data-testid="events" aria-live="polite" aria-relevant="additions">
        {shown.map((e) => (
          <li key={e.id} className={`event level-${e.level}`} data-event-id={e.id} data-event-type={e.type}>
            <span className="event-time small muted">
              <Ago at={e.at} now={now} />
            </span>
            <span className={`event-level level-${e.level}`}>{e.level}</span>
            <span className="event-type">{e.type}</span>
            {e.zone ? <span className="pill small">{e.zone}</span> : null}
            <span className="event-message">{e.message}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Live logs of every pod in every zone. */
export function LogsPanel({ lines, zones, state }: { lines: LogLine[]; zones: ZoneLogState[]; state: StreamState }) {
  const [filter, setFilter] = useState('');
  const [zone, setZone] = useState('');
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  const shown = lines.filter((l) => (!zone || l.zone === zone) && (!filter || l.message.toLowerCase().includes(filter.toLowerCase())));
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [shown.length, follow]);
  return (
    <Section title="Logs" actions={<StreamBadge state={state} />}>
      <div className="toolbar">
        <label className="field inline">
          <span>Filter</span>
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="text in the line" />
        </label>
        <label className="field inline">
          <span>Zone</span>
          <select value={zone} onChange={(e) => setZone(e.target.value)}>
            <option value="">all zones</option>
            {zones.map((z) => (
              <option key={z.zone} value={z.zone}>
                {z.zone}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
      </div>
      {zones.length > 0 ? (
        <ul className="zone-states small" aria-label="Zones being followed">
          {zones.map((z) => (
            <li key={z.zone} className={z.state === 'attached' ? 'ok' : 'bad'}>
              {z.zone}: {z.state === 'attached' ? `following ${z.pods ?? 0} pod${z.pods === 1 ? '' : 's'}` : `unavailable — ${z.reason ?? 'no reason given'}`}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="logs" ref={box} tabIndex={0} role="log" aria-label="Log lines" data-testid="logs">
        {shown.length === 0 ? <p className="muted">No log lines yet.</p> : null}
        {shown.map((l, i) => (
          <div key={i} className="log-line">
            <span className="log-meta">
              {l.at ? <time dateTime={l.at}>{new Date(l.at).toLocaleTimeString()}</time> : null} {l.zone}/{l.pod}
            </span>{' '}
            <span className="log-message">{l.message}</span>
          </div>
        ))}
      </div>
    </Section>
  );
}
