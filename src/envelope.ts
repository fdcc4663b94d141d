/**
 * The envelope: the versioned format that carries one webhook through SQS, from `ingest` to `deliver`.
 *
 * It keeps everything needed to replay the request: the body's bytes, method, path, raw query string,
 * every header as received, cookies, source IP, host, protocol, the time received, and an id that
 * stays the same across every retry (and every redrive) of that webhook. The path is the one thing not
 * exactly as sent: API Gateway HTTP APIs hand it over URL-decoded, so the sender's encoding is lost
 * before the proxy sees it (src/handlers/request-path.ts).
 *
 * Encoding. An SQS body must be XML-safe text of at most 1 MiB. The envelope is JSON; the body goes in
 * as UTF-8 text when its bytes are valid UTF-8 (JSON escapes control characters and lone surrogates,
 * and we escape U+FFFE/U+FFFF, the only XML-unsafe characters JSON leaves alone), otherwise as base64.
 * When both are possible the smaller wins, so a quote-heavy text body never wastes the limit.
 */
import { isAscii } from 'node:buffer';
import { randomUUID } from 'node:crypto';

export const ENVELOPE_VERSION = 1;

/** SQS's maximum message size (body plus attributes; we use no attributes). */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

export interface Envelope {
  v: typeof ENVELOPE_VERSION;
  /** Stable across every delivery attempt and redrive of this webhook. */
  id: string;
  /** ISO 8601 time the proxy received the webhook. */
  receivedAt: string;
  method: string;
  /**
   * The path, ready to send: as API Gateway decoded it, re-encoded by `ingest` (encodeDecodedPath).
   * Envelopes queued by an older `ingest` hold the decoded path; `deliver` makes those sendable.
   */
  rawPath: string;
  /** The query string exactly as received, without the `?`. */
  rawQueryString: string;
  /** Header names lower-cased, repeated headers comma-joined (as API Gateway payload 2.0 gives them). */
  headers: Record<string, string>;
  cookies: string[];
  sourceIp: string;
  /** The Host the sender used (the proxy's public host name). */
  host: string;
  /** `https` behind API Gateway, `http` in `dev`. */
  protocol: 'http' | 'https';
  bodyEncoding: 'utf8' | 'base64';
  body: string;
  /**
   * Attempts already counted against --max-attempts before this copy of the message was queued. SQS
   * cannot change a message, so `deliver` holds a webhook through an upstream outage by queueing a
   * copy that carries its count (uncounted receives left out) and deleting the original; absent: 0.
   */
  attempts?: number;
}

