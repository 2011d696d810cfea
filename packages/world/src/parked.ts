// "Somebody else's web server": a parked-domain page on its own address, so names that resolve
// elsewhere have a real host to hit (200 for `/`, 404 for everything else, ACME challenges
// included). HTTPS serves a self-signed certificate.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { closeServer, listen } from './util/net.ts';
import type { EdgePorts } from './edge/edge.ts';

export const PARKED_PAGE = 'This domain is parked. It is not served by Satusky.\n';

export class ParkedHost {
  readonly address: string;
  readonly #http: http.Server;
  readonly #https: https.Server;
  #up = false;

  constructor(address: string, certificate: { key: string; cert: string }) {
    this.address = address;
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      req.resume();
      const path = (req.url ?? '/').split('?')[0];
      const [status, body] = path === '/' ? [200, PARKED_PAGE] : [404, 'Not Found\n'];
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), server: 'parking-lot/1.0' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    this.#http = http.createServer(handle);
    this.#https = https.createServer({ key: certificate.key, cert: certificate.cert }, handle);
  }

  get up(): boolean {
    return this.#up;
  }

  async start(ports: EdgePorts): Promise<void> {
    if (this.#up) return;
    await listen(this.#http, this.address, ports.http);
    try {
      await listen(this.#https, this.address, ports.https);
    } catch (err) {
      await closeServer(this.#http);
      throw err;
    }
    this.#up = true;
  }

  async stop(): Promise<void> {
    if (!this.#up) return;
    this.#up = false;
    await Promise.all([closeServer(this.#http), closeServer(this.#https)]);
  }
}
