import type { AppEvent, LogLine } from '@satusky/contracts';
import { useEffect, useState } from 'react';
import { client } from './api.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/** Messages of `GET …/events/stream` (packages/control-plane/src/apps/streams.ts). */
type EventMessage = { type: 'hello'; cursor: number } | { type: 'event'; event: AppEvent };
/** Messages of `GET …/logs/stream`. */
type LogMessage =
  | { type: 'line'; line: LogLine }
  | { type: 'zone'; zone: string; state: 'attached' | 'unavailable'; pods?: number; reason?: string }
  | { type: 'pod'; zone: string; pod: string; state: 'ended' };

export interface ZoneLogState {
  zone: string;
  state: 'attached' | 'unavailable';
  pods: number | null;
  reason: string | null;
}

const MAX_EVENTS = 500;
const MAX_LINES = 1000;

/** 0.5 s, 1 s, 2 s, … up to 15 s, with jitter so many tabs do not reconnect in step. */
function backoff(attempt: number): number {
  const base = Math.min(15_000, 500 * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

/**
 * A WebSocket that reconnects with backoff. `url()` is asked again on every attempt so it can carry
 * the latest cursor. Closing while the handshake is still running is deferred until it opens, so
 * navigating away never logs "closed before the connection is established".
 */
function reconnecting(options: {
  url: () => string;
  onMessage: (data: unknown) => void;
  onState: (state: StreamState) => void;
}): () => void {
  let socket: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const connect = () => {
    timer = null;
    const ws = new WebSocket(options.url());
    socket = ws;
    ws.onopen = () => {
      if (stopped) {
        ws.close(1000);
        return;
      }
      attempt = 0;
      options.onState('live');
    };
    ws.onmessage = (message: MessageEvent<unknown>) => {
      if (stopped || typeof message.data !== 'string') return;
      try {
        options.onMessage(JSON.parse(message.data));
      } catch {
        // A message that is not JSON is not ours to render.
      }
    };
    ws.onclose = () => {
      if (stopped) return;
      options.onState('reconnecting');
      timer = setTimeout(connect, backoff(attempt));
      attempt += 1;
    };
  };
  options.onState('connecting');
  connect();

  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (socket && socket.readyState === WebSocket.OPEN) socket.close(1000);
    // CONNECTING: onopen closes it as soon as the handshake completes.
  };
}

/**
 * The app's timeline, live: starts from the beginning, and after a dropped connection resumes from
 * the last event id seen, so nothing is missed and nothing is shown twice.
 */
export function useEventStream(org: string, app: string, enabled: boolean): { events: AppEvent[]; state: StreamState; cursor: number } {
  const [events, setEvents] = useState<AppEvent[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [cursor, setCursor] = useState(0);

  useEffect(() => {
    setEvents([]);
    setCursor(0);
    if (!enabled) return;
    let last = 0;
    let pending: AppEvent[] = [];
    let flush: ReturnType<typeof setTimeout> | null = null;
    const stop = reconnecting({
      url: () => client.streamUrl(org, app, 'events', { after: last }),
      onState: setState,
      onMessage: (data) => {
        const message = data as EventMessage;
        if (message.type !== 'event' || message.event.id <= last) return;
        last = message.event.id;
        pending.push(message.event);
        // A burst (the whole history on connect) renders once, not once per event.
        flush ??= setTimeout(() => {
          flush = null;
          const batch = pending;
          pending = [];
          setEvents((current) => [...current, ...batch].slice(-MAX_EVENTS));
          setCursor(last);
        }, 50);
      },
    });
    return () => {
      stop();
      if (flush) clearTimeout(flush);
    };
  }, [org, app, enabled]);

  return { events, state, cursor };
}

const lineKey = (line: LogLine) => `${line.zone}\u0000${line.pod}\u0000${line.at ?? ''}\u0000${line.message}`;

/**
 * Every pod's log in every zone, live. A reconnect resumes from the newest line's time (`since`),
 * and drops the lines of that same moment it already shows (same zone, pod, timestamp and text).
 */
export function useLogStream(org: string, app: string, enabled: boolean): { lines: LogLine[]; zones: ZoneLogState[]; state: StreamState } {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [zones, setZones] = useState<ZoneLogState[]>([]);
  const [state, setState] = useState<StreamState>('connecting');

  useEffect(() => {
    setLines([]);
    setZones([]);
    if (!enabled) return;
    const seen = new Set<string>();
    const order: string[] = [];
    let newest: string | null = null;
    let pending: LogLine[] = [];
    let flush: ReturnType<typeof setTimeout> | null = null;
    const stop = reconnecting({
      url: () => client.streamUrl(org, app, 'logs', newest ? { since: newest } : { tail: 100 }),
      onState: setState,
      onMessage: (data) => {
        const message = data as LogMessage;
        if (message.type === 'zone') {
          const next: ZoneLogState = { zone: message.zone, state: message.state, pods: message.pods ?? null, reason: message.reason ?? null };
          setZones((current) => [...current.filter((z) => z.zone !== message.zone), next].sort((a, b) => a.zone.localeCompare(b.zone)));
          return;
        }
        if (message.type !== 'line') return;
        const key = lineKey(message.line);
        if (seen.has(key)) return;
        seen.add(key);
        order.push(key);
        if (message.line.at && (!newest || message.line.at > newest)) newest = message.line.at;
        if (order.length > MAX_LINES * 2) seen.delete(order.shift()!);
        pending.push(message.line);
        flush ??= setTimeout(() => {
          flush = null;
          const batch = pending;
          pending = [];
          setLines((current) => [...current, ...batch].slice(-MAX_LINES));
        }, 50);
      },
    });
    return () => {
      stop();
      if (flush) clearTimeout(flush);
    };
  }, [org, app, enabled]);

  return { lines, zones, state };
}
