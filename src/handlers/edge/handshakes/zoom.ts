/**
 * Zoom: when an event subscription is validated (and every 72 hours after), Zoom POSTs
 * `{"event":"endpoint.url_validation","payload":{"plainToken":…}}` and expects, within 3 s,
 * 200 JSON `{plainToken, encryptedToken}` where encryptedToken is the hex HMAC-SHA256 of the plain
 * token keyed with the app's secret token.
 */
import type { Handshake } from '../types.js';
import { hmacSha256, json, SIGNABLE_TOKEN, smallJsonObject } from '../util.js';

export const zoom: Handshake = (req, secret) => {
  const body = smallJsonObject(req);
  if (body?.event !== 'endpoint.url_validation') return undefined;
  const payload = body.payload as Record<string, unknown> | undefined;
  const plainToken = payload && typeof payload === 'object' ? payload.plainToken : undefined;
  // Zoom signs its webhooks with the same secret over `v0:TS:BODY`: never HMAC a string that could be one.
  if (typeof plainToken !== 'string' || !SIGNABLE_TOKEN.test(plainToken) || !secret) {
    return json(400, { error: 'bad_request', message: 'payload.plainToken is missing or not a token.' });
  }
  return json(200, { plainToken, encryptedToken: hmacSha256(secret, plainToken).toString('hex') });
};
