// The API server's listening socket, with the transport-level faults a real outage produces:
// `down` closes the listening socket (connections are refused) and drops open connections;
// `blackhole` accepts TCP connections and never answers (not even the TLS handshake), and holds
// requests already in flight on open connections. `ok` reopens on the same port.

import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

export type ApiMode = 'ok' | 'down' | 'blackhole';

export interface ListenerOptions {
  host: string;
  port: number;
  key: string;
  cert: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export class ApiListener {
  readonly #o: ListenerOptions;
  readonly #https: HttpsServer;
  #net: NetServer | undefined;
  #port: number;
  #mode: ApiMode = 'ok';
  readonly #sockets = new Set<Socket>();
  readonly #held = new Set<Socket>();
  readonly #heldResponses = new Set<ServerResponse>();

  constructor(options: ListenerOptions) {
    this.#o = options;
    this.#port = options.port;
    this.#https = createHttpsServer({ key: options.key, cert: options.cert, keepAlive: true }, (req, res) => {
      if (this.#mode === 'blackhole') {
        this.#heldResponses.add(res);
        res.on('close', () => this.#heldResponses.delete(res));
        return;
      }
      options.handler(req, res);
    });
    this.#https.keepAliveTimeout = 65_000;
    this.#https.headersTimeout = 66_000;
    this.#https.requestTimeout = 0;
  }

  get port(): number {
    return this.#port;
  }

  get mode(): ApiMode {
    return this.#mode;
  }

  /** Replaces the serving certificate (used when it is regenerated). */
  setSecureContext(key: string, cert: string): void {
    this.#https.setSecureContext({ key, cert });
  }

  async start(): Promise<void> {
    if (this.#net) return;
    const server = createNetServer((socket) => this.#accept(socket));
    this.#net = server;
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error): void => {
            server.off('listening', onListening);
            reject(err);
          };
          const onListening = (): void => {
            server.off('error', onError);
            resolve();
          };
          server.once('error', onError);
          server.once('listening', onListening);
          server.listen({ host: this.#o.host, port: this.#port });
        });
        break;
      } catch (err) {
        // The previous socket on this port may still be closing (restart): retry briefly.
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && this.#port !== 0 && attempt < 50) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        this.#net = undefined;
        throw err;
      }
    }
    const address = server.address();
    if (address && typeof address === 'object') this.#port = address.port;
  }

  #accept(socket: Socket): void {
    // Our own net.Server hands sockets to the HTTPS server, so its noDelay default does not apply:
    // without this, small watch events wait on Nagle + delayed ACKs (~40 ms).
    socket.setNoDelay(true);
    this.#sockets.add(socket);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      this.#held.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    if (this.#mode === 'blackhole') {
      this.#held.add(socket);
      return;
    }
    this.#https.emit('connection', socket);
  }

  async setMode(mode: ApiMode): Promise<void> {
    const previous = this.#mode;
    this.#mode = mode;
    if (mode === 'down') {
      // close() resolves only once every connection has ended: drop them, then wait.
      const closing = this.#closeListening();
      this.#dropAll();
      await closing;
      return;
    }
    if (previous === 'blackhole' && mode === 'ok') {
      // A blackhole never answers: whatever it swallowed is lost when it lifts.
      for (const s of this.#held) s.destroy();
      this.#held.clear();
      for (const r of this.#heldResponses) r.socket?.destroy();
      this.#heldResponses.clear();
    }
    if (!this.#net) await this.start();
  }

  #dropAll(): void {
    this.#https.closeAllConnections();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.#held.clear();
    this.#heldResponses.clear();
  }

  async #closeListening(): Promise<void> {
    const server = this.#net;
    this.#net = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    const closing = this.#closeListening();
    this.#dropAll();
    await closing;
  }
}
