import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialFailoverState, stepFailover, type FailoverPolicy, type FailoverState, type ZoneSignal } from './failover.ts';

const ZONES = ['z-a', 'z-b', 'z-c'];
const signal = fc.record({
  edgeOk: fc.constantFrom<boolean | null>(true, true, true, false, false, null),
  apiReachable: fc.boolean(),
  workloadReady: fc.constantFrom<boolean | null>(true, true, false, null),
});
const step = fc.record({
  signals: fc.tuple(signal, signal, signal),
  command: fc.option(fc.oneof(fc.record({ kind: fc.constant('failover' as const), to: fc.constantFrom(...ZONES, 'z-x') }), fc.constant({ kind: 'failback' as const })), { freq: 8 }),
});

const ready = (s: ZoneSignal | undefined) => s !== undefined && s.edgeOk === true && s.workloadReady === true;

describe('the failover state machine under random signals (property)', () => {
  it('serves only placed zones, switches only to ready ones, bumps the epoch once per switch, and never before the threshold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.constantFrom<'auto' | 'manual'>('auto', 'manual'), fc.array(step, { minLength: 1, maxLength: 60 }), (threshold, failback, steps) => {
        const policy: FailoverPolicy = { failureThreshold: threshold, failback, failbackAfterMs: 3_000, preference: ZONES };
        let state: FailoverState = initialFailoverState('z-a', new Date(0));
        let failedStreak = 0;
        steps.forEach((s, i) => {
          const now = new Date((i + 1) * 1_000);
          const signals: ZoneSignal[] = s.signals.map((x, z) => ({ zone: ZONES[z]!, edgeDetail: x.edgeOk === false ? 'connection refused' : 'ok', ...x }));
          const command = s.command ?? undefined;
          const servingSignal = signals.find((x) => x.zone === state.serving);
          failedStreak = servingSignal?.edgeOk === false ? failedStreak + 1 : servingSignal?.edgeOk === true ? 0 : failedStreak;
          const result = stepFailover(state, signals, policy, now, command);
          const next = result.state;
          expect(ZONES).toContain(next.serving);
          if (next.serving !== state.serving) {
            // A switch: to a ready zone, one epoch up, and (unless commanded or failing back) only after the threshold.
            expect(ready(signals.find((x) => x.zone === next.serving))).toBe(true);
            expect(next.epoch).toBe(state.epoch + 1);
            const automatic = !command && next.serving !== state.primary;
            if (automatic) expect(failedStreak).toBeGreaterThanOrEqual(threshold);
            failedStreak = 0;
          } else {
            expect(next.epoch).toBe(state.epoch);
          }
          // A healthy serving edge is never abandoned automatically, except to fail back to the primary.
          if (!command && servingSignal?.edgeOk === true && next.serving !== state.serving) expect(next.serving).toBe(state.primary);
          state = next;
        });
      }),
      { seed: 20261121, numRuns: 300 },
    );
  });

  it('does not move traffic for a zone that flaps faster than the threshold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 10, max: 80 }), (threshold, rounds) => {
        const policy: FailoverPolicy = { failureThreshold: threshold, failback: 'auto', failbackAfterMs: 3_000, preference: ZONES };
        let state = initialFailoverState('z-a', new Date(0));
        for (let i = 0; i < rounds; i += 1) {
          // Down for threshold-1 probes, then up once: never `threshold` failures in a row.
          const down = i % threshold !== threshold - 1;
          const signals: ZoneSignal[] = ZONES.map((zone) => ({ zone, edgeOk: zone === 'z-a' ? !down : true, edgeDetail: down ? 'connection refused' : 'ok', apiReachable: true, workloadReady: true }));
          state = stepFailover(state, signals, policy, new Date((i + 1) * 1_000)).state;
          expect(state.serving).toBe('z-a');
          expect(state.epoch).toBe(1);
        }
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});
