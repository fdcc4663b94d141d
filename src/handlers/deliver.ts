/**
 * Lambda `deliver` (the original article's `sqs2upstream`): an SQS batch → one upstream request per
 * message, one after another, each awaited (the original returned before its requests finished and
 * lost them). Deployed with ReportBatchItemFailures: a 2xx deletes the message; anything else backs it
 * off with ChangeMessageVisibility and reports it, so SQS retries it and, after --max-attempts, moves
 * it to the DLQ. The handler never throws: a thrown handler would fail (and re-deliver) the whole batch.
 *
 * Messages of a batch go out sequentially on purpose: the event source mapping's MaximumConcurrency
 * then bounds the requests in flight at the upstream, which is the promise the proxy makes.
 *
 * Before and after each request it asks the delivery control (control/): the rate cap, the outage
 * breaker and, with --adaptive, the AIMD limit. Attempts are counted as `envelope.attempts` (those of
 * earlier copies) + ApproximateReceiveCount: a webhook held through an outage is queued again as a copy
 * carrying its count, so the receives it spent waiting never count (docs/delivery-control.md); an
 * outage answer counts only when this container has evidence the upstream otherwise serves (another
 * answer in the last minutes: control/outage.ts), so fresh containers spend nothing. With a
 * DLQ port, `deliver` decides the DLQ itself (its count, the "never" answers, --retry-window); the
 * queue's redrive policy (maxReceiveCount = --max-attempts) stays as the net for a function that
 * crashes on a message, and never fires first: the receive count never exceeds the attempt count.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeEnvelope, encodeEnvelope, type Envelope } from '../envelope.js';
import { createDeliveryControl, lastAttemptFor, type DeliveryControl } from './control/index.js';
import { initOnce } from './init-once.js';
import { backoffSeconds } from './pacing.js';
import { DEFAULTS, ENV, type QueuePort } from './ports.js';
import { unsafePathReason } from './request-path.js';
import { createSqsClient, createSqsQueuePort, DELIVER_SQS_LIMITS } from './sqs-port.js';
import { buildUpstreamRequest, createAgents, sendUpstream } from './upstream.js';
import { visibilityLeft } from './visibility.js';

export interface DeliverConfig {
  upstream: string;
  preservePath: boolean;
  /** Per-request timeout (seconds), below the function timeout. */
  timeoutSeconds: number;
  /** Requests per second across all concurrent invocations; undefined = as fast as the upstream answers. */
  rate?: number;
  concurrency: number;
  backoffBase: number;
  backoffMax: number;
  maxAttempts: number;
  /** --adaptive: concurrency (a container's share on Lambda) follows the upstream's answers. */
  adaptive?: boolean;
  /** --retry-window: a webhook received longer ago than this goes to the DLQ. */
  retryWindowSeconds?: number;
  /** An ordered proxy: one FIFO group, so the rate is one delivery's (pacing plan of one container). */
  ordered?: boolean;
}

