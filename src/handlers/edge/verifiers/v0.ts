/**
 * The "v0" signature Slack introduced and Zoom adopted: `<signature header>: v0=<hex HMAC-SHA256 of
 * "v0:" + <timestamp header> + ":" + raw body>`, keyed with the provider's secret, the timestamp in
 * Unix seconds. A timestamp more than five minutes away from now (either way) is refused, as the
 * providers' own samples do: it could be a replay.
 */
import type { Verifier } from '../types.js';
import { hmacSha256, safeEqual } from '../util.js';

export const V0_TOLERANCE_SECONDS = 300;

export function v0Verifier(signatureHeader: string, timestampHeader: string): Verifier {
  return (req, spec, nowMs) => {
    const given = req.headers[signatureHeader];
    if (!given) return { present: false };
    const timestamp = req.headers[timestampHeader];
    if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
      return { present: true, ok: false, reason: `no ${timestampHeader}` };
    }
    const expected = `v0=${hmacSha256(spec.secret, `v0:${timestamp}:`, req.body).toString('hex')}`;
    if (!safeEqual(given, expected)) return { present: true, ok: false, reason: 'signature mismatch' };
    if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > V0_TOLERANCE_SECONDS) {
      return { present: true, ok: false, reason: `timestamp more than ${V0_TOLERANCE_SECONDS} s from now` };
    }
    return { present: true, ok: true };
  };
}
