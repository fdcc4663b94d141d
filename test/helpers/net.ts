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

/**
 * A server on 127.0.0.1 that answers every AWS request with one error, the way AWS writes it for the
 * request's protocol: JSON (`x-amz-target`: SQS, CloudWatch Logs) with `__type` and the query-compat
 * header, query (form body: STS, IAM) as an XML ErrorResponse, REST (Lambda, API Gateway) with
 * `x-amzn-errortype`. For the faults moto cannot produce over the wire (expired or unknown keys);
 * `requests` counts what reached it.
 */
export async function awsErrorServer(
  code: string,
  message: string,
  status = 403,
): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  const { createServer: createHttpServer } = await import('node:http');
  let count = 0;
  const srv = createHttpServer((req, res) => {
    count++;
    req.resume();
    req.on('end', () => {
      if (req.headers['x-amz-target']) {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-query-error': `${code};Sender`,
        });
        res.end(JSON.stringify({ __type: `com.amazon.coral.service#${code}`, message }));
      } else if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        res.writeHead(status, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>0</RequestId></ErrorResponse>`,
        );
      } else {
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code });
        res.end(JSON.stringify({ message }));
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}
