/**
 * Packing messages into SendMessageBatch calls as SQS counts them.
 * AWS: SQS API reference, SendMessageBatch: "The maximum allowed individual message size and the
 * maximum total payload size (the sum of the individual lengths of all of the batched messages) are
 * both 1 MiB (1,048,576 bytes)", at most 10 entries (TooManyEntriesInBatchRequest), else the whole call
 * fails with BatchRequestTooLong. And MessageAttributeValue: "All parts of the message attribute,
 * including Name, Type, and Value, are part of the message size restriction (1 MiB or 1,048,576 bytes)."
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { SQS_MAX_MESSAGE_BYTES } from '../../envelope.js';

export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_BATCH_BYTES = SQS_MAX_MESSAGE_BYTES;

/** The size SQS counts for one message: the body's UTF-8 bytes plus each attribute's name, type and value. */
export function sqsMessageSize(
  body: string,
  attributes: Record<string, MessageAttributeValue> | undefined = undefined,
): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, a] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType ?? '', 'utf8');
    if (a.StringValue !== undefined) size += Buffer.byteLength(a.StringValue, 'utf8');
    if (a.BinaryValue !== undefined) size += a.BinaryValue.byteLength;
  }
  return size;
}

/**
 * Consecutive groups of at most 10 items and 1 MiB in total, in the given order (a FIFO queue keeps
 * the order of its sends). An item too big to share a batch ends up in a group of its own.
 */
export function packBatches<T>(items: readonly T[], sizeOf: (item: T) => number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length && (current.length >= SQS_MAX_BATCH_ENTRIES || bytes + size > SQS_MAX_BATCH_BYTES)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) groups.push(current);
  return groups;
}
