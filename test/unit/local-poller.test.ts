/**
 * The poller (dev's event source mapping) over the embedded queue, with handlers that record what
 * they get: concurrency cap, batch size, record shape, partial batch failures, whole-batch failures.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliverHandler } from '../../src/handlers/deliver.js';
import { MemoryQueue } from '../../src/local/memory-queue.js';
import { handlesToDelete, startPoller, type Poller } from '../../src/local/poller.js';
import type { ReceivedMessage } from '../../src/local/queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let poller: Poller | undefined;
afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

async function until(check: () => boolean | Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const msg = (id: string): ReceivedMessage => ({
  messageId: id,
  receiptHandle: `h-${id}`,
  body: '{}',
  md5OfBody: '',
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1',
    SenderId: 's',
    ApproximateFirstReceiveTimestamp: '1',
  },
});

describe('handlesToDelete (ReportBatchItemFailures rules)', () => {
  const batch = [msg('a'), msg('b'), msg('c')];
  it('treats an empty or missing answer as complete success', () => {
    for (const r of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(handlesToDelete(batch, r)).toEqual(['h-a', 'h-b', 'h-c']);
    }
  });
  it('keeps the reported failures', () => {
    expect(handlesToDelete(batch, { batchItemFailures: [{ itemIdentifier: 'b' }] })).toEqual(['h-a', 'h-c']);
  });
  it('fails the whole batch on an empty, null or unknown identifier, or a malformed answer', () => {
    for (const r of [
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: null }] },
      { batchItemFailures: [{ id: 'a' }] },
      { batchItemFailures: [{ itemIdentifier: 'zzz' }] },
      { batchItemFailures: 'a' },
      'ok',
    ]) {
      expect(handlesToDelete(batch, r), JSON.stringify(r)).toBeUndefined();
    }
  });
});

describe('startPoller', () => {
  it('runs at most one invocation per slot, in batches of at most batchSize, with realistic records', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    for (let i = 0; i < 57; i++) await q.send(`m${i}`);
    let running = 0;
    let maxRunning = 0;
    const events: SQSEvent[] = [];
    const handler: DeliverHandler = async (event, context) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      events.push(event);
      expect(context!.getRemainingTimeInMillis()).toBeGreaterThan(59_000);
      await sleep(15);
      running--;
      return { batchItemFailures: [] };
    };
    poller = startPoller({
      queue: q,
      handlers: [handler, handler, handler],
      batchSize: 4,
      functionTimeoutSeconds: 60,
      waitSeconds: 1,
    });
    await until(async () => (await q.stats()).visible + (await q.stats()).inFlight === 0);
    expect(maxRunning).toBe(3);
    expect(Math.max(...events.map((e) => e.Records.length))).toBe(4);
    expect(events.flatMap((e) => e.Records.map((r) => r.body)).sort()).toHaveLength(57);
    expect(events[0]!.Records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: q.arn,
      awsRegion: q.region,
      messageAttributes: {},
      attributes: { ApproximateReceiveCount: '1', SenderId: expect.any(String) },
    });
    expect(events[0]!.Records[0]!.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
  });

  it('deletes the successes and leaves the reported failures; a thrown handler leaves the whole batch hidden', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    for (const b of ['ok1', 'fail', 'ok2']) await q.send(b);
    const handler: DeliverHandler = async (event): Promise<SQSBatchResponse> => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'fail').map((r) => ({
        itemIdentifier: r.messageId,
      })),
    });
    poller = startPoller({
      queue: q,
      handlers: [handler],
      batchSize: 10,
      functionTimeoutSeconds: 60,
      waitSeconds: 1,
    });
    await until(async () => (await q.stats()).visible === 0 && (await q.stats()).inFlight === 1);
    await poller.stop();

    const q2 = new MemoryQueue({ visibilityTimeout: 30 });
    for (const b of ['a', 'b']) await q2.send(b);
    let calls = 0;
    const errors: string[] = [];
    poller = startPoller({
      queue: q2,
      handlers: [
        async () => {
          calls++;
          throw new Error('crash');
        },
      ],
      batchSize: 10,
      functionTimeoutSeconds: 60,
      waitSeconds: 0.2,
      onError: (where) => errors.push(where),
    });
    await until(() => calls === 1);
    await sleep(100);
    // Nothing deleted: both stay hidden until the queue's visibility timeout, then come back.
    expect(await q2.stats()).toMatchObject({ visible: 0, inFlight: 2 });
    expect(calls).toBe(1);
    expect(errors).toEqual(['invoke']);
  });

  it('an idle slot leaves nothing behind each time it looks again (an outage can last hours)', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    let signal: AbortSignal | undefined;
    const receive = q.receive.bind(q);
    q.receive = (options) => ((signal = options.signal), receive(options));
    // One slot of two may run (an outage's probe, a cut adaptive limit): the other looks every 25 ms.
    poller = startPoller({
      queue: q,
      handlers: [async () => ({ batchItemFailures: [] }), async () => ({ batchItemFailures: [] })],
      control: { slots: () => 1, batchSize: (wanted) => wanted },
      batchSize: 10,
      functionTimeoutSeconds: 60,
      waitSeconds: 1,
    });
    await until(() => signal !== undefined);
    await sleep(400);
    // The running slot's long poll, and the idle slot's current pause: not one per look (16 by now).
    expect(getEventListeners(signal!, 'abort').length).toBeLessThanOrEqual(2);
  });

  it('keeps one abort listener per slot at most: 16 slots, 15 held back by the control, no MaxListenersExceededWarning', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const handler: DeliverHandler = async () => ({ batchItemFailures: [] });
      poller = startPoller({
        queue: q,
        handlers: Array.from({ length: 16 }, () => handler),
        // As the adaptive limit does at 1 slot: the other 15 pause every 25 ms, hundreds of pauses.
        control: { slots: () => 1, batchSize: (n) => n },
        batchSize: 10,
        functionTimeoutSeconds: 60,
        waitSeconds: 1,
      });
      await sleep(400);
      await poller.stop();
      poller = undefined;
      await sleep(10); // process warnings are emitted on a later tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('on stop tells the running handler its time is up, and waits for it', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    await q.send('x');
    const remaining: number[] = [];
    let started = false;
    const handler: DeliverHandler = async (_e, context) => {
      started = true;
      remaining.push(context!.getRemainingTimeInMillis());
      await sleep(50);
      remaining.push(context!.getRemainingTimeInMillis());
      return { batchItemFailures: [] };
    };
    poller = startPoller({
      queue: q,
      handlers: [handler],
      batchSize: 10,
      functionTimeoutSeconds: 60,
      waitSeconds: 1,
    });
    await until(() => started);
    await poller.stop();
    expect(remaining).toHaveLength(2);
    expect(remaining[0]).toBeGreaterThan(0);
    expect(remaining[1]).toBe(0);
    expect((await q.stats()).inFlight).toBe(0); // it finished, and its success was deleted
  });
});
