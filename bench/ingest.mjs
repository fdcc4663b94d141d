// Ingest throughput: autocannon against `webhook-proxy dev`'s ingest, and with the very same settings
// against a bare node:http server answering 200 (bench/http-200.mjs), both separate processes on
// 127.0.0.1 in the same run. dev delivers to another bare server, so its queue drains meanwhile.
import autocannon from 'autocannon';
import { startDevProcess } from './dev-process.mjs';
import { percentile, ratio, round, SAMPLE_WEBHOOK_BODY, startNodeServer } from './lib.mjs';

const BODY = SAMPLE_WEBHOOK_BODY;

/** autocannon's own histogram keeps whole milliseconds; its 'response' events carry exact times. */
function cannon(url, { seconds, connections }) {
  const ms = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/hooks`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
      },
      (err, result) => (err ? reject(err) : resolve({ ...result, ms })),
    );
    instance.on('response', (_client, _status, _bytes, responseMs) => ms.push(responseMs));
  });
}

function summary(r) {
  return {
    rps: r.requests.average,
    p50: round(percentile(r.ms, 50), 3),
    p99: round(percentile(r.ms, 99), 3),
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

export async function ingestThroughput({ seconds, connections, warmupSeconds, concurrency }) {
  const bare = await startNodeServer('bench/http-200.mjs');
  const sink = await startNodeServer('bench/http-200.mjs');
  let dev;
  let b;
  let d;
  try {
    await cannon(bare.url, { seconds: warmupSeconds, connections });
    b = summary(await cannon(bare.url, { seconds, connections }));
    dev = await startDevProcess(['--upstream', `${sink.url}/hooks`, '--concurrency', String(concurrency)]);
    await cannon(dev.url, { seconds: warmupSeconds, connections });
    d = summary(await cannon(dev.url, { seconds, connections }));
    d.devEvents = { ...dev.counts };
  } finally {
    await dev?.stop();
    await bare.stop();
    await sink.stop();
  }
  const section = 'ingest throughput';
  const settings = `autocannon ${connections} connections, ${seconds} s, POST ${Buffer.byteLength(BODY)} B JSON`;
  const rows = [
    {
      section,
      metric: 'requests per second',
      value: round(d.rps, 0),
      unit: 'req/s',
      baseline: round(b.rps, 0),
      baselineLabel: 'bare node:http answering 200',
      ratio: ratio(d.rps, b.rps),
      note: `${settings}; non-2xx ${d.non2xx}, errors ${d.errors}`,
    },
    {
      section,
      metric: 'latency p50',
      value: d.p50,
      unit: 'ms',
      baseline: b.p50,
      baselineLabel: 'bare node:http answering 200',
      ratio: ratio(d.p50, b.p50),
      note: 'from every response time autocannon reports',
    },
    {
      section,
      metric: 'latency p99',
      value: d.p99,
      unit: 'ms',
      baseline: b.p99,
      baselineLabel: 'bare node:http answering 200',
      ratio: ratio(d.p99, b.p99),
      note: '',
    },
  ];
  return { rows, details: { dev: d, bare: b } };
}
