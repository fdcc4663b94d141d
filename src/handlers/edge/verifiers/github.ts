/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the webhook secret>`.
 * GitHub sends no timestamp, so there is no replay window to check (its deliveries carry a unique
 * `X-GitHub-Delivery` id the application can de-duplicate on).
 */
import type { Verifier } from '../types.js';
import { hmacSha256, safeEqual } from '../util.js';

export const GITHUB_HEADER = 'x-hub-signature-256';

export const github: Verifier = (req, spec) => {
  const given = req.headers[GITHUB_HEADER];
  if (!given) return { present: false };
  const expected = `sha256=${hmacSha256(spec.secret, req.body).toString('hex')}`;
  return safeEqual(given, expected)
    ? { present: true, ok: true }
    : { present: true, ok: false, reason: 'signature mismatch' };
};
