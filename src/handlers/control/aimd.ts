/**
 * The adaptive concurrency law: AIMD (additive increase, multiplicative decrease), the law TCP's
 * congestion control and Netflix concurrency-limits' AIMDLimit use, with the latency signal of Vector's
 * adaptive request concurrency: a window of responses whose median latency has risen past its own
 * baseline is read as overload, like an explicit 429/503/504, a timeout or a refused connection.
 *
 * Pure and clock-injected: `deliver` on Lambda, the `dev` poller and the unit tests run this same code.
 *
 * Per window (about one round trip: at least `ceil(limit)` responses):
 * - back-pressure seen (429, 502–504, timeout, connection error): limit × `backoff` (0.75);
 * - median latency of the successes > `tolerance` × baseline: limit × `latencyBackoff` (0.9);
 * - the latency gradient (Netflix concurrency-limits' Gradient2, Vector ARC's comparison of the
 *   current RTT with its long-run mean): the window's median against a long-window mean of the
 *   medians. Past `gradientTolerance` × that mean the limit is cut in proportion to the rise,
 *   × max(`minGradient`, tolerance × long / short), even without a 429/503: when the upstream's
 *   capacity halves, its queue doubles every answer's latency, and a 0.9 step per window follows it
 *   too slowly for the p99 (a Lambda container's window of 3 answers lasts several round trips).
 *   The long mean follows the medians slowly (`longWindows`), so a step stands out against it, and an
 *   upstream that got slower for good becomes its new normal;
 * - else, when the limit was actually used (in flight reached half of it, as AIMDLimit checks, so an
 *   idle proxy does not grow a limit it never tested) and the median is within `growBelow` × the
 *   baseline: slow start doubles it until the first overload, then it grows by `increase` per window.
 *   Between `growBelow` and `tolerance` it holds (TCP Vegas's band between α and β): at a small
 *   limit one slot more is a large step (a third at 3), and growing from anywhere below the cut
 *   point kept a halved upstream (2 workers) at 4 in flight every other round trip, its p99 at 3×.
 *   (A band from 1.4 × let the halved upstream's p99 past 2× again in npm run test:adaptive; 1.25 ×
 *   costs goodput only on a host so loaded that a lone 20 ms answer takes 130 ms at its p99.)
 * A cold start, and a recovery after an outage, begin at `initial` in slow start: never at the ceiling.
 * Latencies of failed requests are ignored (Vector PR 3804: only successful round trips measure the
 * upstream's speed; a fast 503 would otherwise look like spare capacity).
 */

export type Signal = 'ok' | 'overload' | 'neutral';

export interface AimdSettings {
  /** The ceiling: --concurrency (or 1, the share of one Lambda container). */
  max: number;
  /** The floor. Below 1 only for a Lambda container's share (it then waits between requests). */
  min: number;
  initial: number;
  /** Added per window in congestion avoidance. */
  increase: number;
  backoff: number;
  latencyBackoff: number;
  tolerance: number;
  /** Grows only while the window's median is within this × the baseline (≤ tolerance). */
  growBelow: number;
  /** The fewest responses a window holds: a Lambda container's window of one answer is all noise. */
  minWindow: number;
  /** The gradient term: a window median past this × the long-window mean cuts in proportion. */
  gradientTolerance: number;
  /** The deepest one gradient cut goes (Gradient2: 0.5). */
  minGradient: number;
  /** Windows the long mean spans (an EWMA of the window medians with α = 1 / longWindows). */
  longWindows: number;
}

export function aimdSettings(max: number, overrides: Partial<AimdSettings> = {}): AimdSettings {
  return {
    max,
    min: 1,
    initial: 1,
    increase: 1,
    backoff: 0.75,
    latencyBackoff: 0.9,
    tolerance: 1.5,
    growBelow: 1.25,
    minWindow: 1,
    gradientTolerance: 1.5,
    minGradient: 0.5,
    longWindows: 50,
    ...overrides,
  };
}

export interface AimdSample {
  latencyMs: number;
  signal: Signal;
  /** Requests in flight when this one was sent (itself included). */
  inFlight: number;
}

export interface AimdState {
  limit: number;
  /** The upstream's unloaded latency as this law estimates it (ms); undefined before the first window. */
  baselineMs: number | undefined;
  /** The long-window mean of the window medians (ms), the gradient's reference. */
  longMs: number | undefined;
  slowStart: boolean;
}

