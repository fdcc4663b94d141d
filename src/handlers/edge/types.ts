/**
 * The shapes the edge logic works on: a request reduced to what handshakes and signature checks need
 * (taken from the payload-2.0 event by the ingest handler), and the HTTP answer they give instead of
 * queueing. Everything here is a pure function of these values (and, for timestamps, of a clock).
 */

export interface EdgeRequest {
  method: string;
  /** Header names lower-cased; repeated headers comma-joined (as API Gateway payload 2.0 gives them). */
  headers: Record<string, string>;
  /** The query string exactly as received, without the `?`. */
  rawQueryString: string;
  /** The body's original bytes. */
  body: Buffer;
  /**
   * The URL the sender called, as the proxy's public address (the custom domain when there is one):
   * `https://HOST/PATH?QUERY` (public-url.ts). Twilio and Square sign it. Absent in unit tests that
   * need no URL.
   */
  publicUrl?: string;
}

/** An answer in the shape of an API Gateway payload-2.0 structured result. */
export interface EdgeResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Milliseconds since the epoch; injectable so timestamp tolerances can be tested. */
export type Clock = () => number;

export type HandshakeName = 'slack' | 'meta' | 'zoom' | 'graph' | 'dropbox' | 'x' | 'discord';
export type VerifierName =
  | 'github'
  | 'stripe'
  | 'slack'
  | 'zoom'
  | 'hmac-sha256'
  | 'sendgrid'
  | 'standard-webhooks'
  | 'shopify'
  | 'linear'
  | 'paddle'
  | 'intercom'
  | 'gitlab'
  | 'discord'
  | 'twilio'
  | 'square';

export interface HandshakeSpec {
  name: HandshakeName;
  /** Meta's verify token, Zoom's secret token, X's consumer secret, Discord's public key; absent for the others. */
  secret?: string;
}

export interface VerifySpec {
  name: VerifierName;
  secret: string;
  /** `hmac-sha256` only: the (lower-cased) header that carries the signature. */
  header?: string;
}

export interface EdgeSettings {
  handshakes: HandshakeSpec[];
  verify: VerifySpec[];
  /**
   * `--methods`: the request methods stored as webhooks (upper case, sorted), or `'*'` for every
   * method. Undefined: the default (methods.ts, DEFAULT_METHODS).
   */
  methods?: string[] | '*';
}

/**
 * A handshake answers the requests it recognises and returns undefined for every other request.
 * `nowMs` is for the handshakes that check a signed timestamp (Discord).
 */
export type Handshake = (
  req: EdgeRequest,
  secret: string | undefined,
  nowMs: number,
) => EdgeResponse | undefined;

/**
 * A verifier's verdict. `present: false` means the request does not carry this verifier's signature
 * header at all (so another configured verifier may be the one that applies).
 */
export type Verdict =
  { present: false } | { present: true; ok: true } | { present: true; ok: false; reason: string };

export type Verifier = (req: EdgeRequest, spec: VerifySpec, nowMs: number) => Verdict;
