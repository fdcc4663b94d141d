/**
 * The embedded queue of `dev` against the SQS semantics the handlers and the poller rely on.
 * Time is real but short (visibility in tens of milliseconds), so nothing here depends on fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
});
import { SQS_MAX_MESSAGE_BYTES } from '../../src/envelope.js';
import { MemoryQueue } from '../../src/local/memory-queue.js';
import type { DeadLetter } from '../../src/local/queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const receive = (q: MemoryQueue, max = 10, waitSeconds = 0) => q.receive({ max, waitSeconds });

describe('MemoryQueue', () => {
  it('hides a received message for the visibility timeout, then hands it out again with a new receipt handle', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 0.05 });
    await q.send('hello');
    const [first] = await receive(q);
    expect(first).toMatchObject({ body: 'hello', attributes: { ApproximateReceiveCount: '1' } });
    expect(first!.md5OfBody).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(await receive(q)).toEqual([]);
    expect(await q.stats()).toEqual({ visible: 0, inFlight: 1, delayed: 0, dlq: undefined });
    await sleep(70);
    const [again] = await receive(q);
    expect(again!.messageId).toBe(first!.messageId);
    expect(again!.attributes.ApproximateReceiveCount).toBe('2');
    expect(again!.receiptHandle).not.toBe(first!.receiptHandle);
    expect(again!.attributes.ApproximateFirstReceiveTimestamp).toBe(
      first!.attributes.ApproximateFirstReceiveTimestamp,
    );
  });

  it('takes at most `max` messages per receive, oldest first', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    for (let i = 0; i < 25; i++) await q.send(`m${i}`);
    const a = await receive(q, 10);
    const b = await receive(q, 10);
    const c = await receive(q, 10);
    expect([a.length, b.length, c.length]).toEqual([10, 10, 5]);
    expect(a.map((m) => m.body).slice(0, 3)).toEqual(['m0', 'm1', 'm2']);
  });

  it('refuses bodies over 1 MiB and characters SQS does not accept', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    await expect(q.send('x'.repeat(SQS_MAX_MESSAGE_BYTES))).resolves.toBeUndefined();
    await expect(q.send('x'.repeat(SQS_MAX_MESSAGE_BYTES + 1))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    // Multi-byte characters count in bytes, as SQS counts them.
    await expect(q.send('é'.repeat(SQS_MAX_MESSAGE_BYTES / 2 + 1))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(q.send('bad \u0000 char')).rejects.toMatchObject({ name: 'InvalidMessageContents' });
    await expect(q.send('bad \uFFFE char')).rejects.toMatchObject({ name: 'InvalidMessageContents' });
    await expect(q.send('emoji 😀 and tab\t ok')).resolves.toBeUndefined();
  });

  it('changes visibility only through the latest receipt handle', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 0.03 });
    await q.send('m');
    const [r1] = await receive(q);
    await q.changeVisibility(r1!.receiptHandle, 0);
    const [r2] = await receive(q);
    expect(r2!.attributes.ApproximateReceiveCount).toBe('2');
    await expect(q.changeVisibility(r1!.receiptHandle, 10)).rejects.toMatchObject({
      name: 'MessageNotInflight',
    });
    await expect(q.changeVisibility(r2!.receiptHandle, 43_201)).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await q.changeVisibility(r2!.receiptHandle, 0.05); // backoff: hidden past its own visibility timeout
    await sleep(35);
    expect(await receive(q)).toEqual([]);
    await sleep(30);
    expect(await receive(q)).toHaveLength(1);
  });

  it('handBack undoes a receive (visible at once, count as before); a stale handle changes nothing', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    await q.send('not attempted');
    const [first] = await receive(q);
    await q.handBack(first!.receiptHandle);
    await q.handBack(first!.receiptHandle);
    const [again] = await receive(q);
    expect(again!.attributes.ApproximateReceiveCount).toBe('1');
    expect(await q.stats()).toMatchObject({ visible: 0, inFlight: 1 });
  });

  it('deletes with the latest handle; a stale handle "succeeds" without deleting, as SQS documents', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    await q.send('m');
    const [r1] = await receive(q);
    await q.changeVisibility(r1!.receiptHandle, 0);
    const [r2] = await receive(q);
    expect(await q.deleteMany([r1!.receiptHandle])).toEqual([]);
    expect((await q.stats()).inFlight).toBe(1);
    expect(await q.deleteMany([r2!.receiptHandle, 'not-a-handle'])).toEqual(['not-a-handle']);
    expect(await q.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 0, dlq: undefined });
    await expect(q.changeVisibility(r2!.receiptHandle, 0)).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('moves a message to the DLQ on the receive that would exceed maxReceiveCount (redrive policy)', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30, maxReceiveCount: 3 });
    const dead: DeadLetter[] = [];
    q.onDeadLetter = (m) => dead.push(m);
    await q.send('doomed');
    await q.send('fine');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const got = await receive(q, 1);
      expect(got[0]!.body).toBe('doomed');
      expect(got[0]!.attributes.ApproximateReceiveCount).toBe(String(attempt));
      await q.changeVisibility(got[0]!.receiptHandle, 0);
    }
    // The fourth receive moves "doomed" and hands out the next message instead.
    const next = await receive(q, 10);
    expect(next.map((m) => m.body)).toEqual(['fine']);
    expect(dead).toEqual([expect.objectContaining({ body: 'doomed', receiveCount: 3 })]);
    expect(await q.stats()).toEqual({ visible: 0, inFlight: 1, delayed: 0, dlq: 1 });
    // SQS keeps the message id when it moves a message.
    const [inDlq] = await q.dlq!.receive({ max: 1, waitSeconds: 0 });
    expect(inDlq!.messageId).toBe(dead[0]!.messageId);
  });

  it('counts delayed messages apart, and hands them out once the delay has passed', async () => {
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    q.sendNow('later', { delaySeconds: 0.05 });
    expect(await q.stats()).toMatchObject({ visible: 0, delayed: 1 });
    expect(await receive(q)).toEqual([]);
    await sleep(70);
    expect(await q.stats()).toMatchObject({ visible: 1, delayed: 0 });
  });

  it('long-polls: a waiting receive returns as soon as a message is sent or becomes visible', async () => {
    // Fake clock: "as soon as" means on the tick that makes a message available, long before the
    // 5 s wait, whatever the machine's speed.
    vi.useFakeTimers();
    const q = new MemoryQueue({ visibilityTimeout: 0.08 });
    const settled = <T>(p: Promise<T>) => {
      const state: { value?: T } = {};
      void p.then((v) => (state.value = v));
      return state;
    };
    const first = settled(q.receive({ max: 10, waitSeconds: 5 }));
    setTimeout(() => void q.send('late'), 30);
    await vi.advanceTimersByTimeAsync(30);
    expect(first.value?.map((m) => m.body)).toEqual(['late']);
    // Nothing visible now; the message comes back when its visibility timeout (80 ms) runs out.
    const again = settled(q.receive({ max: 10, waitSeconds: 5 }));
    await vi.advanceTimersByTimeAsync(50);
    expect(again.value).toBeUndefined();
    await vi.advanceTimersByTimeAsync(40);
    expect(again.value?.[0]!.attributes.ApproximateReceiveCount).toBe('2');
  });

  it('returns an empty list after waitSeconds, or at once when aborted or closed', async () => {
    vi.useFakeTimers();
    const q = new MemoryQueue({ visibilityTimeout: 30 });
    const timedOut = q.receive({ max: 1, waitSeconds: 0.05 });
    await vi.advanceTimersByTimeAsync(50);
    expect(await timedOut).toEqual([]);
    const abort = new AbortController();
    const waiting = q.receive({ max: 1, waitSeconds: 20, signal: abort.signal });
    setTimeout(() => abort.abort(), 20);
    await vi.advanceTimersByTimeAsync(20); // 20 ms of the 20 s: the abort, not the wait, ends it
    expect(await waiting).toEqual([]);
    const closing = q.receive({ max: 1, waitSeconds: 20 });
    await q.close();
    expect(await closing).toEqual([]);
    await expect(q.send('after close')).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});
