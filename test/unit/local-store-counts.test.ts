/**
 * The store's counts (src/local/store/counts.ts) stay exact through everything that changes a row:
 * send, delayed send, receive, backoff, hand-back, delete, both dead-letter paths, redrive from another
 * connection (as `redrive --local` does), a restart, and the upgrade of a store written before
 * counts.unreceived. A bound of 2 makes each of its three ways of counting run with a handful of rows;
 * every step is checked against a plain count of the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalProxy } from '../../src/local/ops/open.js';
import { redriveLocal } from '../../src/local/ops/move.js';
import { storeCounts } from '../../src/local/store/counts.js';
import { openStoreDb } from '../../src/local/store/open.js';
import type { Database } from '../../src/local/store/sqlite.js';
import { SqliteQueue } from '../../src/local/store/sqlite-queue.js';

let dir: string;
const dbs: Database[] = [];
const queues: SqliteQueue[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wp-counts-'));
});
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  for (const db of dbs.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connection(): Promise<Database> {
  const db = await openStoreDb({ dataDir: dir });
  dbs.push(db);
  return db;
}

async function queue(): Promise<SqliteQueue> {
  const q = new SqliteQueue(await openStoreDb({ dataDir: dir }), {
    visibilityTimeout: 300,
    maxReceiveCount: 2,
    countBound: 2,
  });
  queues.push(q);
  return q;
}

/** The counts by a scan of every row: what the cheap ones must equal. */
function truth(db: Database) {
  const now = Date.now();
  const r = db
    .prepare(
      'SELECT count(*) FILTER (WHERE queue = 0 AND visible_at <= ?) AS visible, ' +
        'count(*) FILTER (WHERE queue = 0 AND visible_at > ? AND receive_count > 0) AS inFlight, ' +
        'count(*) FILTER (WHERE queue = 0 AND visible_at > ? AND receive_count = 0) AS delayed, ' +
        'count(*) FILTER (WHERE queue = 1) AS dlq, ' +
        'count(*) FILTER (WHERE queue = 0 AND receive_count = 0) AS unreceived FROM messages',
    )
    .get(now, now, now) as Record<string, number>;
  const kept = db.prepare('SELECT unreceived FROM counts WHERE queue = 0').get() as { unreceived: number };
  expect(kept.unreceived).toBe(r.unreceived);
  return { visible: r.visible, inFlight: r.inFlight, delayed: r.delayed, dlq: r.dlq };
}

/** The queue's stats, the bounded counts and an unbounded one all agree with the scan. */
async function expectExact(q: SqliteQueue, db: Database, expected: ReturnType<typeof truth>) {
  expect(truth(db)).toEqual(expected);
  expect(await q.stats()).toEqual(expected);
  const { bytes: _b, ...bounded } = storeCounts(db, Date.now(), 2);
  expect(bounded).toEqual(expected);
  const { bytes: _u, ...unbounded } = storeCounts(db, Date.now(), 1_000_000);
  expect(unbounded).toEqual(expected);
}

const proxyOn = (db: Database) => ({ name: 'default', db }) as unknown as LocalProxy;

