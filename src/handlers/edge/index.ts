/**
 * The edge: what the ingest handler does before it stores a webhook.
 *
 * 1. Handshakes first. A configured provider's handshake (a registration challenge, not a webhook) is
 *    answered at once, synchronously, and never stored or forwarded: a queue cannot answer a challenge.
 * 2. Then the method (methods.ts): a request whose method is not one webhooks use (GET, HEAD, a
 *    scanner's TRACE…, unless `--methods` says otherwise) is answered 405 and nothing is stored.
 * 3. Then signatures, when `--verify` is configured. The request passes when at least one configured
 *    verifier whose signature header is present accepts it. A request that carries none of their
 *    headers, or whose present signatures all fail, is refused 401 and nothing is stored.
 *    "Any present one passes" (rather than "all must pass") lets one proxy receive from several senders
 *    that share a header (GitHub and Meta both use `x-hub-signature-256`), and lets two secrets of one
 *    sender be configured while it is being rotated; a forger still needs one of the secrets.
 */
import { HANDSHAKES } from './handshakes/index.js';
import { accepts, methodNotAllowed } from './methods.js';
import type { Clock, EdgeRequest, EdgeResponse, EdgeSettings, HandshakeName } from './types.js';
import { json } from './util.js';
import { signatureHeader, verifierLabel, VERIFIERS } from './verifiers/index.js';

export type { Clock, EdgeRequest, EdgeResponse, EdgeSettings } from './types.js';

export interface VerifyFailure {
  verifier: string;
  reason: string;
}

export type EdgeOutcome =
  | { kind: 'handshake'; provider: HandshakeName; response: EdgeResponse }
  | { kind: 'method'; method: string; response: EdgeResponse }
  | { kind: 'refused'; failures: VerifyFailure[]; response: EdgeResponse }
  | { kind: 'pass'; verifiedBy?: string };

/** The same answer whatever failed: the details go to the log, not to whoever is probing. */
const REFUSED = json(401, {
  error: 'unauthorized',
  message: "The webhook's signature is missing or invalid. It was not stored.",
});

/** The edge step for these settings (every request goes through it: the method check always applies). */
export function createEdge(
  settings: Partial<EdgeSettings>,
  now: Clock = Date.now,
): (req: EdgeRequest) => EdgeOutcome {
  const handshakes = settings.handshakes ?? [];
  const verify = settings.verify ?? [];
  const { methods } = settings;
  return (req) => {
    const nowMs = now();
    for (const h of handshakes) {
      const response = HANDSHAKES[h.name](req, h.secret, nowMs);
      if (response) return { kind: 'handshake', provider: h.name, response };
    }
    if (!accepts(methods, req.method)) {
      return { kind: 'method', method: req.method, response: methodNotAllowed(methods, req.method) };
    }
    if (verify.length === 0) return { kind: 'pass' };
    const failures: VerifyFailure[] = [];
    for (const spec of verify) {
      const verdict = VERIFIERS[spec.name](req, spec, nowMs);
      if (!verdict.present) continue;
      if (verdict.ok) return { kind: 'pass', verifiedBy: verifierLabel(spec) };
      failures.push({ verifier: verifierLabel(spec), reason: verdict.reason });
    }
    if (failures.length === 0) {
      const headers = [...new Set(verify.map(signatureHeader))].join(', ');
      failures.push({ verifier: 'none', reason: `no signature header (expected one of: ${headers})` });
    }
    return { kind: 'refused', failures, response: REFUSED };
  };
}

/** The log fields for an outcome that was answered at the edge. Never a secret, token or body. */
export function edgeLogFields(outcome: Exclude<EdgeOutcome, { kind: 'pass' }>): Record<string, unknown> {
  if (outcome.kind === 'method') {
    // Scanners and probes, not an attack on a secret: information, not a warning.
    const { method } = outcome;
    return { msg: 'ingest', level: 'info', status: 405, error: `method ${method} is not a webhook method` };
  }
  if (outcome.kind === 'handshake') {
    const { provider } = outcome;
    const status = outcome.response.statusCode;
    // A refused handshake (wrong Meta token, a Zoom/X token we will not sign) is worth a warning.
    return status < 400
      ? { msg: 'handshake', level: 'info', provider, status }
      : { msg: 'handshake', level: 'warn', provider, status, error: `${provider} handshake refused` };
  }
  return {
    msg: 'ingest',
    level: 'warn',
    status: 401,
    error: `signature verification failed: ${outcome.failures.map((f) => `${f.verifier} (${f.reason})`).join('; ')}`,
    failures: outcome.failures,
  };
}
