/**
 * Zoom: `x-zm-signature` over `x-zm-request-timestamp` and the raw body, keyed with the app's secret
 * token (the same one the `zoom` handshake uses), in Slack's v0 format.
 */
import { v0Verifier } from './v0.js';

export const ZOOM_HEADER = 'x-zm-signature';
export const ZOOM_TIMESTAMP_HEADER = 'x-zm-request-timestamp';

export const zoom = v0Verifier(ZOOM_HEADER, ZOOM_TIMESTAMP_HEADER);
