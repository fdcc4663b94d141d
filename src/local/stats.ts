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
  /** Requests to the upstream on the wire now (at most the concurrency). */
  inFlight: number;
  delivered: number;
  /** Failed at least once and waiting for their next attempt. */
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

export class DeliveryStats {
  private counts = { received: 0, delivered: 0, deadLettered: 0 };
  private readonly retrying = new Set<string>();
  private readonly pendingBySlot = new Map<number, number>();
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
    this.pendingBySlot.set(slot, records);
  }

  /** One record of the slot's batch has an outcome. */
  settled(slot: number): void {
    const n = this.pendingBySlot.get(slot) ?? 0;
    if (n > 0) this.pendingBySlot.set(slot, n - 1);
  }

  invocationDone(slot: number): void {
    this.pendingBySlot.delete(slot);
  }

  delivered(id: string): void {
    this.counts.delivered++;
    this.retrying.delete(id);
    const t = this.now();
    this.recent.push(t);
    this.trim(t);
  }

  failed(id: string, attempt: number, problem: string): void {
    this.retrying.add(id);
    this.errors.unshift({ at: this.now(), id, attempt, problem });
    this.errors.length = Math.min(this.errors.length, KEEP_ERRORS);
  }

  /** Held through an outage: still waiting for its next attempt, which this one did not count as. */
  held(id: string): void {
    this.retrying.add(id);
  }

  deadLettered(id: string): void {
    this.counts.deadLettered++;
    this.retrying.delete(id);
  }

  snapshot(queue: QueueStats | undefined): DevSnapshot {
    const t = this.now();
    this.trim(t);
    let handedOut = 0;
    for (const n of this.pendingBySlot.values()) handedOut += n;
    // A deliver invocation sends its batch one record after another: only those on the wire are in
    // flight; the rest of its batch waits, as queued as the ones still in the queue.
    const inFlight = this.onWire;
    const retrying = this.retrying.size;
    // Waiting to be received, or in a batch behind the one being sent. (SQS's "not visible" count
    // mixes batches being delivered, their already delivered records not yet deleted, and retries in
    // backoff: in flight and retrying say those.)
    const queued = (queue ? queue.visible + queue.delayed : 0) + Math.max(0, handedOut - inFlight);
    return {
      ...this.counts,
      queued,
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