export class AimdLimit {
  private limitValue: number;
  private baseline: number | undefined;
  private long: number | undefined;
  private slowStart = true;
  private window = {
    count: 0,
    okCount: 0,
    latencySum: 0,
    oks: [] as number[],
    minOk: Infinity,
    overload: false,
    maxInFlight: 0,
  };

  constructor(private readonly s: AimdSettings) {
    this.limitValue = clamp(s.initial, s.min, s.max);
  }

  get limit(): number {
    return this.limitValue;
  }

  state(): AimdState {
    return {
      limit: this.limitValue,
      baselineMs: this.baseline,
      longMs: this.long,
      slowStart: this.slowStart,
    };
  }

  /** Back to a conservative start (after an outage): slow start from `initial`, baseline kept. */
  restart(): void {
    this.limitValue = clamp(this.s.initial, this.s.min, this.s.max);
    this.slowStart = true;
    this.resetWindow();
  }

  /** Feed one response. Returns true when it closed a window (the limit may have changed). */
  sample(x: AimdSample): boolean {
    const w = this.window;
    if (x.signal === 'neutral') return false;
    w.count++;
    w.maxInFlight = Math.max(w.maxInFlight, x.inFlight);
    if (x.signal === 'overload') w.overload = true;
    else {
      w.okCount++;
      w.latencySum += x.latencyMs;
      w.oks.push(x.latencyMs);
      w.minOk = Math.min(w.minOk, x.latencyMs);
    }
    // An explicit overload closes the window at once: waiting for more responses only sends more load.
    if (w.count < Math.max(this.s.minWindow, Math.ceil(this.limitValue)) && !w.overload) return false;
    this.closeWindow();
    return true;
  }

  private closeWindow(): void {
    const w = this.window;
    // The window's median, not its mean: a queue at the upstream slows every answer, while one answer
    // late because this host was busy (a GC, a loaded VM) must not read as overload on its own.
    const mean = w.okCount ? median(w.oks) : undefined;
    const slow = mean !== undefined && this.baseline !== undefined && mean > this.baseline * this.s.tolerance;
    // Gradient2's gradient, tolerance × long / short, clamped to [minGradient, 1]: 1 while the
    // window is within the tolerance of the long mean, down to ½ when its latency has tripled.
    const gradient =
      mean !== undefined && this.long !== undefined && mean > this.long * this.s.gradientTolerance
        ? Math.max(this.s.minGradient, (this.s.gradientTolerance * this.long) / mean)
        : 1;
    if (w.overload || slow || gradient < 1) {
      const factor = Math.min(w.overload ? this.s.backoff : 1, slow ? this.s.latencyBackoff : 1, gradient);
      this.limitValue = clamp(this.limitValue * factor, this.s.min, this.s.max);
      this.slowStart = false;
    } else if (
      w.maxInFlight >= this.limitValue / 2 &&
      (mean === undefined || this.baseline === undefined || mean <= this.baseline * this.s.growBelow)
    ) {
      const next = this.slowStart ? this.limitValue * 2 : this.limitValue + this.s.increase;
      this.limitValue = clamp(next, this.s.min, this.s.max);
    }
    if (mean !== undefined) {
      // The long mean takes in every window's median, slow ones too (as Gradient2's long RTT does):
      // it is the reference a step is measured against, and it moves by 1/longWindows of the gap,
      // about two thirds of a step's rise after `longWindows` windows.
      this.long = this.long === undefined ? mean : this.long + (mean - this.long) / this.s.longWindows;
      // The baseline is the fastest round trip seen (as TCP Vegas and BBR take the minimum RTT): a
      // request cannot come back faster than the upstream serves it unloaded, while a window's mean
      // is raised by the queue the proxy builds and by its own busy moments (a burst of ingest at
      // start-up measured a 44 ms "baseline" on a 20 ms upstream, and the latency signal never fired).
      // Slow to accept a slower upstream as its new normal, for the same reason.
      if (this.baseline === undefined || w.minOk < this.baseline) this.baseline = w.minOk;
      else if (!slow) this.baseline += (mean - this.baseline) * 0.02;
      // Still slow at the floor: not a queue of ours, the upstream itself got slower. Accept it step by
      // step, or the limit would stay at the floor for good.
      else if (this.limitValue <= this.s.min) this.baseline += (mean - this.baseline) * 0.1;
    }
    this.resetWindow();
  }

  private resetWindow(): void {
    this.window = {
      count: 0,
      okCount: 0,
      latencySum: 0,
      oks: [] as number[],
      minOk: Infinity,
      overload: false,
      maxInFlight: 0,
    };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
