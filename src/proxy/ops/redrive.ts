/**
 * Move dead-lettered webhooks back to the queue, where they obey the same throttle as live traffic.
 *
 * Path 1, AWS: StartMessageMoveTask (DLQ → queue, at most --rate messages/s, ≤ 500), then poll
 * ListMessageMoveTasks for progress. It cannot stop after N messages, so --limit takes path 2.
 * Path 2, copy: ReceiveMessage → SendMessageBatch → DeleteMessageBatch, ten at a time, deleting only the
 * entries whose send succeeded (a crash in between leaves a duplicate, never a loss). Used when the
 * move-task API is not available (moto answers it with an HTTP 500 HTML page; other emulators with
 * UnsupportedOperation or 501), with --limit, and with a --rate below 1/s.
 * Either way the message body (the envelope, and so its id) is copied unchanged.
 */
import type { Message } from '@aws-sdk/client-sqs';
import type { Aws } from '../../aws/clients.js';
import { decodeEnvelope } from '../../envelope.js';
import { CliError } from '../../errors.js';
import { need, type Proxy, type QueueRef } from '../locate.js';

export type RedrivePath = 'move-task' | 'copy';

export interface RedriveProgress {
  path: RedrivePath;
  moved: number;
  /** Known for the move task (its estimate) and for the copy path (the DLQ depth at the start). */
  toMove: number | null;
}

export interface RedriveOptions {
  rate?: number;
  limit?: number;
  pollMs?: number;
  onProgress?: (p: RedriveProgress) => void;
  onNote?: (message: string) => void;
}

export interface RedriveResult {
  name: string;
  moved: number;
  path: RedrivePath;
  /** Why the copy path ran, when it did. */
  reason?: string;
}

/** The move-task API's own limit. */
export const MOVE_TASK_MAX_RATE = 500;

/** An answer that means "this endpoint has no such API", as opposed to a real AWS refusal. */
export function isUnsupported(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  if (
    [
      'UnsupportedOperation',
      'AWS.SimpleQueueService.UnsupportedOperation',
      'InvalidAction',
      'UnknownOperationException',
      'NotImplemented',
      'NotImplementedException',
    ].includes(name)
  ) {
    return true;
  }
  if (status === 501 || status === 404) return true;
  // An emulator's HTML error page: the SDK fails to parse it (SyntaxError) on a 5xx.
  return name === 'SyntaxError' && (status ?? 500) >= 500;
}

export async function redriveProxy(aws: Aws, proxy: Proxy, o: RedriveOptions = {}): Promise<RedriveResult> {
  const queue = need(proxy, 'queue');
  const dlq = need(proxy, 'dlq');
  let reason: string | undefined;
  if (o.limit !== undefined) reason = 'StartMessageMoveTask cannot stop after --limit messages';
  else if (o.rate !== undefined && o.rate < 1)
    reason = 'StartMessageMoveTask cannot go slower than 1 message/s';
  else {
    const startedAt = Date.now();
    const started = await startMoveTask(aws, dlq, queue, o.rate);
    if (started.ok) {
      const moved = await followMoveTask(aws, dlq.arn, started.handle, startedAt, o);
      return { name: proxy.name, moved, path: 'move-task' };
    }
    reason = `this endpoint does not support StartMessageMoveTask (${started.why})`;
  }
  o.onNote?.(`Copying messages (receive → send → delete): ${reason}.`);
  const moved = await copyMessages(aws, dlq, queue, proxy.ordered, o);
  return { name: proxy.name, moved, path: 'copy', reason };
}

async function startMoveTask(
  aws: Aws,
  dlq: QueueRef,
  queue: QueueRef,
  rate: number | undefined,
): Promise<{ ok: true; handle: string } | { ok: false; why: string }> {
  const { StartMessageMoveTaskCommand } = await import('@aws-sdk/client-sqs');
  try {
    const out = await (
      await aws.sqs()
    ).send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlq.arn,
        DestinationArn: queue.arn,
        ...(rate !== undefined
          ? { MaxNumberOfMessagesPerSecond: Math.min(MOVE_TASK_MAX_RATE, Math.floor(rate)) }
          : {}),
      }),
    );
    return { ok: true, handle: out.TaskHandle ?? '' };
  } catch (err) {
    if (isUnsupported(err)) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      return { ok: false, why: `${e.name ?? 'error'}, HTTP ${e.$metadata?.httpStatusCode ?? '?'}` };
    }
    const msg = (err as Error).message ?? String(err);
    throw new CliError(
      `Could not start moving the DLQ's messages: ${msg}`,
      /already/i.test(msg)
        ? 'A move task is already running for this DLQ (one at a time): wait for it, or see it with "aws sqs list-message-move-tasks".'
        : undefined,
      { cause: err },
    );
  }
}

