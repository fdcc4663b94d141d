/**
 * The Lambda entry points (`handler` of ingest and deliver) as the runtime calls them, against moto's
 * SQS: an initialisation that failed once is tried again on the next invocation instead of failing
 * every later one of the container (which, for deliver, sends every batch to the DLQ untried).
 */
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnvelope, decodeEnvelope, encodeEnvelope } from '../../src/envelope.js';
import { handler as deliverHandler } from '../../src/handlers/deliver.js';
import { handler as ingestHandler } from '../../src/handlers/ingest.js';
import { httpApiEvent, sqsEvent, sqsRecord } from '../helpers/events.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { startUpstream } from '../helpers/upstream.js';

useMoto();
const sqs = new SQSClient({});
const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
});

describe('Lambda entry points after a failed initialisation', () => {
  it('ingest builds again on the next invocation, and stores the webhook', async () => {
    delete process.env.WP_QUEUE_URL;
    const event = httpApiEvent({
      rawPath: '/hooks/a b',
      body: '{"n":1}',
      headers: { 'content-type': 'application/json' },
    });
    await expect(ingestHandler(event)).rejects.toThrow(/WP_QUEUE_URL is not set/);

    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('init-ingest') }));
    process.env.WP_QUEUE_URL = QueueUrl!;
    const res = await ingestHandler(event);
    expect(res.statusCode).toBe(200);
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    const stored = decodeEnvelope(out.Messages![0]!.Body!);
    expect(stored.id).toBe(JSON.parse(res.body!).id);
    expect(stored.rawPath).toBe('/hooks/a%20b');
  });

  it('deliver builds again on the next batch, and delivers it', async () => {
    const upstream = await startUpstream();
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('init-deliver') }));
      process.env.WP_QUEUE_URL = QueueUrl!;
      delete process.env.WP_UPSTREAM;
      const body = encodeEnvelope(
        createEnvelope({
          id: 'wh_init',
          method: 'POST',
          rawPath: '/',
          rawQueryString: '',
          headers: {},
          cookies: [],
          sourceIp: '203.0.113.7',
          host: 'h',
          protocol: 'https',
          body: Buffer.from('x'),
        }),
      );
      const context = { getRemainingTimeInMillis: () => 60_000 };
      await expect(deliverHandler(sqsEvent([sqsRecord(body)]), context)).rejects.toThrow(/WP_UPSTREAM/);

      process.env.WP_UPSTREAM = upstream.url;
      const res = await deliverHandler(sqsEvent([sqsRecord(body)]), context);
      expect(res.batchItemFailures).toEqual([]);
      expect(upstream.received.map((r) => r.headers['x-webhook-proxy-id'])).toEqual(['wh_init']);
      // The runtime's context reaches the handler: with no time left the message is handed back untried.
      const late = sqsRecord(body);
      const skipped = await deliverHandler(sqsEvent([late]), { getRemainingTimeInMillis: () => 1000 });
      expect(skipped.batchItemFailures).toEqual([{ itemIdentifier: late.messageId }]);
      expect(upstream.received).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });
});