function num(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function deliverConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DeliverConfig {
  const upstream = env[ENV.upstream];
  if (!upstream) throw new Error(`${ENV.upstream} is not set`);
  const rate = num(env, ENV.rate, 0);
  return {
    upstream,
    preservePath: env[ENV.preservePath] === '1',
    timeoutSeconds: num(env, ENV.timeout, DEFAULTS.timeout),
    ...(rate > 0 ? { rate } : {}),
    concurrency: num(env, ENV.concurrency, DEFAULTS.concurrency),
    backoffBase: num(env, ENV.backoffBase, DEFAULTS.backoffBase),
    backoffMax: num(env, ENV.backoffMax, DEFAULTS.backoffMax),
    maxAttempts: num(env, ENV.maxAttempts, DEFAULTS.maxAttempts),
    adaptive: env[ENV.adaptive] === '1',
    retryWindowSeconds: num(env, ENV.retryWindow, DEFAULTS.retryWindow),
    ordered: env[ENV.fifo] === '1',
  };
}

export type DeliveryEvent =
  | { event: 'delivered'; id: string; status: number; attempt: number; ms: number }
  | {
      event: 'failed';
      id: string;
      attempt: number;
      /** The last attempt: the queue's redrive policy moves it to the DLQ next. */
      final: boolean;
      status?: number;
      error?: string;
      retryInSeconds: number;
      ms: number;
    }
  | { event: 'undecodable'; messageId: string; attempt: number; error: string }
  /** Not attempted, not counted: queued again for `seconds` (an outage, a Retry-After, the rate). */
  | { event: 'held'; id: string; attempt: number; seconds: number; reason: string }
  /** Moved to the DLQ by `deliver` itself. */
  | { event: 'dead-lettered'; id: string; attempts: number; reason: string }
  /** Once per invocation on Lambda: what the control has found (status and logs read it). */
  | ({ event: 'control' } & ReturnType<DeliveryControl['snapshot']>)
  | { event: 'skipped'; messageId: string; reason: string };

export interface DeliverDeps {
  queue: QueuePort;
  config: DeliverConfig;
  log?: (e: DeliveryEvent) => void;
  /** One control shared by every handler of a process (dev); absent: this handler's own (Lambda). */
  control?: DeliveryControl;
  now?: () => number;
  /**
   * +1 as a request to the upstream starts, -1 as it ends (dev's "in flight": the requests on the
   * wire, not every record of the batches handed out, which wait their turn one after another).
   */
  onWire?: (delta: 1 | -1) => void;
}

export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

export type DeliverHandler = (event: SQSEvent, context?: LambdaContextLike) => Promise<SQSBatchResponse>;

/**
 * Time a ChangeMessageVisibility call may take at worst (its deadline, sqs-port.ts), plus a little. The
 * check before each message keeps this much back, so the last message's backoff call still fits.
 */
const END_MARGIN_MS = DELIVER_SQS_LIMITS.deadlineMs + 500;
/** A visibility call is given up this long before the function's own timeout, whatever its deadline. */
const HIDE_RESERVE_MS = 250;
/** …but is always given this long: dev asks for hand-backs with no time left (remaining 0) at stop. */
const HIDE_MIN_WAIT_MS = 500;

/** `promise`, or a rejection once `ms` have passed (the call itself is left to finish or fail). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`gave up after ${ms} ms: the function's time is up`), {
            name: 'TimeoutError',
          }),
        ),
      ms,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export function createDeliverHandler(deps: DeliverDeps): DeliverHandler {
  const { config, queue } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((e: DeliveryEvent) => console.log(JSON.stringify({ msg: 'deliver', ...e })));
  const upstream = new URL(config.upstream);
  const timeoutMs = config.timeoutSeconds * 1000;
  const agents = createAgents();
  const ownControl = !deps.control;
  const retryWindow = config.retryWindowSeconds ?? DEFAULTS.retryWindow;
  const control =
    deps.control ??
    createDeliveryControl({
      concurrency: config.ordered ? 1 : config.concurrency,
      ...(config.rate ? { rate: config.rate } : {}),
      adaptive: Boolean(config.adaptive),
      mode: 'container',
      minContainers: config.ordered ? 1 : 2,
    });

  return async (event, context) => {
    const invokedAt = now();
    // A backoff or Retry-After longer than SQS still allows for this receive (visibility.ts) is cut to it.
    const retryIn = (record: SQSRecord, seconds: number) =>
      Math.min(seconds, visibilityLeft(record.attributes ?? {}, invokedAt, now()));
    // Set once a visibility call timed out: SQS is unreachable from here (a VPC without a route to
    // it, say), so the rest of the batch is not made to wait seconds per message for it.
    let sqsUnreachable = false;
    const hide = async (record: SQSRecord, seconds: number) => {
      if (sqsUnreachable) return; // reported as failed: back after the queue's visibility timeout
      const left = context ? context.getRemainingTimeInMillis() - HIDE_RESERVE_MS : Infinity;
      try {
        const call = queue.changeVisibility(record.receiptHandle, seconds);
        // Never past the function's timeout, which would fail (and redeliver) the whole batch.
        await (left < DELIVER_SQS_LIMITS.deadlineMs ? within(call, Math.max(left, HIDE_MIN_WAIT_MS)) : call);
      } catch (err) {
        if ((err as Error)?.name === 'TimeoutError') sqsUnreachable = true;
        // Still reported as failed: SQS retries it after the queue's own visibility timeout instead.
        console.error(
          JSON.stringify({ msg: 'change-visibility failed', messageId: record.messageId, err: String(err) }),
        );
      }
    };
    const failures: { itemIdentifier: string }[] = [];
    const fail = async (record: SQSRecord, seconds: number) => {
      failures.push({ itemIdentifier: record.messageId });
      await hide(record, seconds);
    };
    /**
     * Dead: into the DLQ, body unchanged, then the mapping deletes the original (it is not reported).
     * The send comes first, so a failure there loses nothing: the webhook is retried instead. Without a
     * DLQ port it is handed back at once and the redrive policy moves it on a later receive.
     */
    const deadLetter = async (record: SQSRecord, id: string, attempts: number, reason: string) => {
      if (queue.deadLetter) {
        try {
          await queue.deadLetter(record.body, { attempts });
          log({ event: 'dead-lettered', id, attempts, reason });
          return;
        } catch (err) {
          console.error(
            JSON.stringify({ msg: 'dead-letter failed', messageId: record.messageId, err: String(err) }),
          );
          return fail(record, retryIn(record, config.backoffBase));
        }
      }
      await fail(record, 0);
    };
    /**
     * Not attempted (or attempted as an outage probe): this receive must not count. A copy carrying
     * the attempts counted so far is queued with a delay and the original deleted; the copy is stored
     * before the original goes, so a failure loses nothing. FIFO copies would lose their place in the
     * group, so an ordered proxy hides the message instead (that receive then counts).
     */
    const hold = async (
      record: SQSRecord,
      envelope: Envelope,
      counted: number,
      seconds: number,
      reason: string,
    ) => {
      const fifo = Boolean(record.attributes?.MessageGroupId);
      // Never held past --retry-window: the receive after it finds the webhook too old and dead-letters it.
      const windowLeft = retryWindow - (now() - Date.parse(envelope.receivedAt)) / 1000;
      seconds = Math.max(1, Math.min(seconds, Math.ceil(windowLeft)));
      log({ event: 'held', id: envelope.id, attempt: counted + 1, seconds, reason });
      if (!fifo) {
        try {
          await queue.send(encodeEnvelope({ ...envelope, attempts: counted }), { delaySeconds: seconds });
          return;
        } catch (err) {
          console.error(
            JSON.stringify({ msg: 'hold failed', messageId: record.messageId, err: String(err) }),
          );
        }
      }
      await fail(record, retryIn(record, seconds));
    };
    /** Not attempted at all: undo the receive where the queue can, else visible again at once. */
    const handBack = async (record: SQSRecord) => {
      if (!queue.handBack) return fail(record, 0);
      failures.push({ itemIdentifier: record.messageId });
      await queue.handBack(record.receiptHandle).catch((err) => {
        // Still reported as failed: it is received again after the visibility timeout (or at the next start).
        console.error(
          JSON.stringify({ msg: 'hand-back failed', messageId: record.messageId, err: String(err) }),
        );
      });
    };
    const records = event.Records ?? [];
    let stopRest = false;

    for (const record of records) {
      const received = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
      // An ordered (FIFO) proxy must not overtake a failed message: the rest of the batch waits too.
      // create gives ordered proxies batches of one, so this only guards a mapping changed by hand.
      const fifo = Boolean(record.attributes?.MessageGroupId);
      if (stopRest) {
        // Available again at once, but SQS hands out nothing of the group while the failed one is hidden.
        await fail(record, 0);
        continue;
      }
      const remaining = context ? context.getRemainingTimeInMillis() : Infinity;
      if (remaining < timeoutMs + END_MARGIN_MS) {
        // Not enough time left to deliver it properly: hand it back untouched, to be picked up again at once.
        log({ event: 'skipped', messageId: record.messageId, reason: 'function time nearly up' });
        await handBack(record);
        continue;
      }

      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(record.body);
      } catch (err) {
        // Never a crash or a hot loop: it backs off like any failure and ends in the DLQ for a human.
        log({
          event: 'undecodable',
          messageId: record.messageId,
          attempt: received,
          error: (err as Error).message,
        });
        if (received >= config.maxAttempts)
          await deadLetter(record, record.messageId, received, 'not a webhook-proxy envelope');
        else await fail(record, retryIn(record, backoffSeconds(received, config)));
        continue;
      }
      const counted = envelope.attempts ?? 0;
      const attempt = counted + received;

      const ageSeconds = (now() - Date.parse(envelope.receivedAt)) / 1000;
      if (ageSeconds > retryWindow) {
        await deadLetter(record, envelope.id, attempt - 1, `older than --retry-window (${retryWindow} s)`);
        continue;
      }

      // ingest refuses such paths; an envelope queued before it did must still not reach the upstream.
      // It fails like any attempt and ends in the DLQ, where `peek --dlq` shows it to a human.
      const unsafe = config.preservePath ? unsafePathReason(envelope.rawPath) : undefined;
      if (unsafe) {
        const error = `not sent: its path contains ${unsafe}, which --preserve-path will not forward`;
        const final = attempt >= config.maxAttempts;
        const retryInSeconds = final ? 0 : retryIn(record, backoffSeconds(attempt, config));
        log({ event: 'failed', id: envelope.id, attempt, final, error, retryInSeconds, ms: 0 });
        if (final) await deadLetter(record, envelope.id, attempt, error);
        else await fail(record, retryInSeconds);
        if (fifo) stopRest = true;
        continue;
      }

      const ticket = await control.beforeSend(
        (context ? context.getRemainingTimeInMillis() : Infinity) - timeoutMs - END_MARGIN_MS,
      );
      if (ticket.kind === 'hold') {
        await hold(record, envelope, attempt - 1, ticket.seconds, ticket.reason);
        if (fifo) stopRest = true;
        continue;
      }
      const started = now();
      const request = buildUpstreamRequest(upstream, envelope, {
        preservePath: config.preservePath,
        attempt,
      });
      deps.onWire?.(1);
      let outcome: Awaited<ReturnType<typeof sendUpstream>>;
      try {
        outcome = await sendUpstream(request, timeoutMs, agents);
      } finally {
        deps.onWire?.(-1);
      }
      const ms = now() - started;
      const cls = control.afterSend(outcome, ms, ticket);
      // Asked at once: in dev another slot's answer may be recorded after the next await.
      const counts = control.lastCounts();
      if (outcome.ok) {
        log({ event: 'delivered', id: envelope.id, status: outcome.status, attempt, ms });
        continue;
      }
      const problem = {
        ...(outcome.status !== undefined ? { status: outcome.status } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      };
      // An outage answer says nothing about this webhook once the breaker is open (the probe, or the
      // answer that opened it), nor when this container has no evidence that the upstream otherwise
      // serves (a fresh container, or one whose last answers were outage answers too: outage.ts): it
      // is held, uncounted. The breaker's hold while it is open; before that, a quarter of the webhook's
      // age (within the backoff bounds), so fresh containers do not retry it every few seconds.
      if (cls === 'outage' && (!counts || control.snapshot().state === 'outage')) {
        log({ event: 'failed', id: envelope.id, attempt, final: false, ...problem, retryInSeconds: 0, ms });
        const seconds =
          control.snapshot().state === 'outage'
            ? control.holdSeconds()
            : Math.min(
                900, // SQS DelaySeconds
                Math.max(
                  Math.min(config.backoffMax, Math.max(config.backoffBase, Math.round(ageSeconds / 4))),
                  outcome.retryAfterSeconds ?? 0,
                ),
              );
        await hold(record, envelope, attempt - 1, seconds, 'upstream down');
        if (fifo) stopRest = true;
        continue;
      }
      const final = attempt >= lastAttemptFor(cls, config.maxAttempts);
      const retryInSeconds = final
        ? 0
        : retryIn(record, backoffSeconds(attempt, config, outcome.retryAfterSeconds));
      log({ event: 'failed', id: envelope.id, attempt, final, ...problem, retryInSeconds, ms });
      if (final) {
        const why = problem.status !== undefined ? `HTTP ${problem.status}` : (problem.error ?? 'failed');
        await deadLetter(
          record,
          envelope.id,
          attempt,
          `${why} on attempt ${attempt} of ${lastAttemptFor(cls, config.maxAttempts)}`,
        );
      } else await fail(record, retryInSeconds);
      if (fifo) stopRest = true;
    }
    // What this container has found, for `status` and `logs`: only when there is something to find.
    const found = control.snapshot();
    if (ownControl && records.length && (found.adaptive || found.state === 'outage')) {
      log({ event: 'control', ...found });
    }
    return { batchItemFailures: failures };
  };
}

const lambdaHandler = initOnce(async (): Promise<DeliverHandler> => {
  const queueUrl = process.env[ENV.queueUrl];
  if (!queueUrl) throw new Error(`${ENV.queueUrl} is not set`);
  const config = deliverConfigFromEnv();
  const client = await createSqsClient(DELIVER_SQS_LIMITS);
  return createDeliverHandler({
    queue: await createSqsQueuePort(
      queueUrl,
      client,
      DELIVER_SQS_LIMITS,
      process.env[ENV.dlqUrl] || undefined,
    ),
    config,
  });
});

/** The Lambda entry point: configuration and connections are built once per container. */
export async function handler(event: SQSEvent, context: LambdaContextLike): Promise<SQSBatchResponse> {
  return (await lambdaHandler())(event, context);
}