describe('store counts', () => {
  it('stay exact through send, receive, backoff, hand-back, delete, dead letters, redrive and a restart', async () => {
    const q = await queue();
    const other = await connection();
    for (let i = 0; i < 5; i++) await q.send(`m${i}`);
    // Hidden side under the bound.
    await expectExact(q, other, { visible: 5, inFlight: 0, delayed: 0, dlq: 0 });
    await q.sendDelayed('later-1', 300);
    await q.sendDelayed('later-2', 300);
    // Both sides at the bound: the full count.
    await expectExact(q, other, { visible: 5, inFlight: 0, delayed: 2, dlq: 0 });
    const got = await q.receive({ max: 4, waitSeconds: 0 });
    expect(got).toHaveLength(4);
    // An outage's shape: most hidden, few due; the visible side is counted.
    await expectExact(q, other, { visible: 1, inFlight: 4, delayed: 2, dlq: 0 });
    await q.deleteMany([got[0]!.receiptHandle]);
    await expectExact(q, other, { visible: 1, inFlight: 3, delayed: 2, dlq: 0 });
    // A backoff keeps it in flight; a hand-back makes it waiting and never received again.
    await q.changeVisibility(got[1]!.receiptHandle, 120);
    await q.handBack(got[2]!.receiptHandle);
    await expectExact(q, other, { visible: 2, inFlight: 2, delayed: 2, dlq: 0 });
    // deliver's own dead letter: a copy into the DLQ, the original deleted.
    await q.deadLetter(got[1]!.body, { attempts: 1 });
    await q.deleteMany([got[1]!.receiptHandle]);
    await expectExact(q, other, { visible: 2, inFlight: 1, delayed: 2, dlq: 1 });
    // The redrive policy's move: due again after its second receive, the third receive moves it.
    await q.changeVisibility(got[3]!.receiptHandle, 0);
    const second = (await q.receive({ max: 10, waitSeconds: 0 })).find((m) => m.body === got[3]!.body)!;
    expect(second.attributes.ApproximateReceiveCount).toBe('2');
    await q.changeVisibility(second.receiptHandle, 0);
    await expectExact(q, other, { visible: 1, inFlight: 2, delayed: 2, dlq: 1 });
    const third = await q.receive({ max: 10, waitSeconds: 0 });
    expect(third.map((m) => m.body)).not.toContain(got[3]!.body);
    await expectExact(q, other, { visible: 0, inFlight: 2, delayed: 2, dlq: 2 });
    // `redrive --local` from its own connection: back with receive count 0, waiting.
    expect((await redriveLocal(proxyOn(other))).moved).toBe(2);
    await expectExact(q, other, { visible: 2, inFlight: 2, delayed: 2, dlq: 0 });

    // A restart as a kill leaves it (no close): the leases handed out again, the counts as the file says.
    queues.splice(queues.indexOf(q), 1);
    const q2 = await queue();
    expect(q2.releaseLeases()).toBe(2);
    await expectExact(q2, other, { visible: 4, inFlight: 0, delayed: 2, dlq: 0 });
  });

  it('upgrades a store written before counts.unreceived: counted once, then kept by the new triggers', async () => {
    const q = await queue();
    for (let i = 0; i < 3; i++) await q.send(`m${i}`);
    const [r] = await q.receive({ max: 1, waitSeconds: 0 });
    await q.close();
    queues.splice(0);
    // The schema of the previous release: no unreceived column, triggers that do not keep it.
    const old = await connection();
    old.exec(`
      DROP TRIGGER messages_receive;
      DROP TRIGGER messages_insert;
      DROP TRIGGER messages_delete;
      DROP TRIGGER messages_move;
      ALTER TABLE counts DROP COLUMN unreceived;
      CREATE TRIGGER messages_insert AFTER INSERT ON messages BEGIN
        UPDATE counts SET messages = messages + 1, bytes = bytes + NEW.bytes WHERE queue = NEW.queue;
      END;
      CREATE TRIGGER messages_delete AFTER DELETE ON messages BEGIN
        UPDATE counts SET messages = messages - 1, bytes = bytes - OLD.bytes WHERE queue = OLD.queue;
      END;
      CREATE TRIGGER messages_move AFTER UPDATE OF queue ON messages WHEN OLD.queue <> NEW.queue BEGIN
        UPDATE counts SET messages = messages - 1, bytes = bytes - OLD.bytes WHERE queue = OLD.queue;
        UPDATE counts SET messages = messages + 1, bytes = bytes + NEW.bytes WHERE queue = NEW.queue;
      END;`);
    old.close();

    const q2 = await queue();
    const other = await connection();
    await expectExact(q2, other, { visible: 2, inFlight: 1, delayed: 0, dlq: 0 });
    await q2.send('after');
    // The receipt the file holds: undone, never received again (the receive trigger counts it back).
    await q2.handBack(r!.receiptHandle);
    await expectExact(q2, other, { visible: 4, inFlight: 0, delayed: 0, dlq: 0 });
  });
});
