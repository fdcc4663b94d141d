/**
 * The in-memory queue of `dev --memory`: SQS's semantics in memory, so the handlers and the poller
 * behave as they do on AWS. What it models, and why each matters to the proxy:
 * - the 1 MiB limit and SQS's XML-safe character rule (ingest answers 413 / 503 on them);
 * - visibility timeout: a received message is hidden, not removed, until it is deleted;
 * - ApproximateReceiveCount: the attempt number `deliver` reads;
 * - ChangeMessageVisibility: `deliver`'s retry backoff (fractional seconds are accepted here so tests
 *   and rehearsals can back off in milliseconds; real SQS takes whole seconds);
 * - receipt handles: a new one per receive; only the latest may change visibility, and deleting with a
 *   stale one "succeeds" without deleting, as SQS documents;
 * - the redrive policy: a message whose receive count would exceed maxReceiveCount is moved to the DLQ
 *   by the receive that would have handed it out;
 * - long polling: receive waits for a message (sent, or becoming visible) up to waitSeconds.
 * Not modelled: FIFO ordering and deduplication (dev runs a standard queue), per-message attributes.
 * Everything lives in this process: stopping `dev` loses what is still queued.
 */
import { createHash, randomUUID } from 'node:crypto';
import { randomHex } from '../random-pool.js';
import { SQS_MAX_MESSAGE_BYTES } from '../envelope.js';
import type { SendOptions } from '../handlers/ports.js';
import {
  QueueError,
  type DeadLetter,
  type LocalQueue,
  type QueueStats,
  type ReceivedMessage,
} from './queue.js';

export interface MemoryQueueOptions {
  /** Seconds a received message stays hidden unless deleted or changed. */
  visibilityTimeout: number;
  /** Redrive policy: receives before a message moves to the DLQ. undefined = no DLQ. */
  maxReceiveCount?: number;
  /** Seconds a message is kept (SQS: 60 s to 14 days). */
  retentionSeconds?: number;
  name?: string;
}

interface StoredMessage {
  messageId: string;
  body: string;
  /** MD5 of the body, made at the first receive (most messages are received once, some never). */
  md5?: string;
  /** Deleted, expired or moved: left in `order` until the scan passes it. */
  gone?: boolean;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt: number;
  /** The latest receipt handle; only it may change the message's visibility. */
  receiptHandle: string | undefined;
}

const MAX_VISIBILITY_SECONDS = 43_200;
// XML 1.0 characters, which is what SQS accepts in a message body.
const XML_UNSAFE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ACCOUNT = '000000000000';
const REGION = 'local';

export class MemoryQueue implements LocalQueue {
  readonly kind = 'memory' as const;
  readonly fifo = false;
  readonly region = REGION;
  readonly arn: string;
  readonly maxReceiveCount: number | undefined;
  readonly dlq: MemoryQueue | undefined;
  onDeadLetter?: (message: DeadLetter) => void;

  private readonly messages = new Map<string, StoredMessage>();
  /**
   * The messages in send order, for receives: a scan starts at `head`, past the ones already gone, so
   * it does not walk every delivered message again (a Map iterates from its start, tombstones included).
   */
  private order: StoredMessage[] = [];
  private head = 0;
  private readonly waiters = new Set<() => void>();
  private readonly visibilityMs: number;
  private readonly retentionMs: number;
  private closed = false;

  constructor(options: MemoryQueueOptions) {
    const name = options.name ?? 'webhook-proxy-dev';
    this.arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    this.visibilityMs = options.visibilityTimeout * 1000;
    this.retentionMs = (options.retentionSeconds ?? 14 * 86_400) * 1000;
    this.maxReceiveCount = options.maxReceiveCount;
    this.dlq =
      options.maxReceiveCount === undefined
        ? undefined
        : new MemoryQueue({ visibilityTimeout: options.visibilityTimeout, name: `${name}-dlq` });
  }

  async send(messageBody: string, _options: SendOptions = {}): Promise<void> {
    this.sendNow(messageBody);
  }

