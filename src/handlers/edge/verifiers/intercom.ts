/**
 * Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body>`, keyed with the app's client
 * secret (Intercom developer docs, "Webhooks": signed notifications). No timestamp is signed.
 * GitHub's legacy `X-Hub-Signature` (also sha1) shares the header name; with `--verify github` as well,
 * a GitHub delivery passes on its `X-Hub-Signature-256` (edge/index.ts: any present verifier passing).
 */
import type { Verifier } from '../types.js';
import { decodeHex, hmac, safeEqual } from '../util.js';

export const INTERCOM_HEADER = 'x-hub-signature';

export const intercom: Verifier = (req, spec) => {
  const given = req.headers[INTERCOM_HEADER];
  if (!given) return { present: false };
  const digest = decodeHex(given.trim().replace(/^sha1=/i, ''), 20);
  return digest && safeEqual(digest, hmac('sha1', spec.secret, req.body))
    ? { present: true, ok: true }
    : { present: true, ok: false, reason: 'signature mismatch' };
};
