/**
 * The stall detector of `status` and `status --watch`: delivery is enabled, webhooks are waiting, and
 * nothing has been delivered for a while. Pure, so it is tested on its own; two kinds of evidence:
 *
 * - Successive readings (status --watch, drain): the queue's depth (waiting + in flight + delayed) never
 *   went down, except by what the DLQ gained (a webhook dead-lettered is not delivered), for STALL_AFTER
 *   seconds of readings while delivery was enabled. Webhooks backing off after failed attempts are
 *   "in flight" in SQS's counts, so an upstream failing every request keeps the depth up: stalled.
 * - CloudWatch (a single `status`, and each watch refresh): AWS/SQS NumberOfMessagesDeleted per minute.
 *   The event source mapping deletes a message only once `deliver` delivered it, so a minute with 0
 *   deletions is a minute with nothing delivered. SQS publishes these points for every active queue,
 *   one a minute ("All metrics emit non-negative values only when the queue is active", a queue holding
 *   messages is active: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
 *   a few minutes late, so only zero points that CloudWatch has already published count as evidence;
 *   a missing point is not evidence either way (moto publishes none at all).
 *
 * A queue that delivers while as much comes in keeps a steady depth too: a deletion in CloudWatch
 * clears the verdict, and without CloudWatch data the readings alone decide (said in `basis`).
 */

import { suggest } from './suggest.js';

/** How long nothing may be delivered, with webhooks waiting, before it is called a stall. */
export const STALL_AFTER_SECONDS = 120;

/** One minute of AWS/SQS NumberOfMessagesDeleted (Sum) for the queue. */
export interface DeletedPoint {
  /** Start of the minute, ms. */
  t: number;
  deleted: number;
}

export interface Reading {
  /** ms, any clock that agrees with `now`. */
  t: number;
  enabled: boolean;
  /** waiting + in flight + delayed */
  depth: number;
  dlq: number;
}

export interface Stall {
  /** Seconds with webhooks waiting and nothing delivered. */
  seconds: number;
  /** What the verdict rests on. */
  basis: 'readings' | 'cloudwatch';
}

/**
 * From CloudWatch alone: how long (seconds, up to the newest published point) nothing was deleted
 * while the queue had webhooks, or undefined without such evidence. `oldestAgeSeconds` bounds it:
 * a webhook that arrived a minute ago has not waited five.
 */
export function quietFromMetrics(
  points: DeletedPoint[],
  now: number,
  oldestAgeSeconds: number | null,
): number | undefined {
  if (!points.length) return undefined;
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const lastDelivery = [...sorted].reverse().find((p) => p.deleted > 0);
  const zeros = sorted.filter((p) => p.deleted === 0 && (!lastDelivery || p.t > lastDelivery.t));
  if (!zeros.length) return undefined;
  // From the start of the first empty minute after the last delivery (or of the first point) to now.
  const since = lastDelivery ? lastDelivery.t + 60_000 : zeros[0]!.t;
  let seconds = (now - since) / 1000;
  if (oldestAgeSeconds !== null) seconds = Math.min(seconds, oldestAgeSeconds);
  return seconds > 0 ? seconds : undefined;
}

/**
 * Follows successive readings and says when they show a stall. `observe` each reading (with the
 * CloudWatch points of the same refresh, if any) and read `verdict`.
 */
export class StallTracker {
  private since: number | undefined;
  private last: Reading | undefined;
  private metricQuiet: number | undefined;
  private lastT = 0;

  constructor(private readonly afterSeconds = STALL_AFTER_SECONDS) {}

  observe(r: Reading, metrics?: { points: DeletedPoint[]; oldestAgeSeconds: number | null }): void {
    const prev = this.last;
    this.last = r;
    this.lastT = r.t;
    // The depth went down by more than the DLQ went up: something was delivered (or purged).
    const delivered = prev !== undefined && prev.depth - r.depth > Math.max(0, r.dlq - prev.dlq);
    if (!r.enabled || r.depth === 0 || delivered) this.since = undefined;
    else this.since ??= r.t;
    this.metricQuiet = metrics ? quietFromMetrics(metrics.points, r.t, metrics.oldestAgeSeconds) : undefined;
    const lastDelivery = metrics?.points
      .filter((p) => p.deleted > 0)
      .reduce((m, p) => Math.max(m, p.t + 60_000), -Infinity);
    // CloudWatch saw a delivery after the readings' stall began: not a stall (inflow matched outflow).
    if (this.since !== undefined && lastDelivery !== undefined && lastDelivery > this.since) {
      this.since = Math.min(lastDelivery, r.t);
    }
  }

  verdict(): Stall | undefined {
    const r = this.last;
    if (!r || !r.enabled || r.depth === 0) return undefined;
    const fromReadings = this.since === undefined ? 0 : (this.lastT - this.since) / 1000;
    const fromMetrics = this.metricQuiet ?? 0;
    if (fromMetrics >= this.afterSeconds && fromMetrics >= fromReadings)
      return { seconds: fromMetrics, basis: 'cloudwatch' };
    if (fromReadings >= this.afterSeconds) return { seconds: fromReadings, basis: 'readings' };
    return undefined;
  }
}

/** The command to run next for a stalled proxy: its failed attempts, with its name and region. */
export function stallNextCommand(name: string, region: string): string {
  return suggest('logs', { name, region }, '--failed');
}
