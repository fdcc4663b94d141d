/** Network helpers shared by unit, integration and e2e tests. */
import { createServer } from 'node:net';

/** A port nothing listens on: bound on 127.0.0.1, then released (a connection there is refused). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A server on 127.0.0.1 that accepts every connection and never answers (what an AWS endpoint looks
 * like from a VPC whose route goes nowhere useful, or a stuck proxy): `connections` counts them.
 */
export async function silentServer(): Promise<{
  url: string;
  connections(): number;
  close(): Promise<void>;
}> {
  let count = 0;
  const sockets = new Set<import('node:net').Socket>();
  const srv = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/**
 * A server on 127.0.0.1 that takes every connection and resets it at once (an upstream whose process
 * is gone behind a listener, or a port refusing): `arrivals` stamps each connection attempt
 * (performance.now()), so a test can count what the proxy tries during an outage at the TCP level.
 */
export async function resettingServer(port = 0): Promise<{
  port: number;
  arrivals: number[];
  close(): Promise<void>;
}> {
  const arrivals: number[] = [];
  const srv = createServer((socket) => {
    arrivals.push(performance.now());
    socket.on('error', () => {});
    socket.resetAndDestroy();
  });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    arrivals,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}
