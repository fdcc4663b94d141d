/**
 * The durable queue of `dev`/`serve`: the same SQS semantics as memory-queue.ts (visibility timeout,
 * receive count, backoff through ChangeMessageVisibility, the redrive policy moving a message to the DLQ
 * on the receive that would exceed maxReceiveCount, long polling), kept in one SQLite file (schema.ts).
 *
 * The durability contract: send() resolves only once its row is committed. Sends that arrive together
 * (in one turn of the event loop) share one transaction — group commit — so a spike costs one WAL
 * append per tick, not one per webhook. Bodies live only in the file: memory stays flat however deep
 * the queue, and receive/stats use the index, never a table scan.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SQS_MAX_MESSAGE_BYTES } from '../../envelope.js';
import type { SendOptions } from '../../handlers/ports.js';
import {
  QueueError,
  type DeadLetter,
  type LocalQueue,
  type QueueStats,
  type ReceivedMessage,
} from '../queue.js';
import { COUNT_BOUND, storeCounts } from './counts.js';
import { DLQ, MAIN } from './schema.js';
import type { Database } from './sqlite.js';

export interface SqliteQueueOptions {
  /** Seconds a received message stays hidden unless deleted or changed. */
  visibilityTimeout: number;
  /** Redrive policy: receives before a message moves to the DLQ. undefined = no DLQ. */
  maxReceiveCount?: number;
  /** Seconds a message is kept (SQS: 60 s to 14 days). */
  retentionSeconds?: number;
  /** Refuse sends (503 to the sender) once the queue and DLQ hold this many body bytes. */
  maxQueueBytes?: number;
  name?: string;
  /** How many index entries stats() counts on one side of now (counts.ts); tests set a few. */
  countBound?: number;
}

interface Row {
  seq: number;
  id: string;
  body: string;
  sent_at: number;
  receive_count: number;
  first_receive_at: number;
}

interface Pending {
  id: string;
  queue: number;
  body: string;
  bytes: number;
  visibleAt: number;
  receiveCount: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const MAX_VISIBILITY_SECONDS = 43_200;
const ACCOUNT = '000000000000';
const REGION = 'local';
/** Another process (a `--local` runbook command) may change the file: a long poll looks again this often. */
const EXTERNAL_CHANGE_POLL_MS = 500;

export class SqliteQueue implements LocalQueue {
  readonly kind = 'sqlite' as const;
  readonly fifo = false;
  readonly region = REGION;
  readonly arn: string;
  readonly maxReceiveCount: number | undefined;
  onDeadLetter?: (message: DeadLetter) => void;

  private readonly visibilityMs: number;
  private readonly retentionMs: number;
  private readonly maxQueueBytes: number;
  private readonly countBound: number;
  private readonly waiters = new Set<() => void>();
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private storedBytes = 0;
  private closed = false;
  // Receipt tokens: unique to this process (a handle from before a restart is stale), no RNG per receive.
  private readonly tokenPrefix = randomBytes(6).toString('hex');
  private tokenCounter = 0;
  private readonly sql;

  constructor(
    private readonly db: Database,
    options: SqliteQueueOptions,
  ) {
    const name = options.name ?? 'webhook-proxy-dev';
    this.arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    this.visibilityMs = options.visibilityTimeout * 1000;
    this.retentionMs = (options.retentionSeconds ?? 14 * 86_400) * 1000;
    this.maxReceiveCount = options.maxReceiveCount;
    this.maxQueueBytes = options.maxQueueBytes ?? Infinity;
    this.countBound = options.countBound ?? COUNT_BOUND;
    this.sql = {
      insert: db.prepare(
        'INSERT INTO messages (id, queue, body, bytes, sent_at, visible_at, receive_count) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      candidates: db.prepare<[number, number, number], Row>(
        'SELECT seq, id, body, sent_at, receive_count, first_receive_at FROM messages ' +
          'WHERE queue = ? AND visible_at <= ? ORDER BY visible_at LIMIT ?',
      ),
      lease: db.prepare(
        'UPDATE messages SET receive_count = ?, first_receive_at = ?, visible_at = ?, receipt = ?, leased = 1 WHERE seq = ?',
      ),
      toDlq: db.prepare(
        `UPDATE messages SET queue = ${DLQ}, first_receive_at = 0, visible_at = ?, receipt = NULL, leased = 0 WHERE seq = ?`,
      ),
      expire: db.prepare('DELETE FROM messages WHERE seq = ?'),
      // The receive undone: what it set (count, first receive, lease) goes back as it was before it.
      handBack: db.prepare(
        'UPDATE messages SET visible_at = ?, leased = 0, receipt = NULL, receive_count = max(0, receive_count - 1), ' +
          'first_receive_at = CASE WHEN receive_count <= 1 THEN 0 ELSE first_receive_at END ' +
          'WHERE seq = ? AND queue = ? AND receipt = ?',
      ),
      change: db.prepare(
        'UPDATE messages SET visible_at = ?, leased = 0 WHERE seq = ? AND queue = ? AND receipt = ?',
      ),
      exists: db.prepare<[number, number], { receipt: string | null }>(
        'SELECT receipt FROM messages WHERE seq = ? AND queue = ?',
      ),
      delete: db.prepare('DELETE FROM messages WHERE seq = ? AND queue = ? AND receipt = ?'),
      counts: db.prepare<[], { queue: number; messages: number; bytes: number }>(
        'SELECT queue, messages, bytes FROM counts',
      ),
      nextVisible: db.prepare<[number, number], { at: number | null }>(
        'SELECT min(visible_at) AS at FROM messages WHERE queue = ? AND visible_at > ?',
      ),
    };
    this.readCounts();
  }

