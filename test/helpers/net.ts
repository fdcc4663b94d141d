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
