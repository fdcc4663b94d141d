/**
 * The stall detector on its own (src/proxy/stall.ts): readings that show nothing leaving the queue
 * while delivery is enabled, CloudWatch minutes with no deletion, and what clears the verdict.
 */
import { describe, expect, it } from 'vitest';
import { quietFromMetrics, StallTracker, stallNextCommand } from '../../src/proxy/stall.js';

const reading = (t: number, depth: number, o: { enabled?: boolean; dlq?: number } = {}) => ({
  t: t * 1000,
  depth,
  enabled: o.enabled ?? true,
  dlq: o.dlq ?? 0,
});

describe('StallTracker from readings', () => {
  it('fires once the depth has not gone down for the whole window, with delivery enabled', () => {
    const tr = new StallTracker(60);
    for (let t = 0; t <= 50; t += 10) tr.observe(reading(t, 40));
    expect(tr.verdict()).toBeUndefined();
    tr.observe(reading(60, 41)); // more came in, nothing left
    expect(tr.verdict()).toEqual({ seconds: 60, basis: 'readings' });
  });

  it('stays quiet on a queue that drains, however slowly', () => {
    const tr = new StallTracker(60);
    for (let t = 0; t <= 600; t += 10) {
      tr.observe(reading(t, 1000 - t / 10));
      expect(tr.verdict()).toBeUndefined();
    }
  });

  it('counts what went to the DLQ as not delivered', () => {
    const tr = new StallTracker(60);
    for (let t = 0, dlq = 0; t <= 60; t += 10, dlq++) tr.observe(reading(t, 40 - dlq, { dlq }));
    expect(tr.verdict()?.basis).toBe('readings');
  });

  it('says nothing while paused, or once the queue is empty, and starts over after', () => {
    const tr = new StallTracker(60);
    for (let t = 0; t <= 100; t += 10) tr.observe(reading(t, 40, { enabled: false }));
    expect(tr.verdict()).toBeUndefined();
    tr.observe(reading(110, 40));
    expect(tr.verdict()).toBeUndefined();
    tr.observe(reading(170, 40));
    expect(tr.verdict()).toEqual({ seconds: 60, basis: 'readings' });
    tr.observe(reading(180, 0));
    expect(tr.verdict()).toBeUndefined();
  });

  it('is cleared by a CloudWatch deletion after the readings began (as much came in as went out)', () => {
    const tr = new StallTracker(60);
    tr.observe(reading(0, 40), { points: [], oldestAgeSeconds: null });
    tr.observe(reading(90, 40), { points: [{ t: 20_000, deleted: 15 }], oldestAgeSeconds: 30 });
    // The last delivery CloudWatch knows of ended at 80 s: 10 s of nothing since.
    expect(tr.verdict()).toBeUndefined();
  });
});

describe('quietFromMetrics', () => {
  const now = 10 * 60_000;
  const minute = (m: number, deleted: number) => ({ t: m * 60_000, deleted });

  it('measures from the first empty minute after the last delivery', () => {
    const points = [minute(3, 12), minute(4, 0), minute(5, 0), minute(6, 0)];
    expect(quietFromMetrics(points, now, null)).toBe(6 * 60);
    // A webhook that has waited 2 minutes has not been waiting for 6.
    expect(quietFromMetrics(points, now, 120)).toBe(120);
  });

  it('is no evidence without points, or when the newest point delivered', () => {
    expect(quietFromMetrics([], now, 600)).toBeUndefined();
    expect(quietFromMetrics([minute(8, 0), minute(9, 4)], now, 600)).toBeUndefined();
  });

  it('feeds the tracker: zero minutes from CloudWatch are a stall on their own', () => {
    const tr = new StallTracker(120);
    tr.observe(reading(600, 40), {
      points: [minute(5, 0), minute(6, 0), minute(7, 0)],
      oldestAgeSeconds: 900,
    });
    expect(tr.verdict()).toEqual({ seconds: 300, basis: 'cloudwatch' });
  });
});

it('names the next command with the proxy and its region', () => {
  expect(stallNextCommand('stripe', 'eu-west-1')).toBe(
    'webhook-proxy logs stripe --region eu-west-1 --failed',
  );
});
