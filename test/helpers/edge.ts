/**
 * Requests for the edge functions, and signatures made the way each provider documents them (for the
 * providers without an npm library; GitHub and Stripe tests use @octokit/webhooks-methods and stripe).
 */
import { createHmac } from 'node:crypto';
import type { EdgeIo } from '../../src/handlers/edge/flags.js';
import type { EdgeRequest } from '../../src/handlers/edge/types.js';

export function edgeRequest(opts: {
  method?: string;
  headers?: Record<string, string>;
  query?: string;
  body?: string | Buffer;
}): EdgeRequest {
  return {
    method: opts.method ?? 'POST',
    headers: opts.headers ?? {},
    rawQueryString: opts.query ?? '',
    body: Buffer.from(opts.body ?? ''),
  };
}

/** Slack: `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{body}`). */
export function slackSignature(
  secret: string,
  timestamp: number,
  body: string | Buffer,
): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex');
  return { 'x-slack-signature': `v0=${mac}`, 'x-slack-request-timestamp': String(timestamp) };
}

/** Zoom's webhook signature, as its documentation computes it (Zoom publishes no npm library for it). */
export function zoomSignature(secret: string, timestamp: number, body: string): Record<string, string> {
  const message = `v0:${timestamp}:${body}`;
  const hash = createHmac('sha256', secret).update(message).digest('hex');
  return { 'x-zm-signature': `v0=${hash}`, 'x-zm-request-timestamp': String(timestamp) };
}

/** Zoom's url_validation answer: hex HMAC-SHA256(secret token, plainToken). */
export function zoomEncryptedToken(secret: string, plainToken: string): string {
  return createHmac('sha256', secret).update(plainToken).digest('hex');
}

/** X's CRC answer: `sha256=` + base64 HMAC-SHA256(consumer secret, crc_token). */
export function xResponseToken(secret: string, crcToken: string): string {
  return `sha256=${createHmac('sha256', secret).update(crcToken).digest('base64')}`;
}

/**
 * Flag parsing's outside world, in memory: no terminal (or one that answers `typed`), the given
 * environment and files, warnings and `ps` titles recorded instead of written.
 */
export function quietIo(
  opts: {
    env?: Record<string, string>;
    files?: Record<string, string | Buffer>;
    typed?: string[];
    argv?: string[];
  } = {},
) {
  const warnings: string[] = [];
  const titles: string[] = [];
  const questions: string[] = [];
  const typed = [...(opts.typed ?? [])];
  const io: EdgeIo = {
    env: opts.env ?? {},
    readFile: (path) => {
      const content = opts.files?.[path];
      if (content === undefined) {
        throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
      }
      return Buffer.from(content);
    },
    prompt: (question) => {
      if (!opts.typed) return undefined;
      questions.push(question);
      return typed.shift() ?? '';
    },
    warn: (m) => warnings.push(m),
    argv: opts.argv ?? ['node', 'webhook-proxy'],
    setTitle: (t) => titles.push(t),
  };
  return { io, warnings, titles, questions };
}
