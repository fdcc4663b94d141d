/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:" + X-Slack-Request-Timestamp + ":" + raw body>`,
 * keyed with the app's signing secret. As Slack's SDKs do, a timestamp more than five minutes away
 * from now (either way) is refused: it could be a replay.
 */
import type { Verifier } from '../types.js';
import { hmacSha256, safeEqual } from '../util.js';

export const SLACK_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
export const SLACK_TOLERANCE_SECONDS = 300;

export const slack: Verifier = (req, spec, nowMs) => {
  const given = req.headers[SLACK_HEADER];
  if (!given) return { present: false };
  const timestamp = req.headers[SLACK_TIMESTAMP_HEADER];
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    return { present: true, ok: false, reason: `no ${SLACK_TIMESTAMP_HEADER}` };
  }
  const expected = `v0=${hmacSha256(spec.secret, `v0:${timestamp}:`, req.body).toString('hex')}`;
  if (!safeEqual(given, expected)) return { present: true, ok: false, reason: 'signature mismatch' };
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > SLACK_TOLERANCE_SECONDS) {
    return { present: true, ok: false, reason: `timestamp more than ${SLACK_TOLERANCE_SECONDS} s from now` };
  }
  return { present: true, ok: true };
};
