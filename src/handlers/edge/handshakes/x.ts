/**
 * X (Twitter) Challenge-Response Check: at registration and then regularly, X sends GET `?crc_token=…`
 * and expects, within 3 s, 200 JSON `{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret,
 * crc_token))}`.
 */
import type { Handshake } from '../types.js';
import { hmacSha256, json, SIGNABLE_TOKEN, queryOf } from '../util.js';

export const x: Handshake = (req, secret) => {
  if (req.method !== 'GET') return undefined;
  const token = queryOf(req).get('crc_token');
  if (token === null) return undefined;
  // X signs its webhooks' JSON bodies with the same secret: never HMAC a string that could be one.
  if (!SIGNABLE_TOKEN.test(token) || !secret) {
    return json(400, { error: 'bad_request', message: 'crc_token is not a token.' });
  }
  return json(200, { response_token: `sha256=${hmacSha256(secret, token).toString('base64')}` });
};
