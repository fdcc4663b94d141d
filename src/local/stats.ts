/**
 * The counters behind the `dev` dashboard. The handlers report outcomes; this turns them into what a
 * person watching a spike wants to know: how much came in, how much is waiting, being delivered,
 * waiting for a retry, delivered, given up on, and how fast it is going right now.
 */
import type { ControlSnapshot } from '../handlers/control/index.js';
import type { QueueStats } from './queue.js';

export interface RecentError {
  at: number;
  id: string;
  attempt: number;
  problem: string;
}

export interface DevSnapshot {
  received: number;
  /** Waiting: in the queue, or in a batch handed out, behind the record being delivered. */
  queued: number;
  /**
   * Held (an outage, a Retry-After, the rate: attempts not counted) and queued again with a delay
   * that has not passed yet. Apart from `queued`: they cannot be received before their time.
   */
  delayed: number;
  /** Requests to the upstream on the wire now (at most the concurrency). */
  inFlight: number;
  delivered: number;
  /** Failed and hidden until their next attempt (the backoff), read from the queue. */
  retrying: number;
  deadLettered: number;
  /** Deliveries per second over the last few seconds. */
  ratePerSecond: number;
  lastErrors: RecentError[];
  /** Messages in the DLQ now (undefined: no DLQ, or unknown). */
  dlq: number | undefined;
  /** What delivery control has found: the concurrency it allows, the upstream's baseline, an outage. */
  control?: ControlSnapshot;
}

const RATE_WINDOW_MS = 5000;
const KEEP_ERRORS = 5;

/** One deliver invocation's batch, while it runs. */
interface Batch {
  records: number;
  /** Not settled yet: waiting their turn, or on the wire. */
  pending: number;
  /** Failed and hidden for their backoff (still received, not deleted: in the queue's in-flight count). */
  backingOff: number;
}

/**
 * Nothing here grows with the queue or with the number of webhooks: counters, one entry per slot (at
 * most --concurrency), the last few errors and the delivery times of the rate window. Which webhooks
 * wait for a retry is the queue's to know (it holds them, and still does after a restart): `retrying`
 * is read from its in-flight count, less the batches being delivered (issue 13: a Set of the failed
 * ids grew with every failing webhook, a million in an outage).
 */
export class DeliveryStats {
  private counts = { received: 0, delivered: 0, deadLettered: 0 };
  private readonly batches = new Map<number, Batch>();
  /** Delivery times; entries before `head` have left the rate window. */
  private recent: number[] = [];
  private head = 0;
  private readonly errors: RecentError[] = [];
  private onWire = 0;

  constructor(private readonly now: () => number = Date.now) {}

  received(): void {
    this.counts.received++;
  }

  /** A request to the upstream started (+1) or ended (-1). */
  wire(delta: 1 | -1): void {
    this.onWire = Math.max(0, this.onWire + delta);
  }

  invoked(slot: number, records: number): void {
    this.batches.set(slot, { records, pending: records, backingOff: 0 });
  }

  /** One record of the slot's batch has an outcome. */
  settled(slot: number): void {
    const b = this.batches.get(slot);
    if (b && b.pending > 0) b.pending--;
  }

  /** One record of the slot's batch failed and is hidden until its next attempt. */
  backingOff(slot: number): void {
    const b = this.batches.get(slot);
    if (b) b.backingOff++;
  }

  invocationDone(slot: number): void {
    this.batches.delete(slot);
  }

  delivered(): void {
    this.counts.delivered++;
    const t = this.now();
    this.recent.push(t);
    this.trim(t);
  }

  failed(id: string, attempt: number, problem: string): void {
    this.errors.unshift({ at: this.now(), id, attempt, problem });
    this.errors.length = Math.min(this.errors.length, KEEP_ERRORS);
  }

  deadLettered(): void {
    this.counts.deadLettered++;
  }

  snapshot(queue: QueueStats | undefined): DevSnapshot {
    const t = this.now();
    this.trim(t);
    let handedOut = 0;
    let batchRecords = 0;
    let backingOff = 0;
    for (const b of this.batches.values()) {
      handedOut += b.pending;
      batchRecords += b.records;
      backingOff += b.backingOff;
    }
    // A deliver invocation sends its batch one record after another: only those on the wire are in
    // flight; the rest of its batch waits, as queued as the ones still in the queue.
    const inFlight = this.onWire;
    // The queue's in-flight count holds every record of the batches being delivered (until the batch
    // ends and its delivered records are deleted) and every record hidden for its backoff: the
    // difference is what waits for a retry, plus the records of running batches already backing off.
    // (A last attempt handed back to SQS at once, no DLQ port, is counted in the batch until it ends;
    // SQS's counts are approximate anyway.)
    const retrying = Math.max(0, (queue?.inFlight ?? 0) - batchRecords) + backingOff;
    // Waiting to be received, or in a batch behind the one being sent. Delayed (held) messages are
    // apart: they cannot be received before their delay has passed.
    const queued = (queue?.visible ?? 0) + Math.max(0, handedOut - inFlight);
    return {
      ...this.counts,
      queued,
      delayed: queue?.delayed ?? 0,
      inFlight,
      retrying,
      ratePerSecond: (this.recent.length - this.head) / (RATE_WINDOW_MS / 1000),
      lastErrors: [...this.errors],
      dlq: queue?.dlq,
    };
  }

  private trim(t: number): void {
    while (this.head < this.recent.length && this.recent[this.head]! <= t - RATE_WINDOW_MS) this.head++;
    if (this.head > 1024) {
      this.recent = this.recent.slice(this.head);
      this.head = 0;
    }
  }
}
