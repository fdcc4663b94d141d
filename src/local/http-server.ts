/**
 * The front door of `dev`, standing in for API Gateway's HTTP API with a `$default` route: every method
 * and path → a payload-2.0 event → the `ingest` handler → its answer back to the sender, with the limits
 * API Gateway enforces in front of the Lambda (10 MB payload → 413, 30 s integration timeout → 503).
 * One path is its own: HEALTH_PATH answers a health check and never reaches the handler, so an
 * uptime probe never becomes a queued "webhook".
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildHttpApiEvent, newRequestId } from './api-event.js';

/** API Gateway HTTP API: payload size 10 MB, integration timeout 30 s. */
export const API_GATEWAY_MAX_PAYLOAD = 10 * 1024 * 1024;
export const API_GATEWAY_TIMEOUT_MS = 30_000;

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
  maxPayloadBytes?: number;
  /** A handler that threw (API Gateway then answers 500). */
  onError?: (err: unknown) => void;
  /** What HEALTH_PATH reports (200 when ok, else 503); without it, `{ok: true}`. */
  health?: () => Promise<Health>;
}

export interface Ingress {
  url: string;
  port: number;
  /** Stop accepting; resolves once the requests already being answered are done. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string) {
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** API Gateway's own error answers are JSON `{"message": ...}`. */
function gatewayError(
  res: ServerResponse,
  requestId: string,
  status: number,
  message: string,
  close = false,
) {
  send(
    res,
    status,
    {
      'content-type': 'application/json',
      'apigw-requestid': requestId,
      ...(close ? { connection: 'close' } : {}),
    },
    JSON.stringify({ message }),
  );
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
  const body = result.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  send(res, result.statusCode ?? 200, headers, body);
}

export async function startIngress(options: IngressOptions): Promise<Ingress> {
  const limit = options.maxPayloadBytes ?? API_GATEWAY_MAX_PAYLOAD;
  let port = options.port;

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

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = newRequestId();
    const target = req.url ?? '/';
    if (target === HEALTH_PATH || target.startsWith(`${HEALTH_PATH}?`)) {
      await answerHealth(req, res, requestId);
      return;
    }
    const timeEpoch = Date.now();
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      gatewayError(res, requestId, 413, 'Request Entity Too Large', true);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > limit) {
          // A chunked upload that grew past the limit: answer, then drop the connection.
          gatewayError(res, requestId, 413, 'Request Entity Too Large', true);
          res.on('finish', () => req.destroy());
          return;
        }
        chunks.push(chunk as Buffer);
      }
    } catch {
      return; // the sender went away mid-body
    }
    const event = buildHttpApiEvent({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks),
      remoteAddress: req.socket.remoteAddress ?? '127.0.0.1',
      localPort: port,
      protocol: 'http',
      requestId,
      timeEpoch,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        options.handler(event),
        new Promise<'timeout'>(
          (resolve) => (timer = setTimeout(() => resolve('timeout'), API_GATEWAY_TIMEOUT_MS)),
        ),
      ]);
      if (result === 'timeout') gatewayError(res, requestId, 503, 'Service Unavailable');
      else writeResult(res, requestId, result);
    } catch (err) {
      options.onError?.(err);
      gatewayError(res, requestId, 500, 'Internal Server Error');
    } finally {
      clearTimeout(timer);
    }
  };

  const server = createServer({ keepAlive: true }, (req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostPart}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
        server.closeIdleConnections();
      }),
  };
}
