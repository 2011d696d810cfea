import http from 'node:http';

export interface EdgeProbeResult {
  ok: boolean;
  statusCode: number | null;
  detail: string;
  latencyMs: number | null;
  /** The zone the answer came from (the x-satusky-zone header), when the app says. */
  answeredBy: string | null;
}

/**
 * GET the app's health path through one zone's edge, with the app's hostname as Host: what a user
 * in front of that zone would get. Connects only to the address it is given (a platform edge).
 */
export async function probeThroughEdge(input: { address: string; port: number; hostname: string; path: string; timeoutMs: number }): Promise<EdgeProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: EdgeProbeResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request = http.request(
      {
        host: input.address,
        port: input.port,
        path: input.path,
        method: 'GET',
        agent: false,
        headers: { host: input.hostname, 'user-agent': 'satusky-edge-probe/0.1', connection: 'close' },
        timeout: input.timeoutMs,
      },
      (response) => {
        response.resume();
        const latencyMs = Math.round(performance.now() - started);
        const status = response.statusCode ?? 0;
        const zone = response.headers['x-satusky-zone'];
        done({
          ok: status >= 200 && status < 400,
          statusCode: status,
          detail: `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''} in ${latencyMs} ms`,
          latencyMs,
          answeredBy: typeof zone === 'string' ? zone : null,
        });
      },
    );
    request.on('timeout', () => {
      request.destroy();
      done({ ok: false, statusCode: null, detail: `no answer within ${input.timeoutMs} ms`, latencyMs: null, answeredBy: null });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const detail = error.code === 'ECONNREFUSED' ? 'connection refused' : error.code === 'ECONNRESET' ? 'connection reset' : (error.code ?? error.message);
      done({ ok: false, statusCode: null, detail, latencyMs: null, answeredBy: null });
    });
    request.end();
  });
}
