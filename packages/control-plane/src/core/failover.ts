/**
 * The failover state machine of one active-passive app. Pure: `stepFailover` takes the stored
 * state, what the probes saw in each zone and the policy, and answers the next state and the events
 * to record. The traffic controller persists the state and publishes DNS for `serving`.
 *
 *   primary-serving ─(serving edge fails)→ detecting ─(threshold reached, a ready target)→ failing-over
 *   failing-over ─(new zone answers through its edge)→ secondary-serving
 *   secondary-serving ─(primary healthy for the failback period, policy auto)→ failing-back
 *   failing-back ─(primary answers)→ primary-serving
 *
 * Traffic only moves to a zone that is ready (its edge answers and its workload is ready); a zone
 * whose API is unreachable but whose edge still serves keeps its traffic (static stability); a
 * flapping zone never earns a failback (its healthy streak restarts at every failure).
 */
export type FailoverPhase = 'primary-serving' | 'detecting' | 'failing-over' | 'secondary-serving' | 'failing-back';

export interface FailoverState {
  phase: FailoverPhase;
  /** Grows with every switch of the serving zone; DNS records carry it (a stale writer loses). */
  epoch: number;
  primary: string;
  serving: string;
  /** When the current phase began. */
  since: string;
  /** Consecutive failed probes through the serving zone's edge. */
  failures: number;
  /** Since when the primary has been continuously healthy while not serving (for failback). */
  primaryHealthySince: string | null;
  /** Timings of the current or last incident. */
  detectedAt: string | null;
  switchedAt: string | null;
  firstHealthyAt: string | null;
  /** The zone traffic moved away from in the current or last switch. */
  from: string | null;
  reason: string;
}

export interface ZoneSignal {
  zone: string;
  /** The app answered its health path through this zone's edge; null when not probed. */
  edgeOk: boolean | null;
  /** What the probe saw, for messages ("connection refused", "503"). */
  edgeDetail: string;
  /** The zone's Kubernetes API answered recently. */
  apiReachable: boolean;
  /** The app's workload is ready there (null when unknown: the API is unreachable). */
  workloadReady: boolean | null;
}

export interface FailoverPolicy {
  failureThreshold: number;
  failback: 'auto' | 'manual';
  failbackAfterMs: number;
  /** Zones in order of preference as failover targets (after the primary). */
  preference: string[];
}

export type FailoverCommand = { kind: 'failover'; to: string } | { kind: 'failback' };

export interface FailoverEvent {
  type:
    | 'FailoverDetecting'
    | 'FailoverCleared'
    | 'FailoverStarted'
    | 'FailoverCompleted'
    | 'FailoverBlocked'
    | 'FailbackStarted'
    | 'FailbackCompleted'
    | 'FailbackAvailable'
    | 'ServingWithoutControl'
    | 'CommandRefused';
  level: 'info' | 'warning' | 'error';
  message: string;
  detail: Record<string, unknown>;
}

export function initialFailoverState(primary: string, now: Date): FailoverState {
  return {
    phase: 'primary-serving',
    epoch: 1,
    primary,
    serving: primary,
    since: now.toISOString(),
    failures: 0,
    primaryHealthySince: null,
    detectedAt: null,
    switchedAt: null,
    firstHealthyAt: null,
    from: null,
    reason: `${primary} serves`,
  };
}

const ready = (s: ZoneSignal | undefined) => s !== undefined && s.edgeOk === true && s.workloadReady === true;

function ms(a: string | null, b: string | null): number | null {
  return a && b ? new Date(b).getTime() - new Date(a).getTime() : null;
}

type Step = { state: FailoverState; events: FailoverEvent[] };

