/**
 * The front door of `dev` and `serve`, standing in for API Gateway's HTTP API with a `$default` route:
 * every method and path → a payload-2.0 event → the `ingest` handler → its answer back to the sender,
 * with the limits API Gateway enforces in front of the Lambda (10 MB payload → 413, 30 s integration
 * timeout → 503). One path is its own: HEALTH_PATH answers a health check and never reaches the
 * handler, so an uptime probe never becomes a queued "webhook".
 *
 * Two things are stricter than API Gateway, because here the front door shares one process's memory
 * with the queue: a body is read only up to what the queue can store (1 MiB; more is answered 413 at
 * once, unread), and the body bytes held by all requests together are bounded (503 + Retry-After
 * beyond), so 50 senders of 9 MB bodies cannot take half a gigabyte.
 *
 * Stopping (close()): from the first moment every new request, on a new or a busy keep-alive
 * connection, is answered 503 with Retry-After and `Connection: close`; the ingests already under way
 * finish (their answers close the connection too); only then is every connection closed. So no sender
 * gets a 2xx for a webhook the stop then drops, and none is left without an answer.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SQS_MAX_MESSAGE_BYTES } from '../envelope.js';
import { buildHttpApiEvent, newRequestId } from './api-event.js';

/** API Gateway HTTP API: payload size 10 MB, integration timeout 30 s. */
export const API_GATEWAY_MAX_PAYLOAD = 10 * 1024 * 1024;
export const API_GATEWAY_TIMEOUT_MS = 30_000;
/** The most ingest can store (a body over it can never fit an SQS message), so the most we read. */
export const MAX_BODY_BYTES = SQS_MAX_MESSAGE_BYTES;
/** The body bytes all requests may hold at once; beyond it a sender gets 503 and retries. */
export const MAX_BODY_BYTES_IN_FLIGHT = 64 * 1024 * 1024;
/** Retry-After while stopping: about what a restart takes. */
const STOPPING_RETRY_AFTER_S = 5;
const BUSY_RETRY_AFTER_S = 1;
/**
 * After the ingests under way are answered, how long keep-alive connections that were idle when the
 * stop began may still bring a request (answered 503) before they are closed: closing an idle
 * connection races with a request the sender is writing on it at that moment (it would see a reset).
 */
const IDLE_GRACE_MS = 1000;
/**
 * No connection for this long ends that wait early. Not at the first moment there is none: a sender
 * whose last answer closed its connection reconnects at once, and a connection still in the listen
 * backlog when the listener closes is reset (a request without an answer) instead of answered 503.
 */
const QUIET_MS = 150;

/**
 * `GET /__webhook-proxy/health`: `dev`'s (and later `serve`'s) health check. A name no sender's
 * webhook path plausibly takes; every method on it is answered here and never queued.
 */
export const HEALTH_PATH = '/__webhook-proxy/health';

export interface Health {
  ok: boolean;
  [key: string]: unknown;
}

export type IngestLike = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

export interface IngressOptions {
  host: string;
  port: number;
  handler: IngestLike;
  /** The largest body read (default MAX_BODY_BYTES); over it: 413 at once. */
  maxBodyBytes?: number;
  /** The body bytes held by all requests together (default MAX_BODY_BYTES_IN_FLIGHT); over it: 503. */
  maxBodyBytesInFlight?: number;
  /** A request refused here, before the handler (too large, too many bytes in flight). */
  onRejected?: (status: number, reason: string) => void;
  /** A handler that threw (API Gateway then answers 500). */
  onError?: (err: unknown) => void;
  /** What HEALTH_PATH reports (200 when ok, else 503); without it, `{ok: true}`. */
  health?: () => Promise<Health>;
}

export interface Ingress {
  url: string;
  port: number;
  /**
   * Stop: answer every new request 503 (Retry-After, Connection: close), wait for the ingests under
   * way (at most API Gateway's timeout and a second), then close every connection and the listener.
   */
  close(): Promise<void>;
}

/**
 * Write the whole answer. A string body goes out in one write with the head (node:http joins the two
 * only for a string; a Buffer makes it a writev of two chunks, the most expensive call of an ingest).
 * `headers` is the caller's fresh object: the length is added to it, not to a copy.
 */
function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: Buffer | string,
) {
  if (res.headersSent) return;
  headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(status, headers);
  res.end(body);
}

