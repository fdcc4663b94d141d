/**
 * Small helpers shared by the handshakes and verifiers: HMAC, a constant-time comparison, the query
 * string, and the responses' shapes.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EdgeRequest, EdgeResponse } from './types.js';

export function hmacSha256(secret: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  return hmac('sha256', secret, ...parts);
}

/** HMAC over the parts in order (strings as UTF-8), as raw digest bytes. */
export function hmac(algorithm: 'sha1' | 'sha256', secret: string | Buffer, ...parts: (string | Buffer)[]) {
  const mac = createHmac(algorithm, secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * The bytes a hex (`hex` chars) or standard base64 header value encodes, or undefined when it is not
 * exactly that: a malformed value is refused rather than decoded leniently (Buffer.from ignores junk).
 */
export function decodeHex(value: string, bytes: number): Buffer | undefined {
  return new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(value) ? Buffer.from(value, 'hex') : undefined;
}

export function decodeBase64(value: string): Buffer | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

/** Compare with every candidate, without stopping at the first match: the time says nothing. */
export function anyEqual(candidates: (Buffer | string)[], expected: Buffer | string): boolean {
  let match = false;
  for (const c of candidates) match = safeEqual(c, expected) || match;
  return match;
}

/** Whether a Unix-seconds timestamp is within `past` seconds before and `future` seconds after now. */
export function withinWindow(timestamp: string, nowMs: number, past: number, future: number): boolean {
  const age = nowMs / 1000 - Number(timestamp);
  return age <= past && -age <= future;
}

/** A Unix timestamp in seconds, as senders put it in a header. */
export const UNIX_SECONDS = /^\d{1,12}$/;

/**
 * Constant-time equality. `timingSafeEqual` needs equal lengths; a length mismatch returns false at
 * once, which reveals only the length of the expected value (fixed and public for every scheme here).
 */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Constant-time equality for a caller's guess at a secret itself (Meta's verify token), whose length
 * must not leak either: both sides are hashed to 32 bytes first.
 */
export function safeEqualSecret(guess: string, secret: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(guess), digest(secret));
}

/** The query parameters, form-decoded (`+` is a space, `%xx` decoded), as senders encode them. */
export function queryOf(req: EdgeRequest): URLSearchParams {
  return new URLSearchParams(req.rawQueryString);
}

/**
 * The body as a JSON object, for the handshakes that arrive as JSON POSTs. Anything that is not a small
 * JSON object is not a handshake: parsing is skipped for large bodies so a flood of big webhooks costs
 * nothing extra.
 */
export function smallJsonObject(req: EdgeRequest, maxBytes = 16_384): Record<string, unknown> | undefined {
  if (req.method !== 'POST' || req.body.length === 0 || req.body.length > maxBytes) return undefined;
  // Cheap pre-check before JSON.parse: the first non-blank byte of an object is `{`.
  const first = req.body.toString('utf8', 0, Math.min(req.body.length, 64)).trimStart()[0];
  if (first !== '{') return undefined;
  try {
    const value: unknown = JSON.parse(req.body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A plain-text answer. `nosniff` because the body echoes a value the caller chose: no browser may
 * reinterpret it as HTML (Dropbox also requires the header).
 */
export function text(statusCode: number, body: string): EdgeResponse {
  return {
    statusCode,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    body,
  };
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): EdgeResponse {
  // 204/205/304 must not carry a body (ingest's --response-status may be one of them).
  const empty = statusCode === 204 || statusCode === 205 || statusCode === 304;
  return {
    statusCode,
    headers: {
      ...(empty ? {} : { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' }),
      ...headers,
    },
    body: empty ? '' : JSON.stringify(body),
  };
}

/**
 * Tokens the handshakes that HMAC a caller-chosen value (Zoom, X) agree to sign. The same secret signs
 * those providers' webhooks (`v0:TS:BODY` for Zoom, the JSON body for X), so signing any string would
 * hand out valid webhook signatures to anyone. Their real tokens are short base64/base64url/UUID
 * strings; no `:`, `{` or quote can pass, so no webhook signature can be obtained this way.
 */
export const SIGNABLE_TOKEN = /^[A-Za-z0-9._~+/=-]{1,256}$/;
