/**
 * `dev --queue-url`: the same LocalQueue backed by a real SQS queue (AWS, or an emulator through
 * --endpoint-url), so stopping `dev` loses nothing. Sending and changing visibility go through the
 * handlers' own SQS port (src/handlers/sqs-port.ts); this adds what the event source mapping does:
 * long-poll receives, batch deletes, and the queue's depth for the dashboard.
 *
 * The DLQ is whatever the queue's redrive policy says: SQS moves a message there by itself, out of
 * sight of this process, so `maxReceiveCount` is read from the policy and handed to `deliver` as its
 * max attempts, which is how `dev` learns that a failure was the last one.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { callTimeouts, longPollTimeoutMs } from '../aws/timeouts.js';
import { createSqsQueuePort } from '../handlers/sqs-port.js';
import type { LocalQueue, QueueStats, ReceivedMessage } from './queue.js';

/** SQS's own caps: 10 messages per receive and per delete batch, 20 s of long polling. */
const SQS_MAX_BATCH = 10;
const SQS_MAX_WAIT = 20;

export interface SqsQueueInfo {
  arn: string;
  fifo: boolean;
  visibilityTimeout: number;
  maxReceiveCount: number | undefined;
  dlqArn: string | undefined;
}

/** "arn:aws:sqs:us-east-1:123456789012:name" → its parts. */
export function parseQueueArn(arn: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:[^:]+:sqs:([^:]*):([^:]*):(.+)$/.exec(arn);
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : undefined;
}

/** "https://sqs.eu-west-1.amazonaws.com/123/name" → "eu-west-1" (undefined for emulators' URLs). */
export function regionFromQueueUrl(queueUrl: string): string | undefined {
  try {
    const host = new URL(queueUrl).hostname;
    return (
      /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ??
      /^([a-z]{2}(-[a-z]+)+-\d+)\.queue\.amazonaws\.com$/.exec(host)?.[1]
    );
  } catch {
    return undefined;
  }
}

export async function describeSqsQueue(client: SQSClient, queueUrl: string): Promise<SqsQueueInfo> {
  const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  const out = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  const a = out.Attributes ?? {};
  let maxReceiveCount: number | undefined;
  let dlqArn: string | undefined;
  if (a.RedrivePolicy) {
    const policy = JSON.parse(a.RedrivePolicy) as {
      maxReceiveCount?: number | string;
      deadLetterTargetArn?: string;
    };
    maxReceiveCount = policy.maxReceiveCount === undefined ? undefined : Number(policy.maxReceiveCount);
    dlqArn = policy.deadLetterTargetArn;
  }
  return {
    arn: a.QueueArn ?? '',
    fifo: a.FifoQueue === 'true',
    visibilityTimeout: Number(a.VisibilityTimeout ?? 30),
    maxReceiveCount,
    dlqArn,
  };
}

/**
 * `visibilityTimeout`: seconds each ReceiveMessage hides what it returns, as the delivery limits need
 * (limits.ts queueVisibilityTimeout: what `create` sets on a proxy's queue). The queue's own default
 * is whatever its owner chose, often SQS's 30 s: shorter than a batch may take at these limits, it
 * would hand a message still being delivered to another slot, which then delivers it twice.
 * Omitted: the queue's default.
 */
export async function createSqsLocalQueue(
  client: SQSClient,
  queueUrl: string,
  options: { visibilityTimeout?: number } = {},
): Promise<LocalQueue & { info: SqsQueueInfo }> {
  const sqs = await import('@aws-sdk/client-sqs');
  const info = await describeSqsQueue(client, queueUrl);
  const port = await createSqsQueuePort(queueUrl, client);
  const arnParts = parseQueueArn(info.arn);
  let dlqUrl: Promise<string | undefined> | undefined;
  const dlqQueueUrl = () =>
    (dlqUrl ??= (async () => {
      const dlq = info.dlqArn ? parseQueueArn(info.dlqArn) : undefined;
      if (!dlq) return undefined;
      const out = await client.send(
        new sqs.GetQueueUrlCommand({ QueueName: dlq.name, QueueOwnerAWSAccountId: dlq.account || undefined }),
      );
      return out.QueueUrl;
    })().catch(() => undefined));

  const count = async (url: string) => {
    const out = await client.send(
      new sqs.GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const a = out.Attributes ?? {};
    return {
      visible: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  };

  const toReceived = (m: Message): ReceivedMessage => {
    const a = m.Attributes ?? {};
    return {
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      md5OfBody: m.MD5OfBody ?? '',
      attributes: {
        ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
        SentTimestamp: a.SentTimestamp ?? String(Date.now()),
        SenderId: a.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
        ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
        ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
      },
    };
  };

  return {
    kind: 'sqs',
    info,
    arn: info.arn,
    region: arnParts?.region ?? (await client.config.region()),
    fifo: info.fifo,
    maxReceiveCount: info.maxReceiveCount,
    send: port.send,
    changeVisibility: port.changeVisibility,

    async receive({ max, waitSeconds, signal }) {
      // A batch larger than SQS's 10 is gathered from several receives, as the event source mapping does
      // (it waits for its batching window; we take what is there once the first receive returned).
      // The signal is not passed to the SDK: aborting a receive that SQS already answered would hide its
      // messages for the visibility timeout. The poller keeps waits short and hands back what arrives late.
      const got: ReceivedMessage[] = [];
      let wait = Math.min(SQS_MAX_WAIT, Math.max(0, Math.round(waitSeconds)));
      while (got.length < max) {
        const out = await client.send(
          new sqs.ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(SQS_MAX_BATCH, max - got.length),
            WaitTimeSeconds: wait,
            ...(options.visibilityTimeout !== undefined
              ? { VisibilityTimeout: options.visibilityTimeout }
              : {}),
            MessageSystemAttributeNames: ['All'],
          }),
          // The client's request timeout (src/aws/timeouts.ts) counts from the request: a long poll
          // may legitimately wait `wait` seconds before SQS answers.
          { requestTimeout: longPollTimeoutMs(callTimeouts(), wait) },
        );
        const messages = out.Messages ?? [];
        got.push(...messages.map(toReceived));
        if (messages.length === 0 || signal?.aborted) break;
        wait = 0;
      }
      return got;
    },

    async deleteMany(receiptHandles) {
      const failed: string[] = [];
      for (let i = 0; i < receiptHandles.length; i += SQS_MAX_BATCH) {
        const chunk = receiptHandles.slice(i, i + SQS_MAX_BATCH);
        const out = await client.send(
          new sqs.DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((h, j) => ({ Id: String(j), ReceiptHandle: h })),
          }),
        );
        for (const f of out.Failed ?? []) failed.push(chunk[Number(f.Id)]!);
      }
      return failed;
    },

    async stats(): Promise<QueueStats> {
      const url = await dlqQueueUrl();
      const [main, dlq] = await Promise.all([count(queueUrl), url ? count(url) : undefined]);
      return { ...main, dlq: dlq ? dlq.visible + dlq.inFlight + dlq.delayed : undefined };
    },

    async close() {
      /* The client is shared (src/aws/clients.ts); nothing of ours to release. */
    },
  };
}
