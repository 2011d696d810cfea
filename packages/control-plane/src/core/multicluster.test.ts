import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { initialFailoverState, stepFailover, type FailoverPolicy, type FailoverState, type ZoneSignal } from './failover.ts';
import { resolvePlacement, type ZoneOption } from './placement.ts';

const zone = (name: string, over: Partial<ZoneOption> = {}): ZoneOption => ({
  clusterId: `id-${name}`,
  cluster: name,
  zone: name,
  priority: 100,
  isDefault: false,
  labels: { region: name.startsWith('kul') ? 'kul' : 'bki', tier: 'standard' },
  available: true,
  reason: 'available',
  ...over,
});
const zones = [zone('kul-1', { priority: 10, isDefault: true }), zone('bki-1', { priority: 20 }), zone('kul-2', { priority: 30, labels: { region: 'kul', tier: 'premium' } })];

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'no error';
}

describe('multi-zone placement', () => {
  it('places active-active in every available zone, all serving', () => {
    const p = resolvePlacement({ multicluster: { enabled: true, mode: 'active-active' }, current: null, zones });
    expect(p.mode).toBe('active-active');
    expect(p.zones.map((z) => [z.zone, z.role])).toEqual([
      ['kul-1', 'serving'],
      ['bki-1', 'serving'],
      ['kul-2', 'serving'],
    ]);
    expect(p.multicluster).toMatchObject({ primary: null, failure_threshold: 3 });
  });

  it('composes zones and label selectors into one placement', () => {
    const bySelector = resolvePlacement({ multicluster: { enabled: true, mode: 'active-active', selector: { region: 'kul' } }, current: null, zones });
    expect(bySelector.zones.map((z) => z.zone)).toEqual(['kul-1', 'kul-2']);
    expect(code(() => resolvePlacement({ multicluster: { enabled: true, zones: ['kul-1', 'bki-1'], selector: { region: 'kul' } }, current: null, zones }))).toMatch(
      /SATUSKY_PLACEMENT_INVALID: Zone "bki-1" does not carry the labels/,
    );
    expect(code(() => resolvePlacement({ multicluster: { enabled: true, selector: { tier: 'premium' } }, current: null, zones }))).toMatch(
      /needs at least two zones; only kul-2 qualifies/,
    );
  });

  it('makes the default zone the active-passive primary and the others warm, or the requested primary', () => {
    const p = resolvePlacement({ multicluster: { enabled: true, mode: 'active-passive', zones: ['kul-1', 'bki-1'] }, current: null, zones });
    expect(p.zones.map((z) => [z.zone, z.role])).toEqual([
      ['kul-1', 'serving'],
      ['bki-1', 'warm'],
    ]);
    const q = resolvePlacement({ multicluster: { enabled: true, mode: 'active-passive', zones: ['kul-1', 'bki-1'], primary: 'bki-1', failback: 'manual' }, current: null, zones });
    expect(q.zones.find((z) => z.role === 'serving')!.zone).toBe('bki-1');
    expect(q.multicluster).toMatchObject({ primary: 'bki-1', failback: 'manual' });
    expect(code(() => resolvePlacement({ multicluster: { enabled: true, zones: ['kul-1', 'bki-1'], primary: 'kul-2' }, current: null, zones }))).toMatch(/not one of the placed zones/);
  });

  it('keeps multi-zone settings across deploys that do not mention them, and leaves multi-zone by the serving zone', () => {
    const first = resolvePlacement({ multicluster: { enabled: true, mode: 'active-passive', zones: ['bki-1', 'kul-1'], primary: 'bki-1', failure_threshold: 5 }, current: null, zones });
    const kept = resolvePlacement({ current: first, zones });
    expect({ ...kept, reason: '' }).toEqual({ ...first, reason: '' });
    const single = resolvePlacement({ multicluster: { enabled: false }, current: first, zones });
    expect(single).toMatchObject({ mode: 'single', zones: [{ zone: 'bki-1', role: 'serving' }] });
  });

  it('refuses an unavailable zone new to the app but keeps one it already runs in', () => {
    const offline = zones.map((z) => (z.zone === 'bki-1' ? { ...z, available: false, reason: 'offline: API unreachable' } : z));
    expect(code(() => resolvePlacement({ multicluster: { enabled: true, zones: ['kul-1', 'bki-1'] }, current: null, zones: offline }))).toMatch(/SATUSKY_ZONE_UNAVAILABLE: Zone "bki-1" is unavailable/);
    const placed = resolvePlacement({ multicluster: { enabled: true, zones: ['kul-1', 'bki-1'] }, current: null, zones });
    expect(resolvePlacement({ multicluster: { enabled: true, zones: ['kul-1', 'bki-1'] }, current: placed, zones: offline }).zones).toHaveLength(2);
  });

  it('draws the storage boundary: cluster-local volumes are refused in active-active, and need backups in active-passive', () => {
    const volumes = [{ name: 'data', size: '1Gi', mount_path: '/data' }];
    expect(code(() => resolvePlacement({ multicluster: { enabled: true, mode: 'active-active' }, volumes, current: null, zones }))).toMatch(
      /SATUSKY_STORAGE_BOUNDARY: Volume\(s\) data are cluster-local: each zone would get its own copy of the data/,
    );
    expect(resolvePlacement({ multicluster: { enabled: true, mode: 'active-active', replicates_data: true }, volumes, current: null, zones }).mode).toBe('active-active');
    expect(resolvePlacement({ multicluster: { enabled: true, mode: 'active-active' }, volumes: [{ ...volumes[0]!, storage_type: 'object' }], current: null, zones }).mode).toBe(
      'active-active',
    );
    expect(code(() => resolvePlacement({ multicluster: { enabled: true, mode: 'active-passive' }, volumes, current: null, zones }))).toMatch(/Enable backups/);
    const withBackup = resolvePlacement({ multicluster: { enabled: true, mode: 'active-passive', backup: { enabled: true, schedule: 'hourly' } }, volumes, current: null, zones });
    expect(withBackup.multicluster!.backup).toEqual({ schedule: 'hourly', cron: '0 * * * *', retention: '168h', zone: 'kul-1' });
    expect(withBackup.multicluster!.restore_on_failover).toBe(true);
  });
});

