/**
 * SendGrid Event Webhook, signed: `X-Twilio-Email-Event-Webhook-Signature` is a base64 DER ECDSA
 * (P-256, SHA-256) signature over `X-Twilio-Email-Event-Webhook-Timestamp` + the raw body, made with
 * SendGrid's private key; `--verify sendgrid=PUBLIC_KEY` takes the base64 verification key SendGrid
 * shows once the Signed Event Webhook is enabled (Twilio SendGrid docs, "Getting Started with the
 * Event Webhook Security Features"). SendGrid documents no tolerance for the timestamp; a signature
 * more than five minutes from now either way is refused as a possible replay, as Slack and Standard
 * Webhooks do. The key is public, so verifying it leaks nothing through timing.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Verifier } from '../types.js';
import { decodeBase64, UNIX_SECONDS, withinWindow } from '../util.js';

export const SENDGRID_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
export const SENDGRID_TOLERANCE_SECONDS = 300;

const keys = new Map<string, KeyObject>();

/**
 * The P-256 public key from SendGrid's base64 verification key (a PEM block is accepted too).
 * Throws when it is not one: the CLI refuses the flag, and the ingest function fails closed.
 */
export function sendgridPublicKey(value: string): KeyObject {
  const cached = keys.get(value);
  if (cached) return cached;
  const der = decodeBase64(value.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, ''));
  if (!der || der.length === 0) throw new Error('not base64');
  const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('not an ECDSA P-256 public key');
  }
  keys.set(value, key);
  return key;
}

export const sendgrid: Verifier = (req, spec, nowMs) => {
  const given = req.headers[SENDGRID_HEADER];
  if (!given) return { present: false };
  const timestamp = req.headers[SENDGRID_TIMESTAMP_HEADER];
  if (!timestamp || !UNIX_SECONDS.test(timestamp)) {
    return { present: true, ok: false, reason: `no ${SENDGRID_TIMESTAMP_HEADER}` };
  }
  const signature = decodeBase64(given.trim());
  if (!signature) return { present: true, ok: false, reason: 'signature is not base64' };
  let ok: boolean;
  try {
    const data = Buffer.concat([Buffer.from(timestamp, 'utf8'), req.body]);
    ok = verify('sha256', data, { key: sendgridPublicKey(spec.secret), dsaEncoding: 'der' }, signature);
  } catch {
    ok = false; // a malformed DER signature
  }
  if (!ok) return { present: true, ok: false, reason: 'signature mismatch' };
  if (!withinWindow(timestamp, nowMs, SENDGRID_TOLERANCE_SECONDS, SENDGRID_TOLERANCE_SECONDS)) {
    return {
      present: true,
      ok: false,
      reason: `timestamp more than ${SENDGRID_TOLERANCE_SECONDS} s from now`,
    };
  }
  return { present: true, ok: true };
};
