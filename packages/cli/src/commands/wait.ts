import type { AppStatus, OverallStatus } from '@satusky/contracts';
import type { Session } from '../session.ts';

export const EXIT = { ready: 0, failed: 1, timeout: 2, degraded: 3 } as const;

export interface WaitOutcome {
  status: AppStatus;
  exitCode: number;
  summary: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls the app's status until the accepted generation is ready, failed or degraded everywhere it
 * is placed, or the deadline passes. Prints each zone's layer when it changes. A failure must be
 * seen twice in a row: one reading mid-rollout is not a verdict.
 */
export async function waitForApp(
  session: Session,
  org: string,
  app: string,
  generation: number,
  options: { timeoutMs: number; intervalMs?: number; quiet?: boolean; degradedGraceMs?: number },
): Promise<WaitOutcome> {
  const client = session.client();
  const deadline = Date.now() + options.timeoutMs;
  const seen = new Map<string, string>();
  let failedStreak = 0;
  let degradedSince: number | null = null;
  for (;;) {
    const status = await client.appStatus(org, app);
    if (!options.quiet && !session.json) {
      for (const cluster of status.clusters) {
        for (const condition of cluster.conditions) {
          if (condition.type === 'Accepted') continue;
          const key = `${cluster.zone}/${condition.type}`;
          const text = `${condition.status} ${condition.reason}`;
          if (seen.get(key) === text) continue;
          seen.set(key, text);
          const mark = condition.status === 'True' ? '✓' : condition.status === 'False' ? '…' : '?';
          session.io.out(`  ${cluster.zone.padEnd(12)} ${condition.type.padEnd(16)} ${mark} ${condition.reason}: ${condition.message}`);
        }
      }
    }
    const current = status.generation >= generation && status.clusters.length > 0 && status.clusters.every((c) => c.desired_generation >= generation);
    const verdict: OverallStatus | null = current ? status.status : null;
    if (verdict === 'ready') return { status, exitCode: EXIT.ready, summary: status.message };
    // Degraded must hold for a while: an endpoint that is still settling (a certificate retry, DNS
    // caches) is not a verdict.
    degradedSince = verdict === 'degraded' ? (degradedSince ?? Date.now()) : null;
    if (degradedSince !== null && Date.now() - degradedSince >= (options.degradedGraceMs ?? 10_000)) return { status, exitCode: EXIT.degraded, summary: status.message };
    failedStreak = verdict === 'failed' ? failedStreak + 1 : 0;
    if (failedStreak >= 2) return { status, exitCode: EXIT.failed, summary: status.message };
    if (Date.now() >= deadline) {
      if (verdict === 'degraded') return { status, exitCode: EXIT.degraded, summary: status.message };
      return {
        status,
        exitCode: EXIT.timeout,
        summary: `Timed out after ${Math.round(options.timeoutMs / 1000)}s: ${status.message}`,
      };
    }
    await sleep(Math.min(options.intervalMs ?? 1000, Math.max(50, deadline - Date.now())));
  }
}
