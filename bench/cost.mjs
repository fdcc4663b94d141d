// Cost model: AWS list price per million webhooks for this design next to the original design
// (api2sqs + sqs2upstream: batch size 1, one deliver invocation per message, 128 MB), from handler
// durations and calls per webhook measured in this run (bench/handler-timing.mjs) plus stated assumptions.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { breakdown } from './aws-proxy.mjs';
import { fakeAwsEnv, median, percentile, ratio, ROOT, round, startNodeServer } from './lib.mjs';

/** us-east-1 list prices (aws.amazon.com/{api-gateway,lambda,sqs}/pricing), as published in 2025. */
export const PRICES = {
  asOf: '2025-06 (us-east-1 public list prices, no free tier, no savings plans)',
  apiGatewayHttpPerMillion: 1.0, // HTTP API, first 300 M requests/month, each up to 512 KB
  lambdaRequestsPerMillion: 0.2,
  lambdaGbSecond: 0.0000166667, // x86_64, first 6 B GB-s/month (the original design)
  lambdaGbSecondArm: 0.0000133334, // arm64, first 7.5 B GB-s/month (create deploys arm64)
  sqsStandardPerMillion: 0.4, // each 64 KB chunk of a payload is one request
};

function measureHandlers(endpoint, upstream, n, batch) {
  return new Promise((resolve, reject) => {
    const child = fork(join(ROOT, 'bench/handler-timing.mjs'), {
      cwd: ROOT,
      env: {
        ...process.env,
        ...fakeAwsEnv(endpoint),
        WP_UPSTREAM: upstream,
        BENCH_N: String(n),
        BENCH_BATCH: String(batch),
      },
      // The handlers log a JSON line per webhook (CloudWatch on Lambda): not needed here.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    let result;
    child.on('message', (m) => (result = m));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`handler timing exited ${code} without a result`));
    });
  });
}

const perWebhook = (calls, window, webhooks) =>
  calls.filter((c) => c.at >= window.from && c.at <= window.to).length / webhooks;

/**
 * Dollars per million webhooks. `deliverMsPerBatch` is the measured in-process time of one batch
 * against an instant upstream; the application's own answer time is added per message.
 */
function model({
  ingestMs,
  ingestMb,
  deliverMsPerBatch,
  deliverMb,
  batch,
  appMs,
  pacedMs = 0,
  sends,
  gbSecondPrice = PRICES.lambdaGbSecondArm,
}) {
  const M = 1e6;
  const invocations = M / batch;
  const billedBatchMs = Math.ceil(deliverMsPerBatch + batch * Math.max(appMs, pacedMs));
  const gbSeconds =
    M * (ingestMb / 1024) * (Math.ceil(ingestMs) / 1000) +
    invocations * (deliverMb / 1024) * (billedBatchMs / 1000);
  // SQS: SendMessage by ingest; per batch one ReceiveMessage and one DeleteMessageBatch by the
  // event source mapping (a batch of small webhooks fits one 64 KB chunk).
  const sqsRequests = M * sends + 2 * invocations;
  const parts = {
    apiGateway: PRICES.apiGatewayHttpPerMillion,
    lambdaRequests: ((M + invocations) / M) * PRICES.lambdaRequestsPerMillion,
    lambdaDuration: gbSeconds * gbSecondPrice,
    sqs: (sqsRequests / M) * PRICES.sqsStandardPerMillion,
  };
  return {
    ...parts,
    total: Object.values(parts).reduce((a, b) => a + b, 0),
    gbSeconds,
    sqsRequests,
    billedBatchMs,
  };
}

