/**
 * The `dev` engine: the whole proxy in one process, wired from the same handlers Lambda runs.
 *   HTTP (http-server.ts) → ingest handler → queue (store/sqlite-queue.ts | memory-queue.ts | sqs-queue.ts)
 *   → poller (event source mapping) → deliver handler × concurrency → upstream
 * It reports what happens as DevEvents (the command renders them) and keeps the counters the
 * dashboard shows (snapshot()).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { connect } from 'node:net';
import { decodeEnvelope } from '../envelope.js';
import { UsageError } from '../errors.js';
import { listenError } from './listen-host.js';
import { createDeliveryControl } from '../handlers/control/index.js';
import { createDeliverHandler, type DeliverConfig, type DeliveryEvent } from '../handlers/deliver.js';
import type { Methods } from '../handlers/edge/methods.js';
import type { HandshakeSpec, VerifySpec } from '../handlers/edge/types.js';
import { DEFAULTS, type QueuePort } from '../handlers/ports.js';
import { createIngestHandler } from '../handlers/ingest.js';
import { deliverFunctionTimeout, queueVisibilityTimeout, type DeliveryLimits } from '../proxy/limits.js';
import { suggest } from '../proxy/suggest.js';
import { defaultEventLog, EVENT_LOG_MAX_BYTES, openEventLog, type EventLog } from './event-log.js';
import { startIngress, type Ingress } from './http-server.js';
import { MemoryQueue } from './memory-queue.js';
import { startPoller, type Poller } from './poller.js';
import type { LiveDelivery, SettingsWatch } from './settings-watch.js';
import type { DeadLetter, LocalQueue } from './queue.js';
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
  /**
   * `--event-log FILE`: the handlers' log lines, as `logs --local --event-log FILE` reads them.
   * Without it, the disk store keeps a bounded one in its data directory (src/local/event-log.ts).
   */
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
  /**
   * Delivery limits changed live (`pause|resume|scale --local`), or a kept pause at start. resume: when
   * paused, the command that resumes this proxy (its name and directory, not "default").
   */
  | ({ event: 'settings'; resume?: string } & LiveDelivery)
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