/** API Gateway's own error answers are JSON `{"message": ...}`. */
function gatewayError(
  res: ServerResponse,
  requestId: string,
  status: number,
  message: string,
  close = false,
  extra: Record<string, string | number> = {},
) {
  send(
    res,
    status,
    {
      'content-type': 'application/json',
      'apigw-requestid': requestId,
      ...(close ? { connection: 'close' } : {}),
      ...extra,
    },
    JSON.stringify({ message }),
  );
}

/** The same 413 the ingest handler gives for a webhook over the queue's limit (as on AWS). */
function tooLargeForQueue(res: ServerResponse, requestId: string, limit: number, size?: number) {
  send(
    res,
    413,
    { 'content-type': 'application/json', 'apigw-requestid': requestId, connection: 'close' },
    JSON.stringify({
      error: 'payload_too_large',
      message:
        `The webhook is ${size ? `${size} bytes` : `over ${limit} bytes`}, over the queue's limit of ` +
        `${limit} bytes (1 MiB). It was not stored.`,
      limit,
      ...(size ? { size } : {}),
    }),
  );
}

type BodyRead = { body: Buffer } | { refused: 'too-large' | 'busy' } | { refused: 'aborted' };

/**
 * Read a body of at most `limit` bytes, taking its bytes from the shared budget (`take`) before
 * holding them: the declared length at once, a chunked body chunk by chunk. On a refusal the request
 * is paused, so nothing more is read; the answer closes the connection.
 */
