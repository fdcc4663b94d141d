/**
 * The whole data path against moto's real SQS and a real HTTP upstream on 127.0.0.1:
 * payload-2.0 event → ingest → SQS → (received as the event source mapping would) → deliver → upstream.
 * The upstream checks every body's hash and a GitHub-style HMAC signature over it.
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, encodeEnvelope } from '../../src/envelope.js';
import { createDeliverHandler, type DeliverConfig, type DeliveryEvent } from '../../src/handlers/deliver.js';
import { createIngestHandler } from '../../src/handlers/ingest.js';
import { createSqsQueuePort } from '../../src/handlers/sqs-port.js';
import { httpApiEvent, sqsEvent, sqsRecord } from '../helpers/events.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { closedPort } from '../helpers/net.js';
import { counts } from '../helpers/proxy-fixture.js';
import { sha256, startUpstream } from '../helpers/upstream.js';

useMoto();
const sqs = new SQSClient({});
const SECRET = 'It’s a Secret to Everybody';

// GitHub's scheme (x-hub-signature-256: sha256=HMAC-SHA256(secret, raw body bytes)), over bytes rather
// than strings so the gzip and empty bodies are covered too.
const sign = (body: Buffer) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const verify = (body: Buffer, header: string) => {
  const expected = Buffer.from(sign(body));
  const got = Buffer.from(header);
  return expected.length === got.length && timingSafeEqual(expected, got);
};

async function newQueue(): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('datapath') }));
  return out.QueueUrl!;
}

async function receiveAll(queueUrl: string, expected: number): Promise<Message[]> {
  const got: Message[] = [];
  for (let i = 0; i < 20 && got.length < expected; i++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        WaitTimeSeconds: 1,
      }),
    );
    got.push(...(out.Messages ?? []));
  }
  return got;
}

/** What the Lambda event source mapping does with the handler's answer: delete every success. */
async function runDeliver(queueUrl: string, messages: Message[], config: DeliverConfig) {
  const events: DeliveryEvent[] = [];
  const deliver = createDeliverHandler({
    queue: await createSqsQueuePort(queueUrl, sqs),
    config,
    log: (e) => events.push(e),
  });
  const records = messages.map((m) => ({
    ...sqsRecord(m.Body!, {
      attempt: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
      messageId: m.MessageId,
    }),
    receiptHandle: m.ReceiptHandle!,
  }));
  const res = await deliver(sqsEvent(records));
  const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
  const done = records.filter((r) => !failed.has(r.messageId));
  for (let i = 0; i < done.length; i += 10) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.slice(i, i + 10).map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  return { res, events };
}

const config = (upstream: string): DeliverConfig => ({
  upstream,
  preservePath: true,
  timeoutSeconds: 2,
  concurrency: 2,
  backoffBase: 5,
  backoffMax: 900,
  maxAttempts: 10,
});