/** The state after moving traffic to `target`, and the event saying so. */
function switched(state: FailoverState, target: string, why: string, at: string): Step {
  const back = target === state.primary;
  const next: FailoverState = {
    ...state,
    phase: back ? 'failing-back' : 'failing-over',
    epoch: state.epoch + 1,
    from: state.serving,
    serving: target,
    since: at,
    failures: 0,
    detectedAt: state.detectedAt ?? at,
    switchedAt: at,
    firstHealthyAt: null,
    primaryHealthySince: null,
    reason: why,
  };
  return {
    state: next,
    events: [
      {
        type: back ? 'FailbackStarted' : 'FailoverStarted',
        level: back ? 'info' : 'warning',
        message: `${back ? 'failing back' : 'failing over'} from ${state.serving} to ${target}: ${why}`,
        detail: { from: state.serving, to: target, epoch: next.epoch, detected_at: next.detectedAt, switched_at: at },
      },
    ],
  };
}

function describeSignal(s: ZoneSignal | undefined): string {
  if (!s) return 'no signal';
  const edge = s.edgeOk === null ? 'not probed' : s.edgeOk ? 'answers' : s.edgeDetail;
  const workload = s.workloadReady === null ? 'unknown' : s.workloadReady ? 'ready' : 'not ready';
  return `edge ${edge}, workload ${workload}`;
}

/**
 * One step. `command` is an operator's drill (`failover --to`) or `failback`; it is refused, with an
 * event saying why, unless the target is ready.
 */
export function stepFailover(
  state: FailoverState,
  signals: readonly ZoneSignal[],
  policy: FailoverPolicy,
  now: Date,
  command?: FailoverCommand,
): Step {
  const at = now.toISOString();
  const zone = (name: string) => signals.find((s) => s.zone === name);

  // Operator commands first: explicit, but they still never move traffic to a zone that is not ready.
  if (command) {
    const target = command.kind === 'failover' ? command.to : state.primary;
    // A refused command changes nothing by itself, but this step's signals still count.
    const refuse = (message: string): Step => {
      const normal = stepFailover(state, signals, policy, now);
      return {
        state: normal.state,
        events: [{ type: 'CommandRefused', level: 'warning', message, detail: { command: command.kind, zone: target } }, ...normal.events],
      };
    };
    if (target === state.serving) return refuse(`${target} already serves`);
    if (!zone(target)) return refuse(`${target} is not one of the app's zones`);
    if (!ready(zone(target))) return refuse(`${target} is not ready to serve (${describeSignal(zone(target))}); traffic stays on ${state.serving}`);
    return switched({ ...state, detectedAt: at }, target, command.kind === 'failover' ? 'drill requested by an operator' : 'failback requested by an operator', at);
  }

  const serving = zone(state.serving);
  if (state.phase === 'failing-over' || state.phase === 'failing-back') {
    if (serving?.edgeOk === true) {
      const back = state.serving === state.primary;
      return {
        state: { ...state, phase: back ? 'primary-serving' : 'secondary-serving', since: at, firstHealthyAt: at, failures: 0, reason: `${state.serving} serves` },
        events: [
          {
            type: back ? 'FailbackCompleted' : 'FailoverCompleted',
            level: 'info',
            message: `${state.serving} answers through its edge; traffic moved from ${state.from ?? '-'} (detected ${state.detectedAt ?? '-'}, switched ${state.switchedAt ?? '-'}, first healthy answer ${at})`,
            detail: {
              from: state.from,
              to: state.serving,
              epoch: state.epoch,
              detected_at: state.detectedAt,
              switched_at: state.switchedAt,
              first_healthy_at: at,
              detect_to_switch_ms: ms(state.detectedAt, state.switchedAt),
              switch_to_healthy_ms: ms(state.switchedAt, at),
              total_ms: ms(state.detectedAt, at),
            },
          },
        ],
      };
    }
    return serving?.edgeOk === false ? countFailure(state, policy, signals, at) : { state, events: [] };
  }

  // primary-serving, secondary-serving, detecting
  if (serving?.edgeOk === true) {
    const events: FailoverEvent[] = [];
    let next: FailoverState = { ...state, failures: 0 };
    if (state.phase === 'detecting') {
      next = { ...next, phase: state.serving === state.primary ? 'primary-serving' : 'secondary-serving', since: at, reason: `${state.serving} answers again` };
      events.push({ type: 'FailoverCleared', level: 'info', message: `${state.serving} answers again through its edge; traffic stays`, detail: { zone: state.serving, failures: state.failures } });
    }
    if (!serving.apiReachable && !next.reason.includes('API is unreachable')) {
      // Static stability: the control plane lost the cluster, the users did not.
      next = { ...next, reason: `${state.serving} serves; its API is unreachable but its edge answers` };
      events.push({ type: 'ServingWithoutControl', level: 'warning', message: next.reason, detail: { zone: state.serving } });
    } else if (serving.apiReachable && next.reason.includes('API is unreachable')) {
      next = { ...next, reason: `${state.serving} serves` };
    }
    const failback = considerFailback(next, policy, signals, at);
    return { state: failback.state, events: [...events, ...failback.events] };
  }
  if (serving?.edgeOk !== false) return { state, events: [] };
  const events: FailoverEvent[] = [];
  let next = state;
  if (state.phase !== 'detecting') {
    next = { ...state, phase: 'detecting', since: at, detectedAt: at, switchedAt: null, firstHealthyAt: null, failures: 0 };
    events.push({
      type: 'FailoverDetecting',
      level: 'warning',
      message: `${state.serving} does not answer through its edge (${serving.edgeDetail})`,
      detail: { zone: state.serving, detected_at: at },
    });
  }
  const counted = countFailure(next, policy, signals, at);
  return { state: counted.state, events: [...events, ...counted.events] };
}

