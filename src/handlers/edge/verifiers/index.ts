/** Every signature check the ingest handler can make, by the name used in `--verify NAME=SECRET`. */
import type { Verifier, VerifierName, VerifySpec } from '../types.js';
import { github, GITHUB_HEADER } from './github.js';
import { hmac } from './hmac.js';
import { slack, SLACK_HEADER } from './slack.js';
import { stripe, STRIPE_HEADER } from './stripe.js';
import { zoom, ZOOM_HEADER } from './zoom.js';

export const VERIFIERS: Record<VerifierName, Verifier> = { github, stripe, slack, zoom, 'hmac-sha256': hmac };

/** The header a verifier reads its signature from. */
export function signatureHeader(spec: VerifySpec): string {
  switch (spec.name) {
    case 'github':
      return GITHUB_HEADER;
    case 'stripe':
      return STRIPE_HEADER;
    case 'slack':
      return SLACK_HEADER;
    case 'zoom':
      return ZOOM_HEADER;
    case 'hmac-sha256':
      return spec.header ?? '';
  }
}

/** How a verifier is named in logs and `status`: never with its secret. */
export function verifierLabel(spec: VerifySpec): string {
  return spec.name === 'hmac-sha256' ? `hmac-sha256:${spec.header}` : spec.name;
}
