/**
 * Linear: `Linear-Signature: <hex HMAC-SHA256 of the raw body>`, keyed with the webhook's signing
 * secret. The time it was sent is signed inside the body (`webhookTimestamp`, Unix milliseconds), so,
 * once the signature matches, the body's timestamp must be within a minute of now either way, exactly
 * as Linear's own SDK checks it (`@linear/sdk` LinearWebhookClient.verify; its `Linear-Timestamp`
 * header is unsigned and ignored).
 */
import type { Verifier } from '../types.js';
import { decodeHex, hmacSha256, safeEqual } from '../util.js';

export const LINEAR_HEADER = 'linear-signature';
export const LINEAR_TOLERANCE_MS = 60_000;

export const linear: Verifier = (req, spec, nowMs) => {
  const given = req.headers[LINEAR_HEADER];
  if (!given) return { present: false };
  const digest = decodeHex(given.trim(), 32);
  if (!digest || !safeEqual(digest, hmacSha256(spec.secret, req.body))) {
    return { present: true, ok: false, reason: 'signature mismatch' };
  }
  let timestamp: unknown;
  try {
    timestamp = (JSON.parse(req.body.toString('utf8')) as { webhookTimestamp?: unknown }).webhookTimestamp;
  } catch {
    timestamp = undefined;
  }
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    return { present: true, ok: false, reason: 'no webhookTimestamp in the body' };
  }
  if (Math.abs(nowMs - timestamp) > LINEAR_TOLERANCE_MS) {
    return {
      present: true,
      ok: false,
      reason: `webhookTimestamp more than ${LINEAR_TOLERANCE_MS / 1000} s from now`,
    };
  }
  return { present: true, ok: true };
};
