/**
 * The exact rate cap: every one-second window at the upstream holds at most R requests (rounding
 * aside), and the average stays at least 0.95 R.
 *
 * In one process (`dev`, `serve`): ONE pacer shared by every delivery slot, a GCRA with a burst of 1
 * (a token bucket holding one token). Starts are then at least 1/R apart, so any half-open one-second
 * window holds at most R. Independent pacers at R/C each cannot do that: their phases drift, and a
 * window can catch one extra request per pacer (35 in a second at --rate 30 --concurrency 4).
 *
 * On Lambda nothing is shared between containers, and nothing tells a container which of the C it is.
 * Identical containers that each keep their own one-second windows at most k hold at most C·k
 * together, and that bound is reached, so C·k ≤ R: k = ⌊R/C⌋, an average of C·⌊R/C⌋ at best
 * (28 at --rate 30 --concurrency 4, below 0.95 R). No pacing law without coordination does better, so
 * `pacingPlan` picks how many containers c ≤ C run (the mapping's MaximumConcurrency) to make c·⌊R/c⌋
 * as large as it gets, the most containers among equals: 3 × 10 at --rate 30 --concurrency 4.
 *
 * Both run at `MARGIN` (98 %) of the nominal spacing, so a timer firing late or a packet delayed by up
 * to 2 % of the interval cannot push a window at the upstream over the cap.
 */

export const MARGIN = 0.98;

export interface Pacer {
  /** Resolves when the next request may start, and takes that start (now). */
  acquire(): Promise<void>;
  /** Milliseconds the next acquire would wait, without taking it. */
  peek(): number;
}

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Requests at least `intervalMs` apart, measured from when each actually started: the slot is taken
 * after the wait, so a late timer never lets two requests start closer together.
 */
export function createIntervalPacer(
  intervalMs: number,
  now: () => number = Date.now,
  sleep: Sleep = realSleep,
): Pacer {
  let nextAt = -Infinity;
  return {
    async acquire() {
      for (;;) {
        const wait = nextAt - now();
        if (wait <= 0) break;
        await sleep(wait);
      }
      nextAt = now() + intervalMs;
    },
    peek: () => Math.max(0, nextAt - now()),
  };
}

/** The one pacer of a process: R per second at most across every slot that shares it. */
export function createSharedPacer(rate: number, now?: () => number, sleep?: Sleep): Pacer {
  return createIntervalPacer(1000 / (rate * MARGIN), now, sleep);
}

export interface PacingPlan {
  /** Containers that run at once: the event source mapping's MaximumConcurrency. */
  containers: number;
  /** Requests per second each container sends at most. */
  perContainer: number;
}

/**
 * How C containers share R (see above). `minContainers`: AWS's lowest MaximumConcurrency is 2; an
 * ordered proxy runs one. Below R = c the per-container rate is a fraction and the cap holds per
 * c/R-second window instead (a request every few seconds has no one-second windows to speak of).
 */
export function pacingPlan(rate: number, concurrency: number, minContainers = 2): PacingPlan {
  const lowest = Math.min(minContainers, concurrency);
  let best: PacingPlan | undefined;
  for (let c = concurrency; c >= lowest; c--) {
    const k = Math.floor(rate / c);
    if (k > 0 && (!best || c * k > best.containers * best.perContainer)) {
      best = { containers: c, perContainer: k };
    }
  }
  return best ?? { containers: lowest, perContainer: rate / lowest };
}

/** A Lambda container's own pacer under `pacingPlan`. */
export function createContainerPacer(
  rate: number,
  concurrency: number,
  minContainers?: number,
  now?: () => number,
  sleep?: Sleep,
): Pacer {
  const plan = pacingPlan(rate, concurrency, minContainers);
  return createIntervalPacer(1000 / (plan.perContainer * MARGIN), now, sleep);
}
