/**
 * Slack Events API: when a Request URL is set, Slack POSTs `{"token","challenge","type":"url_verification"}`
 * (no outer event envelope) and expects 200 with the challenge. Slack accepts it as text/plain,
 * form-encoded or JSON; we answer text/plain, the first form Slack documents.
 */
import type { Handshake } from '../types.js';
import { smallJsonObject, text } from '../util.js';

export const slack: Handshake = (req) => {
  const body = smallJsonObject(req);
  if (body?.type !== 'url_verification' || typeof body.challenge !== 'string') return undefined;
  return text(200, body.challenge);
};
