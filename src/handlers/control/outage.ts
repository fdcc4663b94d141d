/**
 * The outage breaker. When every recent answer says the upstream as a whole is down (connection
 * refused or reset, timeouts, 502/503/504: `outage` in classify.ts), spending each webhook's attempts
 * on it only walks the backlog into the DLQ. Open, the breaker lets one probe through at a time, about
 * one per `probeIntervalMs`, and the other webhooks are held (not attempted, not counted: deliver.ts);
 * the first probe that gets any other answer closes it, and the control law restarts in slow start so
 * the backlog is not released at the ceiling.
 *
 * A streak, not a ratio: an overloaded upstream answers some 503s among successes, which is the
 * control law's business (it backs off); only `tripAfter` outage answers in a row, with no other
 * answer between them, mean nobody is serving. A 502/503/504 is an answer, though: a server is there.
 * A streak of them also needs `quietMs` without any other answer before it trips, because quick 503s
 * fit between two slow successes of an overloaded upstream (a 503 comes back in a millisecond, a 200
 * after its queue): a capacity upstream answering 503 to 3 of 8 requests otherwise tripped the breaker
 * every few seconds, and each recovery's slow start overshot into 503s again (bench/adaptive.mjs).
 * Refused connections and timeouts trip on the streak alone, at once: nobody answered at all, and
 * every attempt spent waiting is an attempt a webhook loses.
 *
 * Whether an outage answer counts against its webhook (`lastCounts`): only when this breaker has
 * evidence that the upstream otherwise serves, i.e. some other answer within the last `evidenceMs`.
 * A fresh Lambda container knows nothing, so its outage answers count nothing: without this, each new
 * container spent up to `tripAfter - 1` counted attempts before its breaker opened, and a webhook that
 * kept landing on new containers (Lambda scales them in and out) was dead-lettered during an outage.
 * A webhook that fails alone on a serving upstream still counts: the container sees others succeed.
 * (Requiring the answer just before to be a good one, too, was tried: webhooks that fail with 503s
 * or timeouts one after another, the others all delivered, then never counted and never progressed.)
 */
import type { OutcomeClass } from './classify.js';

export interface BreakerSettings {
  tripAfter: number;
  probeIntervalMs: number;
  /** How recent the last other answer must be for an outage answer to count against its webhook. */
  evidenceMs?: number;
  /** A streak of 502/503/504 answers must also last this long since any other answer (0: no wait). */
  quietMs?: number;
  /** The longest a held webhook waits before it is looked at again (SQS DelaySeconds: ≤ 900). */
  maxHoldSeconds: number;
}

export type BreakerChange = 'opened' | 'closed' | undefined;

export class OutageBreaker {
  private streak = 0;
  private openedAt: number | undefined;
  private nextProbeAt = 0;
  private probing = false;
  /** When the last answer that was not an outage answer came; undefined: none yet (a fresh container). */
  private servingAt: number | undefined;
  private counts = true;

  constructor(
    private readonly s: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  /** Since when the upstream is considered down; undefined while it is not. */
  get since(): number | undefined {
    return this.openedAt;
  }

  /** Take the probe: true at most once per interval, and never while a probe is on the wire. */
  tryProbe(): boolean {
    if (!this.isOpen || this.probing) return false;
    const t = this.now();
    if (t < this.nextProbeAt) return false;
    this.probing = true;
    this.nextProbeAt = t + this.s.probeIntervalMs;
    return true;
  }

  /** Milliseconds until a probe may go (0: now); Infinity while one is on the wire. */
  msUntilProbe(): number {
    if (!this.isOpen) return 0;
    if (this.probing) return Infinity;
    return Math.max(0, this.nextProbeAt - this.now());
  }

  /** A probe could not be sent after all (no time left, say): let the next one go. */
  releaseProbe(): void {
    this.probing = false;
  }

  /** How long to hold a webhook now: grows with the outage, so a long one costs few SQS calls. */
  holdSeconds(): number {
    const ageS = this.openedAt === undefined ? 0 : (this.now() - this.openedAt) / 1000;
    return Math.min(this.s.maxHoldSeconds, Math.max(1, ageS / 4));
  }

  /** Whether the last answer recorded counts against its webhook (see the top of this file). */
  get lastCounts(): boolean {
    return this.counts;
  }

  /** `answered`: the outage answer was an HTTP status (502/503/504), not a refusal or a timeout. */
  record(c: OutcomeClass, probe: boolean, answered = false): BreakerChange {
    if (probe) this.probing = false;
    if (c === 'outage') {
      this.counts =
        this.servingAt !== undefined && this.now() - this.servingAt <= (this.s.evidenceMs ?? 300_000);
      this.streak++;
      const quiet =
        !answered || this.servingAt === undefined || this.now() - this.servingAt >= (this.s.quietMs ?? 0);
      if (!this.isOpen && this.streak >= this.s.tripAfter && quiet) {
        this.openedAt = this.now();
        this.nextProbeAt = this.openedAt + this.s.probeIntervalMs;
        return 'opened';
      }
      return undefined;
    }
    this.streak = 0;
    this.counts = true;
    this.servingAt = this.now();
    // Any other answer, from a probe or from a request sent before the breaker opened: someone serves.
    if (this.isOpen) {
      this.openedAt = undefined;
      return 'closed';
    }
    return undefined;
  }
}
