import { useEffect, useState } from 'react';

/** "3 s ago", "4 min ago", "2 h ago", then the date: how long since a fact was observed. */
export function formatAgo(thenMs: number, nowMs: number): string {
  const seconds = Math.round((nowMs - thenMs) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 90) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return new Date(thenMs).toLocaleString();
}

/** "in 42 min", "in 3 h": how long until a planned moment (a scheduled run); "due" once it passed. */
export function formatUntil(thenMs: number, nowMs: number): string {
  const seconds = Math.round((thenMs - nowMs) / 1000);
  if (seconds < 1) return 'due now';
  if (seconds < 90) return `in ${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return new Date(thenMs).toLocaleString();
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** The current time, re-rendering every `intervalMs` so "ago" labels keep moving. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * The server's clock, estimated from a response's own timestamp plus the time since it arrived:
 * "observed 3 s ago" is then measured on one clock, whatever the browser's clock says.
 */
export function serverNow(evaluatedAt: string | undefined, receivedAtMs: number, nowMs: number): number {
  if (!evaluatedAt) return nowMs;
  const evaluated = new Date(evaluatedAt).getTime();
  return Number.isNaN(evaluated) ? nowMs : evaluated + Math.max(0, nowMs - receivedAtMs);
}
