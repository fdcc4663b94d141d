/**
 * Lambda `ingest` (the original article's `api2sqs`): API Gateway HTTP API payload-2.0 event →
 * envelope → SQS. It answers the sender at once, and only after the webhook is stored: a 2xx always
 * means "kept". Too large → 413 (nothing stored); queue failure → 503 so the sender retries.
 *
 * Unlike the original it never parses or re-serialises the body: the exact bytes are kept, so the
 * upstream can still check the sender's signature. The path is kept as API Gateway hands it over,
 * which is decoded (request-path.ts): it is stored re-encoded, and refused (400) when it could reach
 * another path on the application's host.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createEncodedEnvelope, SQS_MAX_MESSAGE_BYTES } from '../envelope.js';
import { createEdge, edgeLogFields, type Clock } from './edge/index.js';
import { json } from './edge/util.js';
import type { Methods } from './edge/methods.js';
import { publicUrl } from './edge/public-url.js';
import { edgeSettingsFromEnv } from './edge/settings.js';
import type { HandshakeSpec, VerifySpec } from './edge/types.js';
import { initOnce } from './init-once.js';
import { DEFAULTS, ENV, type QueuePort } from './ports.js';
import { encodeDecodedPath, unsafePathReason } from './request-path.js';
import { createSqsClient, createSqsQueuePort, INGEST_SQS_LIMITS } from './sqs-port.js';

export interface IngestConfig {
  /** The status the sender gets once its webhook is stored (`--response-status`). */
  responseStatus: number;
  /** An ordered proxy's FIFO queue needs a group id and a deduplication id on every message. */
  fifo: boolean;
  /** `--handshake`: provider handshakes answered here, before anything else, and never queued. */
  handshakes?: HandshakeSpec[];
  /** `--verify`: signature checks; a webhook that fails them is refused 401 and not queued. */
  verify?: VerifySpec[];
  /** `--methods`: the methods stored as webhooks; the rest are answered 405. Undefined: the default. */
  methods?: Methods;
}

export function ingestConfigFromEnv(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const status = Number(env[ENV.responseStatus] ?? DEFAULTS.responseStatus);
  // Throws on a malformed WP_HANDSHAKES/WP_VERIFY: failing closed beats accepting unverified webhooks.
  const { handshakes, verify, methods } = edgeSettingsFromEnv(env);
  return {
    responseStatus: Number.isInteger(status) && status >= 200 && status <= 299 ? status : 200,
    fifo: env[ENV.fifo] === '1',
    ...(handshakes.length ? { handshakes } : {}),
    ...(verify.length ? { verify } : {}),
    ...(methods ? { methods } : {}),
  };
}

/** Every webhook of an ordered proxy shares one group: SQS then hands them out one at a time, in order. */
export const FIFO_GROUP_ID = 'webhooks';

export interface IngestDeps {
  queue: QueuePort;
  config: IngestConfig;
  /** One structured line per request; never the body. */
  log?: (line: Record<string, unknown>) => void;
  /** The clock signature timestamps are checked against (tests inject one). */
  now?: Clock;
}

type Result = APIGatewayProxyStructuredResultV2;

