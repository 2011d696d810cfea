import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LogLine } from '@satusky/contracts';
import { authHeaders } from './helpers.ts';
import { startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
let base: string;
const org = () => h.tenant.orgId;
const ns = () => `org-${h.tenant.slug}`;
const sim = () => h.zones[0]!.sim;

beforeAll(async () => {
  h = await startHarness({ zones: ['sim-log-1'], listen: true });
  base = `ws://127.0.0.1:${(h.cp.app.server.address() as AddressInfo).port}`;
  const deployed = await h.api('PUT', `/v1/orgs/${org()}/apps/chatty`, { image: 'ghcr.io/acme/chatty:1', replicas: 1 });
  expect(deployed.status, deployed.text).toBe(202);
  await h.waitForStatus('chatty', (s) => s.status === 'ready');
});
afterAll(async () => {
  await h?.close();
});

/** Opens the logs stream and collects lines until `until` says enough (or the time runs out). */
function collect(query: string, until: (lines: LogLine[]) => boolean, timeoutMs = 5_000): Promise<LogLine[]> {
  return new Promise((resolve, reject) => {
    const lines: LogLine[] = [];
    const socket = new WebSocket(`${base}/v1/orgs/${org()}/apps/chatty/logs/stream?${query}`, { headers: authHeaders(h.tenant.token) });
    const timer = setTimeout(() => {
      socket.close();
      resolve(lines);
    }, timeoutMs);
    socket.on('message', (data: WebSocket.RawData) => {
      const message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8')) as { type: string; line?: LogLine };
      if (message.type !== 'line' || !message.line) return;
      lines.push(message.line);
      if (until(lines)) {
        clearTimeout(timer);
        socket.close();
        resolve(lines);
      }
    });
    socket.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on('error', reject);
  });
}

function podName(): string {
  const pods = sim().objects.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns(), labelSelector: 'app.kubernetes.io/name=chatty' });
  return pods[0]!.metadata.name;
}

describe('the logs stream resumes from a cursor', () => {
  it('sends only the lines after `since`, then follows live, without repeating what the client saw', async () => {
    const pod = podName();
    // Lines a few milliseconds apart: the cursor's own millisecond is sent again by design.
    for (let i = 1; i <= 5; i++) {
      sim().appendPodLog(ns(), pod, `before-${i}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const first = await collect('tail=100', (lines) => lines.some((l) => l.message === 'before-5'));
    const seen = first.filter((l) => l.message.startsWith('before-'));
    expect(seen.map((l) => l.message)).toEqual(['before-1', 'before-2', 'before-3', 'before-4', 'before-5']);
    const cursor = seen.at(-1)!.at!;
    expect(cursor).toMatch(/^\d{4}-\d\d-\d\dT/);

    // The client is away; the pod keeps writing.
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 1; i <= 3; i++) sim().appendPodLog(ns(), pod, `while-away-${i}`);
    const resumed = collect(`since=${encodeURIComponent(cursor)}`, (lines) => lines.some((l) => l.message === 'live-1'));
    // Give the stream a moment to attach to the pod before the next line is written.
    await new Promise((resolve) => setTimeout(resolve, 300));
    sim().appendPodLog(ns(), pod, 'live-1');
    const lines = await resumed;
    const messages = lines.map((l) => l.message);
    expect(messages).toEqual(expect.arrayContaining(['while-away-1', 'while-away-2', 'while-away-3', 'live-1']));
    // Nothing from before the cursor comes back; at most the cursor's own moment (the client drops it).
    expect(lines.every((l) => l.at === null || l.at >= cursor)).toBe(true);
    expect(messages.filter((m) => /^before-[1-4]$/.test(m))).toEqual([]);
  });

  it('refuses a cursor that is not an RFC 3339 time, with a stable code', async () => {
    const response = await h.cp.app.inject({
      method: 'GET',
      url: `/v1/orgs/${org()}/apps/chatty/logs/stream?since=yesterday`,
      headers: { ...authHeaders(h.tenant.token), connection: 'upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'SATUSKY_VALIDATION_FAILED' } });
  });
});