export type EnvelopeInput = Omit<Envelope, 'v' | 'id' | 'bodyEncoding' | 'body' | 'receivedAt'> & {
  id?: string;
  receivedAt?: string;
  body: Uint8Array;
  /**
   * The body's bytes decoded as UTF-8, when the caller already holds that string (API Gateway hands
   * a text body over as one): it must be exactly `body` decoded, well-formed (no lone surrogate), so
   * `body` is its UTF-8 encoding byte for byte. Saves decoding the bytes again.
   */
  text?: string;
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as UTF-8 text if (and only if) its bytes are valid UTF-8; they then round-trip exactly. */
function asUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// JSON.stringify already escapes U+0000–U+001F and lone surrogates; these two are the XML-unsafe rest.
const XML_UNSAFE_LEFT_BY_JSON = /[\uFFFE\uFFFF]/g;

function xmlSafe(json: string): string {
  return json.replace(XML_UNSAFE_LEFT_BY_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON that is also a valid SQS message body (XML 1.0 characters only). */
export function xmlSafeJson(value: unknown): string {
  return xmlSafe(JSON.stringify(value));
}

export function newWebhookId(): string {
  return `wh_${randomUUID().replaceAll('-', '')}`;
}

/** An envelope with its SQS message body, stringified once (`encodeEnvelope(envelope)`, byte for byte). */
export interface EncodedEnvelope {
  envelope: Envelope;
  messageBody: string;
  /** `encodedSize(messageBody)`. */
  size: number;
}

/**
 * Build the envelope and its message body in one pass. The body's JSON string is made once: its
 * length decides text or base64, and it is spliced in as the last member of the envelope's JSON,
 * which is what JSON.stringify of the whole envelope gives (`body` is its last key). The XML-safety
 * pass runs only where a U+FFFE/U+FFFF can be: never on base64 or ASCII, and on the short rest.
 */
export function createEncodedEnvelope(input: EnvelopeInput): EncodedEnvelope {
  const bytes = input.body;
  const ascii = isAscii(bytes);
  const text = input.text ?? (ascii ? latin1(bytes) : asUtf8(bytes));
  const base64Length = 4 * Math.ceil(bytes.length / 3);
  let bodyJson = '';
  let bodyJsonBytes = Infinity;
  if (text !== undefined) {
    bodyJson = JSON.stringify(text);
    if (!ascii) bodyJson = xmlSafe(bodyJson);
    // ASCII in, ASCII out: the length is the byte count (escapes are ASCII either way).
    bodyJsonBytes = ascii ? bodyJson.length : Buffer.byteLength(bodyJson);
  }
  // Bytes the text takes inside the JSON string (escapes included), without the quotes.
  const useText = bodyJsonBytes - 2 <= base64Length;
  // The fields one by one, in one object literal: a rest or spread copy costs more than the rest of
  // this function, and leaves an object JSON.stringify walks on its slow path.
  const envelope: Envelope = {
    v: ENVELOPE_VERSION,
    id: input.id ?? newWebhookId(),
    receivedAt: input.receivedAt ?? new Date().toISOString(),
    method: input.method,
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    headers: input.headers,
    cookies: input.cookies,
    sourceIp: input.sourceIp,
    host: input.host,
    protocol: input.protocol,
    bodyEncoding: useText ? 'utf8' : 'base64',
    body: '',
  };
  if (input.attempts !== undefined) {
    // Rare (a copy that carries its count): `body` must stay the last key, so it is added again.
    const e = envelope as Partial<Envelope>;
    delete e.body;
    e.attempts = input.attempts;
    e.body = '';
  }
  // Stringified with an empty body, whose `""}` the body's own JSON then replaces.
  const headJson = xmlSafeJson(envelope).slice(0, -3);
  if (useText) {
    envelope.body = text!;
  } else {
    envelope.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
    bodyJson = `"${envelope.body}"`;
    bodyJsonBytes = bodyJson.length;
  }
  return {
    envelope,
    messageBody: `${headJson}${bodyJson}}`,
    size: Buffer.byteLength(headJson) + bodyJsonBytes + 1,
  };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

export function createEnvelope(input: EnvelopeInput): Envelope {
  return createEncodedEnvelope(input).envelope;
}

/** The SQS message body for an envelope. */
export function encodeEnvelope(envelope: Envelope): string {
  return xmlSafeJson(envelope);
}

/** The size SQS will count for this message body, in bytes. */
export function encodedSize(messageBody: string): number {
  return Buffer.byteLength(messageBody, 'utf8');
}

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

const STRING_FIELDS = [
  'id',
  'receivedAt',
  'method',
  'rawPath',
  'rawQueryString',
  'sourceIp',
  'host',
] as const;

/** Parse and check an SQS message body. Throws EnvelopeError for anything that is not a v1 envelope. */
export function decodeEnvelope(messageBody: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(messageBody);
  } catch {
    throw new EnvelopeError('message body is not JSON');
  }
  if (!value || typeof value !== 'object') throw new EnvelopeError('message body is not an object');
  const e = value as Record<string, unknown>;
  if (e.v !== ENVELOPE_VERSION) throw new EnvelopeError(`unsupported envelope version ${String(e.v)}`);
  for (const field of STRING_FIELDS) {
    if (typeof e[field] !== 'string') throw new EnvelopeError(`envelope field "${field}" is missing`);
  }
  if (e.bodyEncoding !== 'utf8' && e.bodyEncoding !== 'base64') {
    throw new EnvelopeError('envelope bodyEncoding must be utf8 or base64');
  }
  if (typeof e.body !== 'string') throw new EnvelopeError('envelope body is missing');
  if (!e.headers || typeof e.headers !== 'object') throw new EnvelopeError('envelope headers are missing');
  if (!Array.isArray(e.cookies)) throw new EnvelopeError('envelope cookies are missing');
  if (e.protocol !== 'http' && e.protocol !== 'https')
    throw new EnvelopeError('envelope protocol is invalid');
  if (e.attempts !== undefined && !(Number.isInteger(e.attempts) && (e.attempts as number) >= 0)) {
    throw new EnvelopeError('envelope attempts must be a whole number of at least 0');
  }
  return value as Envelope;
}

/** The body's original bytes. */
export function envelopeBody(envelope: Envelope): Buffer {
  return envelope.bodyEncoding === 'base64'
    ? Buffer.from(envelope.body, 'base64')
    : Buffer.from(envelope.body, 'utf8');
}
