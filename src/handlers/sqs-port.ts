/**
 * The QueuePort backed by a real SQS queue: what the handlers use on Lambda (and `dev --queue-url`).
 * The SDK is imported lazily: the Lambda runtime provides it, so the handler bundles leave it out.
 *
 * Every call is bounded. The SDK's default is no timeout at all, so a function in a VPC without a NAT
 * route or an SQS endpoint waits on a connection that never opens until Lambda kills it: `ingest` then
 * never answers the sender, and `deliver`'s batch times out and is delivered a second time.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { runClientHooks } from '../aws/client-hooks.js';
import type { QueuePort, SendOptions } from './ports.js';

/** The one message group of an ordered proxy's queues (ingest's FIFO_GROUP_ID; redrive keeps it). */
const DLQ_GROUP_ID = 'webhooks';

/** SQS takes whole seconds from 0 to 12 hours. */
export function visibilitySeconds(seconds: number): number {
  return Math.min(43_200, Math.max(0, Math.ceil(seconds)));
}

export interface SqsCallLimits {
  /** Per attempt: the TCP connection must be up within this. */
  connectionTimeoutMs: number;
  /** Per attempt: the whole request and response. */
  requestTimeoutMs: number;
  /** Attempts, the first included (the SDK retries timeouts, throttling and 5xx). */
  maxAttempts: number;
  /** The whole call, retries and their delays included: it fails then, whatever the SDK is doing. */
  deadlineMs: number;
}

/**
 * `ingest` answers the sender: it must say 503 (so the sender retries) well within its own 10 s
 * function timeout and API Gateway's 30 s. SendMessage normally takes tens of milliseconds, a 1 MiB
 * body well under a second: 2 s per attempt, 3 attempts, 6 s in all.
 */
export const INGEST_SQS_LIMITS: SqsCallLimits = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  maxAttempts: 3,
  deadlineMs: 6000,
};

/**
 * `deliver` calls ChangeMessageVisibility, and SendMessage for a held copy or a dead letter; a failed
 * call is tolerated (the message comes back after the queue's visibility timeout instead): keep it
 * short, so an unreachable SQS costs each failed message seconds of the batch's time budget, not the
 * rest of it.
 */
export const DELIVER_SQS_LIMITS: SqsCallLimits = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 1500,
  maxAttempts: 2,
  deadlineMs: 3000,
};

/**
 * An SQS client with these limits. @smithy/node-http-handler (NodeHttpHandlerOptions, 4.x): the
 * default for connectionTimeout and requestTimeout is 0, no timeout; `requestTimeout` is the whole
 * request and, since it stopped being a socket idle timeout, only logs a warning unless
 * `throwOnRequestTimeout: true` (see its type docs, smithy-lang/smithy-typescript PR 1745, and
 * aws/aws-durable-execution-sdk-js PR 276, which hit the same). An older SDK in the Lambda runtime
 * ignores `throwOnRequestTimeout` and reads `requestTimeout` as an idle timeout, which fails a silent
 * endpoint too. Inside Lambda the region and credentials come from the environment.
 */
export async function createSqsClient(limits: SqsCallLimits): Promise<SQSClient> {
  const { SQSClient } = await import('@aws-sdk/client-sqs');
  const client = new SQSClient({
    maxAttempts: limits.maxAttempts,
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
  // Empty on Lambda: the tests' AWS rules and call recorder (src/aws/client-hooks.ts).
  runClientHooks(client, {
    region: process.env.AWS_REGION,
    endpoint: process.env.AWS_ENDPOINT_URL,
    source: 'handler',
  });
  return client;
}

/** Rejects when `run` has not settled within `ms` (and aborts it), naming the call and the host. */
async function withDeadline<T>(
  what: string,
  ms: number,
  run: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(Object.assign(new Error(`${what} did not complete within ${ms} ms`), { name: 'TimeoutError' }));
    }, ms);
  });
  try {
    return await Promise.race([run(abort.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `limits.deadlineMs` bounds every call; the per-attempt timeouts are the client's (createSqsClient).
 * `dev --queue-url` passes the CLI's own client.
 */
export async function createSqsQueuePort(
  queueUrl: string,
  client: SQSClient,
  limits: Pick<SqsCallLimits, 'deadlineMs'> = INGEST_SQS_LIMITS,
  dlqUrl?: string,
): Promise<QueuePort> {
  const sqs = await import('@aws-sdk/client-sqs');
  const host = (() => {
    try {
      return new URL(queueUrl).host;
    } catch {
      return queueUrl;
    }
  })();
  return {
    ...(dlqUrl
      ? {
          async deadLetter(messageBody: string): Promise<void> {
            // An ordered proxy's DLQ is FIFO: SQS refuses a send without a group, and (content-based
            // deduplication off) without a deduplication id. A fresh id per move: a webhook redriven
            // and dead-lettered again within SQS's 5-minute window must not be dropped as a duplicate
            // (its original is deleted next), while the SDK's own retries of this one send share it.
            const fifo = dlqUrl.endsWith('.fifo')
              ? { MessageGroupId: DLQ_GROUP_ID, MessageDeduplicationId: randomUUID() }
              : {};
            const command = new sqs.SendMessageCommand({
              QueueUrl: dlqUrl,
              MessageBody: messageBody,
              ...fifo,
            });
            await withDeadline(`SQS SendMessage to the DLQ at ${host}`, limits.deadlineMs, (abortSignal) =>
              client.send(command, { abortSignal }),
            );
          },
        }
      : {}),
    async send(messageBody: string, options: SendOptions = {}): Promise<void> {
      const command = new sqs.SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: messageBody,
        ...(options.groupId ? { MessageGroupId: options.groupId } : {}),
        ...(options.deduplicationId ? { MessageDeduplicationId: options.deduplicationId } : {}),
        ...(options.delaySeconds ? { DelaySeconds: Math.min(900, Math.ceil(options.delaySeconds)) } : {}),
      });
      await withDeadline(`SQS SendMessage to ${host}`, limits.deadlineMs, (abortSignal) =>
        client.send(command, { abortSignal }),
      );
    },
    async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
      const command = new sqs.ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: visibilitySeconds(seconds),
      });
      await withDeadline(`SQS ChangeMessageVisibility to ${host}`, limits.deadlineMs, (abortSignal) =>
        client.send(command, { abortSignal }),
      );
    },
  };
}
