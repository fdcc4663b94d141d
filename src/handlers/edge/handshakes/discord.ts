/**
 * Discord Webhook Events: when the Webhook Events URL is saved, Discord POSTs a signed PING
 * (`{"version":1,"application_id":…,"type":0}`, no `event`) and expects `204` with no body; it also
 * checks that a request with a bad signature is refused `401` (Discord docs, "Webhook Events":
 * preparing for events; discord-interactions' verifyWebhookEventMiddleware answers the same way). The
 * PING is answered only when its Ed25519 signature verifies with the public key given here
 * (`--handshake discord=PUBLIC_KEY_HEX`), and is never queued.
 *
 * The Interactions Endpoint URL is not served: every interaction there needs its own synchronous
 * answer, which a queue cannot give, so its PING (`type` 1) is left alone and Discord refuses to
 * register the proxy there, rather than every interaction failing later.
 */
import type { Handshake } from '../types.js';
import { json, smallJsonObject } from '../util.js';
import { verifyDiscord } from '../verifiers/discord.js';

/** The same answer as a refused signature (edge/index.ts), so a probe learns nothing more. */
const REFUSED = json(401, {
  error: 'unauthorized',
  message: "The webhook's signature is missing or invalid. It was not stored.",
});

export const discord: Handshake = (req, secret, nowMs) => {
  const body = smallJsonObject(req);
  if (!body || body.type !== 0 || 'event' in body) return undefined;
  const verdict = secret ? verifyDiscord(req, secret, nowMs) : { present: false as const };
  return verdict.present && verdict.ok ? json(204, null) : REFUSED;
};