/** The body's original bytes: API Gateway base64-encodes anything that is not text. */
function bodyBytes(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/**
 * A text body as API Gateway handed it over, when that string is exactly what its UTF-8 bytes decode
 * to (no lone surrogate, which UTF-8 cannot carry): the envelope then takes it as it is instead of
 * decoding the bytes again.
 */
function bodyText(event: APIGatewayProxyEventV2): string | undefined {
  const body = event.body;
  if (event.isBase64Encoded || typeof body !== 'string') return undefined;
  return (body as unknown as { isWellFormed(): boolean }).isWellFormed() ? body : undefined;
}

function headersOf(event: APIGatewayProxyEventV2): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

export function createIngestHandler(deps: IngestDeps): (event: APIGatewayProxyEventV2) => Promise<Result> {
  const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
  const edge = createEdge(deps.config, deps.now);
  return async (event) => {
    const started = Date.now();
    const ctx = event.requestContext;
    const headers = headersOf(event);
    const body = bodyBytes(event);
    // Handshakes, the method and signature checks (edge/index.ts) come before anything is stored.
    const rawQueryString = event.rawQueryString ?? '';
    const host = headers.host ?? ctx.domainName;
    const protocol = headers['x-forwarded-proto'] === 'http' ? 'http' : 'https';
    const decodedPath = event.rawPath ?? ctx.http.path;
    // What is stored and sent: the decoded path re-encoded (the same string when nothing needs it).
    const path = encodeDecodedPath(decodedPath);
    const outcome = edge({
      method: ctx.http.method,
      headers,
      rawQueryString,
      body,
      publicUrl: publicUrl({ protocol, host, path, rawQueryString }),
    });
    if (outcome.kind !== 'pass') {
      const { requestId, http } = ctx;
      const ms = Date.now() - started;
      log({ ...edgeLogFields(outcome), requestId, method: http.method, path, sourceIp: http.sourceIp, ms });
      return outcome.response;
    }
    // One log line and a 413 that says the limit; nothing stored, so the sender knows.
    const tooLarge = (line: Record<string, unknown>, size?: number) => {
      log({ ...line, level: 'warn', status: 413, ms: Date.now() - started, error: 'too large for SQS' });
      return json(413, {
        error: 'payload_too_large',
        message:
          `The webhook is ${body.length} bytes; stored with its headers it would take ` +
          `${size ?? 'more than that'}${size ? ' bytes' : ''}, over the queue's limit of ` +
          `${SQS_MAX_MESSAGE_BYTES} bytes (1 MiB). It was not stored.`,
        limit: SQS_MAX_MESSAGE_BYTES,
        ...(size ? { size } : {}),
      });
    };
    // A path that could escape the upstream's base path once something normalises it is refused,
    // whether or not this proxy preserves paths: the path is used only with --preserve-path, but a
    // re-run of `create` can turn that on while webhooks are queued (and ingest does not know the
    // setting, deliver does), and no sender needs such a path. Nothing is stored; the sender is told.
    const unsafe = unsafePathReason(decodedPath);
    if (unsafe) {
      const { requestId, http } = ctx;
      log({
        msg: 'ingest',
        level: 'warn',
        status: 400,
        requestId,
        method: http.method,
        path,
        sourceIp: http.sourceIp,
        ms: Date.now() - started,
        error: `unsafe path: ${unsafe}`,
      });
      return json(400, {
        error: 'unsafe_path',
        message:
          `The path ${path} contains ${unsafe}, which the proxy does not forward. ` +
          'It was not stored. Send the webhook to a path without one.',
        path,
      });
    }
    // No encoding is smaller than the bytes themselves: a body over the limit is refused before the
    // work of building its envelope (bodies up to Lambda's 6 MB payload reach this point).
    if (body.length > SQS_MAX_MESSAGE_BYTES) {
      const { requestId, http } = ctx;
      return tooLarge({
        msg: 'ingest',
        requestId,
        method: http.method,
        path,
        sourceIp: http.sourceIp,
        bytes: body.length,
      });
    }
    const text = bodyText(event);
    const { envelope, messageBody, size } = createEncodedEnvelope({
      method: ctx.http.method,
      // Sendable as it is (request-path.ts): what API Gateway decoded, re-encoded.
      rawPath: path,
      rawQueryString,
      headers,
      cookies: event.cookies ?? [],
      sourceIp: ctx.http.sourceIp,
      host,
      protocol,
      receivedAt: new Date(ctx.timeEpoch || Date.now()).toISOString(),
      body,
      ...(text !== undefined ? { text } : {}),
    });
    const line = {
      msg: 'ingest',
      id: envelope.id,
      requestId: ctx.requestId,
      method: envelope.method,
      path: envelope.rawPath,
      sourceIp: envelope.sourceIp,
      bytes: body.length,
      encodedBytes: size,
      ...(outcome.verifiedBy ? { verifiedBy: outcome.verifiedBy } : {}),
    };

    if (size > SQS_MAX_MESSAGE_BYTES) return tooLarge(line, size);

    try {
      await deps.queue.send(
        messageBody,
        deps.config.fifo ? { groupId: FIFO_GROUP_ID, deduplicationId: envelope.id } : {},
      );
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      log({ ...line, level: 'error', status: 503, ms: Date.now() - started, error });
      return json(
        503,
        { error: 'queue_unavailable', message: 'The webhook could not be stored. Please retry.' },
        { 'retry-after': '5' },
      );
    }

    const status = deps.config.responseStatus;
    log({ ...line, level: 'info', status, ms: Date.now() - started });
    return json(status, { id: envelope.id });
  };
}

const lambdaHandler = initOnce(async () => {
  const queueUrl = process.env[ENV.queueUrl];
  if (!queueUrl) throw new Error(`${ENV.queueUrl} is not set`);
  const config = ingestConfigFromEnv();
  const client = await createSqsClient(INGEST_SQS_LIMITS);
  return createIngestHandler({
    queue: await createSqsQueuePort(queueUrl, client, INGEST_SQS_LIMITS),
    config,
  });
});

/** The Lambda entry point: the queue port is built once per container, from the environment. */
export async function handler(event: APIGatewayProxyEventV2): Promise<Result> {
  return (await lambdaHandler())(event);
}
