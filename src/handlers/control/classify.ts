/**
 * What an upstream answer means for the webhook and for the control law. One table, so `deliver`,
 * the README and the tests say the same thing:
 *
 * | answer                                   | webhook                                   | law / breaker     |
 * |------------------------------------------|-------------------------------------------|-------------------|
 * | 2xx                                      | delivered                                 | ok (latency)      |
 * | 400 401 403 404 410 422 ("never")        | retried, DLQ after NEVER_ATTEMPTS (3)     | neutral           |
 * | 429                                      | retried (Retry-After as the floor), counts| overload          |
 * | 502 503 504, timeout, connection error   | retried; during an outage held, uncounted | overload, outage  |
 * | any other answer (3xx, other 4xx, 500…)  | retried, counts, DLQ after --max-attempts | neutral           |
 *
 * "Never" answers are still tried three times: a 401 or 404 right after a deploy is often fixed
 * within minutes (a secret or a route not rolled out yet), and three attempts at the default backoff
 * take about 15 s (5 + 10 s of backoff); afterwards `redrive` brings them back once it is fixed.
 */
import type { UpstreamOutcome } from '../upstream.js';
import type { Signal } from './aimd.js';

export const NEVER_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 410, 422]);
export const OUTAGE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);
/** Attempts a "never" answer gets before the DLQ (fewer when --max-attempts is lower). */
export const NEVER_ATTEMPTS = 3;

export type OutcomeClass = 'delivered' | 'never' | 'throttled' | 'outage' | 'failed';

export function classify(outcome: UpstreamOutcome): OutcomeClass {
  if (outcome.ok) return 'delivered';
  const status = outcome.status;
  // No status: the request never got an answer (refused, reset, DNS, timed out).
  if (status === undefined) return 'outage';
  if (NEVER_STATUSES.has(status)) return 'never';
  if (status === 429) return 'throttled';
  if (OUTAGE_STATUSES.has(status)) return 'outage';
  return 'failed';
}

/** The control law's reading of an answer. */
export function signalOf(c: OutcomeClass): Signal {
  if (c === 'delivered') return 'ok';
  if (c === 'throttled' || c === 'outage') return 'overload';
  return 'neutral';
}

/** The attempt after which a webhook with this answer goes to the DLQ. */
export function lastAttemptFor(c: OutcomeClass, maxAttempts: number): number {
  return c === 'never' ? Math.min(NEVER_ATTEMPTS, maxAttempts) : maxAttempts;
}