function readBody(
  req: IncomingMessage,
  declared: number | undefined,
  limit: number,
  take: (bytes: number) => boolean,
): Promise<BodyRead> {
  if (declared !== undefined && declared > limit) return Promise.resolve({ refused: 'too-large' });
  if (declared !== undefined && !take(declared)) return Promise.resolve({ refused: 'busy' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyRead) => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      if (!('body' in result)) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return done({ refused: 'too-large' });
      if (declared === undefined && !take(chunk.length)) return done({ refused: 'busy' });
      chunks.push(chunk);
    };
    const onEnd = () => done({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onAbort = () => done({ refused: 'aborted' });
    // 'close' before 'end': the sender went away mid-body.
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

/** Payload 2.0 response rules: a structured result is used as is; anything else is JSON with a 200. */
export function writeResult(res: ServerResponse, requestId: string, result: APIGatewayProxyResultV2) {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    send(res, 200, { 'content-type': 'application/json', 'apigw-requestid': requestId }, body);
    return;
  }
  const headers: Record<string, string> = { 'apigw-requestid': requestId };
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (result.cookies?.length) res.setHeader('set-cookie', result.cookies);
  const raw = result.body ?? '';
  // Text stays a string (UTF-8 on the wire): see send().
  send(res, result.statusCode ?? 200, headers, result.isBase64Encoded ? Buffer.from(raw, 'base64') : raw);
}

export async function startIngress(options: IngressOptions): Promise<Ingress> {
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const budget = options.maxBodyBytesInFlight ?? MAX_BODY_BYTES_IN_FLIGHT;
  let port = options.port;
  let stopping = false;
  /**
   * Requests handed to the handler and not yet answered: a stop waits for them. One still reading its
   * body is not waited for as long: it would be refused anyway, and a slow sender must not hold the stop.
   */
  let ingesting = 0;
  let bytesInFlight = 0;
  const sockets = new Set<Socket>();
  /** When a connection last opened or closed, or an ingest was last answered. */
  let lastActivity = 0;
  let lastIngest = 0;

  const answerHealth = async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    req.resume();
    const headers = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'apigw-requestid': requestId,
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { ...headers, allow: 'GET, HEAD' }, JSON.stringify({ message: 'Method Not Allowed' }));
      return;
    }
    let health: Health;
    try {
      health = options.health ? await options.health() : { ok: true };
    } catch (err) {
      health = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    send(res, health.ok ? 200 : 503, headers, JSON.stringify(health));
  };

  /** 503 + Retry-After + Connection: close, the body left unread (the connection goes with the answer). */
  const unavailable = (res: ServerResponse, requestId: string, retryAfter: number, message: string) =>
    gatewayError(res, requestId, 503, message, true, { 'retry-after': retryAfter });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = newRequestId();
    if (stopping) {
      // A health probe too: a load balancer should stop sending here now.
      unavailable(res, requestId, STOPPING_RETRY_AFTER_S, 'Service Unavailable: the proxy is stopping');
      return;
    }
    const target = req.url ?? '/';
    if (target === HEALTH_PATH || target.startsWith(`${HEALTH_PATH}?`)) {
      await answerHealth(req, res, requestId);
      return;
    }
    let held = 0;
    const take = (bytes: number) => {
      if (bytesInFlight + bytes > budget) return false;
      bytesInFlight += bytes;
      held += bytes;
      return true;
    };
    try {
      await ingestOne(req, res, requestId, take);
    } finally {
      bytesInFlight -= held;
    }
  };

  const ingestOne = async (
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    take: (bytes: number) => boolean,
  ) => {
    const timeEpoch = Date.now();
    const length = req.headers['content-length'];
    const declared = length === undefined ? undefined : Number(length);
    if (declared !== undefined && declared > API_GATEWAY_MAX_PAYLOAD) {
      // What API Gateway itself answers (the deployed proxy never sees such a request).
      options.onRejected?.(413, `body of ${declared} bytes, over API Gateway's 10 MB`);
      gatewayError(res, requestId, 413, 'Request Entity Too Large', true);
      return;
    }
    const read = await readBody(req, declared, limit, take);
    if (!('body' in read)) {
      if (read.refused === 'too-large') {
        // Reported before the answer, as ingest logs before it answers.
        options.onRejected?.(413, `body over ${limit} bytes (not read further)`);
        tooLargeForQueue(res, requestId, limit, declared);
      } else if (read.refused === 'busy') {
        options.onRejected?.(503, `over ${budget} body bytes in flight`);
        unavailable(res, requestId, BUSY_RETRY_AFTER_S, 'Service Unavailable: too many bodies in flight');
      }
      return; // 'aborted': the sender went away mid-body
    }
    if (stopping) {
      // The body arrived after the stop began: refuse it rather than store it late.
      unavailable(res, requestId, STOPPING_RETRY_AFTER_S, 'Service Unavailable: the proxy is stopping');
      return;
    }
    const event = buildHttpApiEvent({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      body: read.body,
      remoteAddress: req.socket.remoteAddress ?? '127.0.0.1',
      localPort: port,
      protocol: 'http',
      requestId,
      timeEpoch,
    });
    let timer: NodeJS.Timeout | undefined;
    ingesting++;
    try {
      const result = await Promise.race([
        options.handler(event),
        new Promise<'timeout'>(
          (resolve) => (timer = setTimeout(() => resolve('timeout'), API_GATEWAY_TIMEOUT_MS)),
        ),
      ]);
      // Stopping meanwhile: this answer is the connection's last, so the sender does not send the
      // next webhook on it into a connection about to be closed.
      if (stopping) res.setHeader('connection', 'close');
      if (result === 'timeout') gatewayError(res, requestId, 503, 'Service Unavailable');
      else writeResult(res, requestId, result);
    } catch (err) {
      options.onError?.(err);
      if (stopping) res.setHeader('connection', 'close');
      gatewayError(res, requestId, 500, 'Internal Server Error');
    } finally {
      clearTimeout(timer);
    }
    try {
      // Counted as ingesting until the answer is handed to the socket, so closing every connection
      // afterwards cannot cut off a 2xx.
      if (!res.writableFinished) await new Promise((r) => res.once('finish', r).once('close', r));
    } finally {
      ingesting--;
      lastActivity = lastIngest = Date.now();
    }
  };

  // The whole request within 30 s (Node answers 408 after it): a sender that declares a body and
  // never sends it gives its share of the in-flight budget back then, not after Node's 5 minutes.
  const server = createServer(
    { keepAlive: true, requestTimeout: API_GATEWAY_TIMEOUT_MS },
    (req, res) => void handle(req, res),
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    lastActivity = Date.now();
    socket.once('close', () => {
      sockets.delete(socket);
      lastActivity = Date.now();
    });
  });
  // `Expect: 100-continue`: refuse a body too large before the sender sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!stopping && Number(req.headers['content-length'] ?? 0) <= limit) res.writeContinue();
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;

  const waitUntil = async (done: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  };
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostPart}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        stopping = true;
        const began = Date.now();
        // The listener stays open meanwhile: a sender that connects now gets a 503, not a refusal.
        await waitUntil(() => ingesting === 0, API_GATEWAY_TIMEOUT_MS + 1000);
        // The grace counts from the stop or from the last ingest answered, whichever is later, so the
        // senders of those last 2xx (told Connection: close) reconnect and are answered 503.
        await waitUntil(
          () => sockets.size === 0 && Date.now() - lastActivity >= QUIET_MS,
          Math.max(began, lastIngest) + IDLE_GRACE_MS - Date.now(),
        );
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      })()),
  };
}
