/**
 * An upstream outage sends nothing to the DLQ (issue 14): for 60 s every connection to the upstream
 * is reset, while 200 webhooks are queued with --max-attempts 3; none is dead-lettered, all are
 * delivered once it is back, and meanwhile it is tried about once a second (the breaker's probe), not
 * 200 × 3 times. Attempts are counted where they land, at the TCP level: a server we control that
 * takes each connection and resets it, then gives its port to the real upstream.
 *
 * The backoff is tiny (0.2 s, at most 1 s) on purpose: without the breaker every webhook would spend
 * its three attempts within seconds and the DLQ would hold all 200, so this test can fail.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { resettingServer } from '../helpers/net.js';
import { startUpstreamOn } from '../helpers/upstream.js';
import { blast, startDev, type DevProcess } from './dev-harness.js';

const OUTAGE_S = 60;
const WEBHOOKS = 200;
let dev: DevProcess | undefined;
let upstream: Awaited<ReturnType<typeof startUpstreamOn>> | undefined;

afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
});

describe('dev: an upstream outage', () => {
  it(
    'holds every webhook through 60 s of resets, dead-letters none, probes about once a second, delivers all after',
    async () => {
      const down = await resettingServer();
      dev = await startDev([
        '--upstream',
        `http://127.0.0.1:${down.port}/hooks`,
        '--concurrency',
        '4',
        '--max-attempts',
        '3',
        '--backoff-base',
        '0.2',
        '--backoff-max',
        '1',
      ]);
      const started = performance.now();
      const sent = await blast(
        dev.url,
        Array.from({ length: WEBHOOKS }, (_x, i) => ({ body: `{"n":${i}}` })),
        20,
      );
      expect(sent.every((a) => a.status === 200)).toBe(true);
      await dev.waitFor((e) => e.event === 'outage', 1, 10_000);
      const opened = performance.now();
      await new Promise((r) => setTimeout(r, OUTAGE_S * 1000 - (performance.now() - started)));
      await down.close();
      const ended = performance.now();

      expect(dev.events.filter((e) => e.event === 'dead-lettered')).toEqual([]);
      // Before the breaker opened: its streak of 5, what the 4 slots had on the wire, and what went out
      // while its event reached this process (stdout, a 20 ms poll): a handful, never 200 × 3. After:
      // one probe a second, so about one connection per second of the outage, and never a burst.
      const before = down.arrivals.filter((t) => t < opened).length;
      const after = down.arrivals.filter((t) => t >= opened + 100);
      expect(before).toBeLessThanOrEqual(5 + 4 + 4);
      const seconds = (ended - opened) / 1000;
      expect(after.length).toBeLessThanOrEqual(Math.ceil(seconds * 1.1) + 1);
      expect(after.length).toBeGreaterThanOrEqual(seconds / 2); // it did keep probing
      for (const t of after) {
        // Any 5-second stretch of the open breaker: at most about 5 attempts.
        expect(after.filter((u) => u >= t && u < t + 5000).length).toBeLessThanOrEqual(6);
      }

      upstream = await startUpstreamOn(down.port);
      await dev.waitFor((e) => e.event === 'recovered', 1, 10_000);
      const delivered = await dev.waitFor((e) => e.event === 'delivered', WEBHOOKS, 60_000);
      expect(new Set(delivered.map((e) => e.id)).size).toBe(WEBHOOKS);
      expect(new Set(upstream.received.map((r) => r.body.toString())).size).toBe(WEBHOOKS);
      expect(dev.events.filter((e) => e.event === 'dead-lettered')).toEqual([]);
      // Recovery ramps up (slow start), it does not open at the ceiling: the first answers come one at a time.
      expect(upstream.maxInFlight).toBeLessThanOrEqual(4);
    },
    OUTAGE_S * 1000 + 90_000,
  );
});
