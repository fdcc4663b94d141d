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
 * main queue that count is what the redrive policy compares with maxReceiveCount: a receive of a
 * message whose count is already maxReceiveCount moves it to the DLQ instead of returning it (AWS,
 * "Using dead-letter queues in Amazon SQS": "When the ReceiveCount for a message exceeds the
 * maxReceiveCount for a queue, Amazon SQS moves the message to a dead-letter queue"; moto the same).
 * So a peek of a webhook waiting for its last attempt (count maxReceiveCount - 1) would spend that
 * attempt: deliver's next receive would dead-letter it untried. A peek therefore gives such a webhook
 * its attempt back: it is hidden while peeked (so deliver cannot receive it meanwhile), a copy carrying
 * the attempts it really had (envelope `attempts`, as deliver's own hold does) is queued, and only
 * then is the original deleted (a failed send leaves the original, nothing is lost). An ordered (FIFO)
 * queue cannot take a copy without losing the webhook's place in its group, so there the peek says so
 * instead. Earlier peeks still raise the attempt number deliver counts; peeking the DLQ has no effect.
 */
import type { Message } from '@aws-sdk/client-sqs';
import type { Aws } from '../../aws/clients.js';
import { decodeEnvelope, encodeEnvelope } from '../../envelope.js';
import { previewMessage, type PeekedMessage } from '../preview.js';

const HIDE_SECONDS = 30;

export interface PeekResult {
  messages: PeekedMessage[];
  /** Webhooks this peek's receive would have cost their last attempt, queued again as copies. */
  givenBack: number;
  /** Webhooks at their last receive on an ordered queue, which cannot be copied (see above). */
  atLimit: number;
}

export async function peekQueue(aws: Aws, queueUrl: string, limit: number): Promise<PeekResult> {
  const { ReceiveMessageCommand, ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand } =
    await import('@aws-sdk/client-sqs');
  const sqs = await aws.sqs();
  const attrs =
    (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy', 'FifoQueue'] }),
      )
    ).Attributes ?? {};
  const maxReceive = maxReceiveCount(attrs.RedrivePolicy);
  const fifo = attrs.FifoQueue === 'true';
  // A queue with a redrive policy is always peeked hidden, so no receive can come between this
  // peek's and the give-back below.
  const hide = limit > 10 || maxReceive !== undefined;
  const seen = new Map<string, PeekedMessage>();
  const handles = new Map<string, string>(); // receipt handle → MessageId, to make visible again
  const last: Message[] = [];
  let givenBack = 0;
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
        if (hide && m.ReceiptHandle) handles.set(m.ReceiptHandle, m.MessageId ?? '');
        const count = Number(m.Attributes?.ApproximateReceiveCount ?? 0);
        if (maxReceive !== undefined && count >= maxReceive && m.ReceiptHandle) last.push(m);
        if (!m.MessageId || seen.has(m.MessageId) || seen.size >= limit) continue;
        seen.set(m.MessageId, previewMessage(m));
        fresh++;
      }
      idle = fresh === 0 ? idle + 1 : 0;
    }
    if (!fifo) {
      for (const m of last) {
        if (await giveBack(aws, queueUrl, m)) {
          handles.delete(m.ReceiptHandle!);
          givenBack++;
        }
      }
    }
  } finally {
    const visible = [...handles.keys()];
    for (let i = 0; i < visible.length; i += 10) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: visible
            .slice(i, i + 10)
            .map((ReceiptHandle, j) => ({ Id: String(j), ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  return { messages: [...seen.values()], givenBack, atLimit: fifo ? last.length : 0 };
}

function maxReceiveCount(policy: string | undefined): number | undefined {
  if (!policy) return undefined;
  try {
    const n = Number((JSON.parse(policy) as { maxReceiveCount?: unknown }).maxReceiveCount);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Queue a copy of `m` that counts only the attempts it really had (its receive count less this
 * peek's receive, plus the attempts its envelope already carried), then delete `m`. False, and `m`
 * left as it is, when it is not an envelope (it is no webhook to save) or the send fails.
 */
async function giveBack(aws: Aws, queueUrl: string, m: Message): Promise<boolean> {
  const { SendMessageCommand, DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
  const sqs = await aws.sqs();
  let body: string;
  try {
    const e = decodeEnvelope(m.Body ?? '');
    const received = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
    body = encodeEnvelope({ ...e, attempts: (e.attempts ?? 0) + received - 1 });
  } catch {
    return false;
  }
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  } catch {
    return false;
  }
  // The copy is stored: the original may go. Should the delete fail, both are queued (at least once,
  // same webhook id), and the original's last receive moves it to the DLQ, where redrive brings it back.
  try {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  } catch {
    // Left hidden for HIDE_SECONDS; then as above. The copy is what counts.
  }
  return true;
}
