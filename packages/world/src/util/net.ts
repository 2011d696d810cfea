// Small socket helpers shared by the edges, the parked host, the DNS server and the control API.

import dgram from 'node:dgram';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';

/** Starts listening and resolves with the bound port; rejects on `EADDRINUSE` and friends. */
export function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(address && typeof address === 'object' ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

/** Closes a server and every connection it holds (keep-alive ones included). */
export function closeServer(server: net.Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      server.closeAllConnections?.();
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

export function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** Whether `host:port` can be bound for TCP right now (checked, then released). */
export async function tcpPortFree(host: string, port: number): Promise<boolean> {
  const server = net.createServer();
  try {
    await listen(server, host, port);
    return true;
  } catch {
    return false;
  } finally {
    await closeServer(server);
  }
}

/** A port that is free for both UDP and TCP on `host` (checked, then released). */
export async function freeUdpAndTcpPort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const tcp = net.createServer();
    const port = await listen(tcp, host, 0);
    const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    await closeServer(tcp);
    await new Promise<void>((resolve) => {
      try {
        udp.close(() => resolve());
      } catch {
        resolve();
      }
    });
    if (ok) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${host}`);
}

/** Writes a file through a temporary file and a rename, so readers never see half of it. */
export async function atomicWrite(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}

/** `host:port`, with brackets around IPv6 literals. */
export function hostPort(host: string, port: number): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}
