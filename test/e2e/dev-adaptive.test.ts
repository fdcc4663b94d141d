/**
 * `dev --adaptive --concurrency 16` against an upstream with a capacity (issue 14): 4 requests served
 * at once in 20 ms each, the rest wait in line, and past 10 inside it answers 503
 * (bench/adaptive.mjs, the same scenario `npm run bench` reports). In the same run the built CLI's
 * `dev` is swept at static --concurrency 1, 2, 4, 8, 16; every assertion is a ratio to what this run
 * measured (goodput to the best static setting, p99 to the static-1 run's median latency), never a
 * wall-clock figure. Then the upstream's capacity halves (2 workers, 503 past 5) and the adaptive
 * proxy must follow within 10 s. About a minute.
 *
 * Not in the default `npm test`: on a shared 2-core machine the goodput (≥ 0.9 of best) and p99 (< 2×)
 * bars pull against each other near the law's threshold and each missed once in several runs, so in CI
 * it would fail on load, not on the law. `npm run test:adaptive` runs it (quiet machine); `npm run bench`
 * reports the same scenario's figures every time.
 */
import { describe, expect, it } from 'vitest';
import { adaptiveScenario, type AdaptiveResult } from '../../bench/adaptive.mjs';
import { ensureBuilt } from './dev-harness.js';

const enabled = process.env.WP_TEST_ADAPTIVE === '1';
if (!enabled) console.warn('dev-adaptive: skipped (set WP_TEST_ADAPTIVE=1 or run "npm run test:adaptive")');

describe.runIf(enabled)('dev --adaptive against an upstream with a capacity', () => {
  it('finds the capacity: ≥ 90 % of the best static goodput, < 2 % 503s, p99 < 2× unloaded p99; follows a halving within 10 s', async () => {
    await ensureBuilt();
    const r: AdaptiveResult = await adaptiveScenario();
    const summary = JSON.stringify(
      { ratios: r.ratios, best: r.best, unloadedMs: r.unloadedMs, adaptive: r.adaptive },
      null,
      1,
    );
    // Every window measured the proxy, not an empty queue.
    for (const s of [...r.sweep, r.adaptive]) expect(s.saturated, `${s.args}: backlog drained`).toBe(true);
    expect(r.adaptive.halved.saturated).toBe(true);
    // The sweep found a real optimum: past the capacity, static settings lose goodput to 503s.
    expect(r.best.concurrency).toBeGreaterThan(1);
    // …and the ceiling alone, static, breaks at least one bar --adaptive must keep: they can fail.
    const ceiling = r.sweep.find((s) => s.concurrency === 16)!;
    expect(
      ceiling.share503 >= 0.02 ||
        ceiling.p99Ms / r.unloadedP99Ms >= 2 ||
        ceiling.goodputPerS / r.best.goodputPerS < 0.9,
      summary,
    ).toBe(true);
    expect(r.adaptive.goodputPerS / r.best.goodputPerS, summary).toBeGreaterThanOrEqual(0.9);
    expect(r.adaptive.share503WholeRun, summary).toBeLessThan(0.02);
    // p99 against the unloaded run's p99: both carry the machine's scheduling noise (a 20 ms answer
    // comes back in 30+ ms now and then on a shared VM even one at a time), so like is compared with
    // like; the median says the queue at the upstream stays short.
    expect(r.adaptive.p99Ms / r.unloadedP99Ms, summary).toBeLessThan(2);
    // The law aims the median at up to 1.5× the fastest round trip (aimd.ts): under 2× it is queueing
    // less than one service time, where the static ceiling queues several.
    expect(r.adaptive.p50Ms / r.unloadedMs, summary).toBeLessThan(2);
    // The halving: from some second ≤ 10 on, no second has 2 % 503s or more and the p99 of those
    // seconds pooled is under 2× the unloaded p99; and the proxy still uses most of what is left.
    expect(r.adaptive.halved.followS, summary).not.toBeNull();
    expect(r.adaptive.halved.followS!, summary).toBeLessThanOrEqual(10);
    expect(r.adaptive.halved.tail.goodputPerS / (r.best.goodputPerS / 2), summary).toBeGreaterThanOrEqual(
      0.8,
    );
  }, 240_000);
});
