/**
 * Microsoft Graph change notifications: when a subscription is created (or renewed), Graph calls the
 * notification URL with `?validationToken=…` (a POST today; any method is accepted) and expects, within
 * 10 s, 200 `text/plain` whose body is the URL-decoded token, exactly.
 */
import type { Handshake } from '../types.js';
import { queryOf, text } from '../util.js';

export const graph: Handshake = (req) => {
  // URLSearchParams form-decodes: Graph's tokens contain `+` for spaces and `%3a` for colons.
  const token = queryOf(req).get('validationToken');
  return token === null ? undefined : text(200, token);
};
