/**
 * The `dev` engine: the whole proxy in one process, wired from the same handlers Lambda runs.
 *   HTTP (http-server.ts) → ingest handler → queue (store/sqlite-queue.ts | memory-queue.ts | sqs-queue.ts)
 *   → poller (event source mapping) → deliver handler × concurrency → upstream
 * It reports what happens as DevEvents (the command renders them) and keeps the counters the
 * dashboard shows (snapshot()).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { connect } from 'node:net';
import { UsageError } from '../errors.js';
import type { ControlSnapshot } from '../handlers/control/index.js';
import type { DeliverConfig } from '../handlers/deliver.js';
import type { Methods } from '../handlers/edge/methods.js';
import type { HandshakeSpec, VerifySpec } from '../handlers/edge/types.js';
import { DEFAULTS, type QueuePort } from '../handlers/ports.js';
import { createIngestHandler } from '../handlers/ingest.js';
import { queueVisibilityTimeout } from '../proxy/limits.js';
import {
  eventRecorder,
  onEmbeddedDeadLetter,
  startDeliverySide,
  type DeliverySideOptions,
  type DeliverySink,
} from './delivery-side.js';
import type { WorkerStart } from './delivery-thread.js';
import { startIngress, type Ingress } from './http-server.js';
import { MemoryQueue } from './memory-queue.js';
import type { LiveDelivery, SettingsWatch } from './settings-watch.js';
import type { LocalQueue } from './queue.js';
import type { DataDirLock } from './store/data-dir.js';
import type { Resumed } from './store/open.js';
import type { LocalStore } from '../commands/local-options.js';
import { DeliveryStats, type DevSnapshot } from './stats.js';

export interface DevSettings {
  upstream: string;
  host: string;
  port: number;
  concurrency: number;
  rate?: number;
  /** --adaptive: the concurrency above is a ceiling, the control law finds what the upstream takes. */
  adaptive?: boolean;
  /** --retry-window in seconds (default 24 h). */
  retryWindow?: number;
  maxAttempts: number;
  backoffBase: number;
  backoffMax: number;
  /** Seconds per upstream request. */
  timeout: number;
  batchSize: number;
  preservePath: boolean;
  responseStatus: number;
  handshakes?: HandshakeSpec[];
  verify?: VerifySpec[];
  /** `--methods`; undefined: the default (POST, PUT, PATCH, DELETE). */
  methods?: Methods;
  /** The embedded queue: on disk in a data directory (the default), or in memory (`--memory`). */
  store?: LocalStore;
  /** `--queue-url`: a real SQS queue instead of the embedded one. */
  sqs?: { client: SQSClient; queueUrl: string };
  /** `dev --event-log FILE`: the handlers' log lines, as `logs --local FILE` reads them. */
  eventLog?: string;
}

export type DevEvent =
  | {
      event: 'listening';
      url: string;
      upstream: string;
      queue: LocalQueue['kind'];
      maxAttempts: number | null;
      /** The disk store's directory, and what it held at start. */
      dataDir?: string;
      resumed?: Resumed;
    }
  | { event: 'delivered'; id: string; status: number; attempt: number; ms: number }
  | { event: 'retry'; id: string; attempt: number; status?: number; error?: string; retryInSeconds: number }
  | { event: 'dead-lettered'; id: string; attempts: number; reason?: string }
  /** The upstream as a whole is down: webhooks are held (uncounted), one probe a second. */
  | { event: 'outage'; since: string }
  | { event: 'recovered'; limit: number }
  | { event: 'rejected'; status: number; reason: string; id?: string }
  | { event: 'warning'; message: string }
  /** Delivery limits changed live (`pause|resume|scale --local`), or a kept pause at start. */
  | ({ event: 'settings' } & LiveDelivery)
  /**
   * queued: still in the queue (waiting, in flight, backing off); deadLettered: in the DLQ (null: the
   * queue has none, or SQS did not say). lost: they lived in memory. dataDir: where they are kept.
   */
  | { event: 'stopped'; queued: number; deadLettered: number | null; lost: boolean; dataDir?: string };

export type { Resumed } from './store/open.js';

