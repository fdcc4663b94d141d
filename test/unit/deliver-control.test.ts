/**
 * deliver with its delivery control: which answers reach the DLQ and when, the attempts it counts
 * itself (envelope.attempts + receive count), holds through an outage that count nothing, and
 * --retry-window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, decodeEnvelope, encodeEnvelope } from '../../src/envelope.js';
import { createDeliveryControl } from '../../src/handlers/control/index.js';
import { createDeliverHandler, type DeliveryEvent } from '../../src/handlers/deliver.js';
import type { QueuePort, SendOptions } from '../../src/handlers/ports.js';
import { sqsEvent, sqsRecord } from '../helpers/events.js';
import { closedPort } from '../helpers/net.js';
import { startUpstream, type Responder } from '../helpers/upstream.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const webhook = (body: string, over: { receivedAt?: string; attempts?: number } = {}) => {
  const e = createEnvelope({
    method: 'POST',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    cookies: [],
    sourceIp: '203.0.113.7',
    host: 'hooks.example.com',
    protocol: 'https',
    body: Buffer.from(body),
    ...(over.receivedAt ? { receivedAt: over.receivedAt } : {}),
  });
  return over.attempts === undefined ? e : { ...e, attempts: over.attempts };
};

function port() {
  const sent: { body: string; options?: SendOptions }[] = [];
  const dead: string[] = [];
  const hidden: { receiptHandle: string; seconds: number }[] = [];
  const queue: QueuePort = {
    async send(body, options) {
      sent.push({ body, options });
    },
    async changeVisibility(receiptHandle, seconds) {
      hidden.push({ receiptHandle, seconds });
    },
    async deadLetter(body) {
      dead.push(body);
    },
  };
  return { queue, sent, dead, hidden };
}

async function setup(upstreamUrl: string, extra: { maxAttempts?: number; retryWindowSeconds?: number } = {}) {
  const p = port();
  const events: DeliveryEvent[] = [];
  const control = createDeliveryControl({ concurrency: 2, adaptive: false, mode: 'shared', tripAfter: 3 });
  const handler = createDeliverHandler({
    queue: p.queue,
    config: {
      upstream: upstreamUrl,
      preservePath: false,
      timeoutSeconds: 2,
      concurrency: 2,
      backoffBase: 5,
      backoffMax: 900,
      maxAttempts: extra.maxAttempts ?? 10,
      ...(extra.retryWindowSeconds ? { retryWindowSeconds: extra.retryWindowSeconds } : {}),
    },
    log: (e) => events.push(e),
    control,
  });
  return { ...p, events, handler, control };
}

async function upstreamWith(respond: Responder) {
  const u = await startUpstream(respond);
  closers.push(u.close);
  return u;
}

describe('deliver: retry classes', () => {
  for (const status of [400, 401, 403, 404, 410, 422]) {
    it(`HTTP ${status} is retried, then dead-lettered on the third attempt, body unchanged`, async () => {
      const u = await upstreamWith((_r, res) => ((res.statusCode = status), res.end()));
      const s = await setup(u.url);
      const body = encodeEnvelope(webhook('{"a":1}'));
      const r2 = await s.handler(sqsEvent([sqsRecord(body, { attempt: 2, messageId: 'm2' })]));
      expect(r2.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
      const r3 = await s.handler(sqsEvent([sqsRecord(body, { attempt: 3, messageId: 'm3' })]));
      expect(r3.batchItemFailures).toEqual([]); // the mapping deletes it: it is in the DLQ
      expect(s.dead).toEqual([body]);
      expect(s.events.at(-1)).toMatchObject({ event: 'dead-lettered', attempts: 3 });
    });
  }
  for (const status of [429, 500, 502, 503, 504]) {
    it(`HTTP ${status} is retried past the third attempt, dead-lettered only at --max-attempts`, async () => {
      // The upstream serves other webhooks meanwhile: it is this one it refuses, not an outage (a
      // 502/503/504 streak with nothing else is one, and is held instead: the outage tests).
      const u = await upstreamWith(
        (r, res) => ((res.statusCode = r.body.toString() === 'x' ? status : 200), res.end()),
      );
      const s = await setup(u.url, { maxAttempts: 5 });
      const body = encodeEnvelope(webhook('x'));
      const other = encodeEnvelope(webhook('other'));
      for (const attempt of [3, 4]) {
        const r = await s.handler(
          sqsEvent([sqsRecord(other), sqsRecord(body, { attempt, messageId: `m${attempt}` })]),
        );
        expect(r.batchItemFailures).toEqual([{ itemIdentifier: `m${attempt}` }]); // back off, retry
      }
      expect(s.dead).toEqual([]);
      expect(s.hidden.length).toBe(2);
      expect(s.hidden.every((h) => h.seconds > 0)).toBe(true);
      await s.handler(sqsEvent([sqsRecord(other), sqsRecord(body, { attempt: 5 })]));
      expect(s.dead).toEqual([body]);
    });
  }
  it('a timeout is retried past the third attempt, dead-lettered only at --max-attempts', async () => {
    const u = await upstreamWith(() => {}); // never answers: deliver gives up after --timeout (2 s here)
    const s = await setup(u.url, { maxAttempts: 4 });
    const body = encodeEnvelope(webhook('x'));
    const r = await s.handler(sqsEvent([sqsRecord(body, { attempt: 3, messageId: 'm3' })]));
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: 'm3' }]);
    expect(s.dead).toEqual([]);
    await s.handler(sqsEvent([sqsRecord(body, { attempt: 4 })]));
    expect(s.dead).toEqual([body]);
  }, 20_000);
  it('a 500 or a 429 is retried up to --max-attempts', async () => {
    const u = await upstreamWith((_r, res) => ((res.statusCode = 500), res.end()));
    const s = await setup(u.url, { maxAttempts: 5 });
    const body = encodeEnvelope(webhook('x'));
    await s.handler(sqsEvent([sqsRecord(body, { attempt: 4 })]));
    expect(s.dead).toEqual([]);
    await s.handler(sqsEvent([sqsRecord(body, { attempt: 5 })]));
    expect(s.dead).toEqual([body]);
  });
  it('counts the attempts of earlier copies (envelope.attempts) with the receive count', async () => {
    const u = await upstreamWith((_r, res) => ((res.statusCode = 500), res.end()));
    const s = await setup(u.url, { maxAttempts: 5 });
    const body = encodeEnvelope(webhook('x', { attempts: 3 }));
    await s.handler(sqsEvent([sqsRecord(body, { attempt: 1 })]));
    expect(s.dead).toEqual([]);
    expect(u.received[0]!.headers['x-webhook-proxy-attempt']).toBe('4');
    await s.handler(sqsEvent([sqsRecord(body, { attempt: 2 })]));
    expect(s.dead).toEqual([body]);
  });
});

describe('deliver: an outage counts nothing', () => {
  it('after the breaker opens, webhooks are held as copies carrying their count, and nothing is dead-lettered', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`;
    const s = await setup(url, { maxAttempts: 2 });
    const bodies = Array.from({ length: 6 }, (_x, i) => encodeEnvelope(webhook(`{"n":${i}}`)));
    const res = await s.handler(
      sqsEvent(bodies.map((b, i) => sqsRecord(b, { attempt: 1, messageId: `m${i}` }))),
    );
    expect(s.control.snapshot().state).toBe('outage');
    expect(s.dead).toEqual([]);
    // A fresh control has no evidence that the upstream serves, so the answers before the breaker
    // opens count nothing either (outage.ts); then the one that opened it and the rest: all held,
    // copies queued with a delay, originals left to be deleted.
    expect(res.batchItemFailures).toEqual([]);
    expect(s.sent).toHaveLength(6);
    for (const [i, copy] of s.sent.entries()) {
      const e = decodeEnvelope(copy.body);
      const original = decodeEnvelope(bodies[i]!);
      expect(e.attempts).toBe(0);
      expect({ ...e, attempts: undefined }).toEqual({ ...original, attempts: undefined });
      expect(copy.options?.delaySeconds).toBeGreaterThanOrEqual(1);
    }
    // A webhook at its last attempt is held, not dead-lettered, while the upstream is down.
    const last = encodeEnvelope(webhook('last', { attempts: 1 }));
    await s.handler(sqsEvent([sqsRecord(last, { attempt: 1 })]));
    expect(s.dead).toEqual([]);
    expect(decodeEnvelope(s.sent.at(-1)!.body).attempts).toBe(0 + 1);
  });
});

describe('deliver: --retry-window', () => {
  it('dead-letters a webhook older than the window without sending it', async () => {
    const u = await upstreamWith((_r, res) => res.end('ok'));
    const s = await setup(u.url, { retryWindowSeconds: 60 });
    const old = encodeEnvelope(webhook('old', { receivedAt: new Date(Date.now() - 61_000).toISOString() }));
    const fresh = encodeEnvelope(webhook('fresh'));
    const res = await s.handler(sqsEvent([sqsRecord(old), sqsRecord(fresh)]));
    expect(res.batchItemFailures).toEqual([]);
    expect(s.dead).toEqual([old]);
    expect(u.received.map((r) => r.body.toString())).toEqual(['fresh']);
  });
});
