/**
 * A flaky upstream behind the built `webhook-proxy dev`: 503s that clear up, responses slower than
 * --timeout, and a set of webhooks that always fail. The healthy ones all arrive; the failing ones are
 * dead-lettered after exactly --max-attempts; delivered + dead-lettered = sent, with no overlap.
 * Sub-second backoff (a dev-only allowance) keeps the retries fast.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type Received } from '../helpers/upstream.js';
import { blast, startDev, type DevProcess } from './dev-harness.js';

const MAX_ATTEMPTS = 4;
const CONCURRENCY = 3;
const MIX = { ok: 60, flaky: 20, slow: 10, dead: 10 };

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dev: DevProcess;

/** What each kind of webhook gets from the upstream, by its attempt number (1-based). */
async function respond(r: Received, res: ServerResponse) {
  const { kind } = JSON.parse(r.body.toString()) as { kind: keyof typeof MIX };
  const attempt = Number(r.headers['x-webhook-proxy-attempt']);
  if (kind === 'flaky' && attempt <= 2) {
    res.statusCode = 503;
    res.end('busy');
  } else if (kind === 'slow' && attempt === 1) {
    // Far beyond --timeout 0.4: the proxy gives up, and tries again later.
    setTimeout(() => res.end('too late'), 1500);
  } else if (kind === 'dead') {
    res.statusCode = 500;
    res.end('broken');
  } else {
    res.end('ok');
  }
}

beforeAll(async () => {
  upstream = await startUpstream(respond);
  dev = await startDev([
    '--upstream',
    upstream.url,
    '--concurrency',
    String(CONCURRENCY),
    '--max-attempts',
    String(MAX_ATTEMPTS),
    '--backoff-base',
    '0.05',
    '--backoff-max',
    '0.3',
    '--timeout',
    '0.4',
  ]);
});

afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
});

describe('dev with a flaky upstream', () => {
  it('delivers every healthy webhook and dead-letters the failing ones after --max-attempts', async () => {
    const webhooks = Object.entries(MIX).flatMap(([kind, n]) =>
      Array.from({ length: n }, (_x, i) => ({
        kind,
        body: JSON.stringify({ kind, i }),
        headers: { 'content-type': 'application/json' },
      })),
    );
    const answers = await blast(dev.url, webhooks, 10);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const kindOf = new Map(answers.map((a, i) => [a.id!, webhooks[i]!.kind]));
    const sent = webhooks.length;

    const healthy = MIX.ok + MIX.flaky + MIX.slow;
    const delivered = await dev.waitFor((e) => e.event === 'delivered', healthy, 60_000);
    const dead = await dev.waitFor((e) => e.event === 'dead-lettered', MIX.dead, 60_000);
    // Settled: nothing more comes after everything is accounted for.
    await new Promise((r) => setTimeout(r, 500));
    const all = (name: string) => dev.events.filter((e) => e.event === name);
    expect(all('delivered')).toHaveLength(healthy);
    expect(all('dead-lettered')).toHaveLength(MIX.dead);

    const deliveredIds = new Set(delivered.map((e) => e.id!));
    const deadIds = new Set(dead.map((e) => e.id!));
    expect(deliveredIds.size + deadIds.size).toBe(sent);
    expect([...deliveredIds].filter((id) => deadIds.has(id))).toEqual([]);
    expect([...deadIds].every((id) => kindOf.get(id) === 'dead')).toBe(true);
    expect(dead.every((e) => e.attempts === MAX_ATTEMPTS)).toBe(true);

    for (const e of delivered) {
      const kind = kindOf.get(e.id!);
      if (kind === 'ok') expect(e.attempt).toBe(1);
      if (kind === 'flaky') expect(e.attempt).toBe(3);
      if (kind === 'slow') expect(e.attempt).toBe(2);
    }
    // The retries said why, and the upstream saw each dead webhook exactly --max-attempts times.
    const retries = all('retry');
    expect(retries.some((e) => e.status === 503)).toBe(true);
    expect(retries.some((e) => /timed out/.test(String(e.error)))).toBe(true);
    expect(retries.every((e) => Number(e.retryInSeconds) <= 0.3)).toBe(true);
    for (const id of deadIds) {
      const attempts = upstream.received
        .filter((r) => r.headers['x-webhook-proxy-id'] === id)
        .map((r) => r.headers['x-webhook-proxy-attempt']);
      expect(attempts).toEqual(['1', '2', '3', '4']);
    }
    expect(upstream.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('counts the dead-lettered webhooks in the stop, not only the queued ones', async () => {
    expect(await dev.stop()).toBe(0);
    expect(dev.events.at(-1)).toMatchObject({ event: 'stopped', queued: 0, lost: false });
    // The dead-lettered ones are still there, in the DLQ on disk.
    expect(dev.events.at(-1)!.deadLettered).toBe(
      dev.events.filter((e) => e.event === 'dead-lettered').length,
    );
  });
});
