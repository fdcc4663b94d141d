/**
 * Discord (Webhook Events and Interactions alike): `X-Signature-Ed25519: <hex Ed25519 signature of
 * X-Signature-Timestamp + the raw body>`, checked with the application's public key (hex, the
 * *Public Key* on its General Information page). Discord documents no tolerance for the timestamp; one
 * more than five minutes from now either way is refused as a possible replay. The key is public, so
 * verifying leaks nothing through timing. The same check guards the PING handshake (handshakes/discord.ts).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { EdgeRequest, Verdict, Verifier } from '../types.js';
import { decodeHex, UNIX_SECONDS, withinWindow } from '../util.js';

export const DISCORD_HEADER = 'x-signature-ed25519';
export const DISCORD_TIMESTAMP_HEADER = 'x-signature-timestamp';
export const DISCORD_TOLERANCE_SECONDS = 300;

const keys = new Map<string, KeyObject>();

/** The Ed25519 public key from its 64 hex digits; throws when it is not one. */
export function discordPublicKey(hex: string): KeyObject {
  const cached = keys.get(hex);
  if (cached) return cached;
  const raw = decodeHex(hex, 32);
  if (!raw) throw new Error('not 64 hex digits');
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  keys.set(hex, key);
  return key;
}

export function verifyDiscord(req: EdgeRequest, publicKeyHex: string, nowMs: number): Verdict {
  const given = req.headers[DISCORD_HEADER];
  if (!given) return { present: false };
  const timestamp = req.headers[DISCORD_TIMESTAMP_HEADER];
  if (!timestamp || !UNIX_SECONDS.test(timestamp)) {
    return { present: true, ok: false, reason: `no ${DISCORD_TIMESTAMP_HEADER}` };
  }
  const signature = decodeHex(given.trim(), 64);
  let ok = false;
  try {
    const data = Buffer.concat([Buffer.from(timestamp, 'utf8'), req.body]);
    ok = !!signature && verify(null, data, discordPublicKey(publicKeyHex), signature);
  } catch {
    ok = false;
  }
  if (!ok) return { present: true, ok: false, reason: 'signature mismatch' };
  if (!withinWindow(timestamp, nowMs, DISCORD_TOLERANCE_SECONDS, DISCORD_TOLERANCE_SECONDS)) {
    return {
      present: true,
      ok: false,
      reason: `timestamp more than ${DISCORD_TOLERANCE_SECONDS} s from now`,
    };
  }
  return { present: true, ok: true };
}

export const discord: Verifier = (req, spec, nowMs) => verifyDiscord(req, spec.secret, nowMs);
