import { describe, expect, it } from 'vitest';
import { parseCron } from './cron.ts';

const at = (iso: string): number => Date.parse(iso);

describe('cron schedules', () => {
  it('computes the next firing time in UTC', () => {
    expect(new Date(parseCron('0 3 * * *').next(at('2026-01-01T05:00:00Z'))).toISOString()).toBe('2026-01-02T03:00:00.000Z');
    expect(new Date(parseCron('*/15 * * * *').next(at('2026-01-01T05:07:00Z'))).toISOString()).toBe('2026-01-01T05:15:00.000Z');
    expect(new Date(parseCron('0 0 * * 1').next(at('2026-01-01T00:00:00Z'))).toISOString()).toBe('2026-01-05T00:00:00.000Z');
    expect(new Date(parseCron('@hourly').next(at('2026-01-01T05:59:59Z'))).toISOString()).toBe('2026-01-01T06:00:00.000Z');
    expect(parseCron('@every 90m').next(0)).toBe(90 * 60_000);
  });

  it('rejects malformed schedules', () => {
    expect(() => parseCron('every tuesday')).toThrow();
    expect(() => parseCron('61 * * * *')).toThrow();
  });
});
