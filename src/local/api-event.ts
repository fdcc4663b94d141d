/**
 * One HTTP request → the API Gateway HTTP API payload-2.0 event that AWS would hand the `ingest`
 * Lambda, so `dev` runs the very same handler against the very same input shape.
 *
 * What API Gateway does, and so what this does:
 * - header names lower-cased; a repeated header becomes one value joined with commas (no space);
 * - Cookie headers are taken out of `headers` and split into the `cookies` array;
 * - `rawQueryString` is the query as sent; `queryStringParameters` holds the decoded values, repeated
 *   keys comma-joined; both are absent when there is no query;
 * - `rawPath` (and `requestContext.http.path`) is URL-decoded, despite its name: HTTP APIs decode it
 *   (REST APIs and function URLs do not). Live captures (hotsock/voker PR 8) show `%20` → space,
 *   `%2F` → `/`, `%23` → `#`, UTF-8 escapes → characters. They also show AWS cutting the path at a
 *   decoded `%3F` and decoding some escapes twice (`%252F` → `/`); dev decodes once and keeps the
 *   rest, and a malformed escape stays as it is;
 * - it adds x-forwarded-for (appending the peer to any chain the sender brought), -port and -proto,
 *   and an x-amzn-trace-id;
 * - the body is a UTF-8 string only for text content types, otherwise base64 with isBase64Encoded
 *   (and base64 here too when a text body's bytes are not valid UTF-8, so dev never alters one).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isUtf8 } from 'node:buffer';
import { randomBase64, randomHex } from '../random-pool.js';

/**
 * HTTP APIs have no binaryMediaTypes setting: the request body arrives as text only for text/* and
 * application/json, xml and javascript (checked against real AWS by ministack PR #766: form-encoded and
 * a missing content type come base64). The structured +json/+xml suffixes (application/cloudevents+json,
 * application/vnd.api+json) are JSON/XML too and are treated as text here, as the project's test events do.
 */
const TEXT_MEDIA_TYPE =
  /^(text\/[^;\s]+|application\/(json|xml|javascript)|[a-z0-9.+-]+\/[a-z0-9.+-]+\+(json|xml))$/;

export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return TEXT_MEDIA_TYPE.test(mediaType);
}

export interface IncomingRequest {
  method: string;
  /** The request target as sent (path and query string, still percent-encoded). */
  url: string;
  /** "1.1", "1.0", "2.0". */
  httpVersion: string;
  /** Alternating names and values, as node:http gives them in `req.rawHeaders`. */
  rawHeaders: string[];
  body: Buffer;
  /** The TCP peer's address. */
  remoteAddress: string;
  /** The port this server listens on (x-forwarded-port). */
  localPort: number;
  /** `http` in dev (plain HTTP); API Gateway always says `https`. */
  protocol: 'http' | 'https';
  requestId?: string;
  timeEpoch?: number;
}

/** API Gateway's request ids look like "JKJaXmPLvHcESHA=": 10 random bytes in base64. */
export function newRequestId(): string {
  return randomBase64(10);
}

/** X-Ray's trace id format: Root=1-<8 hex digits of epoch seconds>-<24 hex digits>. */
function traceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomHex(12)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** requestContext.time: "25/Nov/2026:09:00:00 +0000" (always UTC). */
export function apiGatewayTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

/** `a=1&b=x%20y&a=2` → { a: '1,2', b: 'x y' } (API Gateway's decoded, comma-joined view). */
export function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const out: Record<string, string> = {};
  for (const part of rawQueryString.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return Object.keys(out).length ? out : undefined;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** `/a%20b/%CE%BB` → `/a b/λ`: every valid escape decoded (as UTF-8), anything else kept. */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    // A stray `%` or bytes that are not UTF-8: decode run by run, invalid UTF-8 becoming U+FFFD.
    return path.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) =>
      Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'),
    );
  }
}

/** An IPv4 peer seen through a dual-stack socket is "::ffff:127.0.0.1"; API Gateway reports "127.0.0.1". */
function plainIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function buildHttpApiEvent(req: IncomingRequest): APIGatewayProxyEventV2 {
  const timeEpoch = req.timeEpoch ?? Date.now();
  const sourceIp = plainIp(req.remoteAddress);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  // What API Gateway adds (or overwrites) in front of the integration.
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-port'] = String(req.localPort);
  headers['x-forwarded-proto'] = req.protocol;
  headers['x-amzn-trace-id'] = traceId(timeEpoch);

  const q = req.url.indexOf('?');
  const rawPath = decodePath(q < 0 ? req.url : req.url.slice(0, q));
  const rawQueryString = q < 0 ? '' : req.url.slice(q + 1);
  const queryStringParameters = queryParameters(rawQueryString);
  const domainName = headers.host ?? `127.0.0.1:${req.localPort}`;
  const hasBody = req.body.length > 0;
  // A text content type with bytes that are not UTF-8 (a latin-1 form post, say) would be altered by a
  // string: base64 keeps it byte for byte. AWS's own handling of such bodies is undocumented (see README).
  const text = isTextContentType(headers['content-type']) && isUtf8(req.body);

  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: {
        method: req.method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: req.requestId ?? newRequestId(),
      routeKey: '$default',
      stage: '$default',
      time: apiGatewayTime(timeEpoch),
      timeEpoch,
    },
    ...(hasBody ? { body: text ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !text,
  };
}