/** How long a task may be missing from ListMessageMoveTasks before we stop looking for it. */
const LOST_TASK_MS = 60_000;
/** Allowance for the difference between this machine's clock and AWS's. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Follow our task to its end. AWS shows TaskHandle only while a task is RUNNING, so a finished task is
 * recognised as the newest one started after we asked (one task per queue at a time makes it ours).
 */
async function followMoveTask(
  aws: Aws,
  sourceArn: string,
  handle: string,
  startedAt: number,
  o: RedriveOptions,
): Promise<number> {
  const { ListMessageMoveTasksCommand } = await import('@aws-sdk/client-sqs');
  const sqs = await aws.sqs();
  let lastSeen = Date.now();
  for (;;) {
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
    const results = out.Results ?? [];
    const task =
      results.find((t) => handle && t.TaskHandle === handle) ??
      results
        .filter((t) => (t.StartedTimestamp ?? 0) >= startedAt - CLOCK_SKEW_MS)
        .sort((a, b) => (b.StartedTimestamp ?? 0) - (a.StartedTimestamp ?? 0))[0];
    if (task) lastSeen = Date.now();
    else if (Date.now() - lastSeen > LOST_TASK_MS) {
      throw new CliError(
        'The move task no longer shows in ListMessageMoveTasks, so its outcome is unknown.',
        'Messages not moved are still in the DLQ: check with "webhook-proxy status", and run redrive again if any remain.',
      );
    }
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    o.onProgress?.({ path: 'move-task', moved, toMove: task?.ApproximateNumberOfMessagesToMove ?? null });
    switch (task?.Status) {
      case 'COMPLETED':
        return moved;
      case 'FAILED':
      case 'CANCELLED':
        throw new CliError(
          `The move task ${task.Status.toLowerCase()} after ${moved} message(s): ${task.FailureReason ?? 'no reason given'}.`,
          'Messages not moved are still in the DLQ; run redrive again.',
        );
      default:
        await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
    }
  }
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

async function copyMessages(
  aws: Aws,
  dlq: QueueRef,
  queue: QueueRef,
  fifo: boolean,
  o: RedriveOptions,
): Promise<number> {
  const {
    ReceiveMessageCommand,
    SendMessageBatchCommand,
    DeleteMessageBatchCommand,
    ChangeMessageVisibilityBatchCommand,
  } = await import('@aws-sdk/client-sqs');
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
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length
            ? { MessageAttributes: m.MessageAttributes }
            : {}),
          ...(fifo ? fifoIdsFor(m) : {}),
        })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const okMessages = messages.filter((_, i) => ok.has(String(i)));
    if (okMessages.length) {
      const del = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlq.url,
          Entries: okMessages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
      if (del.Failed?.length) {
        o.onNote?.(
          `${del.Failed.length} message(s) were copied but not deleted from the DLQ; they will appear twice.`,
        );
      }
    }
    moved += okMessages.length;
    o.onProgress?.({ path: 'copy', moved, toMove: Number.isFinite(toMove) ? toMove : null });
    const failed = sent.Failed ?? [];
    if (failed.length) {
      // Not sent: make them visible in the DLQ again at once, and stop with the reason.
      const back = messages.filter((_, i) => !ok.has(String(i)));
      await sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: dlq.url,
            Entries: back.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle!,
              VisibilityTimeout: 0,
            })),
          }),
        )
        .catch(() => undefined);
      throw new CliError(
        `Moved ${moved} message(s); ${failed.length} could not be sent to the queue: ${failed[0]!.Code}: ${failed[0]!.Message ?? ''}`,
        'Those messages are still in the DLQ. Fix the cause and run redrive again.',
      );
    }
    if (o.rate) {
      const due = started + (moved / o.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  return moved;
}
