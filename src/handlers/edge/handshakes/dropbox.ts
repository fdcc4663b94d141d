/**
 * Dropbox: when a webhook URI is added, Dropbox sends GET `?challenge=…` and expects 200 with the
 * challenge echoed as the body, `Content-Type: text/plain` and `X-Content-Type-Options: nosniff`.
 */
import type { Handshake } from '../types.js';
import { queryOf, text } from '../util.js';

export const dropbox: Handshake = (req) => {
  if (req.method !== 'GET') return undefined;
  const challenge = queryOf(req).get('challenge');
  return challenge === null ? undefined : text(200, challenge);
};
