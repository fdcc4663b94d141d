/**
 * The queue `dev` runs on: what the handlers use (QueuePort: send, change visibility) plus what the
 * Lambda event source mapping does with a queue (receive, delete) and what the dashboard shows (stats).
 * Three implementations: the durable local store (store/sqlite-queue.ts, the default), the in-memory
 * queue (memory-queue.ts, `--memory`) and a real SQS queue (sqs-queue.ts, `--queue-url`).
 */
import type { QueuePort } from '../handlers/ports.js';

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  /** SQS system attributes as the event source mapping passes them on (strings, as SQS gives them). */
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
    MessageGroupId?: string;
    MessageDeduplicationId?: string;
    SequenceNumber?: string;
  };
}

export interface QueueStats {
  /** Waiting to be received. */
  visible: number;
  /** Received and not yet deleted: being delivered, or hidden until their retry (backoff). */
  inFlight: number;
  /** Sent with a delay that has not passed yet. */
  delayed: number;
  /** In the dead-letter queue; undefined when the queue has none. */
  dlq: number | undefined;
}

export interface DeadLetter {
  messageId: string;
  body: string;
  /** How many times it was received before it was moved. */
  receiveCount: number;
}

export interface LocalQueue extends QueuePort {
  readonly kind: 'memory' | 'sqlite' | 'sqs';
  /** For realistic SQS records (eventSourceARN). */
  readonly arn: string;
  readonly region: string;
  /** FIFO queue: ingest must send a group id and a deduplication id. */
  readonly fifo: boolean;
  /** Receives after which a message moves to the DLQ (the redrive policy); undefined = never. */
  readonly maxReceiveCount: number | undefined;
  /** Up to `max` messages, waiting up to `waitSeconds` for the first one (long polling). */
  receive(options: { max: number; waitSeconds: number; signal?: AbortSignal }): Promise<ReceivedMessage[]>;
  /** Delete by receipt handle; resolves with the handles that could not be deleted. */
  deleteMany(receiptHandles: string[]): Promise<string[]>;
  stats(): Promise<QueueStats>;
  /** The embedded queue reports each message it moves to its DLQ (SQS does that out of sight). */
  onDeadLetter?: (message: DeadLetter) => void;
  close(): Promise<void>;
}

/** An error shaped like the SDK's service errors (`name` is the SQS error code). */
export class QueueError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
