/**
 * The main thread's side of the delivery worker (delivery-worker.ts): it starts the worker, tells it
 * when ingest has committed webhooks (so a waiting receive looks at once) and when the live limits
 * change, and replays what the worker reports into the same stats, events and warnings as a delivery
 * side on this thread would. The worker exists in the build (dist/cli/delivery-worker.js); run from
 * the sources (tests importing src/) there is none, and the caller keeps delivery on its own thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ControlSnapshot } from '../handlers/control/index.js';
import type { DeliverConfig } from '../handlers/deliver.js';
import type { DeliveryLimits } from '../proxy/limits.js';
import type { DeliverySink } from './delivery-side.js';
import type { DevEvent } from './runtime.js';
import type { LiveDelivery } from './settings-watch.js';
import type { SyncMode } from './store/schema.js';
import type { SqliteQueueOptions } from './store/sqlite-queue.js';

export interface WorkerStart {
  dataDir: string;
  sync: SyncMode;
  queue: SqliteQueueOptions;
  config: DeliverConfig;
  limits: DeliveryLimits;
  adaptive: boolean;
  waitSeconds: number;
  eventLog: string | undefined;
  live: LiveDelivery;
}

export type ToWorker = { t: 'wake' } | { t: 'apply'; seq: number; live: LiveDelivery } | { t: 'stop' };

export type FromWorker =
  | { t: 'ready'; control: ControlSnapshot | undefined }
  | {
      t: 'batch';
      control?: ControlSnapshot | undefined;
      items: (
        | { k: 'stats'; name: string; args: unknown[] }
        | { k: 'emit'; event: DevEvent }
        | { k: 'warn'; message: string }
      )[];
    }
  | { t: 'applied'; seq: number }
  | { t: 'stopped' }
  | { t: 'failed'; message: string };

export interface DeliveryThread {
  /** Webhooks were committed: a receive waiting in the worker looks again now. */
  wake(): void;
  controlSnapshot(): ControlSnapshot | undefined;
  /** New live limits (`pause|resume|scale --local`): the batches under way finish first. */
  apply(live: LiveDelivery): Promise<void>;
  /** Finish the deliveries in flight, close the worker's connection, end the thread. */
  stop(): Promise<void>;
}

const WORKER_URL = new URL('./delivery-worker.js', import.meta.url);

export function deliveryWorkerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

/** Start the worker; resolves once its delivery side runs. */
export async function startDeliveryThread(start: WorkerStart, sink: DeliverySink): Promise<DeliveryThread> {
  const worker = new Worker(WORKER_URL, { workerData: start });
  let control: ControlSnapshot | undefined;
  let seq = 0;
  const applied = new Map<number, () => void>();
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolve) => (stopped = resolve));
  let ready: (err?: Error) => void = () => {};
  const started = new Promise<void>((resolve, reject) => (ready = (e) => (e ? reject(e) : resolve())));
  const stats = sink.stats as unknown as Record<string, (...args: unknown[]) => void>;

  worker.on('message', (m: FromWorker) => {
    if (m.t === 'ready') {
      control = m.control;
      ready();
    } else if (m.t === 'batch') {
      if (m.control) control = m.control;
      for (const item of m.items) {
        if (item.k === 'stats') stats[item.name]?.(...item.args);
        else if (item.k === 'emit') sink.emit(item.event);
        else sink.warn(item.message);
      }
    } else if (m.t === 'applied') {
      applied.get(m.seq)?.();
      applied.delete(m.seq);
    } else if (m.t === 'stopped') stopped();
    else if (m.t === 'failed') sink.warn(`the delivery thread failed: ${m.message}`);
  });
  worker.on('error', (err) => {
    sink.warn(`the delivery thread failed: ${err.message}; webhooks stay queued until a restart`);
    ready(err);
    stopped();
  });
  worker.on('exit', () => {
    ready(new Error('the delivery thread exited while starting'));
    for (const resolve of applied.values()) resolve();
    stopped();
  });
  await started;

  let stopping: Promise<void> | undefined;
  return {
    wake: () => worker.postMessage({ t: 'wake' } satisfies ToWorker),
    controlSnapshot: () => control,
    apply: (live) =>
      new Promise<void>((resolve) => {
        const n = ++seq;
        applied.set(n, resolve);
        worker.postMessage({ t: 'apply', seq: n, live } satisfies ToWorker);
      }),
    stop: () =>
      (stopping ??= (async () => {
        worker.postMessage({ t: 'stop' } satisfies ToWorker);
        await done;
        await worker.terminate();
      })()),
  };
}
