// Cron schedules as Velero accepts them: five fields (minute hour day-of-month month day-of-week),
// `*`, `*/n`, `a-b`, `a-b/n`, lists, `@every <go duration>` and the usual `@hourly`-style macros.
// Times are evaluated in UTC.

import { parseGoDuration } from './time.ts';

export interface CronSchedule {
  /** The first firing time strictly after `afterMs`. */
  next(afterMs: number): number;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function parseField(field: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '*', stepRaw] = part.split('/');
    const step = stepRaw === undefined ? 1 : Number(stepRaw);
    if (!Number.isInteger(step) || step <= 0) throw new Error(`invalid cron step in "${field}"`);
    let lo = min;
    let hi = max;
    if (range !== '*' && range !== '?') {
      const [a, b] = range.split('-');
      lo = Number(a);
      hi = b === undefined ? (stepRaw === undefined ? lo : max) : Number(b);
    }
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < min || hi > max || lo > hi) {
      throw new Error(`invalid cron field "${field}"`);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export function parseCron(expr: string): CronSchedule {
  const trimmed = expr.trim();
  if (trimmed.startsWith('@every ')) {
    const every = parseGoDuration(trimmed.slice(7).trim());
    if (every === undefined || every <= 0) throw new Error(`invalid schedule "${expr}"`);
    return { next: (after) => after + every };
  }
  const fields = (MACROS[trimmed] ?? trimmed).split(/\s+/);
  if (fields.length !== 5) throw new Error(`invalid schedule "${expr}": expected 5 fields`);
  const [mi, ho, dom, mo, dow] = fields as [string, string, string, string, string];
  const minutes = parseField(mi, 0, 59);
  const hours = parseField(ho, 0, 23);
  const days = parseField(dom, 1, 31);
  const months = parseField(mo, 1, 12);
  const weekdays = parseField(dow.replace(/\b7\b/g, '0'), 0, 6);
  const domStar = dom === '*' || dom === '?';
  const dowStar = dow === '*' || dow === '?';
  return {
    next(afterMs: number): number {
      const d = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
      for (let i = 0; i < 60 * 24 * 366 * 5; i++) {
        const dayOk = domStar && dowStar
          ? true
          : domStar
            ? weekdays.has(d.getUTCDay())
            : dowStar
              ? days.has(d.getUTCDate())
              : days.has(d.getUTCDate()) || weekdays.has(d.getUTCDay());
        if (months.has(d.getUTCMonth() + 1) && dayOk && hours.has(d.getUTCHours()) && minutes.has(d.getUTCMinutes())) {
          return d.getTime();
        }
        d.setTime(d.getTime() + 60_000);
      }
      throw new Error(`schedule "${expr}" never fires`);
    },
  };
}
