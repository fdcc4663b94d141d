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

/** The parts of a proxy's retry schedule (src/handlers/pacing.ts, backoffSeconds). */
export interface RetrySchedule {
  maxAttempts: number;
  backoffBase: number;
  backoffMax: number;
  /** The deliver function's timeout: the longest one attempt can run. */
  functionTimeout: number;
}

/**
 * The longest a failing webhook can spend in the queue before its last attempt: between two attempts
 * it waits its backoff, or the upstream's Retry-After (429/503), which deliver honours as a floor past
 * --backoff-max up to the 12 h SQS allows a message to stay hidden after a receive (AWS:
 * ChangeMessageVisibility, "The maximum is 12 hours"). So each of the maxAttempts − 1 waits ends at
 * most 12 h after that attempt's receive, and the last attempt runs at most the function timeout.
 */
export function worstRetrySeconds(s: Pick<RetrySchedule, 'maxAttempts' | 'functionTimeout'>): number {
  return (s.maxAttempts - 1) * SQS_MAX_VISIBILITY + s.functionTimeout;
}

/** The same schedule when the upstream sends no Retry-After: doubling backoff, +20 % jitter, capped. */
export function backoffScheduleSeconds(s: RetrySchedule): number {
  let total = s.maxAttempts * s.functionTimeout;
  for (let k = 1; k < s.maxAttempts; k++) {
    total += Math.min(s.backoffMax, SQS_MAX_VISIBILITY, 1.2 * s.backoffBase * 2 ** (k - 1));
  }
  return total;
}

/** The most attempts whose worst-case schedule fits in `retentionSeconds` (at least 1). */
export function maxAttemptsWithin(retentionSeconds: number, functionTimeout: number): number {
  return Math.max(1, Math.floor((retentionSeconds - functionTimeout) / SQS_MAX_VISIBILITY) + 1);
}