  /**
   * What a restart does first: the messages a killed process had received and not settled are handed
   * out again now (their receive count kept, so the next attempt is numbered on), not after their
   * visibility timeout. Backoffs that deliver set (leased = 0) keep their time.
   */
  releaseLeases(): number {
    return this.db
      .prepare(
        `UPDATE messages SET visible_at = ?, receipt = NULL, leased = 0 WHERE queue = ${MAIN} AND leased = 1`,
      )
      .run(Date.now()).changes;
  }

  /** What ingest stores: refused (503 to the sender) once the store holds --max-queue-bytes. */
  async send(messageBody: string, _options: SendOptions = {}): Promise<void> {
    return this.enqueue(messageBody, 0, MAIN, true);
  }

  /**
   * SendMessage with DelaySeconds; resolves once committed. `deliver`'s copy of a message it holds
   * replaces the original (deleted next), so it is not refused when the store is full: refusing it
   * would only turn a hold into a counted attempt.
   */
  sendDelayed(messageBody: string, delaySeconds: number): Promise<void> {
    return this.enqueue(messageBody, delaySeconds, MAIN, false);
  }

  /**
   * `deliver`'s own DLQ move (QueuePort.deadLetter): the body into the DLQ, the original deleted next.
   * A DLQ row's receive_count is the attempts it was given (what `peek --local --dlq` shows).
   */
  deadLetter(messageBody: string, meta?: { attempts: number }): Promise<void> {
    return this.enqueue(messageBody, 0, DLQ, false, meta?.attempts ?? 0);
  }