export interface DevRuntime {
  url: string;
  queue: LocalQueue;
  /** The disk store's data directory (undefined with --memory or --queue-url). */
  dataDir: string | undefined;
  snapshot(): Promise<DevSnapshot>;
  /**
   * Stop accepting (503 to every new request), let the ingests under way finish, close every
   * connection, finish the deliveries in flight; resolves with what is still queued and dead-lettered.
   */
  stop(): Promise<{ queued: number; deadLettered: number | null }>;
}

/** Long-poll waits: the embedded queue's receive can be cut short on stop; SQS's cannot (see sqs-queue.ts). */
const MEMORY_WAIT_SECONDS = 20;
const SQS_WAIT_SECONDS = 2;
/** No DLQ on the real queue: retry at --backoff-max until SQS's retention drops the message. */
const NO_DLQ_ATTEMPTS = Number.MAX_SAFE_INTEGER;

/** Whether something accepts TCP connections at the upstream's host and port. */
export function probeUpstream(upstream: string, timeoutMs = 2000): Promise<string | undefined> {
  const url = new URL(upstream);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code ? `${err.code} ${host}:${port}` : err.message),
    );
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0']);

/** The delivery side as the runtime drives it, on this thread or in the disk store's worker. */
interface Delivery {
  controlSnapshot(): ControlSnapshot | undefined;
  /** New live limits: the batches under way finish, then the side is built again. */
  apply(live: LiveDelivery): Promise<void>;
  /** Finish the deliveries in flight; nothing more is received. */
  stop(): Promise<void>;
}

