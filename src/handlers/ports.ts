/**
 * What the handlers need from the outside world, as interfaces: on Lambda they are backed by SQS
 * (src/handlers/sqs-port.ts), in `dev` by the embedded queue (src/local/). The handlers are the same
 * code in both places; only these ports differ.
 */

export interface SendOptions {
  /** FIFO queues (`--ordered`) only: every webhook goes to one group, so delivery is strictly ordered. */
  groupId?: string;
  /** FIFO queues only: the webhook id, so a retried SendMessage never duplicates a webhook. */
  deduplicationId?: string;
  /** Standard queues only: not received before this many seconds (SQS DelaySeconds, 0–900). */
  delaySeconds?: number;
}

export interface QueuePort {
  /** Store one encoded envelope. Rejects when it was not stored (the sender must then be told to retry). */
  send(messageBody: string, options?: SendOptions): Promise<void>;
  /** Hide a received message for `seconds` from now (the retry backoff). */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  /**
   * `deliver` only: store this message body, unchanged, in the dead-letter queue. `deliver` decides
   * when a webhook is dead (classify.ts, --retry-window, attempts it counts itself), then lets the
   * event source mapping delete the original. Absent: the queue's redrive policy decides instead.
   * `attempts` (the attempts made, as deliver counts them) is kept by a queue that can store it (the
   * local store, so `peek --local --dlq` shows it); an SQS DLQ counts its own receives instead.
   */
  deadLetter?(messageBody: string, meta?: { attempts: number }): Promise<void>;
  /**
   * Give back a message received but not attempted (a stop cut the batch short): visible again at
   * once, and this receive not counted against --max-attempts. Only the local store can undo a
   * receive; absent (SQS), deliver makes it visible with changeVisibility 0 and the receive counts.
   */
  handBack?(receiptHandle: string): Promise<void>;
}

/** Environment variable names: the contract between provisioning (`create`), `dev` and the handlers. */
export const ENV = {
  queueUrl: 'WP_QUEUE_URL',
  fifo: 'WP_FIFO',
  responseStatus: 'WP_RESPONSE_STATUS',
  upstream: 'WP_UPSTREAM',
  preservePath: 'WP_PRESERVE_PATH',
  timeout: 'WP_TIMEOUT',
  rate: 'WP_RATE',
  concurrency: 'WP_CONCURRENCY',
  backoffBase: 'WP_BACKOFF_BASE',
  backoffMax: 'WP_BACKOFF_MAX',
  maxAttempts: 'WP_MAX_ATTEMPTS',
  /** `--adaptive`: '1' to adapt concurrency to the upstream (src/handlers/control/). */
  adaptive: 'WP_ADAPTIVE',
  /** `--retry-window`, seconds: a webhook older than this goes to the DLQ. */
  retryWindow: 'WP_RETRY_WINDOW',
  /** The DLQ `deliver` moves dead webhooks to itself (QueuePort.deadLetter). */
  dlqUrl: 'WP_DLQ_URL',
  handshakes: 'WP_HANDSHAKES',
  verify: 'WP_VERIFY',
  /** `--methods`: the request methods stored as webhooks (comma-separated, or `*`); unset: the default. */
  methods: 'WP_METHODS',
  proxyName: 'WP_PROXY_NAME',
} as const;

/** Defaults from DESIGN.md ("CLI contract"). */
export const DEFAULTS = {
  concurrency: 2,
  batchSize: 10,
  timeout: 10,
  maxAttempts: 10,
  /** 24 hours, like EventBridge's default retry window. */
  retryWindow: 86_400,
  backoffBase: 5,
  backoffMax: 900,
  retention: 14,
  responseStatus: 200,
} as const;