  private enqueue(
    messageBody: string,
    delaySeconds: number,
    queue: number,
    bounded: boolean,
    receiveCount = 0,
  ): Promise<void> {
    if (this.closed)
      return Promise.reject(new QueueError('QueueDoesNotExist', 'The queue has been shut down.'));
    const bytes = Buffer.byteLength(messageBody, 'utf8');
    if (bytes > SQS_MAX_MESSAGE_BYTES) {
      return Promise.reject(
        new QueueError(
          'InvalidParameterValue',
          `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.`,
        ),
      );
    }
    if (bytes === 0)
      return Promise.reject(new QueueError('MissingParameter', 'The request must contain a MessageBody.'));
    if (bounded && this.storedBytes + this.pendingBytes + bytes > this.maxQueueBytes) {
      return Promise.reject(
        new QueueError(
          'StoreFull',
          `The local store is full: the queue and DLQ hold ${this.storedBytes} bytes of ${this.maxQueueBytes} (--max-queue-bytes).`,
        ),
      );
    }
    // The envelope is XML-safe by construction (envelope.ts), and SQLite stores any text: no per-body
    // character check here (the SQS rule only matters to --queue-url, where SQS itself enforces it).
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        id: randomUUID(),
        queue,
        body: messageBody,
        bytes,
        visibleAt: Date.now() + delaySeconds * 1000,
        receiveCount,
        resolve,
        reject,
      });
      this.pendingBytes += bytes;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit every send of this tick in one transaction, then answer them all. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (!batch.length) return;
    const now = Date.now();
    try {
      this.db.transaction(() => {
        for (const p of batch)
          this.sql.insert.run(p.id, p.queue, p.body, p.bytes, now, p.visibleAt, p.receiveCount);
      })();
    } catch (err) {
      const e = new QueueError('StoreWriteFailed', `The local store could not commit: ${String(err)}`);
      for (const p of batch) p.reject(e);
      return;
    }
    for (const p of batch) {
      this.storedBytes += p.bytes;
      p.resolve();
    }
    this.wake();
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    if (!(seconds >= 0 && seconds <= MAX_VISIBILITY_SECONDS)) {
      throw new QueueError(
        'InvalidParameterValue',
        `VisibilityTimeout must be from 0 to ${MAX_VISIBILITY_SECONDS} seconds (got ${seconds}).`,
      );
    }
    const parsed = parseHandle(receiptHandle);
    const changed = parsed
      ? this.sql.change.run(Date.now() + seconds * 1000, parsed.seq, MAIN, receiptHandle).changes
      : 0;
    if (!changed) {
      const row = parsed ? this.sql.exists.get(parsed.seq, MAIN) : undefined;
      if (!row) {
        throw new QueueError(
          'InvalidParameterValue',
          'Message does not exist or is not available for visibility timeout change.',
        );
      }
      throw new QueueError(
        'MessageNotInflight',
        'The message was received again since; use its latest receipt handle.',
      );
    }
    this.wake();
  }

  /**
   * QueuePort.handBack: a message received and not attempted (a stop cut its batch short) is visible
   * again at once with its receive undone, so the next start neither waits out the visibility timeout
   * nor counts an attempt that was never made. A stale handle (received again since) changes nothing.
   */
  async handBack(receiptHandle: string): Promise<void> {
    const parsed = parseHandle(receiptHandle);
    if (!parsed || this.closed) return;
    if (this.sql.handBack.run(Date.now(), parsed.seq, MAIN, receiptHandle).changes) this.wake();
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
    const valid: { seq: number; handle: string }[] = [];
    for (const handle of receiptHandles) {
      const parsed = parseHandle(handle);
      if (parsed) valid.push({ seq: parsed.seq, handle });
      else failed.push(handle);
    }
    if (valid.length && !this.closed) {
      // A stale handle or a message already gone "succeeds" without deleting, as SQS documents.
      this.db.transaction(() => {
        for (const v of valid) this.sql.delete.run(v.seq, MAIN, v.handle);
      })();
      this.readCounts();
    }
    return failed;
  }

  /** Exact, and cheap however deep the queue (counts.ts): the dashboard asks 4 times a second. */
  async stats(): Promise<QueueStats> {
    const c = storeCounts(this.db, Date.now(), this.countBound);
    this.storedBytes = c.bytes;
    return {
      visible: c.visible,
      inFlight: c.inFlight,
      delayed: c.delayed,
      dlq: this.maxReceiveCount === undefined ? undefined : c.dlq,
    };
  }

  /** Commit what is pending, stop long polls, close the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.wake();
    this.db.close();
  }

  private readCounts(): Map<number, { messages: number; bytes: number }> {
    const counts = new Map<number, { messages: number; bytes: number }>();
    let bytes = 0;
    for (const row of this.sql.counts.all()) {
      counts.set(row.queue, row);
      bytes += row.bytes;
    }
    this.storedBytes = bytes;
    return counts;
  }

  private take(max: number): ReceivedMessage[] {
    const now = Date.now();
    const got: ReceivedMessage[] = [];
    const dead: DeadLetter[] = [];
    this.db.transaction(() => {
      // Rows moved to the DLQ or expired do not count toward `max`: look again until it is reached.
      for (;;) {
        const want = max - got.length;
        const rows = this.sql.candidates.all(MAIN, now, want);
        for (const r of rows) {
          if (now - r.sent_at > this.retentionMs) {
            this.sql.expire.run(r.seq);
          } else if (this.maxReceiveCount !== undefined && r.receive_count >= this.maxReceiveCount) {
            // SQS keeps the message id (and body) when it moves a message. The local DLQ is never received
            // from, so its receive_count keeps the receives made: the attempts peek --local --dlq shows.
            this.sql.toDlq.run(now, r.seq);
            dead.push({ messageId: r.id, body: r.body, receiveCount: r.receive_count });
          } else {
            const receiveCount = r.receive_count + 1;
            const firstReceiveAt = receiveCount === 1 ? now : r.first_receive_at;
            const receiptHandle = `${r.seq}.${receiveCount}.${this.tokenPrefix}${(this.tokenCounter++).toString(36)}`;
            this.sql.lease.run(receiveCount, firstReceiveAt, now + this.visibilityMs, receiptHandle, r.seq);
            got.push({
              messageId: r.id,
              receiptHandle,
              body: r.body,
              md5OfBody: createHash('md5').update(r.body).digest('hex'),
              attributes: {
                ApproximateReceiveCount: String(receiveCount),
                SentTimestamp: String(r.sent_at),
                SenderId: 'webhook-proxy-dev',
                ApproximateFirstReceiveTimestamp: String(firstReceiveAt),
              },
            });
          }
        }
        if (got.length >= max || rows.length < want) break;
      }
    })();
    if (dead.length) {
      this.readCounts();
      for (const d of dead) this.onDeadLetter?.(d);
    }
    return got;
  }

  /** Resolve at the deadline, when a hidden message becomes visible, on a send or change, or on abort. */
  private waitForChange(deadline: number, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const next = this.sql.nextVisible.get(MAIN, now)?.at ?? Infinity;
    const until = Math.min(deadline, next, now + EXTERNAL_CHANGE_POLL_MS);
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - Date.now()));
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

function parseHandle(handle: string): { seq: number } | undefined {
  const parts = handle.split('.');
  if (parts.length !== 3) return undefined;
  const seq = Number(parts[0]);
  return Number.isSafeInteger(seq) && seq > 0 ? { seq } : undefined;
}