export async function startDev(settings: DevSettings, emit: (e: DevEvent) => void): Promise<DevRuntime> {
  const limits = {
    batchSize: settings.batchSize,
    timeout: settings.timeout,
    concurrency: settings.concurrency,
    ...(settings.rate ? { rate: settings.rate } : {}),
  };
  const stats = new DeliveryStats();
  // The same lines the Lambda functions write to CloudWatch Logs (the delivery worker appends its own).
  const record = eventRecorder(settings.eventLog);
  let lastWarning = { text: '', at: 0 };
  const warn = (message: string) => {
    // A queue that is down fails every receive of every slot: say it once every few seconds, not each time.
    if (message === lastWarning.text && Date.now() - lastWarning.at < 10_000) return;
    lastWarning = { text: message, at: Date.now() };
    emit({ event: 'warning', message });
  };

  const sink: DeliverySink = { stats, emit, warn, record };
  let disk: { dataDir: string; name: string; lock: DataDirLock; worker?: WorkerStart } | undefined;
  let resumed: Resumed | undefined;
  let queue: LocalQueue;
  /** What deliver uses: the queue, plus delayed sends and its own DLQ moves on the embedded queue. */
  let deliverPort: QueuePort;
  let maxAttempts: number;
  if (settings.sqs) {
    const { createSqsLocalQueue } = await import('./sqs-queue.js');
    const sqsQueue = await createSqsLocalQueue(settings.sqs.client, settings.sqs.queueUrl);
    queue = sqsQueue;
    deliverPort = sqsQueue;
    maxAttempts = sqsQueue.maxReceiveCount ?? NO_DLQ_ATTEMPTS;
  } else if (settings.store?.kind !== 'memory') {
    // The default: the durable store in the data directory (lazily loaded: native code).
    maxAttempts = settings.maxAttempts;
    const { openServerQueue, defaultDiskStore } = await import('./store/open.js');
    const { deliveryWorkerAvailable } = await import('./delivery-thread.js');
    const useWorker = deliveryWorkerAvailable();
    const store = settings.store ?? defaultDiskStore();
    const opened = await openServerQueue(store, {
      visibilityTimeout: queueVisibilityTimeout(limits),
      maxReceiveCount: settings.maxAttempts,
      retryLockedCommits: useWorker,
    });
    disk = { dataDir: store.dataDir, name: store.name, lock: opened.lock };
    resumed = opened.resumed;
    const sqlite = opened.queue;
    sqlite.onDeadLetter = onEmbeddedDeadLetter(sink);
    if (useWorker) {
      // Delivery in a worker thread with its own connection to the file (WAL: two connections), so
      // ingest keeps this thread's core to itself. Filled in below, once the deliver config is known.
      disk.worker = {
        dataDir: store.dataDir,
        sync: store.sync,
        queue: {
          visibilityTimeout: queueVisibilityTimeout(limits),
          maxReceiveCount: settings.maxAttempts,
          maxQueueBytes: store.maxQueueBytes,
          name: `webhook-proxy-${store.name}`,
        },
      } as WorkerStart;
    }
    queue = sqlite;
    deliverPort = {
      send: (body, options) => sqlite.sendDelayed(body, options?.delaySeconds ?? 0),
      changeVisibility: (handle, seconds) => sqlite.changeVisibility(handle, seconds),
      deadLetter: (body) => sqlite.deadLetter(body),
    };
  } else {
    maxAttempts = settings.maxAttempts;
    const memory = new MemoryQueue({
      visibilityTimeout: queueVisibilityTimeout(limits),
      maxReceiveCount: settings.maxAttempts,
    });
    memory.onDeadLetter = onEmbeddedDeadLetter(sink);
    queue = memory;
    const dlq = memory.dlq!;
    deliverPort = {
      send: async (body, options) => {
        memory.sendNow(body, options?.delaySeconds ? { delaySeconds: options.delaySeconds } : {});
      },
      changeVisibility: (handle, seconds) => memory.changeVisibility(handle, seconds),
      deadLetter: async (body) => {
        dlq.sendNow(body);
      },
    };
  }
  /** Everything start opened, closed again when it fails half-way (the lock must not outlive us). */
  const abandon = async () => {
    await queue.close();
    disk?.lock.release();
  };

  const ingest = createIngestHandler({
    queue,
    config: {
      responseStatus: settings.responseStatus,
      fifo: queue.fifo,
      ...(settings.handshakes?.length ? { handshakes: settings.handshakes } : {}),
      ...(settings.verify?.length ? { verify: settings.verify } : {}),
      ...(settings.methods ? { methods: settings.methods } : {}),
    },
    log: (line) => {
      record(line);
      const status = Number(line.status);
      if (line.msg === 'ingest' && status >= 200 && status < 300) stats.received();
      else if (status >= 400) {
        emit({
          event: 'rejected',
          status,
          reason: String(line.error ?? line.reason ?? line.msg ?? 'rejected'),
          ...(typeof line.id === 'string' ? { id: line.id } : {}),
        });
      }
    },
  });

  const deliverConfig: DeliverConfig = {
    upstream: settings.upstream,
    preservePath: settings.preservePath,
    timeoutSeconds: settings.timeout,
    ...(settings.rate ? { rate: settings.rate } : {}),
    concurrency: settings.concurrency,
    backoffBase: settings.backoffBase,
    backoffMax: settings.backoffMax,
    maxAttempts,
    adaptive: Boolean(settings.adaptive),
    retryWindowSeconds: settings.retryWindow ?? DEFAULTS.retryWindow,
  };
  const sideOptions: DeliverySideOptions = {
    queue,
    deliverPort,
    config: deliverConfig,
    limits,
    adaptive: Boolean(settings.adaptive),
    waitSeconds: queue.kind === 'sqs' ? SQS_WAIT_SECONDS : MEMORY_WAIT_SECONDS,
  };
  // The delivery side, built for the limits that hold: at start, and again when `pause|resume|scale
  // --local` changes them (settings-watch.ts).
  const startDelivery = async (live: LiveDelivery): Promise<Delivery> => {
    if (disk?.worker) {
      const { startDeliveryThread } = await import('./delivery-thread.js');
      const { config, limits: l, adaptive, waitSeconds } = sideOptions;
      const thread = await startDeliveryThread(
        { ...disk.worker, config, limits: l, adaptive, waitSeconds, eventLog: settings.eventLog, live },
        sink,
      );
      (queue as import('./store/sqlite-queue.js').SqliteQueue).onCommitted = () => thread.wake();
      return { controlSnapshot: thread.controlSnapshot, apply: thread.apply, stop: thread.stop };
    }
    let side = startDeliverySide(sideOptions, live, sink);
    return {
      controlSnapshot: () => side.control.snapshot(),
      apply: async (next) => {
        await side.poller?.stop({ finishBatches: true });
        side = startDeliverySide(sideOptions, next, sink);
      },
      stop: async () => side.poller?.stop(),
    };
  };

  let ingress: Ingress;
  try {
    ingress = await startIngress({
      host: settings.host,
      port: settings.port,
      handler: ingest,
      onError: (err) => warn(`ingest failed: ${String(err)}`),
      onRejected: (status, reason) => emit({ event: 'rejected', status, reason }),
      // Healthy when webhooks can be stored: the queue answers (SQS is asked; the embedded one always does).
      health: async () => {
        await queue.stats();
        return { ok: true, queue: queue.kind };
      },
    });
  } catch (err) {
    await abandon();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new UsageError(
        `Port ${settings.port} on ${settings.host} is already in use.`,
        'Pick another with --port (or --port 0 for any free port).',
      );
    }
    throw err;
  }
  const upstream = new URL(settings.upstream);
  const upstreamPort = Number(upstream.port || (upstream.protocol === 'https:' ? 443 : 80));
  if (LOOPBACK.has(upstream.hostname) && upstreamPort === ingress.port && upstream.protocol === 'http:') {
    await ingress.close();
    await abandon();
    throw new UsageError(
      `--upstream ${settings.upstream} is this proxy itself: every webhook would loop forever.`,
      'Point --upstream at your application, or pick another --port.',
    );
  }

  const startLive: LiveDelivery = {
    paused: false,
    concurrency: settings.concurrency,
    rate: settings.rate ?? null,
  };
  let delivery: Delivery | undefined;
  // On the disk store the runbook commands (`pause|resume|scale --local`) change these live.
  let watch: SettingsWatch | undefined;
  if (disk) {
    try {
      const { watchSettings } = await import('./settings-watch.js');
      watch = await watchSettings({
        dataDir: disk.dataDir,
        start: { concurrency: startLive.concurrency, rate: startLive.rate },
        upstream: settings.upstream,
        adaptive: Boolean(settings.adaptive),
        apply: async (next) => {
          await delivery?.apply(next);
          emit({ event: 'settings', ...next });
        },
        onError: (err) =>
          warn(`applying the settings failed: ${err instanceof Error ? err.message : String(err)}`),
      });
    } catch (err) {
      await ingress.close();
      await abandon();
      throw err;
    }
  }
  try {
    delivery = await startDelivery(watch?.current ?? startLive);
  } catch (err) {
    await watch?.stop();
    await ingress.close();
    await abandon();
    throw err;
  }

  disk?.lock.announce({ url: ingress.url, name: disk.name });
  emit({
    event: 'listening',
    url: ingress.url,
    upstream: settings.upstream,
    queue: queue.kind,
    maxAttempts: maxAttempts === NO_DLQ_ATTEMPTS ? null : maxAttempts,
    ...(disk ? { dataDir: disk.dataDir } : {}),
    ...(resumed ? { resumed } : {}),
  });
  if (watch?.current.paused) emit({ event: 'settings', ...watch.current });
  void probeUpstream(settings.upstream).then((problem) => {
    if (problem) {
      warn(
        `the upstream ${settings.upstream} does not answer (${problem}). Webhooks are still accepted and ` +
          'queued; they are delivered once it is up.',
      );
    }
  });

  let stopped: Promise<{ queued: number; deadLettered: number | null }> | undefined;
  return {
    url: ingress.url,
    queue,
    dataDir: disk?.dataDir,
    snapshot: async () => ({
      ...stats.snapshot(await queue.stats().catch(() => undefined)),
      control: delivery?.controlSnapshot(),
    }),
    stop: () =>
      (stopped ??= (async () => {
        // Bounded by itself (API Gateway's 30 s for an ingest under way): once it resolves, intake has
        // ended, so the counts below are final.
        await ingress.close();
        await watch?.stop();
        await delivery?.stop();
        const s = await queue.stats().catch(() => undefined);
        const queued = s ? s.visible + s.inFlight + s.delayed : 0;
        const deadLettered = s?.dlq ?? null;
        await queue.close();
        disk?.lock.release();
        emit({
          event: 'stopped',
          queued,
          deadLettered,
          lost: queue.kind === 'memory',
          ...(disk ? { dataDir: disk.dataDir } : {}),
        });
        return { queued, deadLettered };
      })()),
  };
}
