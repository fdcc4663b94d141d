/**
 * Move dead-lettered webhooks back to the queue, where they obey the same throttle as live traffic.
 *
 * Path 1, AWS: StartMessageMoveTask (DLQ → queue, at most --rate messages/s, ≤ 500), then poll
 * ListMessageMoveTasks for progress. It cannot stop after N messages, so --limit takes path 2.
 * Path 2, copy (redrive-copy.ts): ReceiveMessage → SendMessageBatch, packed within SQS's 1 MiB per
 * batch → DeleteMessageBatch, deleting only what was sent (a crash in between leaves a duplicate,
 * never a loss). Used when the move-task API is not available (moto answers it with an HTTP 500
 * HTML page; other emulators with UnsupportedOperation or 501), with --limit, and with a --rate
 * below 1/s.
 * Either way the message body (the envelope, and so its id) is copied unchanged.
 */
import type { Aws } from '../../aws/clients.js';
import { CliError } from '../../errors.js';
import { need, queueCounts, totalOf, type Proxy, type QueueRef } from '../locate.js';
import { copyMessages } from './redrive-copy.js';
import { plural, suggest } from '../suggest.js';

export { fifoIdsFor } from './redrive-copy.js';

/** local: rows moved in a local proxy's store (`redrive --local`); 'none': the DLQ was empty, so nothing was started. */
export type RedrivePath = 'move-task' | 'copy' | 'local' | 'none';

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
  // An empty DLQ is said at once: no move task (which would run, find nothing and still take its
  // polls to report it), no copy loop. The counts are the ones just read to locate the proxy; visible,
  // in flight and delayed all count, so a DLQ that is being peeked is not taken for empty.
  const counted = dlq.attributes.ApproximateNumberOfMessages !== undefined; // unknown is not empty
  if (counted && totalOf(queueCounts(dlq.attributes)) === 0) {
    return { name: proxy.name, moved: 0, path: 'none' };
  }
  let reason: string | undefined;
  if (o.limit !== undefined) reason = 'StartMessageMoveTask cannot stop after --limit messages';
  else if (o.rate !== undefined && o.rate < 1)
    reason = 'StartMessageMoveTask cannot go slower than 1 message/s';
  else {
    const startedAt = Date.now();
    const started = await startMoveTask(aws, dlq, queue, o.rate);
    if (started.ok) {
      const status = suggest('status', proxy);
      const moved = await followMoveTask(aws, dlq.arn, started.handle, startedAt, status, o);
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
  statusCommand: string,
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
        `Messages not moved are still in the DLQ: check with "${statusCommand}", and run redrive again if any remain.`,
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
          `The move task ${task.Status.toLowerCase()} after ${plural(moved, 'message')}: ${task.FailureReason ?? 'no reason given'}.`,
          'Messages not moved are still in the DLQ; run redrive again.',
        );
      default:
        await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
    }
  }
}
