/**
 * Standard Webhooks (standardwebhooks.com; Svix and the senders built on it: OpenAI, Clerk, Resend,
 * Replicate…): `webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw
 * body>">` with the key the `whsec_` secret base64-encodes. The header may hold several space-separated
 * entries (a secret being rotated, or `v1a,` asymmetric ones we skip); one `v1` match is enough. The
 * same headers prefixed `svix-` instead of `webhook-` are accepted (Svix, "Verifying Webhooks
 * Manually"). A timestamp more than five minutes from now either way is refused, as the specification
 * and its reference library (`standardwebhooks`) do.
 */
import type { Verifier } from '../types.js';
import { anyEqual, decodeBase64, hmacSha256, UNIX_SECONDS, withinWindow } from '../util.js';

export const STANDARD_WEBHOOKS_HEADER = 'webhook-signature';
export const SVIX_HEADER = 'svix-signature';
export const STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 300;

/** The HMAC key a `whsec_…` secret stands for (the prefix is optional), or undefined. */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const key = decodeBase64(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  return key && key.length > 0 ? key : undefined;
}

export const standardWebhooks: Verifier = (req, spec, nowMs) => {
  const prefix = req.headers['webhook-signature'] ? 'webhook' : req.headers['svix-signature'] ? 'svix' : '';
  if (!prefix) return { present: false };
  const id = req.headers[`${prefix}-id`];
  const timestamp = req.headers[`${prefix}-timestamp`];
  if (!id) return { present: true, ok: false, reason: `no ${prefix}-id` };
  if (!timestamp || !UNIX_SECONDS.test(timestamp)) {
    return { present: true, ok: false, reason: `no ${prefix}-timestamp` };
  }
  const key = standardWebhooksKey(spec.secret);
  if (!key) return { present: true, ok: false, reason: 'the configured secret is not base64' };
  const expected = hmacSha256(key, `${id}.${timestamp}.`, req.body).toString('base64');
  const given = req.headers[`${prefix}-signature`]!.split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === 'v1' && value !== undefined)
    .map(([, value]) => value!);
  if (given.length === 0) return { present: true, ok: false, reason: 'no v1 signature' };
  if (!anyEqual(given, expected)) return { present: true, ok: false, reason: 'signature mismatch' };
  const tolerance = STANDARD_WEBHOOKS_TOLERANCE_SECONDS;
  if (!withinWindow(timestamp, nowMs, tolerance, tolerance)) {
    return { present: true, ok: false, reason: `timestamp more than ${tolerance} s from now` };
  }
  return { present: true, ok: true };
};
