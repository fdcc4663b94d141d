/**
 * What `peek` shows of one SQS message: the envelope's id, attempts, time received, method, path,
 * headers and a short body preview. Pure (no AWS), so it is tested on its own. Binary bodies are shown
 * as their size; text is cut at `max` characters with control characters escaped, so a preview can
 * never move the cursor or ring the terminal's bell.
 */
import { decodeEnvelope, envelopeBody, EnvelopeError } from '../envelope.js';

export interface PeekedMessage {
  /** The envelope id (stable across retries and redrives); the SQS MessageId when not an envelope. */
  id: string;
  messageId: string;
  /** ApproximateReceiveCount: how many times it was received (peeking counts too). */
  attempts: number;
  receivedAt: string | null;
  method: string | null;
  path: string | null;
  headers: Record<string, string>;
  bodyPreview: string;
  bodyBytes: number;
  /** Set when the message is not a readable envelope. */
  error?: string;
}

export const PREVIEW_CHARS = 200;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A printable preview of a body: text (escaped, cut) or "<binary, N bytes>". */
export function bodyPreview(bytes: Uint8Array, max = PREVIEW_CHARS): string {
  if (bytes.length === 0) return '';
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return `<binary, ${bytes.length} bytes>`;
  }
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) =>
    c === '\t' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const oneLine = escaped.replace(/\r?\n/g, '⏎');
  return oneLine.length > max ? `${oneLine.slice(0, max)}… (${bytes.length} bytes)` : oneLine;
}

export function previewMessage(m: {
  MessageId?: string;
  Body?: string;
  Attributes?: Record<string, string>;
}): PeekedMessage {
  const attempts = Number(m.Attributes?.ApproximateReceiveCount ?? 0) || 0;
  const messageId = m.MessageId ?? '';
  const body = m.Body ?? '';
  try {
    const e = decodeEnvelope(body);
    const bytes = envelopeBody(e);
    return {
      id: e.id,
      messageId,
      attempts,
      receivedAt: e.receivedAt,
      method: e.method,
      path: e.rawQueryString ? `${e.rawPath}?${e.rawQueryString}` : e.rawPath,
      headers: e.headers,
      bodyPreview: bodyPreview(bytes),
      bodyBytes: bytes.length,
    };
  } catch (err) {
    const sent = Number(m.Attributes?.SentTimestamp);
    return {
      id: messageId,
      messageId,
      attempts,
      receivedAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
      method: null,
      path: null,
      headers: {},
      bodyPreview: bodyPreview(Buffer.from(body, 'utf8')),
      bodyBytes: Buffer.byteLength(body),
      error: err instanceof EnvelopeError ? `not a webhook-proxy envelope: ${err.message}` : String(err),
    };
  }
}

/** The human text for a list of peeked messages. */
export function formatPeeked(messages: PeekedMessage[], queueLabel: string): string {
  if (messages.length === 0) return `No messages visible in the ${queueLabel}.`;
  return messages
    .map((m) => {
      const head =
        `${m.id}  attempts ${m.attempts}  received ${m.receivedAt ?? 'unknown'}` +
        (m.method ? `\n  ${m.method} ${m.path}` : '') +
        (m.error ? `\n  (${m.error})` : '');
      const headers = Object.entries(m.headers).map(([k, v]) => `  ${k}: ${v}`);
      return [head, ...headers, `  body (${m.bodyBytes} bytes): ${m.bodyPreview || '(empty)'}`].join('\n');
    })
    .join('\n\n');
}
