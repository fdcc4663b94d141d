/**
 * --rate through the built `webhook-proxy dev`: a burst arrives at once, the upstream sees it spread
 * out. No one-second window at the upstream holds more than R (plus a small tolerance), and the
 * average over the run is close to R.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream } from '../helpers/upstream.js';
import { blast, startDev, type DevProcess } from './dev-harness.js';

const RATE = 25;
const CONCURRENCY = 3;
const WEBHOOKS = 150; // about 6 s at 25/s

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dev: DevProcess;
const arrivals: number[] = [];

beforeAll(async () => {
  upstream = await startUpstream((_r, res) => {
    arrivals.push(performance.now());
    res.end('ok');
  });
  dev = await startDev([
    '--upstream',
    upstream.url,
    '--rate',
    String(RATE),
    '--concurrency',
    String(CONCURRENCY),
  ]);
});

afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
});

/** The most arrivals in any window [t, t + 1 s) starting at an arrival. */
function busiestSecond(times: number[]): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while (j < times.length && times[j]! < times[i]! + 1000) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe('dev --rate', () => {
  it('keeps every one-second window at or under the rate, and the average close to it', async () => {
    const answers = await blast(
      dev.url,
      Array.from({ length: WEBHOOKS }, (_x, i) => ({
        body: `{"n":${i}}`,
        headers: { 'content-type': 'application/json' },
      })),
      20,
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await dev.waitFor((e) => e.event === 'delivered', WEBHOOKS, 30_000);

    expect(arrivals).toHaveLength(WEBHOOKS);
    // Each of the C invocations paces itself at R / C; their phases are independent, so a window can
    // catch one extra request per invocation at its edge: that is the tolerance.
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(RATE + CONCURRENCY);
    const average = (arrivals.length - 1) / ((arrivals.at(-1)! - arrivals[0]!) / 1000);
    expect(average).toBeGreaterThan(RATE * 0.85);
    expect(average).toBeLessThanOrEqual(RATE * 1.05);
  });
});
