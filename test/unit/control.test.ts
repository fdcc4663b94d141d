/**
 * The delivery control law on a virtual clock: AIMD, the outage breaker, the retry classes, and the
 * exact rate cap (one shared pacer in a process; per-container pacers under the Lambda pacing plan).
 */
import { describe, expect, it } from 'vitest';
import { AimdLimit, aimdSettings, type AimdSettings } from '../../src/handlers/control/aimd.js';
import { classify, lastAttemptFor } from '../../src/handlers/control/classify.js';
import { createDeliveryControl } from '../../src/handlers/control/index.js';
import { OutageBreaker } from '../../src/handlers/control/outage.js';
import {
  createContainerPacer,
  createSharedPacer,
  pacingPlan,
  type Pacer,
} from '../../src/handlers/control/rate.js';

/** A virtual clock whose sleep advances time; timers fire in order. */
function virtualClock() {
  let t = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: t + ms, resolve });
      }),
    /** Run until no timer is left or `until` passes. */
    async run(until: number) {
      for (;;) {
        await new Promise((r) => setImmediate(r));
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (!next || next.at > until) return;
        t = Math.max(t, next.at);
        next.resolve();
      }
    },
  };
}

/** The most starts in any window [x, x + 1000). */
function busiestSecond(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    while (j < s.length && s[j]! < s[i]! + 1000) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

/** `workers` loops, each acquiring from its pacer and "sending" a request that takes `latency` ms. */
async function paced(pacers: Pacer[], clock: ReturnType<typeof virtualClock>, ms: number, latency = 5) {
  const starts: number[] = [];
  let stop = false;
  const loops = pacers.map(async (p) => {
    while (!stop) {
      await p.acquire();
      if (stop) break;
      starts.push(clock.now());
      await clock.sleep(latency);
    }
  });
  await clock.run(ms);
  stop = true;
  void loops;
  return starts.filter((x) => x < ms);
}

describe('AIMD law', () => {
  it('starts at 1 in slow start, doubles while healthy, then grows by one per window', () => {
    const law = new AimdLimit(aimdSettings(16));
    const window = (latencyMs: number) => {
      const n = Math.ceil(law.limit);
      for (let i = 0; i < n; i++) law.sample({ latencyMs, signal: 'ok', inFlight: n });
    };
    const seen = [law.limit];
    for (let i = 0; i < 4; i++) {
      window(20);
      seen.push(law.limit);
    }
    expect(seen).toEqual([1, 2, 4, 8, 16]);
    // 2.25 × the 20 ms baseline (and the long mean): the upstream queues. The cut is the latency
    // gradient's, in proportion to the rise, 1.5 × 20 / 45 (it was the fixed 0.9 before issue 14's
    // gradient term, 14.4): the deeper of the two latency cuts wins.
    window(45);
    expect(law.limit).toBeCloseTo((16 * (1.5 * 20)) / 45, 5);
    window(20);
    expect(law.limit).toBeCloseTo((16 * (1.5 * 20)) / 45 + 1, 5); // congestion avoidance: +1, no doubling
  });
  it('without a gradient (the long mean off), a queue past 1.5 × the baseline cuts by the fixed 0.9', () => {
    const law = new AimdLimit(aimdSettings(16, { gradientTolerance: Infinity }));
    const window = (latencyMs: number) => {
      const n = Math.ceil(law.limit);
      for (let i = 0; i < n; i++) law.sample({ latencyMs, signal: 'ok', inFlight: n });
    };
    for (let i = 0; i < 4; i++) window(20);
    window(45);
    expect(law.limit).toBeCloseTo(14.4, 5);
  });
  it('holds between 1.25 × and 1.5 × the baseline (the Vegas band): no growth, no cut; grows again below it', () => {
    const law = new AimdLimit(aimdSettings(16, { initial: 4 }));
    law.sample({ latencyMs: 1, signal: 'overload', inFlight: 4 }); // out of slow start: 3
    for (let i = 0; i < 3; i++) law.sample({ latencyMs: 20, signal: 'ok', inFlight: 3 }); // baseline 20
    expect(law.limit).toBe(4);
    for (let w = 0; w < 10; w++) {
      for (let i = 0; i < 4; i++) law.sample({ latencyMs: 28, signal: 'ok', inFlight: 4 });
    }
    expect(law.limit).toBe(4); // 1.4 × the baseline: held, window after window
    for (let i = 0; i < 4; i++) law.sample({ latencyMs: 21, signal: 'ok', inFlight: 4 });
    expect(law.limit).toBe(5);
  });
  it('the latency gradient: a step well above the long mean cuts in proportion, at most to ½; within the tolerance it does not', () => {
    // Baseline (fastest) 10 ms, but the usual median 20 ms: the min-RTT rule alone would fire at 15 ms.
    // With a tolerance of 3 for it, only the gradient is left to judge the step.
    const law = new AimdLimit(aimdSettings(16, { initial: 8, tolerance: 3 }));
    law.sample({ latencyMs: 10, signal: 'ok', inFlight: 8 });
    for (let i = 0; i < 7; i++) law.sample({ latencyMs: 20, signal: 'ok', inFlight: 8 });
    const long = law.state().longMs!;
    expect(long).toBe(20);
    const before = law.limit;
    for (let i = 0; i < Math.ceil(before); i++) law.sample({ latencyMs: 28, signal: 'ok', inFlight: 1 });
    expect(law.limit).toBe(before); // 1.4 × the long mean: within the tolerance (and not used: no growth)
    const at = law.limit;
    const longBefore = law.state().longMs!;
    expect(longBefore).toBeGreaterThan(long); // the 28 ms window moved it, by 1/50 of the gap
    for (let i = 0; i < Math.ceil(at); i++) law.sample({ latencyMs: 40, signal: 'ok', inFlight: 1 });
    // 2 × the long mean: × 1.5 × long / 40 (about 0.75), with no 503 and no min-RTT verdict.
    expect(law.limit / at).toBeCloseTo((1.5 * longBefore) / 40, 5);
    const deep = law.limit;
    for (let i = 0; i < Math.ceil(deep); i++) law.sample({ latencyMs: 400, signal: 'ok', inFlight: 1 });
    expect(law.limit / deep).toBe(0.5); // never more than halved by one window
  });
  it('a halved capacity on a virtual clock: the gradient cuts the step’s queue sooner than the old law, and what is left is used', () => {
    // An upstream serving `workers` at once in 20 ms, no 503s (latency is the only signal). Each round
    // trip the law's ⌊limit⌋ requests go out together: the i-th answers in 20 × (⌊i / workers⌋ + 1) ms
    // and the clock advances by the slowest. At 10 s the capacity halves (4 → 2 workers).
    const simulate = (overrides: Partial<AimdSettings>) => {
      const law = new AimdLimit(aimdSettings(16, overrides));
      const requests: { at: number; ms: number }[] = [];
      for (let t = 0; t < 20_000;) {
        const workers = t < 10_000 ? 4 : 2;
        const n = Math.max(1, Math.floor(law.limit));
        const ms = Array.from({ length: n }, (_x, i) => 20 * (Math.floor(i / workers) + 1));
        for (const m of ms) {
          law.sample({ latencyMs: m, signal: 'ok', inFlight: n });
          requests.push({ at: t, ms: m });
        }
        t += ms[n - 1]!;
      }
      const figures = (from: number, to: number) => {
        const xs = requests.filter((r) => r.at >= from && r.at < to).map((r) => r.ms);
        xs.sort((a, b) => a - b);
        return { p99: xs[Math.floor(xs.length * 0.99)]!, perS: xs.length / ((to - from) / 1000) };
      };
      return { first: figures(10_000, 11_000), tail: figures(12_000, 20_000) };
    };
    const gradient = simulate({});
    // The law before issue 14's changes: no gradient, growth right up to the cut point.
    const without = simulate({ gradientTolerance: Infinity, growBelow: 1.5 });
    // The first second after the halving: the queue the step built is cut faster.
    expect(gradient.first.p99).toBeLessThan(without.first.p99);
    // Afterwards: no deeper queue than the old law's, and most of the 100/s two workers serve. This
    // model sends each round trip's requests together, so 3 in flight at 2 workers is 3 per 40 ms
    // here (75/s) where a steady flow gets 100/s: ≥ 80 % in the model (the e2e test bars 90 %).
    expect(gradient.tail.p99).toBeLessThanOrEqual(without.tail.p99);
    expect(gradient.tail.perS / 100).toBeGreaterThanOrEqual(0.8);
  });
  it('cuts by a quarter on explicit back-pressure, at once, and never below the floor', () => {
    const law = new AimdLimit(aimdSettings(16, { initial: 8 }));
    law.sample({ latencyMs: 1, signal: 'overload', inFlight: 8 });
    expect(law.limit).toBe(6);
    for (let i = 0; i < 50; i++) law.sample({ latencyMs: 1, signal: 'overload', inFlight: 1 });
    expect(law.limit).toBe(1);
  });
  it('does not grow a limit it never used (an idle proxy)', () => {
    const law = new AimdLimit(aimdSettings(16, { initial: 8 }));
    for (let i = 0; i < 80; i++) law.sample({ latencyMs: 20, signal: 'ok', inFlight: 1 });
    expect(law.limit).toBe(8);
  });
  it('accepts an upstream that got slower for good once at the floor', () => {
    const law = new AimdLimit(aimdSettings(4));
    law.sample({ latencyMs: 20, signal: 'ok', inFlight: 1 });
    for (let i = 0; i < 200; i++) law.sample({ latencyMs: 100, signal: 'ok', inFlight: 1 });
    expect(law.state().baselineMs).toBeGreaterThan(66); // 100 ms is within 1.5 × the baseline again
    expect(law.limit).toBeGreaterThan(1);
  });
});

describe('retry classes', () => {
  const at = (status: number) => classify({ ok: false, status });
  it('says which answers are never, throttled, outage or plain failures', () => {
    expect([400, 401, 403, 404, 410, 422].map(at)).toEqual(Array(6).fill('never'));
    expect(at(429)).toBe('throttled');
    expect([502, 503, 504].map(at)).toEqual(['outage', 'outage', 'outage']);
    expect(classify({ ok: false, error: 'ECONNREFUSED' })).toBe('outage');
    expect([500, 408, 409, 301].map(at)).toEqual(Array(4).fill('failed'));
    expect(classify({ ok: true, status: 204 })).toBe('delivered');
  });
  it('gives "never" answers three attempts, the rest --max-attempts', () => {
    expect(lastAttemptFor('never', 10)).toBe(3);
    expect(lastAttemptFor('never', 2)).toBe(2);
    expect(lastAttemptFor('outage', 10)).toBe(10);
  });
});

describe('outage breaker', () => {
  it('opens after a streak of outage answers, probes once per interval, one at a time, closes on any answer', () => {
    let t = 0;
    const b = new OutageBreaker({ tripAfter: 3, probeIntervalMs: 1000, maxHoldSeconds: 5 }, () => t);
    expect(b.record('outage', false)).toBeUndefined();
    expect(b.record('delivered', false)).toBeUndefined(); // a success breaks the streak
    b.record('outage', false);
    b.record('outage', false);
    expect(b.record('outage', false)).toBe('opened');
    expect(b.tryProbe()).toBe(false); // not before the interval
    t += 1000;
    expect(b.tryProbe()).toBe(true);
    expect(b.tryProbe()).toBe(false); // one on the wire
    t += 5000;
    expect(b.tryProbe()).toBe(false);
    expect(b.record('outage', true)).toBeUndefined();
    expect(b.tryProbe()).toBe(true);
    expect(b.record('never', true)).toBe('closed'); // a 404 is an answer: someone serves
    expect(b.isOpen).toBe(false);
  });
  it('a streak of quick 503s between slow successes (an overloaded upstream) is not an outage', () => {
    let t = 0;
    const b = new OutageBreaker(
      { tripAfter: 3, probeIntervalMs: 1000, maxHoldSeconds: 5, quietMs: 1000 },
      () => t,
    );
    b.record('delivered', false);
    t += 50;
    for (let i = 0; i < 10; i++) expect(b.record('outage', false, true)).toBeUndefined();
    t += 950; // a second without any other answer: nobody serves
    expect(b.record('outage', false, true)).toBe('opened');
  });
  it('refused connections trip it on the streak alone, right after a success', () => {
    let t = 0;
    const b = new OutageBreaker(
      { tripAfter: 3, probeIntervalMs: 1000, maxHoldSeconds: 5, quietMs: 1000 },
      () => t,
    );
    b.record('delivered', false);
    t += 5;
    b.record('outage', false);
    b.record('outage', false);
    expect(b.record('outage', false)).toBe('opened');
  });
  it('a 429 or a 500 is not an outage', () => {
    const b = new OutageBreaker({ tripAfter: 2, probeIntervalMs: 1000, maxHoldSeconds: 5 });
    for (const c of ['throttled', 'failed', 'throttled'] as const) b.record(c, false);
    expect(b.isOpen).toBe(false);
  });
  it('after recovery the adaptive law restarts from one slot (slow start, not the ceiling)', async () => {
    const clock = virtualClock();
    const control = createDeliveryControl({
      concurrency: 16,
      adaptive: true,
      mode: 'shared',
      tripAfter: 2,
      now: clock.now,
      sleep: clock.sleep,
    });
    const send = async (outcome: Parameters<typeof control.afterSend>[0]) => {
      const ticket = await control.beforeSend(10_000);
      if (ticket.kind !== 'send') return ticket.kind;
      control.afterSend(outcome, 20, ticket);
      return ticket.probe ? 'probe' : 'send';
    };
    for (let i = 0; i < 30; i++) await send({ ok: true, status: 200 });
    const before = control.slots();
    expect(before).toBeGreaterThan(1); // grown (sequential sends use at most half of 4: it stops there)
    await send({ ok: false, error: 'ECONNREFUSED' });
    await send({ ok: false, error: 'ECONNREFUSED' });
    expect(control.snapshot().state).toBe('outage');
    expect(control.slots()).toBe(0);
    expect(await send({ ok: true, status: 200 })).toBe('hold');
    const waited = clock.sleep(1000);
    await clock.run(1000);
    await waited;
    expect(control.slots()).toBe(1);
    expect(await send({ ok: true, status: 200 })).toBe('probe');
    expect(control.snapshot().state).toBe('delivering');
    expect(control.slots()).toBe(1);
  });
});

describe('waiting for the adaptive limit', () => {
  it('an answer wakes the request that waits, however often it looked meanwhile', async () => {
    const clock = virtualClock();
    const control = createDeliveryControl({
      concurrency: 4,
      adaptive: true,
      mode: 'shared',
      now: clock.now,
      sleep: clock.sleep,
    });
    // Slow start: one request at a time. A is on the wire, B waits for its answer.
    const a = await control.beforeSend(60_000);
    expect(a.kind).toBe('send');
    let b: string | undefined;
    void control.beforeSend(60_000).then((t) => (b = t.kind));
    // B looks again every 50 ms for a slow upstream's 200 ms; its next look is never due after that.
    await clock.run(200);
    expect(b).toBeUndefined();
    // Each look used to leave an entry behind (unbounded while the upstream is slow), and this
    // answer woke the oldest, stale one instead of B.
    control.afterSend({ ok: true, status: 200 }, 200, a as Extract<typeof a, { kind: 'send' }>);
    await new Promise((r) => setImmediate(r));
    expect(b).toBe('send');
  });
});

describe('exact rate cap', () => {
  it('pacing plan: c containers of ⌊R/c⌋ each, as much of R as identical containers can take', () => {
    expect(pacingPlan(30, 4)).toEqual({ containers: 3, perContainer: 10 });
    expect(pacingPlan(100, 10)).toEqual({ containers: 10, perContainer: 10 });
    expect(pacingPlan(25, 3)).toEqual({ containers: 3, perContainer: 8 });
    expect(pacingPlan(5, 1, 1)).toEqual({ containers: 1, perContainer: 5 });
    expect(pacingPlan(1, 4)).toEqual({ containers: 2, perContainer: 0.5 });
  });
  it('dev: one shared pacer over 4 slots at --rate 30: no second above 30, average ≥ 28.5', async () => {
    const clock = virtualClock();
    const shared = createSharedPacer(30, clock.now, clock.sleep);
    const starts = await paced([shared, shared, shared, shared], clock, 20_000);
    expect(busiestSecond(starts)).toBeLessThanOrEqual(30);
    expect(starts.length / 20).toBeGreaterThanOrEqual(28.5);
  });
  it('the old law, four pacers at R/C each, breaks the cap (what the shared one fixes)', async () => {
    const clock = virtualClock();
    const { createIntervalPacer } = await import('../../src/handlers/control/rate.js');
    // Phases as four independent containers happen to start them.
    const pacers = [0, 1, 2, 3].map(() => createIntervalPacer(1000 / 7.5, Infinity, clock.now, clock.sleep));
    const starts = await paced(pacers, clock, 20_000);
    expect(busiestSecond(starts)).toBeGreaterThan(30);
  });
  it("Lambda: deliver's own control per container (createDeliveryControl, container mode) holds the cap with the plan's containers", async () => {
    const clock = virtualClock();
    const plan = pacingPlan(30, 4);
    // What createDeliverHandler builds for each container from WP_RATE=30, WP_CONCURRENCY=4.
    const controls = Array.from({ length: plan.containers }, () =>
      createDeliveryControl({
        concurrency: 4,
        rate: 30,
        adaptive: false,
        mode: 'container',
        now: clock.now,
        sleep: clock.sleep,
      }),
    );
    const starts: number[] = [];
    let stop = false;
    const loops = controls.map(async (c) => {
      while (!stop) {
        const ticket = await c.beforeSend(60_000);
        if (stop || ticket.kind !== 'send') break;
        starts.push(clock.now());
        await clock.sleep(7);
        c.afterSend({ ok: true, status: 200 }, 7, ticket);
      }
    });
    await clock.run(20_000);
    stop = true;
    void loops;
    const seen = starts.filter((x) => x < 20_000);
    expect(busiestSecond(seen)).toBeLessThanOrEqual(30);
    expect(seen.length / 20).toBeGreaterThanOrEqual(28.5);
  });
  it('Lambda: C simulated containers, each with its own pacer under the plan: no second above 30, average ≥ 28.5', async () => {
    const clock = virtualClock();
    const plan = pacingPlan(30, 4);
    // Containers start at arbitrary moments, as the event source mapping scales them out.
    const pacers = Array.from({ length: plan.containers }, () =>
      createContainerPacer(30, 4, 2, clock.now, clock.sleep),
    );
    const starts = await paced(pacers, clock, 20_000, 7);
    expect(busiestSecond(starts)).toBeLessThanOrEqual(30);
    expect(starts.length / 20).toBeGreaterThanOrEqual(28.5);
  });
});
