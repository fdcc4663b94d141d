/**
 * Generic `hmac-sha256=SECRET:HEADER`: HEADER carries the HMAC-SHA256 of the raw body keyed with SECRET,
 * as hex or base64 (standard or URL-safe), optionally prefixed `sha256=`. That covers many senders
 * without a timestamp in their scheme, for example Meta (`x-hub-signature-256`, hex with `sha256=`),
 * Dropbox (`x-dropbox-signature`, hex), Shopify (`x-shopify-hmac-sha256`, base64) and X
 * (`x-twitter-webhooks-signature`, base64 with `sha256=`).
 */
import type { Verifier } from '../types.js';
import { hmacSha256, safeEqual } from '../util.js';

/** The 32 digest bytes the header value encodes, or undefined when it is not a SHA-256 digest. */
function decodeDigest(value: string): Buffer | undefined {
  const v = value.trim().replace(/^sha256=/i, '');
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(v)) return Buffer.from(v, 'base64');
  if (/^[A-Za-z0-9_-]{43}$/.test(v)) return Buffer.from(v, 'base64url');
  return undefined;
}

export const hmac: Verifier = (req, spec) => {
  const given = spec.header ? req.headers[spec.header] : undefined;
  if (!given) return { present: false };
  const digest = decodeDigest(given);
  if (!digest) return { present: true, ok: false, reason: 'not a hex or base64 SHA-256 digest' };
  return safeEqual(digest, hmacSha256(spec.secret, req.body))
    ? { present: true, ok: true }
    : { present: true, ok: false, reason: 'signature mismatch' };
};
