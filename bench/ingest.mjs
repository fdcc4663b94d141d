// Ingest throughput: autocannon against `webhook-proxy dev`'s ingest, and with the very same settings
// against a bare node:http server answering 200 (bench/http-200.mjs), all separate processes on
// 127.0.0.1 in the same run. dev runs twice: delivering to another bare server (so its queue drains
// meanwhile, on the same thread), and with delivery stalled (an upstream that never answers holds the
// --concurrency slots, so nothing more is received: dev has no pause flag yet), which is ingest alone.
// CPU time per request comes from /proc (user + system of the server process over the measured run).
// The disk store's memory with a deep queue is bench/depth.mjs (it uses cannon and the 1 KB body).
import { createServer } from 'node:http';
import autocannon from 'autocannon';
import { startDevProcess } from './dev-process.mjs';
import { percentile, procUsage, ratio, round, SAMPLE_WEBHOOK_BODY, startNodeServer } from './lib.mjs';

const BODY = SAMPLE_WEBHOOK_BODY;
// A 1 KB JSON webhook (1,024 bytes exactly) for the queue-depth figure.
export const BODY_1K = (() => {
  const base = JSON.parse(SAMPLE_WEBHOOK_BODY);
  const len = Buffer.byteLength(JSON.stringify({ ...base, pad: '' }));
  return JSON.stringify({ ...base, pad: 'x'.repeat(1024 - len) });
})();

/** autocannon's own histogram keeps whole milliseconds; its 'response' events carry exact times. */
export function cannon(url, { seconds, amount, connections, body = BODY }) {
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
export async function stalledUpstream() {
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

/**
 * `dev` delivering to a stalled upstream (ingest and queue depth): a timeout far past any run, so no
 * stalled delivery ends and is retried meanwhile, and batches of one, the most that --timeout 890
 * passes (a batch must fit in Lambda's 15 minutes).
 */
export function stalledDevArgs(upstreamUrl, concurrency) {
  return [
    '--upstream',
    upstreamUrl,
    '--concurrency',
    String(concurrency),
    '--timeout',
    '890',
    '--batch-size',
    '1',
  ];
}

export async function ingestThroughput({ seconds, connections, warmupSeconds, concurrency }) {
  const bare = await startNodeServer('bench/http-200.mjs');
  const sink = await startNodeServer('bench/http-200.mjs');
  const stalled = await stalledUpstream();
  const stallArgs = stalledDevArgs(stalled.url, concurrency);
  let dev;
  let b, d, p;
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
  return { rows, details: { bare: b, dev: d, devStalled: p } };
}
