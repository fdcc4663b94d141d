/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t." + raw body>[,v1=…][,v0=…]`,
 * keyed with the endpoint's signing secret (`whsec_…`). Several v1 entries appear while a secret is
 * being rolled; any one matching is enough. As in Stripe's own library, a timestamp more than 300 s in
 * the past is refused (a replay), and one in the future is not.
 */
import type { Verifier } from '../types.js';
import { hmacSha256, safeEqual } from '../util.js';

export const STRIPE_HEADER = 'stripe-signature';
export const STRIPE_TOLERANCE_SECONDS = 300;

export const stripe: Verifier = (req, spec, nowMs) => {
  const given = req.headers[STRIPE_HEADER];
  if (!given) return { present: false };
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const item of given.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') signatures.push(value);
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { present: true, ok: false, reason: 'no timestamp' };
  if (signatures.length === 0) return { present: true, ok: false, reason: 'no v1 signature' };
  const expected = hmacSha256(spec.secret, `${timestamp}.`, req.body).toString('hex');
  // Compare with every entry (no early exit), so the time taken does not say which one matched.
  let match = false;
  for (const signature of signatures) match = safeEqual(signature, expected) || match;
  if (!match) return { present: true, ok: false, reason: 'signature mismatch' };
  if (Math.floor(nowMs / 1000) - Number(timestamp) > STRIPE_TOLERANCE_SECONDS) {
    return { present: true, ok: false, reason: `timestamp older than ${STRIPE_TOLERANCE_SECONDS} s` };
  }
  return { present: true, ok: true };
};
