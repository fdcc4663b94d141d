/**
 * The handlers' SQS calls against an endpoint that accepts connections and never answers, a real TCP
 * server on 127.0.0.1 (the SDK takes the endpoint from the queue URL when none is configured). Without
 * timeouts the SDK waits forever (its default is none) and these tests would hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope, createEnvelope } from '../../src/envelope.js';
import { createDeliverHandler } from '../../src/handlers/deliver.js';
import { createIngestHandler } from '../../src/handlers/ingest.js';
import {
  createSqsClient,
  createSqsQueuePort,
  DELIVER_SQS_LIMITS,
  INGEST_SQS_LIMITS,
} from '../../src/handlers/sqs-port.js';
import { INGEST_TIMEOUT } from '../../src/proxy/provision/create.js';
import { httpApiEvent, sqsEvent, sqsRecord } from '../helpers/events.js';
import { silentServer } from '../helpers/net.js';
import { answering, startUpstream } from '../helpers/upstream.js';

let silent: Awaited<ReturnType<typeof silentServer>>;
let queueUrl: string;
const saved = { ...process.env };

beforeAll(async () => {
  silent = await silentServer();
  queueUrl = `${silent.url}/123456789012/webhook-proxy-default`;
  // As inside Lambda: region and credentials from the environment, no endpoint override.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
  delete process.env.AWS_ENDPOINT_URL;
  delete process.env.AWS_ENDPOINT_URL_SQS;
  delete process.env.AWS_PROFILE;
});
afterAll(async () => {
  process.env = saved;
  await silent.close();
});

describe('SQS calls from the handlers, against an endpoint that never answers', () => {
  it('SendMessage fails by its deadline, after retrying attempts that each timed out', async () => {
    const port = await createSqsQueuePort(
      queueUrl,
      await createSqsClient(INGEST_SQS_LIMITS),
      INGEST_SQS_LIMITS,
    );
    const before = silent.connections();
    const started = Date.now();
    const err = await port.send('{}').then(
      () => undefined,
      (e: Error) => e,
    );
    const ms = Date.now() - started;
    expect(err?.name).toBe('TimeoutError');
    expect(err?.message).toContain(`SQS SendMessage to ${new URL(silent.url).host}`);
    expect(ms).toBeGreaterThanOrEqual(INGEST_SQS_LIMITS.deadlineMs - 50);
    expect(ms).toBeLessThan(INGEST_SQS_LIMITS.deadlineMs + 2000);
    // The per-attempt request timeout fired and the SDK tried again on a new connection (with only a
    // warning on timeout, as requestTimeout does without throwOnRequestTimeout, there would be one).
    expect(silent.connections() - before).toBeGreaterThanOrEqual(2);
  });

  it('ingest answers 503 with Retry-After before its function timeout, so the sender retries', async () => {
    const port = await createSqsQueuePort(
      queueUrl,
      await createSqsClient(INGEST_SQS_LIMITS),
      INGEST_SQS_LIMITS,
    );
    const logs: Record<string, unknown>[] = [];
    const ingest = createIngestHandler({
      queue: port,
      config: { responseStatus: 200, fifo: false },
      log: (l) => logs.push(l),
    });
    const started = Date.now();
    const res = await ingest(httpApiEvent({ body: '{}', headers: { 'content-type': 'application/json' } }));
    // Lambda would end the invocation at INGEST_TIMEOUT (and API Gateway answer 500 without Retry-After).
    expect(Date.now() - started).toBeLessThan(INGEST_TIMEOUT * 1000);
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBe('5');
    expect(String(logs[0]!.error)).toContain('TimeoutError');
  });

  it('deliver reports failed messages by the visibility call deadline, and waits on SQS only once per batch', async () => {
    const upstream = await startUpstream(answering(500));
    try {
      const port = await createSqsQueuePort(
        queueUrl,
        await createSqsClient(DELIVER_SQS_LIMITS),
        DELIVER_SQS_LIMITS,
      );
      const deliver = createDeliverHandler({
        queue: port,
        config: {
          upstream: upstream.url,
          preservePath: false,
          timeoutSeconds: 2,
          concurrency: 2,
          backoffBase: 5,
          backoffMax: 900,
          maxAttempts: 10,
        },
        log: () => {},
      });
      const env = createEnvelope({
        method: 'POST',
        rawPath: '/',
        rawQueryString: '',
        headers: {},
        cookies: [],
        sourceIp: '203.0.113.7',
        host: 'h',
        protocol: 'https',
        body: Buffer.from('x'),
      });
      const rec = sqsRecord(encodeEnvelope(env));
      const second = sqsRecord(encodeEnvelope({ ...env, id: 'wh_second' }));
      const started = Date.now();
      const deadline = started + 30_000; // the function's timeout in this rehearsal
      const res = await deliver(sqsEvent([rec, second]), {
        getRemainingTimeInMillis: () => deadline - Date.now(),
      });
      const ms = Date.now() - started;
      expect(res.batchItemFailures).toEqual([
        { itemIdentifier: rec.messageId },
        { itemIdentifier: second.messageId },
      ]);
      // The first visibility call times out; the second message's is not attempted (both still failed).
      expect(upstream.received).toHaveLength(2);
      expect(ms).toBeGreaterThanOrEqual(DELIVER_SQS_LIMITS.deadlineMs - 50);
      expect(ms).toBeLessThan(DELIVER_SQS_LIMITS.deadlineMs + 2000);
    } finally {
      await upstream.close();
    }
  });
});
