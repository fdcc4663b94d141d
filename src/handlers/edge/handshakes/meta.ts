/**
 * Meta (Facebook, Instagram, WhatsApp, Messenger): when a callback URL is set, Meta sends
 * GET `?hub.mode=subscribe&hub.verify_token=TOKEN&hub.challenge=N` and expects 200 with the challenge
 * as the whole body, but only from an endpoint that knows the verify token typed into the dashboard.
 * A wrong or missing token (or another mode) is answered 403 so nobody else can claim the endpoint.
 */
import type { Handshake } from '../types.js';
import { json, queryOf, safeEqualSecret, text } from '../util.js';

export const meta: Handshake = (req, secret) => {
  if (req.method !== 'GET') return undefined;
  const q = queryOf(req);
  if (!q.has('hub.mode') && !q.has('hub.challenge') && !q.has('hub.verify_token')) return undefined;
  const token = q.get('hub.verify_token') ?? '';
  const challenge = q.get('hub.challenge');
  // A configuration without a token must never verify anything (an empty token would otherwise match).
  const ok =
    q.get('hub.mode') === 'subscribe' && challenge !== null && !!secret && safeEqualSecret(token, secret);
  if (!ok) {
    return json(403, {
      error: 'forbidden',
      message: 'Verification refused: hub.mode must be "subscribe" and hub.verify_token must match.',
    });
  }
  return text(200, challenge);
};
