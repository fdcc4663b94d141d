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
 * Both run at `MARGIN` (97 %) of the nominal spacing, so a timer firing late or a packet delayed by up
 * to 30 ms cannot push a window at the upstream over the cap.
 */

export const MARGIN = 0.97;
/** The log's window: a second and 3 %, so requests delayed on their way by up to 30 ms still fit. */
const WINDOW_MS = 1000 / MARGIN;

export interface Pacer {
  /** Resolves when the next request may start, and takes that start (now). */
  acquire(): Promise<void>;
  /** Milliseconds the next acquire would wait, without taking it. */
  peek(): number;
}

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Requests `intervalMs` apart on a schedule (a GCRA with a burst of 1: a timer that fires late is
 * caught up on the next request instead of slowing the rate), and never more than `perSecond` in any
 * one-second window of actual starts: a log of the last `perSecond` starts holds the next one back
 * until the oldest is a second old. The schedule keeps the flow smooth; the log makes the cap exact
 * whatever the timers do (a pause of the process, a busy machine).
 */
export function createIntervalPacer(
  intervalMs: number,
  perSecond: number,
  now: () => number = Date.now,
  sleep: Sleep = realSleep,
): Pacer {
  let nextAt = -Infinity;
  const cap = Math.floor(perSecond);
  const starts: number[] = [];
  const wait = () => {
    const t = now();
    let ms = nextAt - t;
    if (cap >= 1 && starts.length >= cap) ms = Math.max(ms, starts[starts.length - cap]! + WINDOW_MS - t);
    return ms;
  };
  return {
    async acquire() {
      for (let ms = wait(); ms > 0; ms = wait()) await sleep(ms);
      const t = now();
      // Late by up to half an interval: caught up. Idle longer: the schedule starts again from now.
      nextAt = Math.max(nextAt + intervalMs, t + intervalMs / 2);
      if (cap >= 1) {
        starts.push(t);
        if (starts.length > cap) starts.shift();
      }
    },
    peek: () => Math.max(0, wait()),
  };
}

/** The one pacer of a process: R per second at most across every slot that shares it. */
export function createSharedPacer(rate: number, now?: () => number, sleep?: Sleep): Pacer {
  return createIntervalPacer(1000 / (rate * MARGIN), rate, now, sleep);
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
  return createIntervalPacer(1000 / (plan.perContainer * MARGIN), plan.perContainer, now, sleep);
}
