/**
 * The QueuePort backed by a real SQS queue: what the handlers use on Lambda (and `dev --queue-url`).
 * The SDK is imported lazily: the nodejs22.x runtime provides it, so the handler bundles leave it out.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { QueuePort, SendOptions } from './ports.js';

/** SQS takes whole seconds from 0 to 12 hours. */
export function visibilitySeconds(seconds: number): number {
  return Math.min(43_200, Math.max(0, Math.ceil(seconds)));
}

export async function createSqsQueuePort(queueUrl: string, client?: SQSClient): Promise<QueuePort> {
  const sqs = await import('@aws-sdk/client-sqs');
  // Inside Lambda the region comes from AWS_REGION; a few quick retries keep the sender's wait short.
  const c = client ?? new sqs.SQSClient({ maxAttempts: 3 });
  return {
    async send(messageBody: string, options: SendOptions = {}): Promise<void> {
      await c.send(
        new sqs.SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: messageBody,
          ...(options.groupId ? { MessageGroupId: options.groupId } : {}),
          ...(options.deduplicationId ? { MessageDeduplicationId: options.deduplicationId } : {}),
        }),
      );
    },
    async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
      await c.send(
        new sqs.ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: visibilitySeconds(seconds),
        }),
      );
    },
  };
}
