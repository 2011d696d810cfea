import { describe, expect, it } from 'vitest';
import { WorkQueue, type WorkResult } from './work-queue.ts';

function recordingQueue(concurrency = 1) {
  const order: string[] = [];
  let release: (() => void) | null = null;
  let gate: Promise<void> = new Promise((r) => (release = r));
  const queue = new WorkQueue({
    name: 'test',
    concurrency,
    onUnexpected: () => {},
    handler: async (key): Promise<WorkResult> => {
      order.push(key);
      await gate;
      return { outcome: 'done' };
    },
  });
  return {
    queue,
    order,
    open() {
      release?.();
    },
    close() {
      gate = new Promise((r) => (release = r));
    },
  };
}

describe('WorkQueue lanes', () => {
  it('serves keys added for new desired state before periodic re-checks, once each', async () => {
    const q = recordingQueue();
    q.queue.add('busy'); // occupies the only worker until the gate opens
    for (const k of ['r1', 'r2', 'r3']) q.queue.add(k, 0, { ifIdle: true });
    q.queue.add('deploy');
    q.queue.add('r2'); // already queued as a re-check: promoted, not duplicated
    q.queue.add('deploy'); // already urgent: no-op
    expect(q.queue.stats().queued).toBe(4);
    q.open();
    await q.queue.idle();
    expect(q.order).toEqual(['busy', 'deploy', 'r2', 'r1', 'r3']);
    q.queue.stop();
  });

  it('re-runs a key changed while it was being processed, and a re-check never jumps the lane', async () => {
    const q = recordingQueue();
    q.queue.add('a');
    q.queue.add('a'); // while processing: runs once more afterwards
    q.queue.add('b', 0, { ifIdle: true });
    q.queue.add('c');
    q.open();
    await q.queue.idle();
    expect(q.order).toEqual(['a', 'c', 'a', 'b']);
    q.queue.stop();
  });
});
