/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`, keyed with the app's client
 * secret (or, for a webhook made in the store admin, the key shown under Settings → Notifications)
 * (Shopify docs, "Verify webhooks"). No timestamp is signed; `X-Shopify-Webhook-Id` lets the
 * application drop duplicates.
 */
import type { Verifier } from '../types.js';
import { decodeBase64, hmacSha256, safeEqual } from '../util.js';

export const SHOPIFY_HEADER = 'x-shopify-hmac-sha256';

export const shopify: Verifier = (req, spec) => {
  const given = req.headers[SHOPIFY_HEADER];
  if (!given) return { present: false };
  const digest = decodeBase64(given.trim());
  if (!digest) return { present: true, ok: false, reason: 'signature is not base64' };
  return safeEqual(digest, hmacSha256(spec.secret, req.body))
    ? { present: true, ok: true }
    : { present: true, ok: false, reason: 'signature mismatch' };
};
