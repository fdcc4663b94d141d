import { afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, encodeEnvelope } from '../../src/envelope.js';
import {
  createDeliverHandler,
  deliverConfigFromEnv,
  type DeliveryEvent,
} from '../../src/handlers/deliver.js';
import { sqsEvent, sqsRecord } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';
import { closedPort } from '../helpers/net.js';
import { startUpstream, type Responder } from '../helpers/upstream.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

function envelope(body: string, over: Partial<Parameters<typeof createEnvelope>[0]> = {}) {
  return createEnvelope({
    method: 'POST',
    rawPath: '/stripe',
    rawQueryString: 'a=1',
    headers: {
      'content-type': 'application/json',
      host: 'hooks.example.com',
      connection: 'keep-alive, x-hop',
      'x-hop': 'drop me',
      'transfer-encoding': 'chunked',
      'x-forwarded-for': '198.51.100.1, 203.0.113.7',
      'stripe-signature': 't=1,v1=abc',
    },
    cookies: ['a=1', 'b=2'],
    sourceIp: '203.0.113.7',
    host: 'hooks.example.com',
    protocol: 'https',
    body: Buffer.from(body),
    ...over,
  });
}

async function setup(
  respond?: Responder,
  config: Partial<Parameters<typeof createDeliverHandler>[0]['config']> = {},
) {
  const upstream = await startUpstream(respond);
  closers.push(upstream.close);
  const rec = recordingPort();
  const events: DeliveryEvent[] = [];
  const handler = createDeliverHandler({
    queue: rec.port,
    config: {
      upstream: `${upstream.url}/hooks?key=k`,
      preservePath: false,
      timeoutSeconds: 2,
      concurrency: 2,
      backoffBase: 5,
      backoffMax: 900,
      maxAttempts: 10,
      ...config,
    },
    log: (e) => events.push(e),
  });
  return { upstream, handler, events, ...rec };
}

/** A webhook the upstream answers 200: evidence for the container that the upstream serves. */
const warm = () => sqsRecord(encodeEnvelope(envelope('warm')));

