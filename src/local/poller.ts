/**
 * What the Lambda event source mapping does between SQS and `deliver`, in this process:
 * - at most `concurrency` invocations at once (ScalingConfig.MaximumConcurrency): one loop per slot,
 *   each with its own handler instance, as each Lambda container has its own (its own pacer above all:
 *   `deliver` paces at rate / concurrency per container);
 * - batches of up to `batchSize` messages, as SQSEvent records shaped as Lambda builds them;
 * - ReportBatchItemFailures: the successes are deleted, the reported failures stay (deliver already
 *   set their backoff); a thrown handler or an invalid response fails the whole batch, which then
 *   comes back after the queue's visibility timeout;
 * - a function timeout, seen by the handler through context.getRemainingTimeInMillis().
 * On stop the remaining time drops to zero, so `deliver` hands back what it has not started (visibility
 * 0) and only requests already on the wire finish.
 */
import { setMaxListeners } from 'node:events';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeliverHandler } from '../handlers/deliver.js';
import type { LocalQueue, ReceivedMessage } from './queue.js';

export interface PollerOptions {
  queue: LocalQueue;
  /** One per concurrency slot. */
  handlers: DeliverHandler[];
  batchSize: number;
  /**
   * The shared delivery control: only its `slots()` slots take a batch (the adaptive limit, or one
   * probe during an outage, as Lambda runs only MaximumConcurrency containers), of its `batchSize`.
   */
  control?: { slots(): number; batchSize(wanted: number): number };
  functionTimeoutSeconds: number;
  /** Long-poll wait per receive. */
  waitSeconds: number;
  onInvoke?: (batch: { slot: number; messageIds: string[] }) => void;
  onInvoked?: (batch: { slot: number; messageIds: string[]; failed: number; error?: string }) => void;
  onError?: (where: 'receive' | 'invoke' | 'delete' | 'release', err: unknown) => void;
}

export interface Poller {
  /**
   * Stop receiving. By default the batches in progress are cut short (only requests already on the
   * wire finish). `finishBatches` lets them run to their end instead, as Lambda finishes the
   * invocations in progress when a mapping is disabled: a live pause or scale (settings-watch.ts)
   * then hands nothing back, so no receive is counted against --max-attempts without an attempt.
   */
  stop(options?: { finishBatches?: boolean }): Promise<void>;
}

export function toSqsEvent(messages: ReceivedMessage[], queue: Pick<LocalQueue, 'arn' | 'region'>): SQSEvent {
  return {
    Records: messages.map((m): SQSRecord => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: { ...m.attributes },
      messageAttributes: {},
      md5OfBody: m.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: queue.region,
    })),
  };
}

/**
 * The receipt handles to delete after an invocation, or undefined when Lambda would treat the batch as
 * a complete failure (AWS docs, "Reporting batch item failures"): a null/empty response or list means
 * all succeeded; an empty, null or unknown itemIdentifier fails the whole batch.
 */
export function handlesToDelete(messages: ReceivedMessage[], response: unknown): string[] | undefined {
  if (response === null || response === undefined) return messages.map((m) => m.receiptHandle);
  if (typeof response !== 'object') return undefined;
  const list = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (list === null || list === undefined) return messages.map((m) => m.receiptHandle);
  if (!Array.isArray(list)) return undefined;
  const ids = new Set(messages.map((m) => m.messageId));
  const failed = new Set<string>();
  for (const item of list) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return undefined;
    failed.add(id);
  }
  return messages.filter((m) => !failed.has(m.messageId)).map((m) => m.receiptHandle);
}

/** How often an idle slot asks the control whether it may run again. */
const SLOT_CHECK_MS = 25;

export function startPoller(options: PollerOptions): Poller {
  const { queue, batchSize } = options;
  const functionTimeoutMs = options.functionTimeoutSeconds * 1000;
  const abort = new AbortController();
  // Each slot holds at most one listener on it at a time (its receive's or its pause's), so as many
  // as there are slots is expected, not a leak: Node warns past 10 (16 containers in a test).
  setMaxListeners(Math.max(10, options.handlers.length + 1), abort.signal);
  let stopping = false;
  /** The remaining time reads 0: deliver hands back what it has not started. */
  let cutShort = false;
  const report = (where: Parameters<NonNullable<PollerOptions['onError']>>[0], err: unknown) =>
    options.onError?.(where, err);

  // The listener goes when the timer fires, not only on abort: an idle slot pauses every 25 ms while
  // the adaptive limit keeps it out, and listeners left behind piled up on this one signal (Node's
  // MaxListenersExceededWarning, "11 abort listeners", in npm run test:adaptive).
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      abort.signal.addEventListener('abort', done, { once: true });
    });

  // Received after stop was asked: give them straight back instead of leaving them hidden.
  const release = async (messages: ReceivedMessage[]) => {
    for (const m of messages) {
      // Not attempted: the local store undoes the receive (it must not count against --max-attempts).
      const back = queue.handBack
        ? queue.handBack(m.receiptHandle)
        : queue.changeVisibility(m.receiptHandle, 0);
      await back.catch((err) => report('release', err));
    }
  };

  const invoke = async (slot: number, messages: ReceivedMessage[]) => {
    const handler = options.handlers[slot]!;
    const messageIds = messages.map((m) => m.messageId);
    const deadline = Date.now() + functionTimeoutMs;
    const context = {
      getRemainingTimeInMillis: () => (cutShort ? 0 : Math.max(0, deadline - Date.now())),
    };
    options.onInvoke?.({ slot, messageIds });
    let toDelete: string[] | undefined;
    let error: string | undefined;
    try {
      const response = await handler(toSqsEvent(messages, queue), context);
      toDelete = handlesToDelete(messages, response);
      if (!toDelete) error = 'invalid batchItemFailures in the response: the whole batch failed';
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      report('invoke', err);
    }
    if (toDelete?.length) {
      try {
        const failed = await queue.deleteMany(toDelete);
        if (failed.length)
          report(
            'delete',
            new Error(
              `${failed.length} ${failed.length === 1 ? 'message' : 'messages'} could not be deleted`,
            ),
          );
      } catch (err) {
        report('delete', err);
      }
    }
    options.onInvoked?.({
      slot,
      messageIds,
      failed: toDelete ? messages.length - toDelete.length : messages.length,
      ...(error ? { error } : {}),
    });
  };

  const loop = async (slot: number) => {
    while (!stopping) {
      if (options.control && slot >= options.control.slots()) {
        await pause(SLOT_CHECK_MS);
        continue;
      }
      let messages: ReceivedMessage[];
      try {
        messages = await queue.receive({
          max: options.control ? options.control.batchSize(batchSize) : batchSize,
          waitSeconds: options.waitSeconds,
          signal: abort.signal,
        });
      } catch (err) {
        if (stopping) break;
        report('receive', err);
        await pause(1000);
        continue;
      }
      if (!messages.length) continue;
      if (stopping) {
        await release(messages);
        break;
      }
      await invoke(slot, messages);
    }
  };

  const loops = options.handlers.map((_h, slot) => loop(slot));
  return {
    async stop(options = {}) {
      stopping = true;
      if (!options.finishBatches) cutShort = true;
      abort.abort();
      await Promise.all(loops);
    },
  };
}
