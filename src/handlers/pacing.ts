/**
 * Retry backoff and rate pacing for `deliver`.
 */

export interface BackoffSettings {
  backoffBase: number;
  backoffMax: number;
}

/**
 * Seconds to hide a message after its `attempt`-th failure: base × 2^(attempt−1) capped at max, with
 * ±20 % jitter so a burst of failures does not come back as a burst. A Retry-After from the upstream
 * (429/503) is honoured as a floor, even past --backoff-max (the upstream knows best), up to SQS's 12 h;
 * `deliver` then cuts it to what SQS still allows since the message's receive (visibility.ts).
 */
export function backoffSeconds(
  attempt: number,
  settings: BackoffSettings,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number {
  const exponential = settings.backoffBase * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(settings.backoffMax, exponential);
  const jittered = Math.min(settings.backoffMax, capped * (0.8 + 0.4 * random()));
  return Math.min(43_200, Math.max(jittered, retryAfterSeconds ?? 0));
}

/**
 * Spaces requests `intervalMs` apart. One pacer per Lambda container: with C concurrent invocations
 * each pacing at R / C per second, the upstream sees at most R per second in all.
 */
export function createPacer(intervalMs: number, now: () => number = Date.now) {
  let nextAt = 0;
  return {
    /** Milliseconds to wait before the next request may start (and reserve that slot). */
    reserve(): number {
      const t = now();
      const start = Math.max(t, nextAt);
      nextAt = start + intervalMs;
      return start - t;
    },
    /** How long the next reservation would wait, without taking it. */
    peek(): number {
      return Math.max(0, nextAt - now());
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
