import { describe, expect, it } from 'vitest';
import { formatGoDuration, humanDuration, parseGoDuration, rfc3339 } from './time.ts';

describe('time formats', () => {
  it('follows apimachinery HumanDuration', () => {
    const s = 1000;
    const cases: [number, string][] = [
      [5 * s, '5s'],
      [119 * s, '119s'],
      [125 * s, '2m5s'],
      [180 * s, '3m'],
      [45 * 60 * s, '45m'],
      [(3 * 3600 + 20 * 60) * s, '3h20m'],
      [10 * 3600 * s, '10h'],
      [(50 * 3600) * s, '2d2h'],
      [20 * 86400 * s, '20d'],
      [(3 * 365 + 10) * 86400 * s, '3y10d'],
    ];
    for (const [ms, text] of cases) expect(humanDuration(ms)).toBe(text);
  });

  it('parses and formats Go durations, and writes whole-second RFC 3339', () => {
    expect(parseGoDuration('2160h')).toBe(2160 * 3_600_000);
    expect(parseGoDuration('1h30m15s')).toBe(5_415_000);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('soon')).toBeUndefined();
    expect(formatGoDuration(2160 * 3_600_000)).toBe('2160h0m0s');
    expect(rfc3339(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05Z');
  });
});