export async function costModel({ proxy, n, design, appMs, paced }) {
  const sink = await startNodeServer('bench/http-200.mjs');
  proxy.reset(0);
  let m;
  try {
    m = await measureHandlers(proxy.url, `${sink.url}/hooks`, n, design.batchSize);
  } finally {
    await sink.stop();
  }
  const calls = proxy.snapshot().calls;
  const d = Object.fromEntries(
    Object.entries(m.durations).map(([k, v]) => [k, { median: median(v), p99: percentile(v, 99) }]),
  );
  const sends = perWebhook(calls, m.windows.ingest, m.n);
  const deliverCalls = perWebhook(calls, m.windows.deliverBatch, Math.floor(m.n / m.batch) * m.batch);
  const ingestWindowCalls = breakdown(
    calls.filter((c) => c.at >= m.windows.ingest.from && c.at <= m.windows.ingest.to),
  );

  const oursInputs = {
    ingestMs: d.ingest.median,
    ingestMb: design.ingestMb,
    deliverMsPerBatch: d.deliverBatch.median,
    deliverMb: design.deliverMb,
    batch: m.batch,
    appMs,
    sends,
  };
  const ours = model(oursInputs);
  const oursPaced = model({ ...oursInputs, pacedMs: (1000 * paced.concurrency) / paced.rate });
  // The same design at the original's 128 MB: what batching does, apart from the memory choice.
  const ours128 = model({ ...oursInputs, ingestMb: 128, deliverMb: 128 });
  const original = model({
    ingestMs: d.ingest.median,
    ingestMb: 128,
    deliverMsPerBatch: d.deliver1.median,
    deliverMb: 128,
    batch: 1,
    appMs,
    sends: 1,
    // The article's Terraform deployed x86_64 functions.
    gbSecondPrice: PRICES.lambdaGbSecond,
  });

  const section = 'cost per 1M webhooks';
  const dollars = (x) => round(x, 4);
  const vsOriginal = 'original design (batch 1, 128 MB)';
  const rows = [
    {
      section: 'handler in-process time',
      metric: 'ingest (median)',
      value: round(d.ingest.median, 2),
      unit: 'ms',
      baseline: round(d.sendMessage.median, 2),
      baselineLabel: 'a bare SendMessage to the same moto queue',
      ratio: ratio(d.ingest.median, d.sendMessage.median),
      note: `p99 ${round(d.ingest.p99, 2)} ms over ${m.n}; AWS calls per webhook: ${JSON.stringify(ingestWindowCalls)} / ${m.n}`,
    },
    {
      section: 'handler in-process time',
      metric: `deliver, batch of ${m.batch} (median)`,
      value: round(d.deliverBatch.median, 2),
      unit: 'ms',
      baseline: round(m.batch * d.post.median, 2),
      baselineLabel: `${m.batch} bare keep-alive POSTs to the same upstream`,
      ratio: ratio(d.deliverBatch.median, m.batch * d.post.median),
      note: `AWS calls per delivered webhook: ${round(deliverCalls, 3)}; failures ${m.failures}`,
    },
    {
      section: 'handler in-process time',
      metric: 'deliver, batch of 1 (median)',
      value: round(d.deliver1.median, 2),
      unit: 'ms',
      baseline: round(d.post.median, 2),
      baselineLabel: 'one bare keep-alive POST to the same upstream',
      ratio: ratio(d.deliver1.median, d.post.median),
      note: '',
    },
  ];
  for (const [key, label] of [
    ['apiGateway', 'API Gateway HTTP API'],
    ['lambdaRequests', 'Lambda requests'],
    ['lambdaDuration', 'Lambda duration (GB-s)'],
    ['sqs', 'SQS requests'],
    ['total', 'total'],
  ]) {
    rows.push({
      section,
      metric: `this design: ${label}`,
      value: dollars(ours[key]),
      unit: 'USD',
      baseline: dollars(original[key]),
      baselineLabel: vsOriginal,
      ratio: ratio(ours[key], original[key]),
      note:
        key === 'lambdaDuration'
          ? `${round(ours.gbSeconds, 0)} vs ${round(original.gbSeconds, 0)} GB-s`
          : key === 'sqs'
            ? `${round(ours.sqsRequests / 1e6, 2)} vs ${round(original.sqsRequests / 1e6, 2)} requests per webhook`
            : '',
    });
  }
  rows.push({
    section,
    metric: 'this design at --memory 128: total',
    value: dollars(ours128.total),
    unit: 'USD',
    baseline: dollars(original.total),
    baselineLabel: vsOriginal,
    ratio: ratio(ours128.total, original.total),
    note: 'same memory as the original: the difference is batching',
  });
  rows.push({
    section,
    metric: `this design, paced (--concurrency ${paced.concurrency} --rate ${paced.rate}): total`,
    value: dollars(oursPaced.total),
    unit: 'USD',
    baseline: dollars(original.total),
    baselineLabel: vsOriginal,
    ratio: ratio(oursPaced.total, original.total),
    note: `deliver waits ${round((1000 * paced.concurrency) / paced.rate, 0)} ms per webhook for its turn, and Lambda bills the wait`,
  });
  const assumptions = [
    `Prices: ${PRICES.asOf}: API Gateway HTTP API $${PRICES.apiGatewayHttpPerMillion}/M requests; Lambda $${PRICES.lambdaRequestsPerMillion}/M requests + $${PRICES.lambdaGbSecondArm}/GB-s on arm64 (this design) or $${PRICES.lambdaGbSecond}/GB-s on x86_64 (the original); SQS standard $${PRICES.sqsStandardPerMillion}/M requests (64 KB chunks).`,
    `This design: ingest ${design.ingestMb} MB, deliver ${design.deliverMb} MB, batch size ${design.batchSize}, full batches (a backlog, which is what a spike makes); ${design.source}.`,
    'Original design (the Terraform article): both functions 128 MB, batch size 1, one deliver invocation per message; its code is taken as fixed (awaiting its request), since the original returned early and lost requests.',
    `The application answers each delivery in ${appMs} ms (assumed, same for both designs; Lambda bills the wait); handler times are measured here against moto and an instant local upstream, billed rounded up to 1 ms per invocation.`,
    "SQS: 1 SendMessage per webhook (measured), and per deliver batch 1 ReceiveMessage + 1 DeleteMessageBatch by the event source mapping (AWS does not publish the poller's calls); idle long polling (a fixed monthly amount, the same for both designs), retries, DLQ, CloudWatch Logs and data transfer are left out.",
    'Measured durations come from a full CPU core; Lambda gives 128 MB 1/14 of a vCPU, so CPU-bound parts take longer there. Cold starts are left out.',
  ];
  return {
    rows,
    assumptions,
    details: {
      durations: d,
      ours128,
      sendsPerWebhook: sends,
      deliverCallsPerWebhook: deliverCalls,
      ours,
      oursPaced,
      original,
    },
  };
}
