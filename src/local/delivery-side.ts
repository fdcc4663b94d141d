/**
 * The delivery side of `dev`/`serve`: the delivery control, one deliver handler per slot and the
 * poller (the event source mapping), built for the limits that hold, reporting through a sink. The
 * runtime runs it on its own thread for --memory and --queue-url, and the disk store runs it in a
 * worker thread (delivery-worker.ts) with its own SQLite connection, so ingest keeps a core.
 */
import { appendFileSync } from 'node:fs';
import { decodeEnvelope } from '../envelope.js';
import { createDeliveryControl, type DeliveryControl } from '../handlers/control/index.js';
import { createDeliverHandler, type DeliverConfig, type DeliveryEvent } from '../handlers/deliver.js';
import type { QueuePort } from '../handlers/ports.js';
import { deliverFunctionTimeout, type DeliveryLimits } from '../proxy/limits.js';
import { startPoller, type Poller } from './poller.js';
import type { DeadLetter, LocalQueue } from './queue.js';
import type { LiveDelivery } from './settings-watch.js';
import type { DeliveryStats } from './stats.js';
// A type-only cycle (runtime.ts imports this file): erased at build time.
import type { DevEvent } from './runtime.js';

/** What the delivery side reports to: the counters, the events, the warnings and the event log. */
export interface DeliverySink {
  stats: Pick<
    DeliveryStats,
    'wire' | 'invoked' | 'settled' | 'invocationDone' | 'delivered' | 'failed' | 'held' | 'deadLettered'
  >;
  emit(e: DevEvent): void;
  warn(message: string): void;
  record(line: Record<string, unknown>): void;
}

export interface DeliverySideOptions {
  queue: LocalQueue;
  /** What deliver uses: the queue, plus delayed sends and its own DLQ moves on the embedded queue. */
  deliverPort: QueuePort;
  config: DeliverConfig;
  /** The start's limits: the queue's visibility timeout was derived from them. */
  limits: DeliveryLimits;
  adaptive: boolean;
  waitSeconds: number;
}

export interface DeliverySide {
  control: DeliveryControl;
  poller: Poller | undefined;
}

/**
 * The lines the Lambda functions write to CloudWatch Logs, one JSON object per line with its time
 * (appended synchronously: a line is whole on disk before the next event, even at a crash).
 */
export function eventRecorder(eventLog: string | undefined): (line: Record<string, unknown>) => void {
  return (line) => {
    if (eventLog)
      appendFileSync(
        eventLog,
        `${JSON.stringify({ timestamp: Date.now(), message: JSON.stringify(line) })}\n`,
      );
  };
}

function webhookId(body: string, fallback: string): string {
  try {
    return decodeEnvelope(body).id;
  } catch {
    return fallback;
  }
}

/** The embedded queue's own DLQ moves (on a receive past --max-attempts), reported as deliver's are. */
export function onEmbeddedDeadLetter(sink: DeliverySink): (m: DeadLetter) => void {
  return (m) => {
    const id = webhookId(m.body, m.messageId);
    sink.stats.deadLettered(id);
    sink.emit({ event: 'dead-lettered', id, attempts: m.receiveCount });
  };
}

/**
 * The largest batch (up to the configured one) whose function timeout at these limits stays within the
 * start's: the queue's visibility timeout was derived from that, and a slower paced batch must not
 * outlive it (it would be received again while still being delivered).
 */
function batchWithin(l: DeliveryLimits, maxFunctionTimeout: number): number {
  let b = l.batchSize;
  while (b > 1 && deliverFunctionTimeout({ ...l, batchSize: b }) > maxFunctionTimeout) b--;
  return b;
}

function onDelivery(sink: DeliverySink, hasOwnDlq: boolean, slot: number) {
  const { stats, emit } = sink;
  return (e: DeliveryEvent) => {
    sink.record({ msg: 'deliver', ...e });
    stats.settled(slot);
    if (e.event === 'dead-lettered') {
      stats.deadLettered(e.id);
      emit({ event: 'dead-lettered', id: e.id, attempts: e.attempts, reason: e.reason });
    } else if (e.event === 'held') {
      stats.held(e.id);
    } else if (e.event === 'delivered') {
      stats.delivered(e.id);
      emit({ event: 'delivered', id: e.id, status: e.status, attempt: e.attempt, ms: e.ms });
    } else if (e.event === 'failed') {
      const problem = e.status !== undefined ? `HTTP ${e.status}` : (e.error ?? 'failed');
      stats.failed(e.id, e.attempt, problem);
      if (e.final && !hasOwnDlq) {
        // SQS moves it to the DLQ by itself on its next receive; this is the last we see of it.
        stats.deadLettered(e.id);
        emit({ event: 'dead-lettered', id: e.id, attempts: e.attempt });
      } else if (!e.final) {
        emit({
          event: 'retry',
          id: e.id,
          attempt: e.attempt,
          ...(e.status !== undefined ? { status: e.status } : {}),
          ...(e.error !== undefined ? { error: e.error } : {}),
          retryInSeconds: Math.round(e.retryInSeconds * 1000) / 1000,
        });
      }
    } else if (e.event === 'undecodable') {
      stats.failed(e.messageId, e.attempt, e.error);
      sink.warn(
        `message ${e.messageId} is not a webhook-proxy envelope (${e.error}); it will end in the DLQ`,
      );
    }
  };
}

/** Build the delivery side for the limits that hold: at start, and again on each live change. */
export function startDeliverySide(
  o: DeliverySideOptions,
  live: LiveDelivery,
  sink: DeliverySink,
): DeliverySide {
  const { rate: _startRate, ...base } = o.config;
  const rate = live.rate ?? undefined;
  const now = { ...o.limits, concurrency: live.concurrency, ...(rate ? { rate } : { rate: undefined }) };
  // One control for every slot: one rate pacer (the exact cap), one breaker, one law (control/).
  const control = createDeliveryControl({
    concurrency: live.concurrency,
    ...(rate ? { rate } : {}),
    adaptive: o.adaptive,
    mode: 'shared',
  });
  control.onChange = (change, snap) => {
    if (change === 'opened')
      sink.emit({ event: 'outage', since: snap.outageSince ?? new Date().toISOString() });
    else sink.emit({ event: 'recovered', limit: snap.limit });
  };
  const config = { ...base, concurrency: live.concurrency, ...(rate ? { rate } : {}) };
  const hasOwnDlq = Boolean(o.deliverPort.deadLetter);
  const handlers = Array.from({ length: live.concurrency }, (_x, slot) =>
    createDeliverHandler({
      queue: o.deliverPort,
      config,
      log: onDelivery(sink, hasOwnDlq, slot),
      control,
      onWire: (delta) => sink.stats.wire(delta),
    }),
  );
  const batchSize = batchWithin(now, deliverFunctionTimeout(o.limits));
  const poller: Poller | undefined = live.paused
    ? undefined
    : startPoller({
        queue: o.queue,
        handlers,
        control,
        batchSize,
        functionTimeoutSeconds: deliverFunctionTimeout({ ...now, batchSize }),
        waitSeconds: o.waitSeconds,
        onInvoke: ({ slot, messageIds }) => sink.stats.invoked(slot, messageIds.length),
        onInvoked: ({ slot, error }) => {
          sink.stats.invocationDone(slot);
          if (error) sink.warn(`deliver invocation failed, its whole batch will be retried: ${error}`);
        },
        onError: (where, err) => {
          if (where !== 'invoke')
            sink.warn(`queue ${where} failed: ${err instanceof Error ? err.message : String(err)}`);
        },
      });
  return { control, poller };
}
