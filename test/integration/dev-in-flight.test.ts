/**
 * `dev`'s "in flight" is the requests on the wire, never more than --concurrency: a deliver
 * invocation takes a batch of up to 10 and sends it one record after another, so counting every
 * record handed out showed 18 "in flight" at --concurrency 2. The runtime in-process, a real slow
 * upstream on 127.0.0.1, the dashboard's snapshot sampled while the spike drains.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDev, type DevRuntime } from '../../src/local/runtime.js';
import { startUpstream } from '../helpers/upstream.js';

let runtime: DevRuntime | undefined;
let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
afterEach(async () => {
  await runtime?.stop();
  await upstream?.close();
});

describe('dev in flight', () => {
  it('at --concurrency 2 with a slow upstream: in flight ≤ 2, the rest counted as queued', async () => {
    upstream = await startUpstream(async (_r, res) => {
      await new Promise((r) => setTimeout(r, 150));
      res.end('ok');
    });
    runtime = await startDev(
      {
        upstream: upstream.url,
        host: '127.0.0.1',
        port: 0,
        concurrency: 2,
        maxAttempts: 5,
        backoffBase: 0.1,
        backoffMax: 1,
        timeout: 5,
        batchSize: 10,
        preservePath: false,
        responseStatus: 200,
      },
      () => undefined,
    );
    const total = 24;
    await Promise.all(
      Array.from({ length: total }, (_x, i) =>
        fetch(runtime!.url, { method: 'POST', body: `{"n":${i}}` }).then((r) => r.text()),
      ),
    );
    const seen: { inFlight: number; queued: number; delivered: number }[] = [];
    for (let i = 0; i < 400; i++) {
      const s = await runtime.snapshot();
      seen.push({ inFlight: s.inFlight, queued: s.queued, delivered: s.delivered });
      if (s.delivered === total) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(seen.at(-1)!.delivered).toBe(total);
    expect(Math.max(...seen.map((s) => s.inFlight))).toBeLessThanOrEqual(2);
    // It did count what was on the wire (not 0 throughout), and what waited was queued, not lost.
    expect(seen.some((s) => s.inFlight === 2)).toBe(true);
    for (const s of seen) expect(s.inFlight + s.queued + s.delivered).toBeLessThanOrEqual(total);
    expect(seen.some((s) => s.queued > 0 && s.inFlight > 0)).toBe(true);
    expect(upstream.maxInFlight).toBeLessThanOrEqual(2);
  });
});
