// Child process of bench/cost.mjs: times the built handler bundles in process, as Lambda runs them,
// against a real SQS API (moto, through the counting proxy) and a real upstream on 127.0.0.1.
// Environment: AWS_ENDPOINT_URL, WP_UPSTREAM, BENCH_N, BENCH_BATCH (deliver's batch size, as the design
// deploys it); reports over IPC (stdout is the handlers' log).
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, SAMPLE_WEBHOOK_BODY } from './lib.mjs';

const N = Number(process.env.BENCH_N ?? 200);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const WARMUP = 5;
const sqs = new SQSClient({});
const queueName = `bench-cost-${Date.now().toString(36)}`;
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
process.env.WP_QUEUE_URL = QueueUrl;

const load = (name) => import(pathToFileURL(join(ROOT, `dist/handlers/${name}/index.mjs`)).href);
const ingest = await load('ingest');
const deliver = await load('deliver');

const body = SAMPLE_WEBHOOK_BODY;

/** The payload-2.0 event API Gateway hands ingest for one JSON webhook. */
function httpApiEvent(i) {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/hooks',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'SendGrid Event API',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'POST', path: '/hooks', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'x' },
      requestId: `req-${i}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
}

const windows = {};
const durations = { ingest: [], deliverBatch: [], deliver1: [], sendMessage: [], post: [] };
const timed = async (list, fn) => {
  const t0 = performance.now();
  await fn();
  list.push(performance.now() - t0);
};

// ingest: N + WARMUP invocations, one at a time (one Lambda container serves one request at a time).
for (let i = 0; i < WARMUP; i++) await ingest.handler(httpApiEvent(i));
windows.ingest = { from: Date.now() };
for (let i = 0; i < N; i++) await timed(durations.ingest, () => ingest.handler(httpApiEvent(i)));
windows.ingest.to = Date.now();

// The envelopes ingest stored, as the event source mapping would hand them to deliver.
const records = [];
for (let tries = 0; records.length < N + WARMUP && tries < N; tries++) {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 600,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  for (const m of out.Messages ?? []) {
    records.push({
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queueName}`,
      awsRegion: 'us-east-1',
    });
  }
}
const context = { getRemainingTimeInMillis: () => 60_000 };
const failures = [];
const run = async (batch) => {
  const out = await deliver.handler({ Records: batch }, context);
  failures.push(...(out?.batchItemFailures ?? []));
};
for (let i = 0; i < WARMUP; i++) await run([records[i]]);
const usable = records.slice(WARMUP);
// Full batches of BATCH (a backlog), then the same messages one per invocation.
windows.deliverBatch = { from: Date.now() };
for (let i = 0; i + BATCH <= usable.length; i += BATCH) {
  await timed(durations.deliverBatch, () => run(usable.slice(i, i + BATCH)));
}
windows.deliverBatch.to = Date.now();
windows.deliver1 = { from: Date.now() };
for (const r of usable) await timed(durations.deliver1, () => run([r]));
windows.deliver1.to = Date.now();

// Baselines, same process and peers: a bare SendMessage, and a bare keep-alive POST to the upstream.
await sqs.send(new PurgeQueueCommand({ QueueUrl }));
for (let i = 0; i < WARMUP + N; i++) {
  const send = () => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
  if (i < WARMUP) await send();
  else await timed(durations.sendMessage, send);
}
const agent = new Agent({ keepAlive: true });
const post = () =>
  new Promise((resolve, reject) => {
    const req = request(
      process.env.WP_UPSTREAM,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => res.resume().on('end', resolve),
    );
    req.on('error', reject);
    req.end(body);
  });
for (let i = 0; i < WARMUP; i++) await post();
for (let i = 0; i < N; i++) await timed(durations.post, post);
agent.destroy();

await sqs.send(new DeleteQueueCommand({ QueueUrl }));
process.send(
  { n: N, batch: BATCH, received: records.length, failures: failures.length, durations, windows },
  () => process.exit(0),
);
