/**
 * Issue 13: the memory of `dev`/`serve` stays flat however deep the local queue. The store is filled
 * through its real API (SqliteQueue on a real file, opened as the server opens it: openStoreDb, its
 * pragmas) with 1 KB envelopes in group-committed batches, while the dashboard's counters
 * (DeliveryStats) are told what an outage tells them: every webhook failed. The JS heap (after a forced
 * GC) and the RSS are read every 10,000.
 *
 * What must hold is the second half: once SQLite's page cache and V8's heap have grown to their
 * working size (the first 10,000 or so), another 50,000 queued webhooks add nothing beyond noise. A
 * Set or Map keyed by webhook id would add megabytes there; the test measures what 50,000 ids in a Set
 * cost on this machine, so it shows that it could see one. The million-webhook figure (the 150 MB goal)
 * is `node bench/run.mjs --only depth` (bench/README.md): a real `dev` filled over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEnvelope, type Envelope } from '../../src/envelope.js';
import { DeliveryStats } from '../../src/local/stats.js';
import { openStoreDb } from '../../src/local/store/open.js';
import { SqliteQueue } from '../../src/local/store/sqlite-queue.js';
import { tempDataDir } from '../helpers/data-dir.js';

// A forced GC makes the heap figure the live objects only (vitest runs this file in its own process).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const TOTAL = 100_000;
const STEP = 10_000;
/** Sent in one tick: one transaction (group commit), as a spike's concurrent requests are. */
const BATCH = 1_000;
/** Growth from 50,000 to 100,000 queued that is still noise (measured: < 0.1 MB of heap, ~1 MB of RSS). */
const HEAP_NOISE = 1 * MB;
const RSS_NOISE = 8 * MB;

/** An envelope as ingest stores it, padded to 1,024 bytes. */
function webhook(): { id: string; body: string } {
  const envelope: Envelope = {
    v: 1,
    id: `wh_${randomUUID()}`,
    receivedAt: new Date().toISOString(),
    method: 'POST',
    rawPath: '/hooks',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'memory-test' },
    cookies: [],
    sourceIp: '127.0.0.1',
    host: '127.0.0.1:8080',
    protocol: 'http',
    bodyEncoding: 'utf8',
    body: '',
  };
  const pad = 1024 - Buffer.byteLength(encodeEnvelope(envelope));
  return { id: envelope.id, body: encodeEnvelope({ ...envelope, body: 'x'.repeat(pad) }) };
}

function memory(): { heap: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

const open: SqliteQueue[] = [];
afterAll(async () => {
  for (const q of open.splice(0)) await q.close();
});

describe('the local store: memory with a deep queue', () => {
  it('does not grow from 50,000 to 100,000 queued 1 KB webhooks', async () => {
    const db = await openStoreDb({ dataDir: tempDataDir('wp-memory-') });
    const queue = new SqliteQueue(db, { visibilityTimeout: 30, maxReceiveCount: 10 });
    open.push(queue);
    const stats = new DeliveryStats();
    const samples = [{ queued: 0, ...memory() }];
    for (let queued = 0; queued < TOTAL;) {
      const batch = Array.from({ length: BATCH }, webhook);
      await Promise.all(batch.map((w) => queue.send(w.body)));
      for (const w of batch) {
        stats.received();
        stats.failed(w.id, 1, 'connect ECONNREFUSED 127.0.0.1:3000');
      }
      queued += BATCH;
      if (queued % STEP === 0) {
        // What the dashboard reads on every refresh, from the counts table and the index.
        const snap = stats.snapshot(await queue.stats());
        expect(snap).toMatchObject({ received: queued, queued, delayed: 0 });
        samples.push({ queued, ...memory() });
      }
    }
    const at = (n: number) => samples.find((s) => s.queued === n)!;
    const figures = samples
      .map((s) => `${s.queued}: heap ${(s.heap / MB).toFixed(1)} MB, RSS ${(s.rss / MB).toFixed(1)} MB`)
      .join('\n');

    // Generous: the warm-up (an 8 MiB page cache, V8's heap grown for a batch) stays far below the goal.
    expect(at(TOTAL).heap - at(0).heap, figures).toBeLessThan(10 * MB);
    expect(at(TOTAL).rss - at(0).rss, figures).toBeLessThan(100 * MB);
    // Flat: the second 50,000 cost nothing beyond noise.
    expect(at(TOTAL).heap - at(TOTAL / 2).heap, figures).toBeLessThan(HEAP_NOISE);
    expect(at(TOTAL).rss - at(TOTAL / 2).rss, figures).toBeLessThan(RSS_NOISE);

    // …and those bounds would see 50,000 webhook ids kept in a Set (what the dashboard once did).
    const before = memory();
    const ids = new Set<string>();
    for (let i = 0; i < TOTAL / 2; i++) ids.add(webhook().id);
    const withIds = memory();
    expect(ids.size).toBe(TOTAL / 2);
    expect(
      withIds.heap - before.heap,
      `${((withIds.heap - before.heap) / MB).toFixed(1)} MB`,
    ).toBeGreaterThan(2 * HEAP_NOISE);
  });
});
