// Queries the platform zone's upstream (the control plane's authoritative DNS) with one question,
// over UDP (a connected socket, so a closed port fails fast with ECONNREFUSED) and over TCP when the
// answer comes back truncated. Wire format by dns2.

import dgram from 'node:dgram';
import net from 'node:net';
import { Packet, type Question } from 'dns2';
import type { HostPort } from '../options.ts';

export interface UpstreamQuestion {
  name: string;
  type: number;
  class: number;
}

function buildQuery(q: UpstreamQuestion, rd: boolean): Packet {
  const query = new Packet();
  query.header.id = Packet.uuid();
  query.header.rd = rd ? 1 : 0;
  query.questions.push({ name: q.name, type: q.type, class: q.class } as Question);
  return query;
}

function timeoutError(upstream: HostPort, ms: number): Error {
  return Object.assign(new Error(`upstream ${upstream.host}:${upstream.port} did not answer within ${ms} ms`), { code: 'ETIMEDOUT' });
}

function overUdp(upstream: HostPort, query: Packet, timeoutMs: number): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (err: Error | undefined, packet?: Packet): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve(packet as Packet);
    };
    const timer = setTimeout(() => finish(timeoutError(upstream, timeoutMs)), timeoutMs);
    socket.on('error', (err) => finish(err));
    socket.on('message', (msg) => {
      let packet: Packet;
      try {
        packet = Packet.parse(msg);
      } catch {
        return; // not a DNS message: keep waiting for the real one
      }
      if (packet.header.id !== query.header.id) return;
      finish(undefined, packet);
    });
    socket.connect(upstream.port, upstream.host, () => {
      socket.send(query.toBuffer(), (err) => {
        if (err) finish(err);
      });
    });
  });
}

function overTcp(upstream: HostPort, query: Packet, timeoutMs: number): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: upstream.host, port: upstream.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timeoutError(upstream, timeoutMs));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      const body = query.toBuffer();
      const len = Buffer.alloc(2);
      len.writeUInt16BE(body.length);
      socket.write(Buffer.concat([len, body]));
      Packet.readStream(socket).then(
        (msg) => {
          clearTimeout(timer);
          socket.end();
          try {
            resolve(Packet.parse(msg));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
        (err: unknown) => {
          clearTimeout(timer);
          socket.destroy();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  });
}

/** Asks the upstream one question; rejects on timeout, refusal or a malformed answer. */
export async function queryUpstream(upstream: HostPort, question: UpstreamQuestion, options: { timeoutMs: number; recursionDesired?: boolean }): Promise<Packet> {
  const query = buildQuery(question, options.recursionDesired ?? false);
  const answer = await overUdp(upstream, query, options.timeoutMs);
  if (!answer.header.tc) return answer;
  return overTcp(upstream, buildQuery(question, options.recursionDesired ?? false), options.timeoutMs);
}
