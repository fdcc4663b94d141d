/** Every signature check the ingest handler can make, by the name used in `--verify NAME=SECRET`. */
import type { Verifier, VerifierName, VerifySpec } from '../types.js';
import { discord, DISCORD_HEADER } from './discord.js';
import { github, GITHUB_HEADER } from './github.js';
import { gitlab, GITLAB_HEADER } from './gitlab.js';
import { hmac } from './hmac.js';
import { intercom, INTERCOM_HEADER } from './intercom.js';
import { linear, LINEAR_HEADER } from './linear.js';
import { paddle, PADDLE_HEADER } from './paddle.js';
import { sendgrid, SENDGRID_HEADER } from './sendgrid.js';
import { shopify, SHOPIFY_HEADER } from './shopify.js';
import { slack, SLACK_HEADER } from './slack.js';
import { square, SQUARE_HEADER } from './square.js';
import { STANDARD_WEBHOOKS_HEADER, standardWebhooks, SVIX_HEADER } from './standard-webhooks.js';
import { stripe, STRIPE_HEADER } from './stripe.js';
import { twilio, TWILIO_HEADER } from './twilio.js';
import { zoom, ZOOM_HEADER } from './zoom.js';

export const VERIFIERS: Record<VerifierName, Verifier> = {
  github,
  stripe,
  slack,
  zoom,
  'hmac-sha256': hmac,
  sendgrid,
  'standard-webhooks': standardWebhooks,
  shopify,
  linear,
  paddle,
  intercom,
  gitlab,
  discord,
  twilio,
  square,
};

/** The header each verifier reads its signature from (`hmac-sha256`: the one it was given). */
const HEADERS: Record<Exclude<VerifierName, 'hmac-sha256'>, string> = {
  github: GITHUB_HEADER,
  stripe: STRIPE_HEADER,
  slack: SLACK_HEADER,
  zoom: ZOOM_HEADER,
  sendgrid: SENDGRID_HEADER,
  'standard-webhooks': `${STANDARD_WEBHOOKS_HEADER} or ${SVIX_HEADER}`,
  shopify: SHOPIFY_HEADER,
  linear: LINEAR_HEADER,
  paddle: PADDLE_HEADER,
  intercom: INTERCOM_HEADER,
  gitlab: GITLAB_HEADER,
  discord: DISCORD_HEADER,
  twilio: TWILIO_HEADER,
  square: SQUARE_HEADER,
};

/** The header a verifier reads its signature from. */
export function signatureHeader(spec: VerifySpec): string {
  return spec.name === 'hmac-sha256' ? (spec.header ?? '') : HEADERS[spec.name];
}

/** How a verifier is named in logs and `status`: never with its secret. */
export function verifierLabel(spec: VerifySpec): string {
  return spec.name === 'hmac-sha256' ? `hmac-sha256:${spec.header}` : spec.name;
}
