/**
 * Lambda `deliver` (the original article's `sqs2upstream`): an SQS batch → one upstream request per
 * message, one after another, each awaited (the original returned before its requests finished and
 * lost them). Deployed with ReportBatchItemFailures: a 2xx deletes the message; anything else backs it
 * off with ChangeMessageVisibility and reports it, so SQS retries it and, after --max-attempts, moves
 * it to the DLQ. The handler never throws: a thrown handler would fail (and re-deliver) the whole batch.
 *
 * Messages of a batch go out sequentially on purpose: the event source mapping's MaximumConcurrency
 * then bounds the requests in flight at the upstream, which is the promise the proxy makes.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeEnvelope, type Envelope } from '../envelope.js';
import { initOnce } from './init-once.js';
import { backoffSeconds, createPacer, sleep } from './pacing.js';
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
  | { event: 'skipped'; messageId: string; reason: string };

export interface DeliverDeps {
  queue: QueuePort;
  config: DeliverConfig;
  log?: (e: DeliveryEvent) => void;
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
  const log = deps.log ?? ((e: DeliveryEvent) => console.log(JSON.stringify({ msg: 'deliver', ...e })));
  const upstream = new URL(config.upstream);
  const timeoutMs = config.timeoutSeconds * 1000;
  const agents = createAgents();
  // Per container: R / C requests per second, so C containers together stay at or under R.
  const pacer = config.rate ? createPacer((1000 * config.concurrency) / config.rate) : undefined;

  return async (event, context) => {
    const invokedAt = Date.now();
    // A backoff or Retry-After longer than SQS still allows for this receive (visibility.ts) is cut to it.
    const retryIn = (record: SQSRecord, seconds: number) =>
      Math.min(seconds, visibilityLeft(record.attributes ?? {}, invokedAt, Date.now()));
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
    const records = event.Records ?? [];
    let stopRest = false;

    for (const record of records) {
      const attempt = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
      const final = attempt >= config.maxAttempts;
      // An ordered (FIFO) proxy must not overtake a failed message: the rest of the batch waits too.
      // create gives ordered proxies batches of one, so this only guards a mapping changed by hand.
      const fifo = Boolean(record.attributes?.MessageGroupId);
      if (stopRest) {
        // Available again at once, but SQS hands out nothing of the group while the failed one is hidden.
        failures.push({ itemIdentifier: record.messageId });
        await hide(record, 0);
        continue;
      }
      const remaining = context ? context.getRemainingTimeInMillis() : Infinity;
      if (remaining < timeoutMs + (pacer?.peek() ?? 0) + END_MARGIN_MS) {
        // Not enough time left to deliver it properly: hand it back untouched, to be picked up again at once.
        log({ event: 'skipped', messageId: record.messageId, reason: 'function time nearly up' });
        failures.push({ itemIdentifier: record.messageId });
        await hide(record, 0);
        continue;
      }

      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(record.body);
      } catch (err) {
        // Never a crash or a hot loop: it backs off like any failure and ends in the DLQ for a human.
        log({ event: 'undecodable', messageId: record.messageId, attempt, error: (err as Error).message });
        failures.push({ itemIdentifier: record.messageId });
        await hide(record, final ? 0 : retryIn(record, backoffSeconds(attempt, config)));
        continue;
      }

      // ingest refuses such paths; an envelope queued before it did must still not reach the upstream.
      // It fails like any attempt and ends in the DLQ, where `peek --dlq` shows it to a human.
      const unsafe = config.preservePath ? unsafePathReason(envelope.rawPath) : undefined;
      if (unsafe) {
        const retryInSeconds = final ? 0 : retryIn(record, backoffSeconds(attempt, config));
        log({
          event: 'failed',
          id: envelope.id,
          attempt,
          final,
          error: `not sent: its path contains ${unsafe}, which --preserve-path will not forward`,
          retryInSeconds,
          ms: 0,
        });
        failures.push({ itemIdentifier: record.messageId });
        await hide(record, retryInSeconds);
        if (fifo) stopRest = true;
        continue;
      }

      if (pacer) {
        const wait = pacer.reserve();
        if (wait > 0) await sleep(wait);
      }
      const started = Date.now();
      const request = buildUpstreamRequest(upstream, envelope, {
        preservePath: config.preservePath,
        attempt,
      });
      const outcome = await sendUpstream(request, timeoutMs, agents);
      const ms = Date.now() - started;
      if (outcome.ok) {
        log({ event: 'delivered', id: envelope.id, status: outcome.status, attempt, ms });
        continue;
      }
      const retryInSeconds = final
        ? 0
        : retryIn(record, backoffSeconds(attempt, config, outcome.retryAfterSeconds));
      log({
        event: 'failed',
        id: envelope.id,
        attempt,
        final,
        ...(outcome.status !== undefined ? { status: outcome.status } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        retryInSeconds,
        ms,
      });
      failures.push({ itemIdentifier: record.messageId });
      await hide(record, retryInSeconds);
      if (fifo) stopRest = true;
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
    queue: await createSqsQueuePort(queueUrl, client, DELIVER_SQS_LIMITS),
    config,
  });
});

/** The Lambda entry point: configuration and connections are built once per container. */
export async function handler(event: SQSEvent, context: LambdaContextLike): Promise<SQSBatchResponse> {
  return (await lambdaHandler())(event, context);
}
