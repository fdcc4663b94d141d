/**
 * A real HTTP upstream on 127.0.0.1 that records what it receives, byte for byte.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: Buffer;
  sha256: string;
}

export type Responder = (req: Received, res: ServerResponse) => unknown;

export async function startUpstream(respond: Responder = (_r, res) => res.end('ok'), listenPort = 0) {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer(async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const r: Received = {
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body,
      sha256: createHash('sha256').update(body).digest('hex'),
    };
    received.push(r);
    await respond(r, res);
  });
  await new Promise<void>((r) => server.listen(listenPort, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    received,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** An upstream on a given port (one that refused connections until now: an outage that ends). */
export const startUpstreamOn = (port: number, respond?: Responder) => startUpstream(respond, port);

/** A responder that answers every request with `status` (a broken upstream: 500, a throttling one: 429). */
export const answering =
  (status: number, body = ''): Responder =>
  (_r, res) => {
    res.statusCode = status;
    res.end(body);
  };