  /** SendMessage; also takes DelaySeconds. Resolves with the new message id. */
  sendNow(messageBody: string, options: { delaySeconds?: number; messageId?: string } = {}): string {
    if (this.closed) throw new QueueError('QueueDoesNotExist', 'The queue has been shut down.');
    const size = Buffer.byteLength(messageBody, 'utf8');
    if (size > SQS_MAX_MESSAGE_BYTES) {
      throw new QueueError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.`,
      );
    }
    if (size === 0) throw new QueueError('MissingParameter', 'The request must contain a MessageBody.');
    if (XML_UNSAFE.test(messageBody)) {
      throw new QueueError('InvalidMessageContents', 'Invalid characters found in the message body.');
    }
    const now = Date.now();
    const message: StoredMessage = {
      messageId: options.messageId ?? randomUUID(),
      body: messageBody,
      sentAt: now,
      visibleAt: now + (options.delaySeconds ?? 0) * 1000,
      receiveCount: 0,
      firstReceiveAt: 0,
      receiptHandle: undefined,
    };
    const replaced = this.messages.get(message.messageId);
    if (replaced) replaced.gone = true;
    this.messages.set(message.messageId, message);
    this.order.push(message);
    this.wake();
    return message.messageId;
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    if (!(seconds >= 0 && seconds <= MAX_VISIBILITY_SECONDS)) {
      throw new QueueError(
        'InvalidParameterValue',
        `VisibilityTimeout must be from 0 to ${MAX_VISIBILITY_SECONDS} seconds (got ${seconds}).`,
      );
    }
    const message = this.byHandle(receiptHandle);
    if (!message) {
      throw new QueueError(
        'InvalidParameterValue',
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    if (message.receiptHandle !== receiptHandle) {
      throw new QueueError(
        'MessageNotInflight',
        'The message was received again since; use its latest receipt handle.',
      );
    }
    message.visibleAt = Date.now() + seconds * 1000;
    this.wake();
  }

  /** QueuePort.handBack: a receive undone (not attempted), visible at once; a stale handle changes nothing. */
  async handBack(receiptHandle: string): Promise<void> {
    const message = this.byHandle(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle) return;
    message.receiveCount = Math.max(0, message.receiveCount - 1);
    if (message.receiveCount === 0) message.firstReceiveAt = 0;
    message.receiptHandle = undefined;
    message.visibleAt = Date.now();
    this.wake();
  }

  async receive(options: {
    max: number;
    waitSeconds: number;
    signal?: AbortSignal;
  }): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + options.waitSeconds * 1000;
    for (;;) {
      if (this.closed || options.signal?.aborted) return [];
      const got = this.take(options.max);
      if (got.length || Date.now() >= deadline) return got;
      await this.waitForChange(deadline, options.signal);
    }
  }

  async deleteMany(receiptHandles: string[]): Promise<string[]> {
    const failed: string[] = [];
    for (const handle of receiptHandles) {
      if (!parseHandle(handle)) {
        failed.push(handle);
        continue;
      }
      const message = this.byHandle(handle);
      // Already gone (deleted, expired, moved) or a stale handle: SQS answers success either way.
      if (message && message.receiptHandle === handle) this.remove(message);
    }
    return failed;
  }

  async stats(): Promise<QueueStats> {
    const now = Date.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount > 0) inFlight++;
      else delayed++;
    }
    return { visible, inFlight, delayed, dlq: this.dlq ? (await this.dlq.stats()).visible : undefined };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    await this.dlq?.close();
  }

  private byHandle(handle: string): StoredMessage | undefined {
    const parsed = parseHandle(handle);
    return parsed ? this.messages.get(parsed.messageId) : undefined;
  }

  private remove(m: StoredMessage): void {
    m.gone = true;
    this.messages.delete(m.messageId);
  }

  private take(max: number): ReceivedMessage[] {
    const now = Date.now();
    const got: ReceivedMessage[] = [];
    const order = this.order;
    while (this.head < order.length && order[this.head]!.gone) this.head++;
    // Drop the passed prefix once it is most of the array, so memory follows the queue's depth.
    if (this.head > 1024 && this.head * 2 > order.length) {
      this.order = order.slice(this.head);
      this.head = 0;
    }
    for (let i = this.head; i < this.order.length && got.length < max; i++) {
      const m = this.order[i]!;
      if (m.gone) continue;
      if (now - m.sentAt > this.retentionMs) {
        this.remove(m);
        continue;
      }
      if (m.visibleAt > now) continue;
      if (this.maxReceiveCount !== undefined && m.receiveCount >= this.maxReceiveCount) {
        this.moveToDlq(m);
        continue;
      }
      m.receiveCount++;
      if (m.receiveCount === 1) m.firstReceiveAt = now;
      m.receiptHandle = newHandle(m.messageId, m.receiveCount);
      m.visibleAt = now + this.visibilityMs;
      got.push({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        md5OfBody: (m.md5 ??= createHash('md5').update(m.body).digest('hex')),
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: 'webhook-proxy-dev',
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
        },
      });
    }
    return got;
  }

  private moveToDlq(m: StoredMessage): void {
    this.remove(m);
    // SQS keeps the message id (and body) when it moves a message; the DLQ counts receives afresh.
    this.dlq?.sendNow(m.body, { messageId: m.messageId });
    this.onDeadLetter?.({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount });
  }

  /** Resolve at the deadline, when a hidden message becomes visible, on a send or change, or on abort. */
  private waitForChange(deadline: number, signal?: AbortSignal): Promise<void> {
    let next = deadline;
    for (const m of this.messages.values()) if (m.visibleAt < next) next = m.visibleAt;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, next - Date.now()));
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

function newHandle(messageId: string, receiveCount: number): string {
  return `${messageId}.${receiveCount}.${randomHex(8)}`;
}

function parseHandle(handle: string): { messageId: string } | undefined {
  const parts = handle.split('.');
  return parts.length === 3 && parts[0] ? { messageId: parts[0] } : undefined;
}
