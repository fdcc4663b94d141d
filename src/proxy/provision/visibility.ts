/**
 * A queue's visibility timeout and the deliver function's timeout change in an order that keeps the
 * first at or above the second (queues.ts, create.ts, ops/scale.ts). Lambda checks that rule itself when
 * an event source mapping is created or updated (AWS: "Creating and configuring an Amazon SQS event
 * source mapping": "Lambda validates this requirement when you create or update an event source
 * mapping and will return an error if the function timeout exceeds the queue's visibility timeout"),
 * and reads the queue's attributes as SQS has propagated them, which takes time (AWS: SetQueueAttributes:
 * "the change can take up to 60 seconds for most of the attributes to propagate"). So a mapping call
 * right after a raise may be refused with the old value: it is retried for a little over that minute.
 */

import { retryWhileBusy } from '../../aws/retry.js';

/** How long to keep retrying, and how often; tests shorten it. */
export const visibilityPropagation = { waitMs: 75_000, firstDelayMs: 2_000, maxDelayMs: 10_000 };

/** Lambda's refusal: "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds". */
export function isVisibilityBelowTimeout(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'InvalidParameterValueException' && /visibility timeout/i.test(e.message ?? '');
}

export function retryWhileVisibilityPropagates<T>(fn: () => Promise<T>): Promise<T> {
  return retryWhileBusy(fn, {
    isBusy: isVisibilityBelowTimeout,
    maxWaitMs: visibilityPropagation.waitMs,
    firstDelayMs: visibilityPropagation.firstDelayMs,
    maxDelayMs: visibilityPropagation.maxDelayMs,
  });
}