describe('data path through moto SQS', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  const verified: boolean[] = [];
  beforeAll(async () => {
    upstream = await startUpstream(async (r, res) => {
      verified.push(verify(r.body, String(r.headers['x-hub-signature-256'])));
      res.end('ok');
    });
  });
  afterAll(() => upstream.close());

  it('delivers every kind of body byte for byte, and the signature still verifies', async () => {
    const queueUrl = await newQueue();
    const ingest = createIngestHandler({
      queue: await createSqsQueuePort(queueUrl, sqs),
      config: { responseStatus: 202, fifo: false },
      log: () => {},
    });
    // ~600 KB of JSON, with a big integer no JavaScript number can hold (re-serialising would change it).
    const bigJson = `{"data":${JSON.stringify('é"\\'.repeat(100_000))},"n":12345678901234567890}`;
    const cases: { name: string; type?: string; body: Buffer }[] = [
      {
        name: 'json',
        type: 'application/json',
        body: Buffer.from('{ "a" :1 ,\n\t"b": "日本 \u{1F680}", "n": 9007199254740993 }  '),
      },
      {
        name: 'form',
        type: 'application/x-www-form-urlencoded',
        body: Buffer.from('To=%2B15551234567&Body=Hello+w%C3%B6rld&X='),
      },
      { name: 'gzip', body: gzipSync(Buffer.from('{"compressed":true}')) },
      { name: 'empty', type: 'application/json', body: Buffer.alloc(0) },
      { name: 'large', type: 'application/json', body: Buffer.from(bigJson) },
    ];
    expect(cases[4]!.body.length).toBeGreaterThan(600_000);
    const ids = new Map<string, string>();
    for (const c of cases) {
      const headers: Record<string, string> = {
        'x-hub-signature-256': sign(c.body),
        'x-github-event': 'push',
        // API Gateway joins repeated headers with commas.
        'x-repeated': 'one,two',
      };
      if (c.type) headers['content-type'] = c.type;
      const res = await ingest(
        httpApiEvent({
          rawPath: `/gh/${c.name}`,
          rawQueryString: 'q=%20x',
          headers,
          cookies: ['s=1', 't=2'],
          body: c.body,
        }),
      );
      expect(res.statusCode, c.name).toBe(202);
      ids.set(JSON.parse(res.body!).id, c.name);
    }

    const messages = await receiveAll(queueUrl, cases.length);
    expect(messages).toHaveLength(cases.length);
    const { res, events } = await runDeliver(queueUrl, messages, config(`${upstream.url}/in`));
    expect(res.batchItemFailures).toEqual([]);
    expect(events.every((e) => e.event === 'delivered')).toBe(true);

    expect(upstream.received).toHaveLength(cases.length);
    for (const r of upstream.received) {
      const name = ids.get(String(r.headers['x-webhook-proxy-id']))!;
      const c = cases.find((x) => x.name === name)!;
      expect(r.sha256, name).toBe(sha256(c.body));
      expect(r.url).toBe(`/in/gh/${name}?q=%20x`);
      expect(r.headers['x-repeated']).toBe('one,two');
      expect(r.headers.cookie).toBe('s=1; t=2');
      expect(r.headers['content-type']).toBe(c.type);
    }
    expect(verified).toEqual(cases.map(() => true));
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('paths as an HTTP API decodes them are sent encoded (also from envelopes queued decoded); unsafe ones are never queued', async () => {
    const queueUrl = await newQueue();
    const ingest = createIngestHandler({
      queue: await createSqsQueuePort(queueUrl, sqs),
      config: { responseStatus: 200, fifo: false },
      log: () => {},
    });
    const json = { 'content-type': 'application/json' };
    // rawPath as API Gateway hands it over for /twilio/sms%20in/%CE%BB and /a%252Fb (decoded twice).
    expect(
      (await ingest(httpApiEvent({ rawPath: '/twilio/sms in/λ', body: '{}', headers: json }))).statusCode,
    ).toBe(200);
    expect(
      (await ingest(httpApiEvent({ rawPath: '/a/../../admin', body: '{}', headers: json }))).statusCode,
    ).toBe(400);
    expect((await ingest(httpApiEvent({ rawPath: '/a%2Fb', body: '{}', headers: json }))).statusCode).toBe(
      400,
    );
    // What an older ingest stored: the decoded path as it came.
    const old = createEnvelope({
      method: 'POST',
      rawPath: '/old path?x#y',
      rawQueryString: 'q=1',
      headers: json,
      cookies: [],
      sourceIp: '203.0.113.7',
      host: 'h',
      protocol: 'https',
      body: Buffer.from('{}'),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeEnvelope(old) }));

    const messages = await receiveAll(queueUrl, 2);
    expect(messages).toHaveLength(2);
    const before = upstream.received.length;
    const { res } = await runDeliver(queueUrl, messages, config(`${upstream.url}/in`));
    expect(res.batchItemFailures).toEqual([]);
    expect(
      upstream.received
        .slice(before)
        .map((r) => r.url)
        .sort(),
    ).toEqual(['/in/old%20path%3Fx%23y?q=1', '/in/twilio/sms%20in/%CE%BB']);
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('an upstream 500 is a batch item failure; a timeout or refused connection on a fresh container is held; nothing is lost', async () => {
    const refusedPort = await closedPort();
    const failing = await startUpstream((r, res) => {
      if (r.url.startsWith('/slow')) setTimeout(() => res.end(), 3000);
      else {
        res.statusCode = 500;
        res.end();
      }
    });
    try {
      for (const [label, target] of [
        ['500', `${failing.url}/error`],
        ['timeout', `${failing.url}/slow`],
        ['refused', `http://127.0.0.1:${refusedPort}/`],
      ] as const) {
        const queueUrl = await newQueue();
        const ingest = createIngestHandler({
          queue: await createSqsQueuePort(queueUrl, sqs),
          config: { responseStatus: 200, fifo: false },
          log: () => {},
        });
        for (let i = 0; i < 3; i++)
          await ingest(httpApiEvent({ body: `{"i":${i}}`, headers: { 'content-type': 'application/json' } }));
        const messages = await receiveAll(queueUrl, 3);
        const { res, events } = await runDeliver(queueUrl, messages, {
          ...config(target),
          timeoutSeconds: 0.5,
          preservePath: false,
        });
        if (label === '500') {
          expect(res.batchItemFailures, label).toHaveLength(3);
          expect(events.map((e) => e.event)).toEqual(['failed', 'failed', 'failed']);
          // All three are still in the queue, hidden for their backoff.
          expect(await counts(queueUrl), label).toEqual({ visible: 0, inFlight: 3, delayed: 0 });
        } else {
          // A timeout or a refused connection on a fresh container, which has no evidence that the
          // upstream serves: not counted, held as delayed copies before the originals are deleted.
          expect(res.batchItemFailures, label).toHaveLength(0);
          expect(events.map((e) => e.event)).toEqual(['failed', 'held', 'failed', 'held', 'failed', 'held']);
          expect(await counts(queueUrl), label).toEqual({ visible: 0, inFlight: 0, delayed: 3 });
        }
      }
    } finally {
      await failing.close();
    }
  });
});
