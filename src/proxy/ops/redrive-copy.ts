/**
 * Redrive's copy path: ReceiveMessage (DLQ) → send to the queue → DeleteMessageBatch (DLQ), deleting
 * only what was sent (a crash in between leaves a duplicate, never a loss). A received batch of up to
 * 10 is sent in as many SendMessageBatch calls as SQS's 1 MiB total allows (sqs-batches.ts), in order;
 * a message that shares a batch with nothing goes alone with SendMessage. When a send fails, what was
 * not sent is made visible in the DLQ again at once and the copy stops with the reason.
 */
import type { Message, MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import type { Aws } from '../../aws/clients.js';
import { decodeEnvelope } from '../../envelope.js';
import { CliError, describeAwsError } from '../../errors.js';
import type { QueueRef } from '../locate.js';
import { packBatches, sqsMessageSize } from './sqs-batches.js';
import { plural } from '../suggest.js';

export interface CopyOptions {
  limit?: number;
  rate?: number;
  onProgress?: (p: { path: 'copy'; moved: number; toMove: number | null }) => void;
  onNote?: (message: string) => void;
}

/** The FIFO group and deduplication id of a copy. */
export function fifoIdsFor(m: Message): { MessageGroupId: string; MessageDeduplicationId: string } {
  let id = m.MessageId ?? '';
  try {
    id = decodeEnvelope(m.Body ?? '').id;
  } catch {
    /* not an envelope: its SQS id */
  }
  // The envelope id alone is the dedup id ingest used; within SQS's 5-minute window a copy carrying it
  // would be silently dropped as a duplicate of the original (and then deleted from the DLQ: lost).
  // The first-receive time makes it distinct from ingest's, yet the same if a redrive is retried.
  const first = m.Attributes?.ApproximateFirstReceiveTimestamp ?? m.Attributes?.SentTimestamp ?? '';
  return {
    MessageGroupId: m.Attributes?.MessageGroupId ?? 'webhooks',
    MessageDeduplicationId: `${id}-r${first}`.slice(0, 128),
  };
}

/** What one message becomes in the queue: the same body (so the same envelope id) and attributes. */
interface Copy {
  message: Message;
  body: string;
  attributes?: Record<string, MessageAttributeValue>;
  fifo?: { MessageGroupId: string; MessageDeduplicationId: string };
}

const copyOf = (m: Message, fifo: boolean): Copy => ({
  message: m,
  body: m.Body ?? '',
  ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length
    ? { attributes: m.MessageAttributes }
    : {}),
  ...(fifo ? { fifo: fifoIdsFor(m) } : {}),
});

/** How a group's send went: which copies SQS took, and why the first of the others was refused. */
interface Sent {
  ok: Copy[];
  failure?: string;
}

async function sendGroup(sqs: SQSClient, queueUrl: string, group: Copy[]): Promise<Sent> {
  const { SendMessageCommand, SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
  const fields = (c: Copy) => ({
    MessageBody: c.body,
    ...(c.attributes ? { MessageAttributes: c.attributes } : {}),
    ...c.fifo,
  });
  try {
    if (group.length === 1) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...fields(group[0]!) }));
      return { ok: group };
    }
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: group.map((c, i) => ({ Id: String(i), ...fields(c) })),
      }),
    );
    const ok = new Set((out.Successful ?? []).map((s) => s.Id));
    const failed = out.Failed?.[0];
    return {
      ok: group.filter((_, i) => ok.has(String(i))),
      ...(failed ? { failure: `${failed.Code}: ${failed.Message ?? ''}` } : {}),
    };
  } catch (err) {
    // Not known to be sent (a timeout may still have reached SQS): kept in the DLQ, at worst a duplicate.
    return { ok: [], failure: describeAwsError(err) };
  }
}

export async function copyMessages(
  aws: Aws,
  dlq: QueueRef,
  queue: QueueRef,
  fifo: boolean,
  o: CopyOptions,
): Promise<number> {
  const { ReceiveMessageCommand, DeleteMessageBatchCommand, ChangeMessageVisibilityBatchCommand } =
    await import('@aws-sdk/client-sqs');
  const sqs = await aws.sqs();
  const limit = o.limit ?? Infinity;
  const toMove = Number(dlq.attributes.ApproximateNumberOfMessages ?? NaN);
  const started = Date.now();
  let moved = 0;
  let idle = 0;
  while (moved < limit && idle < 2) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MaxNumberOfMessages: Math.min(10, limit - moved),
        // Long enough to send and delete; if we die, they reappear in the DLQ after this.
        VisibilityTimeout: 120,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      idle++;
      continue;
    }
    idle = 0;
    const groups = packBatches(
      messages.map((m) => copyOf(m, fifo)),
      (c) => sqsMessageSize(c.body, c.attributes),
    );
    for (const [g, group] of groups.entries()) {
      const sent = await sendGroup(sqs, queue.url, group);
      if (sent.ok.length) {
        const del = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: dlq.url,
            Entries: sent.ok.map((c, i) => ({ Id: String(i), ReceiptHandle: c.message.ReceiptHandle! })),
          }),
        );
        if (del.Failed?.length) {
          o.onNote?.(
            `${plural(del.Failed.length, 'message was', 'messages were')} copied but not deleted from the DLQ; they will appear twice.`,
          );
        }
      }
      moved += sent.ok.length;
      o.onProgress?.({ path: 'copy', moved, toMove: Number.isFinite(toMove) ? toMove : null });
      if (sent.failure) {
        // Not sent, this group's and the later groups': visible in the DLQ again at once.
        const back = [...group.filter((c) => !sent.ok.includes(c)), ...groups.slice(g + 1).flat()];
        await sqs
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: dlq.url,
              Entries: back.map((c, i) => ({
                Id: String(i),
                ReceiptHandle: c.message.ReceiptHandle!,
                VisibilityTimeout: 0,
              })),
            }),
          )
          .catch(() => undefined);
        throw new CliError(
          `Moved ${plural(moved, 'message')}; ${back.length} could not be sent to the queue: ${sent.failure}`,
          'Those messages are still in the DLQ. Fix the cause and run redrive again.',
        );
      }
    }
    if (o.rate) {
      const due = started + (moved / o.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  return moved;
}
