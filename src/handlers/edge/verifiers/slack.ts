/** Slack: `X-Slack-Signature` over `X-Slack-Request-Timestamp` and the raw body, with the app's signing secret. */
import { v0Verifier, V0_TOLERANCE_SECONDS } from './v0.js';

export const SLACK_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
export const SLACK_TOLERANCE_SECONDS = V0_TOLERANCE_SECONDS;

export const slack = v0Verifier(SLACK_HEADER, SLACK_TIMESTAMP_HEADER);
