/**
 * An upstream outage sends nothing to the DLQ (issue 14): the upstream refuses connections while 200
 * webhooks are queued with --max-attempts 3; none is dead-lettered, all are delivered once it is back,
 * and meanwhile it is tried about once a second (the breaker's probe), not 200 × 3 times.
 *
 * Scaled: the outage lasts OUTAGE_S = 20 s, not 60. Nothing in the breaker depends on the outage's
 * length (it opens after 5 outage answers in a row, then probes once a second until an answer comes),
 * so 20 probe periods test the same law as 60 and keep the run short on a shared machine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closedPort } from '../helpers/net.js';
import { startUpstreamOn } from '../helpers/upstream.js';
import { blast, startDev, type DevProcess } from './dev-harness.js';

const OUTAGE_S = 20;
const WEBHOOKS = 200;
let dev: DevProcess | undefined;
let upstream: Awaited<ReturnType<typeof startUpstreamOn>> | undefined;

afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
});

describe('dev: an upstream outage', () => {
  it(
    'holds every webhook through it, dead-letters none, probes about once a second, delivers all after',
    async () => {
      const port = await closedPort();
      dev = await startDev([
        '--upstream',
        `http://127.0.0.1:${port}/hooks`,
        '--concurrency',
        '4',
        '--max-attempts',
        '3',
        '--backoff-base',
        '0.2',
        '--backoff-max',
        '1',
      ]);
      const sent = await blast(
        dev.url,
        Array.from({ length: WEBHOOKS }, (_x, i) => ({ body: `{"n":${i}}` })),
        20,
      );
      expect(sent.every((a) => a.status === 200)).toBe(true);
      const started = Date.now();
      await dev.waitFor((e) => e.event === 'outage', 1, 10_000);
      await new Promise((r) => setTimeout(r, OUTAGE_S * 1000 - (Date.now() - started)));

      // Every attempt during the outage: the ones before the breaker opened (at most its streak of
      // 5, plus what the 4 slots had on the wire) and then one probe a second.
      const attempts = dev.events.filter((e) => e.event === 'retry' || e.event === 'dead-lettered');
      expect(dev.events.filter((e) => e.event === 'dead-lettered')).toEqual([]);
      expect(attempts.length).toBeLessThanOrEqual(5 + 4 + OUTAGE_S * 1.2);
      expect(attempts.length).toBeGreaterThanOrEqual(OUTAGE_S / 2); // it did keep probing

      upstream = await startUpstreamOn(port);
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
