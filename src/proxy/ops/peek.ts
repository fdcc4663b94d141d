/**
 * Show messages without consuming them.
 *
 * Up to 10: ReceiveMessage with VisibilityTimeout 0, so each message is visible again at once; a few
 * receives, de-duplicated by MessageId (short polling samples a subset of SQS's servers per call).
 * More than 10: receives with visibility 0 keep answering with the same first messages (moto always,
 * AWS often), so we hide what we have seen for a moment (VisibilityTimeout 30) to reach the next ones,
 * then make every one of them visible again at once (ChangeMessageVisibilityBatch 0) before returning,
 * also on errors. If the process dies in between, they reappear by themselves after 30 s.
 * An ordered (FIFO) queue hands out one group's messages only after the earlier ones, so a peek there
 * sees at most one batch.
 *
 * Caveat (real SQS, and moto): a receive is a receive. It raises ApproximateReceiveCount, and on the
 * main queue that count is what the redrive policy compares with maxReceiveCount, so peeking the same
 * message many times brings it closer to the DLQ. Peeking the DLQ has no such effect.
 */
import type { Aws } from '../../aws/clients.js';
import { previewMessage, type PeekedMessage } from '../preview.js';

const HIDE_SECONDS = 30;

export async function peekQueue(aws: Aws, queueUrl: string, limit: number): Promise<PeekedMessage[]> {
  const { ReceiveMessageCommand, ChangeMessageVisibilityBatchCommand } = await import('@aws-sdk/client-sqs');
  const sqs = await aws.sqs();
  const hide = limit > 10;
  const seen = new Map<string, PeekedMessage>();
  const handles: string[] = [];
  try {
    // Stop after two receives in a row that bring nothing new.
    let idle = 0;
    for (let round = 0; seen.size < limit && idle < 2 && round < limit + 5; round++) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, limit - seen.size),
          VisibilityTimeout: hide ? HIDE_SECONDS : 0,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
      );
      let fresh = 0;
      for (const m of out.Messages ?? []) {
        if (hide && m.ReceiptHandle) handles.push(m.ReceiptHandle);
        if (!m.MessageId || seen.has(m.MessageId) || seen.size >= limit) continue;
        seen.set(m.MessageId, previewMessage(m));
        fresh++;
      }
      idle = fresh === 0 ? idle + 1 : 0;
    }
  } finally {
    for (let i = 0; i < handles.length; i += 10) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: handles
            .slice(i, i + 10)
            .map((ReceiptHandle, j) => ({ Id: String(j), ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  return [...seen.values()];
}
