/**
 * The queue's counts as SQS reports them (waiting, in flight, delayed, the DLQ), exact, for the
 * dashboard's refresh (4 a second), `status --local` and `drain --local`'s polls.
 *
 * Totals come from the trigger-kept counts table (schema.ts). What is hidden depends on the time
 * (visible_at > now), so no trigger can keep it: it is counted on the (queue, visible_at,
 * receive_count) index. Counting every hidden row would cost a million index entries per refresh with
 * a million webhooks backing off through an outage, so only the smaller side of `now` is counted,
 * each side at most `bound` entries:
 * - the hidden side (the usual case: in flight ≤ concurrency): in flight and delayed split by
 *   receive_count, waiting is the rest;
 * - else the visible side (an outage: all backing off or held, few due): waiting and the never
 *   received among them, so delayed = never received (counts.unreceived) − those, in flight the rest;
 * - else (both sides past the bound: a spike deep in waiting while as many back off) the full count.
 */
import { DLQ, MAIN } from './schema.js';
import type { Database } from './sqlite.js';

/** Index entries one side's count reads at most: about a millisecond. */
export const COUNT_BOUND = 10_000;

export interface StoreCounts {
  visible: number;
  inFlight: number;
  delayed: number;
  dlq: number;
  /** Body bytes stored, queue and DLQ (the --max-queue-bytes check). */
  bytes: number;
}

type Totals = { queue: number; messages: number; bytes: number; unreceived: number };
type Side = { n: number; received: number };

const statements = new WeakMap<Database, ReturnType<typeof prepare>>();

function prepare(db: Database) {
  // receive_count > 0: in flight or backing off (SQS counts both as not visible); 0: never received.
  const side = (cmp: string) =>
    db.prepare<[number, number, number], Side>(
      'SELECT count(*) AS n, count(*) FILTER (WHERE receive_count > 0) AS received FROM ' +
        `(SELECT receive_count FROM messages WHERE queue = ? AND visible_at ${cmp} ? LIMIT ?)`,
    );
  return {
    totals: db.prepare<[], Totals>('SELECT queue, messages, bytes, unreceived FROM counts'),
    hidden: side('>'),
    visible: side('<='),
    all: db.prepare<[number, number], Side>(
      'SELECT count(*) AS n, count(*) FILTER (WHERE receive_count > 0) AS received ' +
        'FROM messages WHERE queue = ? AND visible_at > ?',
    ),
  };
}

/** One read transaction: the totals and the index agree even while another process writes. */
export function storeCounts(db: Database, now = Date.now(), bound = COUNT_BOUND): StoreCounts {
  let sql = statements.get(db);
  if (!sql) statements.set(db, (sql = prepare(db)));
  const s = sql;
  return db.transaction(() => {
    const totals = new Map(s.totals.all().map((r) => [r.queue, r]));
    const main = totals.get(MAIN) ?? { messages: 0, unreceived: 0 };
    const dlq = totals.get(DLQ)?.messages ?? 0;
    const bytes = [...totals.values()].reduce((sum, r) => sum + r.bytes, 0);
    let hidden = s.hidden.get(MAIN, now, bound)!;
    if (hidden.n >= bound) {
      const visible = s.visible.get(MAIN, now, bound)!;
      if (visible.n < bound) {
        const delayed = Math.max(0, main.unreceived - (visible.n - visible.received));
        return {
          visible: visible.n,
          inFlight: Math.max(0, main.messages - visible.n - delayed),
          delayed,
          dlq,
          bytes,
        };
      }
      hidden = s.all.get(MAIN, now)!;
    }
    return {
      visible: Math.max(0, main.messages - hidden.n),
      inFlight: hidden.received,
      delayed: hidden.n - hidden.received,
      dlq,
      bytes,
    };
  })();
}
