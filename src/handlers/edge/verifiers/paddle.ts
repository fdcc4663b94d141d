/**
 * Paddle Billing: `Paddle-Signature: ts=<unix seconds>;h1=<hex HMAC-SHA256 of "<ts>:<raw body>">`,
 * keyed with the notification destination's secret key (`pdl_ntfset_…`); there can be several `h1`
 * while a key is rotated (Paddle docs, "Verify webhook signatures"). A `ts` more than five seconds old
 * is refused, the limit Paddle's own SDK applies (`@paddle/paddle-node-sdk`, WebhooksValidator
 * MAX_VALID_TIME_DIFFERENCE); like the SDK, a `ts` in the future is not.
 */
import type { Verifier } from '../types.js';
import { anyEqual, hmacSha256, UNIX_SECONDS } from '../util.js';

export const PADDLE_HEADER = 'paddle-signature';
export const PADDLE_TOLERANCE_SECONDS = 5;

export const paddle: Verifier = (req, spec, nowMs) => {
  const given = req.headers[PADDLE_HEADER];
  if (!given) return { present: false };
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of given.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'ts') timestamp = value;
    else if (key === 'h1') signatures.push(value);
  }
  if (!timestamp || !UNIX_SECONDS.test(timestamp)) return { present: true, ok: false, reason: 'no ts' };
  if (signatures.length === 0) return { present: true, ok: false, reason: 'no h1 signature' };
  const expected = hmacSha256(spec.secret, `${timestamp}:`, req.body).toString('hex');
  if (!anyEqual(signatures, expected)) return { present: true, ok: false, reason: 'signature mismatch' };
  if (nowMs > (Number(timestamp) + PADDLE_TOLERANCE_SECONDS) * 1000) {
    return { present: true, ok: false, reason: `ts older than ${PADDLE_TOLERANCE_SECONDS} s` };
  }
  return { present: true, ok: true };
};
