/**
 * Derived timing limits (DESIGN.md, "Rate cap" and the visibility-timeout rule). `deliver` sends the
 * messages of a batch one after another, so a batch takes at most batchSize × (request timeout +
 * pacing interval), where each of the C concurrent invocations paces at R / C per second.
 * The function timeout must cover that, and the queue's visibility timeout must be ≥ 6 × it, so a
 * slow batch is never cut off mid-delivery nor redelivered while it is still being worked on.
 */

export interface DeliveryLimits {
  batchSize: number;
  /** Per-request timeout, seconds. */
  timeout: number;
  concurrency: number;
  /** Requests per second across all invocations; undefined = unpaced. */
  rate?: number;
}

/** Lambda's maximum function timeout. */
export const LAMBDA_MAX_TIMEOUT = 900;
/** SQS's maximum visibility timeout (12 hours). */
export const SQS_MAX_VISIBILITY = 43_200;
const SLACK_SECONDS = 5;

export function deliverFunctionTimeout(l: DeliveryLimits): number {
  const pacing = l.rate ? l.concurrency / l.rate : 0;
  return Math.min(LAMBDA_MAX_TIMEOUT, Math.ceil(l.batchSize * (l.timeout + pacing) + SLACK_SECONDS));
}

export function queueVisibilityTimeout(l: DeliveryLimits): number {
  return Math.min(SQS_MAX_VISIBILITY, 6 * deliverFunctionTimeout(l));
}

/** The largest batch that still fits Lambda's 15-minute limit at these settings (for a clear error). */
export function maxBatchSizeFor(l: Omit<DeliveryLimits, 'batchSize'>): number {
  const pacing = l.rate ? l.concurrency / l.rate : 0;
  return Math.max(1, Math.floor((LAMBDA_MAX_TIMEOUT - SLACK_SECONDS) / (l.timeout + pacing)));
}