describe('deliver handler', () => {
  it('replays each webhook exactly: method, body, headers less hop-by-hop, proxy headers', async () => {
    const { upstream, handler, events } = await setup();
    const env = envelope('{"id":"evt_1",  "big": 12345678901234567890}');
    const res = await handler(sqsEvent([sqsRecord(encodeEnvelope(env), { attempt: 3 })]));
    expect(res.batchItemFailures).toEqual([]);
    const got = upstream.received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hooks?key=k&a=1');
    expect(got.body.toString()).toBe('{"id":"evt_1",  "big": 12345678901234567890}');
    expect(got.headers['stripe-signature']).toBe('t=1,v1=abc');
    expect(got.headers['x-hop']).toBeUndefined();
    expect(got.headers['transfer-encoding']).toBeUndefined();
    expect(got.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(got.headers.cookie).toBe('a=1; b=2');
    expect(got.headers['x-webhook-proxy-id']).toBe(env.id);
    expect(got.headers['x-webhook-proxy-attempt']).toBe('3');
    expect(got.headers['x-forwarded-for']).toBe('198.51.100.1, 203.0.113.7');
    expect(got.headers['x-forwarded-host']).toBe('hooks.example.com');
    expect(got.headers['x-forwarded-proto']).toBe('https');
    expect(events).toEqual([
      expect.objectContaining({ event: 'delivered', id: env.id, status: 200, attempt: 3 }),
    ]);
  });

  it('appends the received path when the proxy preserves paths', async () => {
    const { upstream, handler } = await setup(undefined, { preservePath: true });
    await handler(sqsEvent([sqsRecord(encodeEnvelope(envelope('x', { rawPath: '/twilio/sms%20in' })))]));
    expect(upstream.received[0]!.url).toBe('/hooks/twilio/sms%20in?key=k&a=1');
  });

  it('sends a path an older ingest queued decoded, encoded instead of failing every attempt', async () => {
    const { upstream, handler, events } = await setup(undefined, { preservePath: true });
    // As an HTTP API decodes /twilio/sms%20in/%CE%BB%3Fx: a space node:http refuses, a ? that would split.
    const old = envelope('x', { rawPath: '/twilio/sms in/λ?x' });
    const res = await handler(sqsEvent([sqsRecord(encodeEnvelope(old))]));
    expect(res.batchItemFailures).toEqual([]);
    expect(upstream.received[0]!.url).toBe('/hooks/twilio/sms%20in/%CE%BB%3Fx?key=k&a=1');
    expect(events[0]).toMatchObject({ event: 'delivered' });
  });

  it('with --preserve-path, does not forward a queued path with a dot segment; it fails toward the DLQ', async () => {
    const { upstream, handler, events, visibility } = await setup(undefined, { preservePath: true });
    const rec = sqsRecord(encodeEnvelope(envelope('x', { rawPath: '/a/../../admin' })), { attempt: 1 });
    const res = await handler(sqsEvent([rec]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: rec.messageId }]);
    expect(upstream.received).toHaveLength(0);
    expect(events[0]).toMatchObject({
      event: 'failed',
      final: false,
      error: expect.stringContaining('dot segment'),
    });
    expect(visibility[0]!.seconds).toBeGreaterThan(0);
  });

  it('without --preserve-path the path is not used, so the same webhook is delivered', async () => {
    const { upstream, handler } = await setup();
    await handler(sqsEvent([sqsRecord(encodeEnvelope(envelope('x', { rawPath: '/a/../../admin' })))]));
    expect(upstream.received[0]!.url).toBe('/hooks?key=k&a=1');
  });

  it('reports a non-2xx as a batch item failure and backs it off', async () => {
    const { handler, visibility, events } = await setup((_r, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const rec = sqsRecord(encodeEnvelope(envelope('x')), { attempt: 2 });
    const res = await handler(sqsEvent([rec]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: rec.messageId }]);
    // attempt 2 → base 5 × 2 = 10 s, ±20 % jitter
    expect(visibility[0]!.receiptHandle).toBe(rec.receiptHandle);
    expect(visibility[0]!.seconds).toBeGreaterThanOrEqual(8);
    expect(visibility[0]!.seconds).toBeLessThanOrEqual(12);
    expect(events[0]).toMatchObject({ event: 'failed', status: 500, attempt: 2, final: false });
  });

  it('honours Retry-After on 429 and 503', async () => {
    const { handler, visibility } = await setup((_r, res) => {
      res.statusCode = 429;
      res.setHeader('retry-after', '120');
      res.end();
    });
    await handler(sqsEvent([sqsRecord(encodeEnvelope(envelope('x')), { attempt: 1 })]));
    expect(visibility[0]!.seconds).toBe(120);
  });

  it('fails a request that exceeds the per-request timeout', async () => {
    const { handler, events } = await setup(
      (r, res) => {
        if (r.body.toString() === 'warm') res.end('ok');
        else setTimeout(() => res.end('late'), 3000);
      },
      { timeoutSeconds: 0.3 },
    );
    // A success first: with no evidence that the upstream serves, a timeout would be held, uncounted.
    const res = await handler(sqsEvent([warm(), sqsRecord(encodeEnvelope(envelope('x')))]));
    expect(res.batchItemFailures).toHaveLength(1);
    expect(events[1]).toMatchObject({ event: 'failed', error: expect.stringContaining('timed out') });
  });

  it('holds, uncounted, a webhook refused on a fresh container (no evidence the upstream serves)', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await closedPort();
    const rec = recordingPort();
    const events: DeliveryEvent[] = [];
    const handler = createDeliverHandler({
      queue: rec.port,
      config: { ...deliverConfigFromEnv({ WP_UPSTREAM: `http://127.0.0.1:${port}/` }) },
      log: (e) => events.push(e),
    });
    const res = await handler(sqsEvent([sqsRecord(encodeEnvelope(envelope('x')))]));
    expect(res.batchItemFailures).toHaveLength(0);
    expect(events[0]).toMatchObject({ event: 'failed', error: expect.stringContaining('ECONNREFUSED') });
    expect(events[1]).toMatchObject({ event: 'held', attempt: 1, reason: 'upstream down' });
    expect(rec.sent).toHaveLength(1); // the copy, queued before the original is deleted
  });

  it('delivers the rest of a batch around failures, one request at a time', async () => {
    const { upstream, handler } = await setup((r, res) => {
      res.statusCode = r.body.toString() === 'bad' ? 502 : 200;
      res.end();
    });
    const records = ['a', 'bad', 'c', 'bad', 'e'].map((b) => sqsRecord(encodeEnvelope(envelope(b))));
    const res = await handler(sqsEvent(records));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      records[1]!.messageId,
      records[3]!.messageId,
    ]);
    expect(upstream.received.map((r) => r.body.toString())).toEqual(['a', 'bad', 'c', 'bad', 'e']);
    expect(upstream.maxInFlight).toBe(1);
  });

  it('keeps a long Retry-After within 12 h of the receive (first receive: its timestamp is exact)', async () => {
    const { handler, visibility, events } = await setup((r, res) => {
      if (r.body.toString() === 'warm') return res.end('ok');
      res.statusCode = 503;
      res.setHeader('retry-after', '43200');
      res.end();
    });
    const rec = sqsRecord(encodeEnvelope(envelope('x')), { attempt: 1 });
    rec.attributes.ApproximateFirstReceiveTimestamp = String(Date.now() - 3 * 3600_000);
    await handler(sqsEvent([warm(), rec]));
    // 12 h − the 3 h since the receive − the 5-minute clock margin; asking for 43,200 would be refused.
    const allowed = 43_200 - 3 * 3600 - 300;
    expect(visibility[0]!.seconds).toBeLessThanOrEqual(allowed);
    expect(visibility[0]!.seconds).toBeGreaterThan(allowed - 30);
    expect(events[1]).toMatchObject({ event: 'failed', retryInSeconds: visibility[0]!.seconds });
  });

  it('on a later receive, allows for the time the batch may have waited before this invocation', async () => {
    const { handler, visibility } = await setup((_r, res) => {
      res.statusCode = 429;
      res.setHeader('retry-after', '43200');
      res.end();
    });
    // First received 20 h ago: counting from that would leave nothing (and hide it for 0 s, a hot loop).
    const rec = sqsRecord(encodeEnvelope(envelope('x')), { attempt: 4 });
    rec.attributes.ApproximateFirstReceiveTimestamp = String(Date.now() - 20 * 3600_000);
    await handler(sqsEvent([rec]));
    const allowed = 43_200 - 7_200 - 300;
    expect(visibility[0]!.seconds).toBeLessThanOrEqual(allowed);
    expect(visibility[0]!.seconds).toBeGreaterThan(allowed - 30);
  });

  it('gives up a visibility call that would run past the function timeout, and returns in time', async () => {
    let deadline = Infinity;
    const upstream = await startUpstream((_r, res) => {
      deadline = Date.now() + 1000; // the request used up the invocation's time but a second
      res.statusCode = 500;
      res.end();
    });
    closers.push(upstream.close);
    let calls = 0;
    const handler = createDeliverHandler({
      // SQS that never answers (sqs-port.ts bounds its own calls too; this one does not).
      queue: { send: async () => {}, changeVisibility: () => (calls++, new Promise<void>(() => {})) },
      config: { ...deliverConfigFromEnv({ WP_UPSTREAM: upstream.url }), timeoutSeconds: 2 },
      log: () => {},
    });
    const rec = sqsRecord(encodeEnvelope(envelope('x')));
    const res = await handler(sqsEvent([rec]), {
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    });
    expect(Date.now()).toBeLessThanOrEqual(deadline);
    expect(calls).toBe(1);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: rec.messageId }]);
  });

  it('on the last attempt hands the message straight to the DLQ (visibility 0)', async () => {
    const { handler, visibility, events } = await setup((r, res) => {
      if (r.body.toString() === 'warm') return res.end('ok');
      res.statusCode = 503;
      res.end();
    });
    await handler(sqsEvent([warm(), sqsRecord(encodeEnvelope(envelope('x')), { attempt: 10 })]));
    expect(visibility[0]!.seconds).toBe(0);
    expect(events[1]).toMatchObject({ event: 'failed', final: true });
  });

  it('does not crash or loop on a message that is not an envelope', async () => {
    const { upstream, handler, visibility, events } = await setup();
    const bad = sqsRecord('{"resource":"/","body":{}}', { attempt: 1 });
    const good = sqsRecord(encodeEnvelope(envelope('ok')));
    const res = await handler(sqsEvent([bad, good]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect(visibility[0]!.seconds).toBeGreaterThan(0);
    expect(events[0]).toMatchObject({ event: 'undecodable', messageId: bad.messageId });
    expect(upstream.received).toHaveLength(1);
  });

  it('in an ordered (FIFO) batch, stops at the first failure so nothing overtakes it', async () => {
    const { upstream, handler } = await setup((r, res) => {
      res.statusCode = r.body.toString() === 'b' ? 500 : 200;
      res.end();
    });
    const records = ['a', 'b', 'c'].map((b) =>
      sqsRecord(encodeEnvelope(envelope(b)), { groupId: 'webhooks' }),
    );
    const res = await handler(sqsEvent(records));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      records[1]!.messageId,
      records[2]!.messageId,
    ]);
    expect(upstream.received.map((r) => r.body.toString())).toEqual(['a', 'b']);
  });

  it('hands messages back unattempted when the function is about to time out', async () => {
    const { upstream, handler, events } = await setup();
    const rec = sqsRecord(encodeEnvelope(envelope('x')));
    const res = await handler(sqsEvent([rec]), { getRemainingTimeInMillis: () => 1000 });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: rec.messageId }]);
    expect(upstream.received).toHaveLength(0);
    expect(events[0]).toMatchObject({ event: 'skipped' });
  });

  it('reads its configuration from the environment with the documented defaults', () => {
    expect(deliverConfigFromEnv({ WP_UPSTREAM: 'https://app.example.com/hooks' })).toEqual({
      upstream: 'https://app.example.com/hooks',
      preservePath: false,
      timeoutSeconds: 10,
      concurrency: 2,
      backoffBase: 5,
      backoffMax: 900,
      maxAttempts: 10,
      adaptive: false,
      retryWindowSeconds: 86_400,
      ordered: false,
    });
    expect(
      deliverConfigFromEnv({
        WP_UPSTREAM: 'http://x/',
        WP_RATE: '50',
        WP_PRESERVE_PATH: '1',
        WP_CONCURRENCY: '5',
      }),
    ).toMatchObject({ rate: 50, preservePath: true, concurrency: 5 });
    expect(() => deliverConfigFromEnv({})).toThrow(/WP_UPSTREAM/);
  });
});
