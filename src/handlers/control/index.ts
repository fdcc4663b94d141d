/**
 * Delivery control: the one object `deliver` asks before each upstream request and tells after it.
 * It combines the rate cap (rate.ts), the outage breaker (outage.ts) and, with --adaptive, the AIMD
 * limit (aimd.ts). Two shapes, one law:
 * - `shared` (dev, serve): one control for every delivery slot of the process. The limit is a number
 *   of slots (the poller runs ⌊limit⌋ of them, as Lambda runs MaximumConcurrency containers).
 * - `container` (Lambda): one per container, which delivers one request at a time. Its limit is its
 *   share of one slot, 1/C … 1, applied as a pause after each request (a share of ½ waits as long as
 *   the request took): C containers then adapt their shares on the same signals, as TCP flows do.
 */
import { AimdLimit, aimdSettings, type AimdState } from './aimd.js';
import { classify, signalOf, type OutcomeClass } from './classify.js';
import { OutageBreaker, type BreakerChange } from './outage.js';
import { createContainerPacer, createSharedPacer, type Pacer } from './rate.js';
import type { UpstreamOutcome } from '../upstream.js';

export { classify, lastAttemptFor, NEVER_ATTEMPTS, NEVER_STATUSES } from './classify.js';

export interface ControlSettings {
  concurrency: number;
  rate?: number;
  adaptive: boolean;
  mode: 'shared' | 'container';
  /** container mode: the lowest MaximumConcurrency the pacing plan may pick (1: ordered). */
  minContainers?: number;
  /** Outage answers in a row that open the breaker… */
  tripAfter?: number;
  /** …and, for 502/503/504 answers, this long since any other answer (outage.ts). */
  quietMs?: number;
  probeIntervalMs?: number;
  maxHoldSeconds?: number;
  /** An outage answer counts against its webhook only this soon after another answer (outage.ts). */
  evidenceMs?: number;
  /** The longest a Retry-After pauses all sending (the webhook's own retry honours all of it). */
  maxPauseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type Ticket =
  | { kind: 'send'; probe: boolean; inFlight: number }
  /** Not now: hold the webhook (uncounted) for `seconds`. */
  | { kind: 'hold'; seconds: number; reason: string };

export interface ControlSnapshot {
  adaptive: boolean;
  /** 'outage' while the breaker is open. */
  state: 'delivering' | 'outage';
  /** Slots the law allows now (shared), or this container's share (container); the ceiling when static. */
  limit: number;
  ceiling: number;
  baselineMs?: number;
  outageSince?: string;
}

export interface DeliveryControl {
  readonly mode: 'shared' | 'container';
  /** Before an upstream request; `budgetMs` is what the caller may wait. */
  beforeSend(budgetMs: number): Promise<Ticket>;
  /** After it: the outcome, its latency, and the ticket it was sent with. */
  afterSend(outcome: UpstreamOutcome, latencyMs: number, ticket: Ticket & { kind: 'send' }): OutcomeClass;
  /** shared mode: how many delivery slots may hold a batch now (the poller asks before receiving). */
  slots(): number;
  /** The batch size a slot should take now: one while probing an outage. */
  batchSize(wanted: number): number;
  snapshot(): ControlSnapshot;
  /** How long to hold a webhook the breaker keeps from the upstream. */
  holdSeconds(): number;
  /**
   * Whether the answer afterSend has just recorded counts against its webhook: false for an outage
   * answer without evidence that the upstream otherwise serves (outage.ts). Ask it right after afterSend.
   */
  lastCounts(): boolean;
  /** Told when the breaker opens or closes (the runtime reports it). */
  onChange?: (change: Exclude<BreakerChange, undefined>, snapshot: ControlSnapshot) => void;
}

export function createDeliveryControl(s: ControlSettings): DeliveryControl {
  const now = s.now ?? Date.now;
  const sleep = s.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const container = s.mode === 'container';
  const ceiling = container ? 1 : s.concurrency;
  const law = s.adaptive
    ? new AimdLimit(
        container
          ? // A share of one slot: C containers start at 1/C each (together one slot) and add 1/C each
            // per window (together about one slot per round trip, as one shared law would).
            aimdSettings(1, {
              min: Math.min(1, 1 / s.concurrency),
              initial: 1 / s.concurrency,
              increase: 1 / s.concurrency,
              // One container sends one request at a time: a window of one answer would cut its share
              // on every scheduling hiccup of a busy host. Three answers per window.
              minWindow: 3,
            })
          : aimdSettings(s.concurrency),
      )
    : undefined;
  const breaker = new OutageBreaker(
    {
      tripAfter: s.tripAfter ?? 5,
      quietMs: s.quietMs ?? 1000,
      // One probe a second in all: on Lambda each of C containers probes every C seconds.
      probeIntervalMs: (s.probeIntervalMs ?? 1000) * (container ? s.concurrency : 1),
      maxHoldSeconds: s.maxHoldSeconds ?? (container ? 900 : 5),
      evidenceMs: s.evidenceMs ?? 300_000,
    },
    now,
  );
  const pacer: Pacer | undefined = s.rate
    ? container
      ? createContainerPacer(s.rate, s.concurrency, s.minContainers, now, sleep)
      : createSharedPacer(s.rate, now, sleep)
    : undefined;
  const maxPauseMs = s.maxPauseMs ?? 60_000;
  let inFlight = 0;
  /**
   * shared mode: requests waiting for the adaptive limit, oldest first; each answer wakes one. A
   * waiter leaves however it wakes (an answer or its SLOT_WAIT_MS look), so there are never more than
   * the requests waiting (at most the concurrency): an array pushed on every look and shifted once per
   * answer grew without end while a slow upstream answered less often than the waiters looked, and its
   * answers woke stale entries instead of a waiting request.
   */
  const waiters = new Set<() => void>();
  const waitForAnswer = async () => {
    let wake!: () => void;
    const answered = new Promise<void>((r) => (wake = r));
    waiters.add(wake);
    try {
      await Promise.race([answered, sleep(SLOT_WAIT_MS)]);
    } finally {
      waiters.delete(wake);
    }
  };
  let pausedUntil = 0;
  /** container mode: no request before this (the share's pause after the last one). */
  let restUntil = 0;

  const control: DeliveryControl = {
    mode: s.mode,
    async beforeSend(budgetMs) {
      const deadline = now() + budgetMs;
      let probe = false;
      if (breaker.isOpen) {
        probe = breaker.tryProbe();
        if (!probe) return { kind: 'hold', seconds: breaker.holdSeconds(), reason: 'upstream down' };
      }
      const pauseLeft = Math.max(pausedUntil, restUntil) - now();
      if (pauseLeft > 0) {
        if (now() + pauseLeft > deadline) {
          if (probe) breaker.releaseProbe();
          return { kind: 'hold', seconds: Math.ceil(pauseLeft / 1000), reason: 'upstream asked to wait' };
        }
        await sleep(pauseLeft);
      }
      if (pacer) {
        if (now() + pacer.peek() > deadline) {
          if (probe) breaker.releaseProbe();
          return { kind: 'hold', seconds: 1, reason: 'rate' };
        }
        await pacer.acquire();
      }
      // shared mode: the limit also holds per request, not only per batch. A slot that took its batch
      // while the limit was higher would otherwise send all of it (10 requests, a few hundred ms at a
      // loaded upstream) after the law has cut: the overshoot raised the upstream's p99 past 2× its
      // unloaded latency in bench/adaptive.mjs.
      while (law && !container && !probe && inFlight >= Math.max(1, Math.floor(law.limit))) {
        if (now() >= deadline) return { kind: 'hold', seconds: 1, reason: 'concurrency' };
        await waitForAnswer();
      }
      inFlight++;
      return { kind: 'send', probe, inFlight };
    },
    afterSend(outcome, latencyMs, ticket) {
      inFlight = Math.max(0, inFlight - 1);
      const oldest = waiters.values().next();
      if (!oldest.done) {
        waiters.delete(oldest.value);
        oldest.value();
      }
      const c = classify(outcome);
      const change = breaker.record(c, ticket.probe, outcome.status !== undefined);
      if (!outcome.ok && outcome.retryAfterSeconds !== undefined && (c === 'throttled' || c === 'outage')) {
        pausedUntil = Math.max(pausedUntil, now() + Math.min(maxPauseMs, outcome.retryAfterSeconds * 1000));
      }
      if (law) {
        if (change === 'closed') law.restart();
        else law.sample({ latencyMs, signal: signalOf(c), inFlight: ticket.inFlight });
        if (container && law.limit < 1) {
          restUntil = now() + latencyMs * (1 / law.limit - 1);
        }
      }
      if (change) control.onChange?.(change, control.snapshot());
      return c;
    },
    slots() {
      if (breaker.isOpen) return breaker.msUntilProbe() === 0 ? 1 : 0;
      return law ? Math.max(1, Math.floor(law.limit)) : ceiling;
    },
    holdSeconds: () => breaker.holdSeconds(),
    lastCounts: () => breaker.lastCounts,
    batchSize(wanted) {
      return breaker.isOpen ? 1 : wanted;
    },
    snapshot() {
      const st: AimdState | undefined = law?.state();
      return {
        adaptive: Boolean(law),
        state: breaker.isOpen ? 'outage' : 'delivering',
        limit: st ? round(st.limit) : ceiling,
        ceiling,
        ...(st?.baselineMs !== undefined ? { baselineMs: round(st.baselineMs) } : {}),
        ...(breaker.since !== undefined ? { outageSince: new Date(breaker.since).toISOString() } : {}),
      };
    },
  };
  return control;
}

/** How often a request waiting for the limit looks again (a cut limit wakes nobody). */
const SLOT_WAIT_MS = 50;
const round = (n: number) => Math.round(n * 100) / 100;
