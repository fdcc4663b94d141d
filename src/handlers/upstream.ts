/**
 * One webhook replayed to the upstream: the original method and body (byte for byte), raw query string
 * and headers less hop-by-hop ones and `host`, the path when the proxy preserves paths (as API Gateway
 * decoded it, re-encoded: the sender's own encoding is not recoverable, see request-path.ts), plus the
 * proxy's own headers. node:http with keep-alive agents that live as long as the handler (one per
 * Lambda container, one per delivery slot in `dev`), so a batch and the next invocation reuse
 * connections instead of paying a TLS handshake each time.
 */
import http from 'node:http';
import https from 'node:https';
import { envelopeBody, type Envelope } from '../envelope.js';
import { sendablePath } from './request-path.js';

export interface UpstreamAgents {
  http: http.Agent;
  https: https.Agent;
}

/** A handler sends one request at a time, so one socket per protocol is all it ever needs. */
export function createAgents(): UpstreamAgents {
  return {
    http: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 1 }),
  };
}

/** RFC 9110 §7.6.1 hop-by-hop headers, plus what we recompute (host, content-length) or must not relay. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  // Node would wait for a 100 Continue that the sender already had from API Gateway.
  'expect',
]);

export interface UpstreamRequest {
  url: URL;
  /** The request target: the upstream's path and query, then the stored path and raw query string. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * `/hooks` + `/stripe/events` → `/hooks/stripe/events`; the query strings of both are kept. The stored
 * path goes through sendablePath: unchanged when `ingest` encoded it, encoded when an older `ingest`
 * stored it as API Gateway decoded it (a space or a `?` in it would otherwise fail or split the target).
 */
export function targetPath(upstream: URL, envelope: Envelope, preservePath: boolean): string {
  let path = upstream.pathname;
  if (preservePath && envelope.rawPath && envelope.rawPath !== '/') {
    const received = sendablePath(envelope.rawPath);
    path = path.replace(/\/+$/, '') + (received.startsWith('/') ? '' : '/') + received;
  }
  const queries = [upstream.search.replace(/^\?/, ''), envelope.rawQueryString].filter((q) => q);
  return queries.length ? `${path}?${queries.join('&')}` : path;
}

export function buildUpstreamRequest(
  upstream: URL,
  envelope: Envelope,
  options: { preservePath: boolean; attempt: number },
): UpstreamRequest {
  const connectionListed = new Set(
    (envelope.headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(envelope.headers)) {
    const lower = name.toLowerCase();
    if (!DROPPED.has(lower) && !connectionListed.has(lower)) headers[lower] = value;
  }
  if (envelope.cookies.length) headers.cookie = envelope.cookies.join('; ');
  const body = envelopeBody(envelope);
  // Send a length whenever there is a body, or the method normally has one (an empty POST is still a POST).
  if (body.length || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(envelope.method)) {
    headers['content-length'] = String(body.length);
  }
  // API Gateway already put the sender's address in x-forwarded-for; keep that chain when present.
  headers['x-forwarded-for'] = envelope.headers['x-forwarded-for'] || envelope.sourceIp;
  headers['x-forwarded-host'] = envelope.host;
  headers['x-forwarded-proto'] = envelope.protocol;
  headers['x-webhook-proxy-id'] = envelope.id;
  headers['x-webhook-proxy-attempt'] = String(options.attempt);
  return {
    url: upstream,
    path: targetPath(upstream, envelope, options.preservePath),
    method: envelope.method,
    headers,
    body,
  };
}

export type UpstreamOutcome =
  { ok: true; status: number } | { ok: false; status?: number; error?: string; retryAfterSeconds?: number };

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), if it says anything usable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/** Send one request; resolves (never rejects) once the response is fully read or the timeout hits. */
export function sendUpstream(
  req: UpstreamRequest,
  timeoutMs: number,
  agents: UpstreamAgents,
): Promise<UpstreamOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: UpstreamOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const isHttps = req.url.protocol === 'https:';
    let request: http.ClientRequest;
    try {
      request = (isHttps ? https : http).request({
        protocol: req.url.protocol,
        hostname: req.url.hostname.replace(/^\[|\]$/g, ''),
        port: req.url.port || (isHttps ? 443 : 80),
        path: req.path,
        method: req.method,
        headers: req.headers,
        agent: isHttps ? agents.https : agents.http,
      });
    } catch (err) {
      // An invalid path or header value: the request cannot be sent at all.
      resolve({ ok: false, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    const timer = setTimeout(() => {
      finish({ ok: false, error: `timed out after ${timeoutMs} ms` });
      request.destroy(new Error('timeout'));
    }, timeoutMs);
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const retryAfter = parseRetryAfter(res.headers['retry-after']);
      // Read the response to the end so the keep-alive socket goes back to the pool.
      res.resume();
      res.on('end', () =>
        finish(
          status >= 200 && status < 300
            ? { ok: true, status }
            : { ok: false, status, ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) },
        ),
      );
      res.on('error', (err) => finish({ ok: false, status, error: err.message }));
    });
    request.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, error: err.code ? `${err.code}: ${err.message}` : err.message }),
    );
    request.end(req.body);
  });
}