describe('failover state machine', () => {
  const policy: FailoverPolicy = { failureThreshold: 3, failback: 'auto', failbackAfterMs: 10_000, preference: ['kul-1', 'bki-1'] };
  const t0 = new Date('2026-11-21T10:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  const up = (zone: string): ZoneSignal => ({ zone, edgeOk: true, edgeDetail: '200', apiReachable: true, workloadReady: true });
  const down = (zone: string): ZoneSignal => ({ zone, edgeOk: false, edgeDetail: 'connection refused', apiReachable: false, workloadReady: null });

  function run(state: FailoverState, steps: [number, ZoneSignal[]][], p = policy) {
    const events: string[] = [];
    let s = state;
    for (const [second, signals] of steps) {
      const result = stepFailover(s, signals, p, at(second));
      s = result.state;
      events.push(...result.events.map((e) => e.type));
    }
    return { state: s, events };
  }

  it('detects, waits for the threshold, fails over to a ready zone and reports the timings', () => {
    const { state, events } = run(initialFailoverState('kul-1', t0), [
      [1, [down('kul-1'), up('bki-1')]],
      [2, [down('kul-1'), up('bki-1')]],
      [3, [down('kul-1'), up('bki-1')]],
      [4, [down('kul-1'), up('bki-1')]],
    ]);
    expect(events).toEqual(['FailoverDetecting', 'FailoverStarted', 'FailoverCompleted']);
    expect(state).toMatchObject({ phase: 'secondary-serving', serving: 'bki-1', epoch: 2, from: 'kul-1', detectedAt: at(1).toISOString(), switchedAt: at(3).toISOString(), firstHealthyAt: at(4).toISOString() });
  });

  it('clears a blip below the threshold without moving traffic', () => {
    const { state, events } = run(initialFailoverState('kul-1', t0), [
      [1, [down('kul-1'), up('bki-1')]],
      [2, [up('kul-1'), up('bki-1')]],
    ]);
    expect(events).toEqual(['FailoverDetecting', 'FailoverCleared']);
    expect(state).toMatchObject({ phase: 'primary-serving', serving: 'kul-1', epoch: 1 });
  });

  it('keeps traffic on a zone whose API is unreachable while its edge serves (static stability)', () => {
    const apiOnly: ZoneSignal = { zone: 'kul-1', edgeOk: true, edgeDetail: '200', apiReachable: false, workloadReady: null };
    const { state, events } = run(initialFailoverState('kul-1', t0), [1, 2, 3, 4, 5].map((s) => [s, [apiOnly, up('bki-1')]]));
    expect(events).toEqual(['ServingWithoutControl']);
    expect(state).toMatchObject({ phase: 'primary-serving', serving: 'kul-1', epoch: 1 });
    expect(state.reason).toContain('API is unreachable but its edge answers');
  });

  it('never moves traffic to a zone that is not ready, and says why', () => {
    const notReady: ZoneSignal = { zone: 'bki-1', edgeOk: true, edgeDetail: '200', apiReachable: true, workloadReady: false };
    const { state, events } = run(initialFailoverState('kul-1', t0), [1, 2, 3, 4, 5, 6].map((s) => [s, [down('kul-1'), notReady]]));
    expect(events).toEqual(['FailoverDetecting', 'FailoverBlocked']);
    expect(state).toMatchObject({ phase: 'detecting', serving: 'kul-1', epoch: 1 });
    expect(state.reason).toContain('bki-1: edge answers, workload not ready');
  });

  it('fails back automatically only after the primary was healthy for the whole failback period', () => {
    const failed = run(initialFailoverState('kul-1', t0), [1, 2, 3, 4].map((s) => [s, [down('kul-1'), up('bki-1')]])).state;
    const { state, events } = run(failed, [
      [5, [up('kul-1'), up('bki-1')]],
      [10, [up('kul-1'), up('bki-1')]],
      [14, [up('kul-1'), up('bki-1')]],
      [15, [up('kul-1'), up('bki-1')]],
      [16, [up('kul-1'), up('bki-1')]],
    ]);
    expect(events).toEqual(['FailbackStarted', 'FailbackCompleted']);
    expect(state).toMatchObject({ phase: 'primary-serving', serving: 'kul-1', epoch: 3 });
  });

  it('does not flap: a primary that keeps failing never earns its failback', () => {
    const failed = run(initialFailoverState('kul-1', t0), [1, 2, 3, 4].map((s) => [s, [down('kul-1'), up('bki-1')]])).state;
    const flapping: [number, ZoneSignal[]][] = [];
    for (let s = 5; s < 60; s += 1) flapping.push([s, [s % 8 === 0 ? down('kul-1') : up('kul-1'), up('bki-1')]]);
    const { state, events } = run(failed, flapping);
    expect(events).toEqual([]);
    expect(state).toMatchObject({ serving: 'bki-1', epoch: 2 });
  });

  it('with manual failback, says failback is available and waits for the command', () => {
    const manual = { ...policy, failback: 'manual' as const };
    const failed = run(initialFailoverState('kul-1', t0), [1, 2, 3, 4].map((s) => [s, [down('kul-1'), up('bki-1')]]), manual).state;
    const waited = run(failed, [5, 10, 15, 20, 30].map((s) => [s, [up('kul-1'), up('bki-1')]]), manual);
    expect(waited.events).toEqual(['FailbackAvailable']);
    expect(waited.state.serving).toBe('bki-1');
    const commanded = stepFailover(waited.state, [up('kul-1'), up('bki-1')], manual, at(31), { kind: 'failback' });
    expect(commanded.events.map((e) => e.type)).toEqual(['FailbackStarted']);
    expect(commanded.state).toMatchObject({ phase: 'failing-back', serving: 'kul-1', epoch: 3 });
  });

  it('runs drills to a ready zone and refuses them to a zone that is not', () => {
    const drill = stepFailover(initialFailoverState('kul-1', t0), [up('kul-1'), up('bki-1')], policy, at(1), { kind: 'failover', to: 'bki-1' });
    expect(drill.state).toMatchObject({ phase: 'failing-over', serving: 'bki-1', epoch: 2 });
    const refused = stepFailover(initialFailoverState('kul-1', t0), [up('kul-1'), down('bki-1')], policy, at(1), { kind: 'failover', to: 'bki-1' });
    expect(refused.events[0]).toMatchObject({ type: 'CommandRefused' });
    expect(refused.events[0]!.message).toContain('bki-1 is not ready to serve (edge connection refused, workload unknown)');
    expect(refused.state.serving).toBe('kul-1');
  });

  it('fails over again when the secondary fails too and the primary is back', () => {
    const failed = run(initialFailoverState('kul-1', t0), [1, 2, 3, 4].map((s) => [s, [down('kul-1'), up('bki-1')]])).state;
    const { state, events } = run(failed, [5, 6, 7, 8].map((s) => [s, [up('kul-1'), down('bki-1')]]));
    expect(events).toEqual(['FailoverDetecting', 'FailbackStarted', 'FailbackCompleted']);
    expect(state).toMatchObject({ phase: 'primary-serving', serving: 'kul-1', epoch: 3 });
  });
});

