/**
 * --rate through the built `webhook-proxy dev`: a burst arrives at once, the upstream sees it spread
 * out. No one-second window at the upstream holds more than R, and the average over the run is at
 * least 0.95 R (issue 14: at --rate 30 --concurrency 4; before, four pacers at R/C let 35 through
 * in one second). The Lambda side of the same cap is in test/unit/control.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream } from '../helpers/upstream.js';
import { blast, startDev, type DevProcess } from './dev-harness.js';

const RATE = 30;
const CONCURRENCY = 4;
const WEBHOOKS = 180; // about 6 s at 30/s

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dev: DevProcess;
const arrivals: number[] = [];

beforeAll(async () => {
  upstream = await startUpstream((_r, res) => {
    res.end('ok');
  });
  // When the request line arrives, before its body is read: the test process is busy sending the
  // burst at the same time, and a later stamp would measure its own event loop, not the proxy.
  upstream.server.prependListener('request', () => arrivals.push(performance.now()));
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
    const blastDone = performance.now();
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await dev.waitFor((e) => e.event === 'delivered', WEBHOOKS, 30_000);

    expect(arrivals).toHaveLength(WEBHOOKS);
    // One pacer shared by the C slots (src/handlers/control/rate.ts): no tolerance. Windows are read
    // once the burst is sent: this process is the sender and the upstream, and while it sends 180
    // webhooks from 20 connections its event loop stamps arrivals late, in clumps (seen: 6 in 70 ms at
    // the upstream while the proxy's own log held 1 per 34 ms); about 5 s of windows remain.
    const settled = arrivals.filter((t) => t > blastDone + 100);
    expect(settled.length).toBeGreaterThan(WEBHOOKS / 2);
    expect(busiestSecond(settled)).toBeLessThanOrEqual(RATE);
    const average = (arrivals.length - 1) / ((arrivals.at(-1)! - arrivals[0]!) / 1000);
    expect(average).toBeGreaterThanOrEqual(RATE * 0.95);
    expect(average).toBeLessThanOrEqual(RATE * 1.05);
  });
});