function webhookId(body: string, fallback: string): string {
  try {
    return decodeEnvelope(body).id;
  } catch {
    return fallback;
  }
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

export async function startDev(settings: DevSettings, emit: (e: DevEvent) => void): Promise<DevRuntime> {
  const limits = {
    batchSize: settings.batchSize,
    timeout: settings.timeout,
    concurrency: settings.concurrency,
    ...(settings.rate ? { rate: settings.rate } : {}),
  };
  const stats = new DeliveryStats();
  // The same lines the Lambda functions write to CloudWatch Logs (src/local/event-log.ts): to
  // --event-log FILE, else (once the disk store is open) to the data directory's bounded log.
  let eventLog: EventLog | undefined = settings.eventLog ? openEventLog(settings.eventLog) : undefined;
  const record = (line: Record<string, unknown>) => eventLog?.record(line);
  let lastWarning = { text: '', at: 0 };
  const warn = (message: string) => {
    // A queue that is down fails every receive of every slot: say it once every few seconds, not each time.
    if (message === lastWarning.text && Date.now() - lastWarning.at < 10_000) return;
    lastWarning = { text: message, at: Date.now() };
    emit({ event: 'warning', message });
  };

  const onEmbeddedDeadLetter = (m: DeadLetter) => {
    const id = webhookId(m.body, m.messageId);
    stats.deadLettered();
    emit({ event: 'dead-lettered', id, attempts: m.receiveCount });
  };
  let disk: { dataDir: string; name: string; lock: DataDirLock } | undefined;
  let resumed: Resumed | undefined;
  let queue: LocalQueue;
  /** What deliver uses: the queue, plus delayed sends and its own DLQ moves on the embedded queue. */
  let deliverPort: QueuePort;
  let maxAttempts: number;
  if (settings.sqs) {
    const { createSqsLocalQueue } = await import('./sqs-queue.js');
    const sqsQueue = await createSqsLocalQueue(settings.sqs.client, settings.sqs.queueUrl, {
      visibilityTimeout: queueVisibilityTimeout(limits),
    });
    queue = sqsQueue;
    deliverPort = sqsQueue;
    maxAttempts = sqsQueue.maxReceiveCount ?? NO_DLQ_ATTEMPTS;
  } else if (settings.store?.kind !== 'memory') {
    // The default: the durable store in the data directory (lazily loaded: native code).
    maxAttempts = settings.maxAttempts;
    const { openServerQueue, defaultDiskStore } = await import('./store/open.js');
    const store = settings.store ?? defaultDiskStore();
    const opened = await openServerQueue(store, {
      visibilityTimeout: queueVisibilityTimeout(limits),
      maxReceiveCount: settings.maxAttempts,
    });
    disk = { dataDir: store.dataDir, name: store.name, lock: opened.lock };
    eventLog ??= openEventLog(defaultEventLog(store.dataDir), { maxBytes: EVENT_LOG_MAX_BYTES });
    resumed = opened.resumed;
    const sqlite = opened.queue;
    sqlite.onDeadLetter = onEmbeddedDeadLetter;
    queue = sqlite;
    deliverPort = {
      send: (body, options) => sqlite.sendDelayed(body, options?.delaySeconds ?? 0),
      changeVisibility: (handle, seconds) => sqlite.changeVisibility(handle, seconds),
      deadLetter: (body, meta) => sqlite.deadLetter(body, meta),
      handBack: (handle) => sqlite.handBack(handle),
    };
  } else {
    maxAttempts = settings.maxAttempts;
    const memory = new MemoryQueue({
      visibilityTimeout: queueVisibilityTimeout(limits),
      maxReceiveCount: settings.maxAttempts,
    });
    memory.onDeadLetter = onEmbeddedDeadLetter;
    queue = memory;
    const dlq = memory.dlq!;
    deliverPort = {
      send: async (body, options) => {
        memory.sendNow(body, options?.delaySeconds ? { delaySeconds: options.delaySeconds } : {});
      },
      changeVisibility: (handle, seconds) => memory.changeVisibility(handle, seconds),
      handBack: (handle) => memory.handBack(handle),
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
  const onDelivery = (slot: number) => (e: DeliveryEvent) => {
    record({ msg: 'deliver', ...e });
    stats.settled(slot);
    if (e.event === 'dead-lettered') {
      stats.deadLettered();
      emit({ event: 'dead-lettered', id: e.id, attempts: e.attempts, reason: e.reason });
    } else if (e.event === 'delivered') {
      stats.delivered();
      emit({ event: 'delivered', id: e.id, status: e.status, attempt: e.attempt, ms: e.ms });
    } else if (e.event === 'failed') {
      const problem = e.status !== undefined ? `HTTP ${e.status}` : (e.error ?? 'failed');
      stats.failed(e.id, e.attempt, problem);
      // An outage answer is followed by its hold (retryInSeconds 0): a delayed copy, not a backoff.
      if (!e.final && e.retryInSeconds > 0) stats.backingOff(slot);
      if (e.final && !deliverPort.deadLetter) {
        // SQS moves it to the DLQ by itself on its next receive; this is the last we see of it.
        stats.deadLettered();
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
      if (e.attempt < maxAttempts) stats.backingOff(slot);
      warn(`message ${e.messageId} is not a webhook-proxy envelope (${e.error}); it will end in the DLQ`);
    }
  };
  // The delivery side (control, one deliver handler per slot, the poller), built for the limits that
  // hold: at start, and again when `pause|resume|scale --local` changes them (settings-watch.ts).
  const startDelivery = (live: LiveDelivery) => {
    const { rate: _startRate, ...base } = deliverConfig;
    const rate = live.rate ?? undefined;
    const now = { ...limits, concurrency: live.concurrency, ...(rate ? { rate } : { rate: undefined }) };
    // One control for every slot: one rate pacer (the exact cap), one breaker, one law (control/).
    const control = createDeliveryControl({
      concurrency: live.concurrency,
      ...(rate ? { rate } : {}),
      adaptive: live.adaptive,
      mode: 'shared',
    });
    control.onChange = (change, snap) => {
      if (change === 'opened') emit({ event: 'outage', since: snap.outageSince ?? new Date().toISOString() });
      else emit({ event: 'recovered', limit: snap.limit });
    };
    const config = {
      ...base,
      concurrency: live.concurrency,
      adaptive: live.adaptive,
      ...(rate ? { rate } : {}),
    };
    const handlers = Array.from({ length: live.concurrency }, (_x, slot) =>
      createDeliverHandler({
        queue: deliverPort,
        config,
        log: onDelivery(slot),
        control,
        onWire: (delta) => stats.wire(delta),
      }),
    );
    const batchSize = batchWithin(now, deliverFunctionTimeout(limits));
    const poller: Poller | undefined = live.paused
      ? undefined
      : startPoller({
          queue,
          handlers,
          control,
          batchSize,
          functionTimeoutSeconds: deliverFunctionTimeout({ ...now, batchSize }),
          waitSeconds: queue.kind === 'sqs' ? SQS_WAIT_SECONDS : MEMORY_WAIT_SECONDS,
          onInvoke: ({ slot, messageIds }) => stats.invoked(slot, messageIds.length),
          onInvoked: ({ slot, error }) => {
            stats.invocationDone(slot);
            if (error) warn(`deliver invocation failed, its whole batch will be retried: ${error}`);
          },
          onError: (where, err) => {
            if (where !== 'invoke')
              warn(`queue ${where} failed: ${err instanceof Error ? err.message : String(err)}`);
          },
        });
    return { control, poller };
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
    throw listenError(err as NodeJS.ErrnoException, settings.host, settings.port) ?? err;
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
    adaptive: Boolean(settings.adaptive),
  };
  let delivery: ReturnType<typeof startDelivery>;
  // On the disk store the runbook commands (`pause|resume|scale --local`) change these live.
  const settingsEvent = (live: LiveDelivery): DevEvent => ({
    event: 'settings',
    ...live,
    ...(live.paused && disk
      ? { resume: suggest('resume', { name: disk.name, region: '', local: { dataDir: disk.dataDir } }) }
      : {}),
  });
  let watch: SettingsWatch | undefined;
  if (disk) {
    try {
      const { watchSettings } = await import('./settings-watch.js');
      watch = await watchSettings({
        dataDir: disk.dataDir,
        start: { concurrency: startLive.concurrency, rate: startLive.rate, adaptive: startLive.adaptive },
        upstream: settings.upstream,
        apply: async (next) => {
          await delivery.poller?.stop({ finishBatches: true });
          delivery = startDelivery(next);
          emit(settingsEvent(next));
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
  delivery = startDelivery(watch?.current ?? startLive);

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
  // Said at once when the store, not the flags, decides how it delivers (a pause, a `scale --local --adaptive`).
  if (watch && (watch.current.paused || watch.current.adaptive !== startLive.adaptive)) {
    emit(settingsEvent(watch.current));
  }
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
      control: delivery.control.snapshot(),
    }),
    stop: () =>
      (stopped ??= (async () => {
        // Bounded by itself (API Gateway's 30 s for an ingest under way): once it resolves, intake has
        // ended, so the counts below are final.
        await ingress.close();
        await watch?.stop();
        await delivery.poller?.stop();
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
