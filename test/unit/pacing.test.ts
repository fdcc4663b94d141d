import { describe, expect, it } from 'vitest';
import { backoffSeconds, createPacer } from '../../src/handlers/pacing.js';
import { parseRetryAfter } from '../../src/handlers/upstream.js';

const settings = { backoffBase: 5, backoffMax: 900 };

describe('backoff', () => {
  it('doubles from the base to the cap', () => {
    const mid = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((a) => backoffSeconds(a, settings, undefined, mid))).toEqual([
      5, 10, 20, 40, 80, 160, 320, 640, 900, 900,
    ]);
  });
  it('jitters within ±20 % and never past the cap', () => {
    expect(backoffSeconds(1, settings, undefined, () => 0)).toBe(4);
    expect(backoffSeconds(1, settings, undefined, () => 1)).toBeCloseTo(6, 9);
    expect(backoffSeconds(20, settings, undefined, () => 1)).toBe(900);
  });
  it('the defaults give about 36 minutes of retries before the DLQ (DESIGN.md)', () => {
    const total = [1, 2, 3, 4, 5, 6, 7, 8, 9].reduce(
      (s, a) => s + backoffSeconds(a, settings, undefined, () => 0.5),
      0,
    );
    expect(total).toBe(2175);
  });
  it('takes Retry-After as a floor, up to SQS’s 12 hours', () => {
    expect(backoffSeconds(1, settings, 120, () => 0.5)).toBe(120);
    expect(backoffSeconds(1, settings, 2, () => 0.5)).toBe(5);
    expect(backoffSeconds(1, settings, 999_999, () => 0.5)).toBe(43_200);
  });
  it('parses Retry-After seconds and dates', () => {
    const now = Date.parse('2026-11-25T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Wed, 25 Nov 2026 00:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('pacer', () => {
  it('spaces reservations by the interval on a virtual clock', () => {
    let t = 1000;
    const pacer = createPacer(250, () => t);
    expect(pacer.reserve()).toBe(0);
    expect(pacer.reserve()).toBe(250);
    expect(pacer.reserve()).toBe(500);
    t += 2000; // idle: no debt carried over
    expect(pacer.reserve()).toBe(0);
    expect(pacer.peek()).toBe(250);
  });
});
