/**
 * `dev --queue-url` against moto's SQS: webhooks queued in a real queue survive a stop. The first run
 * is paced slowly so most webhooks are still queued when it gets SIGTERM; the second run delivers them
 * all, each exactly once. The DLQ and max attempts come from the queue's own redrive policy.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoEnv, uniqueName, useMoto } from '../helpers/moto.js';
import { counts } from '../helpers/proxy-fixture.js';
import { startUpstream } from '../helpers/upstream.js';
import { blast, startDev } from './dev-harness.js';

const endpoint = useMoto();
const sqs = new SQSClient({});
const WEBHOOKS = 30;

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let queueUrl: string;

beforeAll(async () => {
  upstream = await startUpstream((_r, res) => res.end('ok'));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dev-dlq') }));
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  const q = await sqs.send(
    new CreateQueueCommand({
      QueueName: uniqueName('dev-main'),
      Attributes: {
        VisibilityTimeout: '60',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
      },
    }),
  );
  queueUrl = q.QueueUrl!;
});

afterAll(async () => {
  await upstream?.close();
});

describe('dev --queue-url (moto SQS)', () => {
  it('keeps what is queued across a stop, and delivers all of it on the next start', async () => {
    const common = ['--upstream', upstream.url, '--queue-url', queueUrl, '--endpoint-url', endpoint];
    const first = await startDev([...common, '--concurrency', '1', '--rate', '2'], motoEnv());
    expect(first.events[0]).toMatchObject({ event: 'listening', queue: 'sqs', maxAttempts: 5 });
    expect(first.stderr()).toContain('redrive policy moves a webhook to the DLQ after 5 attempts');

    const answers = await blast(
      first.url,
      Array.from({ length: WEBHOOKS }, (_x, i) => ({
        body: `{"n":${i}}`,
        headers: { 'content-type': 'application/json' },
      })),
      10,
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const ids = answers.map((a) => a.id!);
    await first.waitFor((e) => e.event === 'delivered', 2, 20_000);

    expect(await first.stop('SIGTERM')).toBe(0);
    const stopped = first.events.at(-1)!;
    expect(stopped).toMatchObject({ event: 'stopped', lost: false });
    const deliveredFirst = first.events.filter((e) => e.event === 'delivered').length;
    expect(Number(stopped.queued)).toBe(WEBHOOKS - deliveredFirst);
    expect(Number(stopped.queued)).toBeGreaterThan(WEBHOOKS / 2);
    // The batch that was being paced was handed back, not left hidden for the visibility timeout.
    expect(await counts(queueUrl)).toEqual({ visible: WEBHOOKS - deliveredFirst, inFlight: 0, delayed: 0 });

    const second = await startDev([...common, '--concurrency', '2'], motoEnv());
    await second.waitFor((e) => e.event === 'delivered', WEBHOOKS - deliveredFirst, 30_000);
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(second.events.at(-1)).toEqual({ event: 'stopped', queued: 0, deadLettered: 0, lost: false });

    const arrived = upstream.received.map((r) => String(r.headers['x-webhook-proxy-id']));
    expect(arrived.sort()).toEqual([...ids].sort());
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});

describe('dev --queue-url on a queue whose visibility timeout is shorter than a delivery', () => {
  it('hides each message for what the limits need on every receive: a slow delivery is not made twice', async () => {
    // 1 s by the queue's own setting; the upstream takes 3 s. Without VisibilityTimeout on
    // ReceiveMessage the second slot would receive the webhook again while the first still delivers it.
    const q = await sqs.send(
      new CreateQueueCommand({ QueueName: uniqueName('dev-short'), Attributes: { VisibilityTimeout: '1' } }),
    );
    const slow = await startUpstream((_r, res) => {
      setTimeout(() => res.end('ok'), 3000);
    });
    try {
      const dev = await startDev(
        [
          '--upstream',
          slow.url,
          '--queue-url',
          q.QueueUrl!,
          '--endpoint-url',
          endpoint,
          '--concurrency',
          '2',
        ],
        motoEnv(),
      );
      const sent = await blast(
        dev.url,
        [{ body: '{"slow":true}', headers: { 'content-type': 'application/json' } }],
        1,
      );
      expect(sent[0]!.status).toBe(200);
      await dev.waitFor((e) => e.event === 'delivered', 1, 20_000);
      expect(await dev.stop('SIGTERM')).toBe(0);
      expect(slow.received.map((r) => r.headers['x-webhook-proxy-id'])).toEqual([sent[0]!.id]);
      expect(await counts(q.QueueUrl!)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    } finally {
      await slow.close();
    }
  });
});
