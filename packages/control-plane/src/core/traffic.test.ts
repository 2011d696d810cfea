import { describe, expect, it } from 'vitest';
import { planSingleZoneProbes } from './traffic.ts';

const options = { singleZoneProbeMs: 5_000, runIntervalMs: 1_000, perSecond: 3 };

describe('planSingleZoneProbes', () => {
  it('probes every app due when the budget covers them, and none probed recently', () => {
    const last = new Map([['a', 0], ['b', 9_000]]);
    const plan = planSingleZoneProbes(['a', 'b', 'c'], (id) => last.get(id), 10_000, options);
    expect([...plan.due].sort()).toEqual(['a', 'c']);
    expect(plan.intervalMs).toBe(5_000);
  });

  it('caps a run at the budget, never-probed apps first, then the longest-unprobed', () => {
    const last = new Map([['old', 1_000], ['older', 500], ['recent', 4_000]]);
    const plan = planSingleZoneProbes(['recent', 'old', 'new', 'older'], (id) => last.get(id), 20_000, options);
    expect([...plan.due]).toEqual(['new', 'older', 'old']);
  });

  it('stretches the interval with the number of apps, and every app gets its turn', () => {
    const apps = Array.from({ length: 30 }, (_, i) => `app-${String(i).padStart(2, '0')}`);
    const last = new Map<string, number>();
    const probedAt = new Map<string, number[]>();
    for (let now = 0; now < 60_000; now += options.runIntervalMs) {
      const plan = planSingleZoneProbes(apps, (id) => last.get(id), now, options);
      expect(plan.due.size).toBeLessThanOrEqual(3);
      expect(plan.intervalMs).toBe(10_000);
      for (const id of plan.due) {
        last.set(id, now);
        probedAt.set(id, [...(probedAt.get(id) ?? []), now]);
      }
    }
    for (const id of apps) {
      const times = probedAt.get(id) ?? [];
      expect(times.length).toBeGreaterThanOrEqual(5);
      // Gaps never exceed the stretched interval by more than a run.
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(10_000 + options.runIntervalMs);
    }
  });
});
