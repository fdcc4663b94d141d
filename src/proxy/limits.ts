/**
 * Derived timing limits (DESIGN.md, "Rate cap" and the visibility-timeout rule). `deliver` sends the
 * messages of a batch one after another, so a batch takes at most batchSize × (request timeout +
 * pacing interval), where each container paces as the pacing plan says (src/handlers/control/rate.ts:
 * c ≤ C containers of ⌊R/c⌋ per second each, at 97 % of the nominal spacing).
 * The function timeout must cover that, and the queue's visibility timeout must be ≥ 6 × it, so a
 * slow batch is never cut off mid-delivery nor redelivered while it is still being worked on.
 *
 * The mapping's MaximumConcurrency is the plan's c, not the --concurrency C: Lambda runs as many
 * containers as the mapping allows, and a (c+1)-th container pacing at ⌊R/c⌋ would push the upstream
 * past R (mappingConcurrency). The function's WP_CONCURRENCY stays C, the ceiling the plan is made
 * from, so every container computes the same plan (concurrencyOf reads C back from both).
 */
import { MARGIN, pacingPlan } from '../handlers/control/rate.js';
import { ENV } from '../handlers/ports.js';

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

/** AWS's range for ScalingConfig.MaximumConcurrency (Lambda API reference, ScalingConfig: 2–1000). */
export const MIN_MAPPING_CONCURRENCY = 2;
export const MAX_MAPPING_CONCURRENCY = 1000;

/**
 * The longest a container waits between two requests of a batch, sized from the ceiling C: the plan's
 * per-container spacing (1 / (⌊R/c⌋ · 97 %)), and never less than C / R, what C containers sharing R
 * evenly would each wait (the plan's rate per container can be below R / C: 4 × 1/s at --rate 5).
 */
export function pacingSeconds(l: Pick<DeliveryLimits, 'concurrency' | 'rate'>): number {
  if (!l.rate) return 0;
  const plan = pacingPlan(l.rate, l.concurrency);
  return Math.max(l.concurrency / l.rate, 1 / (plan.perContainer * MARGIN));
}

/**
 * The event source mapping's MaximumConcurrency: the number of containers the pacing plan assumes.
 * `concurrency` is --concurrency (C, the ceiling); an ordered proxy runs one batch at a time whatever
 * the cap, so it gets AWS's lowest value. Clamped to AWS's 2–1000: the flags already refuse more
 * than 1000, and a plan never picks fewer than 2 containers (pacingPlan's default minimum), so the
 * clamp only matters for `--concurrency 1`, which AWS cannot run without --ordered anyway.
 */
export function mappingConcurrency(l: { concurrency: number; rate?: number; ordered?: boolean }): number {
  const containers = l.ordered
    ? MIN_MAPPING_CONCURRENCY
    : l.rate
      ? pacingPlan(l.rate, l.concurrency).containers
      : l.concurrency;
  return Math.min(MAX_MAPPING_CONCURRENCY, Math.max(MIN_MAPPING_CONCURRENCY, containers));
}

/**
 * The --concurrency (C) a proxy runs at, read back from the function's environment and the mapping: the
 * environment's WP_CONCURRENCY is C when the mapping holds the plan made from it. Otherwise (a proxy
 * made before the mapping took the plan, or an unpaced `scale` that changed only the mapping, which
 * the function does not read then) the mapping's value is C. undefined: neither says.
 */
export function concurrencyOf(
  env: Record<string, string | undefined> | undefined,
  mapping: number | undefined,
  o: { rate?: number; ordered?: boolean } = {},
): number | undefined {
  const fromEnv = Number(env?.[ENV.concurrency]);
  const c = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined;
  // Ordered: WP_CONCURRENCY is 1 (one FIFO group), and the mapping keeps what create was given.
  if (o.ordered) return mapping ?? c;
  if (
    c !== undefined &&
    (mapping === undefined || mappingConcurrency({ concurrency: c, rate: o.rate }) === mapping)
  ) {
    return c;
  }
  return mapping ?? c;
}

export function deliverFunctionTimeout(l: DeliveryLimits): number {
  const pacing = pacingSeconds(l);
  return Math.min(LAMBDA_MAX_TIMEOUT, Math.ceil(l.batchSize * (l.timeout + pacing) + SLACK_SECONDS));
}

export function queueVisibilityTimeout(l: DeliveryLimits): number {
  return Math.min(SQS_MAX_VISIBILITY, 6 * deliverFunctionTimeout(l));
}

/** The largest batch that still fits Lambda's 15-minute limit at these settings (for a clear error). */
export function maxBatchSizeFor(l: Omit<DeliveryLimits, 'batchSize'>): number {
  const pacing = pacingSeconds(l);
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
