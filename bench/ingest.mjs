// Ingest throughput: autocannon against `webhook-proxy dev`'s ingest, and with the very same settings
// against a bare node:http server answering 200 (bench/http-200.mjs), all separate processes on
// 127.0.0.1 in the same run. dev runs twice: delivering to another bare server (so its queue drains
// meanwhile, on the same thread), and with delivery stalled (an upstream that never answers holds the
// --concurrency slots, so nothing more is received: dev has no pause flag yet), which is ingest alone.
// CPU time per request comes from /proc (user + system of the server process over the measured run).
// Then the disk store's memory: many 1 KB webhooks queued (delivery stalled), RSS sampled as it fills.
import { createServer } from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startDevProcess } from './dev-process.mjs';
import { percentile, procUsage, ratio, round, SAMPLE_WEBHOOK_BODY, startNodeServer } from './lib.mjs';

const BODY = SAMPLE_WEBHOOK_BODY;
// A 1 KB JSON webhook (1,024 bytes exactly) for the queue-depth figure.
const BODY_1K = (() => {
  const base = JSON.parse(SAMPLE_WEBHOOK_BODY);
  const len = Buffer.byteLength(JSON.stringify({ ...base, pad: '' }));
  return JSON.stringify({ ...base, pad: 'x'.repeat(1024 - len) });
})();

