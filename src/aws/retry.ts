/**
 * "Retry while AWS says it is busy", in one place. Several AWS APIs refuse a call for a while after an
 * earlier change, with an error that means "not yet" rather than "no": a role IAM has not propagated
 * (Lambda cannot assume it), a queue name SQS keeps for 60 s after a delete, an event source mapping
 * or a function still applying an update. The SDK's own retries do not cover these (they are client
 * errors to it), so the step that meets one waits with growing delays and tries again, within a bound,
 * and then lets the last error through with its own message.
 */

export interface BusyRetry {
  /** The errors that mean "not yet": anything else is thrown at once. */
  isBusy: (err: unknown) => boolean;
  /** Give up (throw the last error) once this long has passed since the first try. */
  maxWaitMs: number;
  /** And after this many tries in all (default: only the time bounds it). */
  attempts?: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function retryWhileBusy<T>(fn: () => Promise<T>, o: BusyRetry): Promise<T> {
  const deadline = Date.now() + o.maxWaitMs;
  let delay = o.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const now = Date.now();
      if (!o.isBusy(err) || now >= deadline || attempt >= (o.attempts ?? Infinity)) throw err;
      // The last wait ends at the deadline, so one more try happens there rather than past it.
      await sleep(Math.min(delay, deadline - now));
      delay = Math.min(o.maxDelayMs, delay * 2);
    }
  }
}

/** An AWS error's name (its code), or '' for anything else. */
export const errorName = (err: unknown): string => (err as { name?: string } | undefined)?.name ?? '';
