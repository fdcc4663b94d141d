// The disk store's memory with a deep queue (issue 13: RSS ≤ 150 MB with a million 1 KB webhooks
// queued in `dev`/`serve`). A fresh `dev` with delivery stalled (an upstream that never answers holds
// the --concurrency slots, so nothing is received: everything ingested stays queued) is filled over
// HTTP with 1 KB JSON webhooks by autocannon, in ten equal steps, and its RSS (/proc) is read after
// each. Measured, not extrapolated: the million takes about 5 minutes on a busy 2-core VM and about
// 2 GB in the OS's temp directory (an envelope is ~1.4 KB, plus the index), removed when dev exits
// (bench/dev-process.mjs).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startDevProcess } from './dev-process.mjs';
import { BODY_1K, cannon, stalledDevArgs, stalledUpstream } from './ingest.mjs';
import { procUsage, ratio, round } from './lib.mjs';

const MB = 1024 * 1024;
const GOAL = 150 * MB;
const STEPS = 10;
const PER_100K = 100_000;

/** Bytes of RSS per webhook queued, fitted over `samples`. */
function slope(samples) {
  const mx = samples.reduce((s, p) => s + p.queued, 0) / samples.length;
  const my = samples.reduce((s, p) => s + p.rss, 0) / samples.length;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.queued - mx) * (p.rss - my);
    den += (p.queued - mx) ** 2;
  }
  return num / den;
}

export async function queueDepth({ webhooks, connections, concurrency }) {
  const stalled = await stalledUpstream();
  const step = webhooks / STEPS;
  const depth = { webhooks, steps: STEPS, samples: [] };
  let dev;
  try {
    dev = await startDevProcess([...stalledDevArgs(stalled.url, concurrency), '--max-queue-bytes', '8GiB']);
    depth.startRss = procUsage(dev.pid)?.rss;
    const t0 = Date.now();
    for (let i = 1; i <= STEPS; i++) {
      const r = await cannon(dev.url, { amount: step, connections, body: BODY_1K });
      const u = procUsage(dev.pid);
      depth.samples.push({
        queued: step * i,
        rss: u?.rss,
        hwm: u?.hwm,
        non2xx: r.non2xx,
        errors: r.errors,
        seconds: (Date.now() - t0) / 1000,
      });
      process.stderr.write(
        `bench: depth ${(step * i).toLocaleString('en-US')} queued, RSS ${round((u?.rss ?? NaN) / MB, 1)} MB\n`,
      );
    }
    depth.seconds = (Date.now() - t0) / 1000;
    try {
      depth.dbBytes = statSync(join(dev.dataRoot, 'default', 'queue.db')).size;
      depth.walBytes = statSync(join(dev.dataRoot, 'default', 'queue.db-wal')).size;
    } catch {
      /* layout changed: leave the file sizes out */
    }
  } finally {
    await stalled.close();
    await dev?.stop(5000);
  }

  const section = 'queue depth (disk store)';
  const last = depth.samples.at(-1);
  const half = depth.samples[STEPS / 2 - 1];
  const first = depth.samples[0];
  const n = last.queued.toLocaleString('en-US');
  const refused = depth.samples.reduce((s, x) => s + x.non2xx + x.errors, 0);
  // The second half: SQLite's page cache and V8's heap have grown to their working size by then, so
  // what is left is what each further webhook costs (a structure per webhook would show here). A
  // least-squares slope over its samples: one RSS reading moves by a few MB with the garbage of the
  // last requests, too much for the difference of two.
  const growth = slope(depth.samples.slice(STEPS / 2 - 1)) * PER_100K;
  // What 100,000 more may cost for a million to stay under the goal from this start.
  const budget = (GOAL - depth.startRss) / 10;
  const rows = [
    {
      section,
      metric: `RSS with ${n} × 1 KB webhooks queued (measured)`,
      value: round(last.rss / MB, 1),
      unit: 'MB',
      baseline: 150,
      baselineLabel: 'goal for 1M queued',
      ratio: ratio(last.rss, GOAL),
      note:
        `at start ${round(depth.startRss / MB, 1)} MB, after the first ${first.queued.toLocaleString('en-US')} ` +
        `${round(first.rss / MB, 1)} MB, peak ${round(last.hwm / MB, 1)} MB; filled over HTTP in ` +
        `${round(depth.seconds, 0)} s (${round(last.queued / depth.seconds, 0)}/s); queue.db ` +
        `${round((depth.dbBytes ?? NaN) / MB, 0)} MB + WAL ${round((depth.walBytes ?? NaN) / MB, 0)} MB; ` +
        `not stored (non-2xx or errors): ${refused}`,
    },
    {
      section,
      metric: 'RSS growth per 100,000 queued (second half of the fill)',
      value: round(growth / MB, 2),
      unit: 'MB',
      baseline: round(budget / MB, 1),
      baselineLabel: 'budget per 100,000 to stay under 150 MB at 1M',
      ratio: ratio(growth, budget),
      note: `least-squares slope from ${half.queued.toLocaleString('en-US')} to ${n}; RSS after each step: ${depth.samples
        .map((s) => round(s.rss / MB, 0))
        .join(', ')} MB`,
    },
  ];
  return { rows, details: depth };
}