/** autocannon's own histogram keeps whole milliseconds; its 'response' events carry exact times. */
function cannon(url, { seconds, amount, connections, body = BODY }) {
  const ms = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/hooks`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections,
        pipelining: 1,
        ...(amount ? { amount } : { duration: seconds }),
        timeout: 10,
      },
      (err, result) => (err ? reject(err) : resolve({ ...result, ms })),
    );
    instance.on('response', (_client, _status, _bytes, responseMs) => ms.push(responseMs));
  });
}

/** One measured run with the server's CPU time over it. */
async function measure(url, pid, opts) {
  const before = procUsage(pid);
  const r = await cannon(url, opts);
  const after = procUsage(pid);
  const cpuUs = before && after ? after.cpuUs - before.cpuUs : NaN;
  return {
    rps: r.requests.average,
    p50: round(percentile(r.ms, 50), 3),
    p99: round(percentile(r.ms, 99), 3),
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    cpuUsPerRequest: round(cpuUs / r.requests.total, 1),
    rss: after?.rss,
  };
}

/** An upstream that takes every request and never answers: deliveries stall, the queue fills. */
async function stalledUpstream() {
  const server = createServer(() => {});
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const MB = 1024 * 1024;

export async function ingestThroughput({ seconds, connections, warmupSeconds, concurrency, queued }) {
  const bare = await startNodeServer('bench/http-200.mjs');
  const sink = await startNodeServer('bench/http-200.mjs');
  const stalled = await stalledUpstream();
  const stallArgs = [
    '--upstream',
    stalled.url,
    '--concurrency',
    String(concurrency),
    '--timeout',
    '890',
    '--batch-size',
    '1',
  ];
  let dev;
  let b, d, p;
  const depth = { webhooks: queued, samples: [] };
  try {
    await cannon(bare.url, { seconds: warmupSeconds, connections });
    b = await measure(bare.url, bare.pid, { seconds, connections });

    dev = await startDevProcess(['--upstream', `${sink.url}/hooks`, '--concurrency', String(concurrency)]);
    await cannon(dev.url, { seconds: warmupSeconds, connections });
    d = await measure(dev.url, dev.pid, { seconds, connections });
    d.devEvents = { ...dev.counts };
    await dev.stop();

    dev = await startDevProcess(stallArgs);
    await cannon(dev.url, { seconds: warmupSeconds, connections });
    p = await measure(dev.url, dev.pid, { seconds, connections });
    await dev.stop(1000);

    // The store's memory with a deep queue: fill a fresh store in steps, RSS after each.
    dev = await startDevProcess([...stallArgs, '--max-queue-bytes', '8GiB']);
    depth.startRss = procUsage(dev.pid)?.rss;
    const steps = 4;
    const t0 = Date.now();
    for (let i = 1; i <= steps; i++) {
      const r = await cannon(dev.url, { amount: queued / steps, connections, body: BODY_1K });
      const u = procUsage(dev.pid);
      depth.samples.push({ queued: (queued / steps) * i, rss: u?.rss, hwm: u?.hwm, non2xx: r.non2xx });
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
    await dev?.stop(1000);
    await bare.stop();
    await sink.stop();
  }
  const section = 'ingest throughput';
  const settings = `autocannon ${connections} connections, ${seconds} s, POST ${Buffer.byteLength(BODY)} B JSON`;
  const vsBare = 'bare node:http answering 200';
  const rows = [];
  for (const [label, r, extra] of [
    ['delivering to an instant upstream', d, `; delivered meanwhile: ${d.devEvents?.delivered ?? '?'}`],
    ['delivery stalled (ingest alone)', p, ''],
  ]) {
    rows.push(
      {
        section,
        metric: `${label}: requests per second`,
        value: round(r.rps, 0),
        unit: 'req/s',
        baseline: round(b.rps, 0),
        baselineLabel: vsBare,
        ratio: ratio(r.rps, b.rps),
        note: `${settings}; non-2xx ${r.non2xx}, errors ${r.errors}${extra}; goal ≥ 0.5`,
      },
      {
        section,
        metric: `${label}: latency p50 / p99`,
        value: `${r.p50} / ${r.p99}`,
        unit: 'ms',
        baseline: `${b.p50} / ${b.p99}`,
        baselineLabel: vsBare,
        ratio: `${ratio(r.p50, b.p50)} / ${ratio(r.p99, b.p99)}`,
        note: 'from every response time autocannon reports',
      },
      {
        section,
        metric: `${label}: CPU per request`,
        value: r.cpuUsPerRequest,
        unit: 'µs',
        baseline: b.cpuUsPerRequest,
        baselineLabel: vsBare,
        ratio: ratio(r.cpuUsPerRequest, b.cpuUsPerRequest),
        note: 'user + system time of the server process (/proc) ÷ requests answered',
      },
    );
  }
  const last = depth.samples.at(-1);
  const half = depth.samples[Math.floor(depth.samples.length / 2) - 1];
  if (last?.rss && half?.rss) {
    const perWebhook = (last.rss - half.rss) / (last.queued - half.queued);
    const at1M = last.rss + perWebhook * (1_000_000 - last.queued);
    const goal = 150 * MB;
    rows.push({
      section,
      metric: `RSS with ${last.queued.toLocaleString('en-US')} × 1 KB webhooks queued (disk store)`,
      value: round(last.rss / MB, 1),
      unit: 'MB',
      baseline: 150,
      baselineLabel: 'goal for 1M queued',
      ratio: ratio(last.rss, goal),
      note:
        `at start ${round(depth.startRss / MB, 1)} MB, peak ${round(last.hwm / MB, 1)} MB; ` +
        `filled in ${round(depth.seconds, 1)} s; queue.db ${round((depth.dbBytes ?? NaN) / MB, 0)} MB + WAL ` +
        `${round((depth.walBytes ?? NaN) / MB, 0)} MB; non-2xx ${depth.samples.reduce((s, x) => s + x.non2xx, 0)}`,
    });
    rows.push({
      section,
      metric: 'RSS with 1M × 1 KB webhooks queued (extrapolated)',
      value: round(at1M / MB, 1),
      unit: 'MB',
      baseline: 150,
      baselineLabel: 'goal for 1M queued',
      ratio: ratio(at1M, goal),
      note:
        `not measured at 1M (too long on 2 cores): ${round(last.rss / MB, 1)} MB at ` +
        `${last.queued.toLocaleString('en-US')} + ${round(perWebhook, 1)} B per webhook (the slope over ` +
        `the second half of the fill) × the rest`,
    });
  }
  return { rows, details: { bare: b, dev: d, devStalled: p, depth } };
}
