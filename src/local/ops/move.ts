/**
 * `redrive --local` and `purge --local`: plain SQL on the store, in short transactions so a running
 * server's commits wait milliseconds, not the whole operation (busy_timeout covers the wait).
 *
 * Redrive moves rows from the DLQ back to the queue in place: same row, same body (the envelope, so
 * the same x-webhook-proxy-id), visible at once, receive count from zero, as SQS's redrive does. A
 * running server sees them on its next look at the file (sqlite-queue.ts polls for outside changes).
 */
import type { RedriveProgress, RedriveResult } from '../../proxy/ops/redrive.js';
import { DLQ, MAIN } from '../store/schema.js';
import type { LocalProxy } from './open.js';

/** Rows per transaction. */
const CHUNK = 500;

export interface LocalRedriveOptions {
  rate?: number;
  limit?: number;
  onProgress?: (p: RedriveProgress) => void;
  signal?: AbortSignal;
}

export async function redriveLocal(p: LocalProxy, o: LocalRedriveOptions = {}): Promise<RedriveResult> {
  const move = p.db.prepare(
    `UPDATE messages SET queue = ${MAIN}, visible_at = ?, receive_count = 0, first_receive_at = 0, leased = 0, receipt = NULL ` +
      `WHERE seq IN (SELECT seq FROM messages WHERE queue = ${DLQ} ORDER BY seq LIMIT ?)`,
  );
  const inDlq = (
    p.db.prepare(`SELECT messages FROM counts WHERE queue = ${DLQ}`).get() as { messages: number }
  ).messages;
  const toMove = Math.min(inDlq, o.limit ?? Infinity);
  // --rate: a chunk every 200 ms, sized so the moves average R per second.
  const stepMs = 200;
  const perStep =
    o.rate === undefined ? CHUNK : Math.max(1, Math.min(CHUNK, Math.floor((o.rate * stepMs) / 1000)));
  const gapMs = o.rate === undefined ? 0 : (perStep * 1000) / o.rate;
  let moved = 0;
  while (moved < toMove && !o.signal?.aborted) {
    const started = Date.now();
    const n = move.run(Date.now(), Math.min(perStep, toMove - moved)).changes;
    if (n === 0) break; // emptied meanwhile (a purge, or the DLQ was smaller than counted)
    moved += n;
    o.onProgress?.({ path: 'local', moved, toMove });
    if (gapMs && moved < toMove) await sleep(Math.max(0, gapMs - (Date.now() - started)));
  }
  return { name: p.name, moved, path: 'local' };
}

/** How many messages the queue (or DLQ) holds, in flight and delayed included. */
export function localDepth(p: LocalProxy, dlq: boolean): number {
  return (
    p.db.prepare('SELECT messages FROM counts WHERE queue = ?').get(dlq ? DLQ : MAIN) as { messages: number }
  ).messages;
}

/**
 * Delete every message of the queue or the DLQ (in flight ones too, as SQS's PurgeQueue does), a few
 * thousand rows per transaction: one huge delete would hold the write lock past a running server's
 * busy_timeout, and its ingest would answer 503s meanwhile.
 */
export function purgeLocal(p: LocalProxy, dlq: boolean): number {
  const del = p.db.prepare(
    'DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE queue = ? ORDER BY seq LIMIT 5000)',
  );
  let purged = 0;
  for (let n = -1; n !== 0; purged += n) n = del.run(dlq ? DLQ : MAIN).changes;
  return purged;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
