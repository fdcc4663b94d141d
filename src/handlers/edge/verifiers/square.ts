/**
 * Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256 of the notification URL + the raw
 * body>`, keyed with the subscription's signature key (Square docs, "Verify and Validate an Event
 * Notification"; its SDKs' WebhooksHelper.verifySignature, whose published test vector the tests use).
 * The notification URL is the proxy's public one (public-url.ts): register exactly that URL with
 * Square. The legacy SHA-1 `x-square-signature` is not accepted.
 */
import type { Verifier } from '../types.js';
import { decodeBase64, hmacSha256, safeEqual } from '../util.js';

export const SQUARE_HEADER = 'x-square-hmacsha256-signature';

export const square: Verifier = (req, spec) => {
  const given = req.headers[SQUARE_HEADER];
  if (!given) return { present: false };
  if (!req.publicUrl) return { present: true, ok: false, reason: 'no public URL to check against' };
  const digest = decodeBase64(given.trim());
  if (!digest) return { present: true, ok: false, reason: 'signature is not base64' };
  return safeEqual(digest, hmacSha256(spec.secret, req.publicUrl, req.body))
    ? { present: true, ok: true }
    : { present: true, ok: false, reason: 'signature mismatch' };
};
