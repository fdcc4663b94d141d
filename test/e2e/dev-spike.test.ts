/**
 * A spike through the built `webhook-proxy dev`: thousands of webhooks from dozens of concurrent
 * senders are all accepted at once; the upstream never has more than --concurrency requests in flight;
 * every webhook arrives exactly once, byte for byte (hashes), whatever its content type.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, startUpstream } from '../helpers/upstream.js';
import { blast, startDev, type DevProcess } from './dev-harness.js';

const WEBHOOKS = 3000;
const SENDERS = 40;
const CONCURRENCY = 4;

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dev: DevProcess;

beforeAll(async () => {
  // A few milliseconds per request, so deliveries overlap and the cap is actually exercised.
  upstream = await startUpstream(async (_r, res) => {
    await new Promise((r) => setTimeout(r, 1 + Math.random() * 3));
    res.end('ok');
  });
  dev = await startDev(['--upstream', `${upstream.url}/hooks`, '--concurrency', String(CONCURRENCY)]);
});

afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
});

function webhook(i: number) {
  const kind = i % 3;
  if (kind === 0) {
    const body = JSON.stringify({
      type: 'email.delivered',
      n: i,
      note: 'ünïcødé ✓',
      pad: 'x'.repeat(i % 500),
    });
    return { body, headers: { 'content-type': 'application/json' }, path: `/sendgrid/${i}` };
  }
  if (kind === 1) {
    return {
      body: `MessageSid=SM${i}&Body=${encodeURIComponent('hi & bye ✓')}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
  }
  // Arbitrary bytes (invalid UTF-8 included): they must travel base64 and arrive unchanged.
  return { body: randomBytes(64 + (i % 2000)), headers: { 'content-type': 'application/octet-stream' } };
}

describe('dev under a spike', () => {
  it('accepts every webhook, delivers each exactly once and intact, never above --concurrency', async () => {
    const webhooks = Array.from({ length: WEBHOOKS }, (_x, i) => webhook(i));
    const answers = await blast(dev.url, webhooks, SENDERS);

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const ids = answers.map((a) => a.id!);
    expect(new Set(ids).size).toBe(WEBHOOKS);
    const expectedHash = new Map(ids.map((id, i) => [id, sha256(webhooks[i]!.body)]));

    const delivered = await dev.waitFor((e) => e.event === 'delivered', WEBHOOKS, 90_000);
    expect(new Set(delivered.map((e) => e.id)).size).toBe(WEBHOOKS);

    const byId = new Map<string, number>();
    for (const r of upstream.received) {
      const id = String(r.headers['x-webhook-proxy-id']);
      byId.set(id, (byId.get(id) ?? 0) + 1);
      expect(r.sha256, id).toBe(expectedHash.get(id));
      expect(r.headers['x-webhook-proxy-attempt']).toBe('1');
    }
    expect(upstream.received).toHaveLength(WEBHOOKS);
    expect([...byId.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(byId.keys())).toEqual(new Set(ids));

    expect(upstream.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    // More than one at a time, or the cap above proves nothing.
    expect(upstream.maxInFlight).toBeGreaterThan(1);
    expect(dev.events.filter((e) => e.event === 'retry' || e.event === 'dead-lettered')).toEqual([]);
  });

  it('says at stop that nothing is left, and exits 0', async () => {
    expect(await dev.stop('SIGINT')).toBe(0);
    expect(dev.events.at(-1)).toMatchObject({ event: 'stopped', queued: 0, deadLettered: 0, lost: false });
    expect(dev.stderr()).toContain('Webhooks are kept on disk');
  });
});
