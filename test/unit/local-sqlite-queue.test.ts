/**
 * The durable queue (src/local/store/) against the same SQS semantics as the in-memory one, plus what
 * only a file gives: commits survive a reopen (a restart), in-flight messages come back at once with
 * their receive count, the DLQ survives, group commit shares one transaction, and the byte bound.
 * Real SQLite files in a temp folder; time is real but short.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SQS_MAX_MESSAGE_BYTES } from '../../src/envelope.js';
import type { DeadLetter } from '../../src/local/queue.js';
import { openStoreDb } from '../../src/local/store/open.js';
import { CACHE_KIB, JOURNAL_LIMIT_BYTES } from '../../src/local/store/schema.js';
import { SqliteQueue, type SqliteQueueOptions } from '../../src/local/store/sqlite-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dir: string;
const open: SqliteQueue[] = [];

async function queue(options: SqliteQueueOptions, sync: 'normal' | 'full' = 'normal') {
  const q = new SqliteQueue(await openStoreDb({ dataDir: dir, sync }), options);
  open.push(q);
  return q;
}
const receive = (q: SqliteQueue, max = 10, waitSeconds = 0) => q.receive({ max, waitSeconds });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wp-store-'));
});
afterEach(async () => {
  for (const q of open.splice(0)) await q.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteQueue: SQS semantics', () => {
  it('hides a received message for the visibility timeout, then hands it out again with a new receipt handle', async () => {
    const q = await queue({ visibilityTimeout: 0.4 });
    await q.send('hello');
    const [first] = await receive(q);
    expect(first).toMatchObject({ body: 'hello', attributes: { ApproximateReceiveCount: '1' } });
    expect(first!.md5OfBody).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(await receive(q)).toEqual([]);
    expect(await q.stats()).toEqual({ visible: 0, inFlight: 1, delayed: 0, dlq: undefined });
    await sleep(450);
    const [again] = await receive(q);
    expect(again!.messageId).toBe(first!.messageId);
    expect(again!.attributes.ApproximateReceiveCount).toBe('2');
    expect(again!.receiptHandle).not.toBe(first!.receiptHandle);
    expect(again!.attributes.ApproximateFirstReceiveTimestamp).toBe(
      first!.attributes.ApproximateFirstReceiveTimestamp,
    );
  });

  it('takes at most `max` messages per receive, oldest first', async () => {
    const q = await queue({ visibilityTimeout: 30 });
    await Promise.all(Array.from({ length: 25 }, (_x, i) => q.send(`m${i}`)));
    const a = await receive(q, 10);
    const b = await receive(q, 10);
    const c = await receive(q, 10);
    expect([a.length, b.length, c.length]).toEqual([10, 10, 5]);
    expect(a.map((m) => m.body).slice(0, 3)).toEqual(['m0', 'm1', 'm2']);
    expect(new Set([...a, ...b, ...c].map((m) => m.body)).size).toBe(25);
  });

  it('refuses bodies over 1 MiB (counted in bytes) and empty ones', async () => {
    const q = await queue({ visibilityTimeout: 30 });
    await expect(q.send('x'.repeat(SQS_MAX_MESSAGE_BYTES))).resolves.toBeUndefined();
    await expect(q.send('x'.repeat(SQS_MAX_MESSAGE_BYTES + 1))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(q.send('é'.repeat(SQS_MAX_MESSAGE_BYTES / 2 + 1))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(q.send('')).rejects.toMatchObject({ name: 'MissingParameter' });
    const [m] = await receive(q);
    expect(m!.body.length).toBe(SQS_MAX_MESSAGE_BYTES);
  });

  it('keeps a body exactly as sent, whatever its characters', async () => {
    const q = await queue({ visibilityTimeout: 30 });
    const body = '{"s":"emoji 😀 tab\t nul \\u0000 \u2028 ü"}';
    await q.send(body);
    expect((await receive(q))[0]!.body).toBe(body);
  });

  it('changes visibility only through the latest receipt handle', async () => {
    const q = await queue({ visibilityTimeout: 0.03 });
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

  it('deletes with the latest handle; a stale handle "succeeds" without deleting, as SQS documents', async () => {
    const q = await queue({ visibilityTimeout: 30 });
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
    const q = await queue({ visibilityTimeout: 30, maxReceiveCount: 3 });
    const dead: DeadLetter[] = [];
    q.onDeadLetter = (m) => dead.push(m);
    await q.send('doomed');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const got = await receive(q, 1);
      expect(got[0]!.body).toBe('doomed');
      expect(got[0]!.attributes.ApproximateReceiveCount).toBe(String(attempt));
      await q.changeVisibility(got[0]!.receiptHandle, 0);
    }
    await q.send('fine');
    const next = await receive(q, 10);
    expect(next.map((m) => m.body)).toEqual(['fine']);
    expect(dead).toEqual([expect.objectContaining({ body: 'doomed', receiveCount: 3 })]);
    expect(await q.stats()).toEqual({ visible: 0, inFlight: 1, delayed: 0, dlq: 1 });
  });

  it('a DLQ row keeps the attempts it was given: the receives of a redrive-policy move, or what deliver says', async () => {
    const q = await queue({ visibilityTimeout: 30, maxReceiveCount: 2 });
    await q.send('by-policy');
    for (let i = 0; i < 2; i++) await q.changeVisibility((await receive(q, 1))[0]!.receiptHandle, 0);
    expect(await receive(q, 1)).toEqual([]);
    await q.deadLetter('by-deliver', { attempts: 7 });
    await sleep(5);
    const db = await openStoreDb({ dataDir: dir });
    const rows = db.prepare('SELECT body, receive_count FROM messages WHERE queue = 1 ORDER BY seq').all();
    db.close();
    expect(rows).toEqual([
      { body: 'by-policy', receive_count: 2 },
      { body: 'by-deliver', receive_count: 7 },
    ]);
  });

  it('handBack undoes a receive: visible at once, the count as before; a stale handle changes nothing', async () => {
    const q = await queue({ visibilityTimeout: 30, maxReceiveCount: 5 });
    await q.send('not attempted');
    const [first] = await receive(q, 1);
    await q.changeVisibility(first!.receiptHandle, 0);
    const [second] = await receive(q, 1);
    expect(second!.attributes.ApproximateReceiveCount).toBe('2');
    await q.handBack(second!.receiptHandle);
    await q.handBack(second!.receiptHandle); // already given back: no second undo
    await q.handBack(first!.receiptHandle); // stale
    const [third] = await receive(q, 1);
    expect(third!.attributes).toMatchObject({
      ApproximateReceiveCount: '2',
      ApproximateFirstReceiveTimestamp: first!.attributes.ApproximateFirstReceiveTimestamp,
    });
    await q.handBack(third!.receiptHandle);
    await q.changeVisibility((await receive(q, 1))[0]!.receiptHandle, 0);
    const db = await openStoreDb({ dataDir: dir });
    await q.handBack((await receive(q, 1))[0]!.receiptHandle);
    const row = db.prepare('SELECT receive_count, leased, receipt FROM messages').get();
    db.close();
    expect(row).toEqual({ receive_count: 2, leased: 0, receipt: null });
  });

  it('counts delayed messages apart, and hands them out once the delay has passed', async () => {
    const q = await queue({ visibilityTimeout: 30 });
    await q.sendDelayed('later', 0.05);
    expect(await q.stats()).toMatchObject({ visible: 0, delayed: 1 });
    expect(await receive(q)).toEqual([]);
    await sleep(70);
    expect(await q.stats()).toMatchObject({ visible: 1, delayed: 0 });
  });

  it('long-polls: a waiting receive returns when a message is sent or becomes visible, or at once on abort/close', async () => {
    const q = await queue({ visibilityTimeout: 0.08 });
    const first = q.receive({ max: 10, waitSeconds: 5 });
    setTimeout(() => void q.send('late'), 30);
    expect((await first).map((m) => m.body)).toEqual(['late']);
    // Hidden now; it comes back when its visibility timeout (80 ms) runs out, long before the 5 s wait.
    const again = await q.receive({ max: 10, waitSeconds: 5 });
    expect(again[0]!.attributes.ApproximateReceiveCount).toBe('2');
    const abort = new AbortController();
    const waiting = q.receive({ max: 1, waitSeconds: 20, signal: abort.signal });
    setTimeout(() => abort.abort(), 20);
    expect(await waiting).toEqual([]);
    const closing = q.receive({ max: 1, waitSeconds: 20 });
    await q.close();
    expect(await closing).toEqual([]);
    await expect(q.send('after close')).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
  it('wakes a consumer waiting on an empty queue when another process inserts a message or redrives one', async () => {
    // What another process (`redrive --local`, its own connection) does to a running server's store.
    const q = await queue({ visibilityTimeout: 30, maxReceiveCount: 1 });
    const other = await openStoreDb({ dataDir: dir });
    try {
      // 20 s long polls; the guard (10 s) is far past the queue's look for outside changes (500 ms).
      const waitOne = () =>
        Promise.race([q.receive({ max: 10, waitSeconds: 20 }), sleep(10_000).then(() => 'still waiting')]);
      expect(await receive(q)).toEqual([]);
      const first = waitOne();
      await sleep(50);
      other
        .prepare(
          'INSERT INTO messages (id, queue, body, bytes, sent_at, visible_at) VALUES (?, 0, ?, ?, ?, ?)',
        )
        .run('outside-1', '{"from":"outside"}', 18, Date.now(), Date.now());
      const got = await first;
      expect(typeof got === 'string' ? got : got.map((m) => m.body)).toEqual(['{"from":"outside"}']);

      // Visible again, its next receive passes maxReceiveCount (1): into the DLQ, the queue empty.
      await q.changeVisibility((got as { receiptHandle: string }[])[0]!.receiptHandle, 0);
      expect(await receive(q)).toEqual([]);
      expect((await q.stats()).dlq).toBe(1);
      const second = waitOne();
      await sleep(50);
      other
        .prepare('UPDATE messages SET queue = 0, visible_at = ?, receive_count = 0 WHERE queue = 1')
        .run(Date.now());
      const again = await second;
      expect(typeof again === 'string' ? again : again.map((m) => m.body)).toEqual(['{"from":"outside"}']);
    } finally {
      other.close();
    }
  });
});

describe('SqliteQueue: durability', () => {
  it('keeps committed messages, the DLQ and receive counts across a reopen; in-flight ones come back at once', async () => {
    const q1 = await queue({ visibilityTimeout: 300, maxReceiveCount: 1 });
    await q1.send('dead');
    const [d] = await receive(q1, 1);
    await q1.changeVisibility(d!.receiptHandle, 0);
    await sleep(2);
    await q1.send('in-flight');
    await q1.send('backing-off');
    await q1.send('waiting');
    // Visible since before "in-flight" was sent: this receive moves "dead" and hands out "in-flight".
    const [f] = await receive(q1, 1);
    expect(f!.body).toBe('in-flight');
    const [b] = await receive(q1, 1);
    expect(b!.body).toBe('backing-off');
    await q1.changeVisibility(b!.receiptHandle, 300);
    expect(await q1.stats()).toEqual({ visible: 1, inFlight: 2, delayed: 0, dlq: 1 });
    // No close: the next process opens the file as a killed one left it (WAL not checkpointed).
    open.splice(open.indexOf(q1), 1);

    const q2 = await queue({ visibilityTimeout: 300, maxReceiveCount: 5 });
    expect(q2.releaseLeases()).toBe(1);
    expect(await q2.stats()).toEqual({ visible: 2, inFlight: 1, delayed: 0, dlq: 1 });
    const got = await receive(q2);
    expect(got.map((m) => [m.body, m.attributes.ApproximateReceiveCount]).sort()).toEqual([
      ['in-flight', '2'],
      ['waiting', '1'],
    ]);
    // The handle from before the restart is stale.
    await expect(q2.changeVisibility(f!.receiptHandle, 0)).rejects.toMatchObject({
      name: 'MessageNotInflight',
    });
  });

  it('group commit: sends of one tick share one transaction and all resolve after it', async () => {
    const q = await queue({ visibilityTimeout: 30 }, 'full');
    const db = (q as unknown as { db: import('better-sqlite3').Database }).db;
    const transactions = vi.spyOn(db, 'transaction');
    let settled = 0;
    const sends = Array.from({ length: 500 }, (_x, i) => q.send(`m${i}`).then(() => settled++));
    expect(settled).toBe(0);
    await Promise.all(sends);
    expect(settled).toBe(500);
    expect(transactions).toHaveBeenCalledTimes(1);
    expect((await q.stats()).visible).toBe(500);
    const other = await openStoreDb({ dataDir: dir });
    const count = other.prepare('SELECT count(*) AS n FROM messages').get() as { n: number };
    other.close();
    expect(count.n).toBe(500);
  });

  it('refuses sends once the bytes stored (queue + DLQ) would pass maxQueueBytes, and accepts again after deletes', async () => {
    const q = await queue({ visibilityTimeout: 30, maxQueueBytes: 250 });
    const body = 'x'.repeat(100);
    await q.send(body);
    await q.send(body);
    await expect(q.send(body)).rejects.toMatchObject({ name: 'StoreFull' });
    // Pending sends of the same tick count too.
    const [m] = await receive(q, 1);
    await q.deleteMany([m!.receiptHandle]);
    const results = await Promise.allSettled([q.send(body), q.send(body)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });

  it('writes a file the sqlite3 schema documents: WAL, bounded memory pragmas, and rows readable from another connection', async () => {
    const q = await queue({ visibilityTimeout: 30 });
    await q.send('{"a":1}');
    const other = await openStoreDb({ dataDir: dir });
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    // Memory that does not grow with the file (schema.ts, issue 13), whatever SQLite's build defaults.
    expect(other.pragma('cache_size', { simple: true })).toBe(-CACHE_KIB);
    expect(other.pragma('mmap_size', { simple: true })).toBe(0);
    expect(other.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(other.pragma('journal_size_limit', { simple: true })).toBe(JOURNAL_LIMIT_BYTES);
    expect(other.prepare('SELECT queue, body, bytes, receive_count FROM messages').all()).toEqual([
      { queue: 0, body: '{"a":1}', bytes: 7, receive_count: 0 },
    ]);
    expect(other.prepare('SELECT queue, messages, bytes FROM counts ORDER BY queue').all()).toEqual([
      { queue: 0, messages: 1, bytes: 7 },
      { queue: 1, messages: 0, bytes: 0 },
    ]);
    other.close();
  });
});
