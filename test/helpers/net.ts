/** Network helpers shared by unit, integration and e2e tests. */
import { createServer, type Socket } from 'node:net';

/** A port nothing listens on: bound on 127.0.0.1, then released (a connection there is refused). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A TCP server on 127.0.0.1 that accepts every connection and never answers (a hung endpoint):
 * `connections` counts them (one per SDK attempt, as a timed-out request's socket is destroyed).
 */
export async function hangingServer() {
  const sockets = new Set<Socket>();
  let connections = 0;
  const srv = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}