/** One more failed probe of the serving zone; at the threshold, traffic moves to a ready zone if there is one. */
function countFailure(state: FailoverState, policy: FailoverPolicy, signals: readonly ZoneSignal[], at: string): Step {
  const next = { ...state, failures: state.failures + 1 };
  if (next.failures < policy.failureThreshold) return { state: next, events: [] };
  const order = [state.primary, ...policy.preference.filter((z) => z !== state.primary)].filter((z) => z !== state.serving);
  const target = order.find((z) => ready(signals.find((s) => s.zone === z)));
  const serving = signals.find((s) => s.zone === state.serving);
  if (target) return switched(next, target, `${state.serving} failed ${next.failures} consecutive probes (${serving?.edgeDetail ?? 'no answer'})`, at);
  const why = order.map((z) => `${z}: ${describeSignal(signals.find((s) => s.zone === z))}`).join('; ');
  if (state.reason.startsWith('no ready zone')) return { state: next, events: [] };
  return {
    state: { ...next, reason: `no ready zone to fail over to (${why})` },
    events: [
      {
        type: 'FailoverBlocked',
        level: 'error',
        message: `${state.serving} is down but no other zone is ready to serve (${why}); traffic stays`,
        detail: { zone: state.serving, candidates: order },
      },
    ],
  };
}

/** While a secondary serves: back to the primary once it has been ready for the failback period (auto), or say it could (manual). */
function considerFailback(state: FailoverState, policy: FailoverPolicy, signals: readonly ZoneSignal[], at: string): Step {
  if (state.serving === state.primary) return { state, events: [] };
  const primary = signals.find((s) => s.zone === state.primary);
  if (!ready(primary)) return { state: { ...state, primaryHealthySince: null }, events: [] };
  const since = state.primaryHealthySince ?? at;
  const next = { ...state, primaryHealthySince: since };
  const healthyFor = new Date(at).getTime() - new Date(since).getTime();
  if (healthyFor < policy.failbackAfterMs) return { state: next, events: [] };
  if (policy.failback === 'auto') {
    return switched({ ...next, detectedAt: at }, state.primary, `${state.primary} has been healthy for ${Math.round(healthyFor / 1000)}s`, at);
  }
  if (state.reason.startsWith('failback available')) return { state: next, events: [] };
  return {
    state: { ...next, reason: `failback available: ${state.primary} healthy since ${since}` },
    events: [
      {
        type: 'FailbackAvailable',
        level: 'info',
        message: `${state.primary} has been healthy since ${since}; fail back with: 1ctl app failback`,
        detail: { primary: state.primary, healthy_since: since },
      },
    ],
  };
}
