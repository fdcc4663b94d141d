/**
 * Every AWS call the CLI makes has a connection and a request timeout, and a hung endpoint becomes an
 * error that names it within about 30 s, never a silent wait (DESIGN.md).
 *
 * The SDK's defaults are no timeout at all. @smithy/node-http-handler (NodeHttpHandlerOptions, in
 * @smithy/types): `connectionTimeout` "the maximum time in milliseconds that the connection phase of a
 * request may take", `requestTimeout` "the maximum number of milliseconds request & response should
 * take... If exceeded, a warning will be emitted unless throwOnRequestTimeout=true, in which case a
 * TimeoutError will be thrown" (both "Defaults to 0, which disables the timeout"); `socketTimeout`
 * the idle limit of a socket (smithy-lang/smithy-typescript PR 1745 un-deprecated it).
 *
 * The SDK retries a TimeoutError (a transient error) up to maxAttempts (6) times, which at 10 s each
 * would be a minute. So one timeout budget per call: a timed-out attempt is retried only while another
 * whole attempt still fits in 3 × the request timeout from the first try (at the default, two attempts
 * of 10 s and the error at about 20 s). Throttling and 5xx keep the adaptive retries untouched.
 */
import type { AwsSettings } from './clients.js';
import { EndpointUnreachableError, UsageError } from '../errors.js';

/** Seconds per attempt; for tests and slow links (the default is the real promise). */
export const AWS_TIMEOUT_ENV = 'WEBHOOK_PROXY_AWS_TIMEOUT';
export const DEFAULT_REQUEST_TIMEOUT_S = 10;

export interface CallTimeouts {
  /** One attempt, from sending the request to the response's headers. */
  requestMs: number;
  /** The TCP (and TLS) connection. */
  connectMs: number;
  /** All attempts of one call that ended in a timeout. */
  budgetMs: number;
}

export function callTimeouts(env: NodeJS.ProcessEnv = process.env): CallTimeouts {
  const raw = env[AWS_TIMEOUT_ENV];
  const seconds = raw === undefined || raw === '' ? DEFAULT_REQUEST_TIMEOUT_S : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) {
    throw new UsageError(
      `${AWS_TIMEOUT_ENV} must be a number of seconds from 0 to 300 (got "${raw}").`,
      `Unset it for the default of ${DEFAULT_REQUEST_TIMEOUT_S} s per AWS request.`,
    );
  }
  const requestMs = Math.round(seconds * 1000);
  return { requestMs, connectMs: Math.min(5000, requestMs), budgetMs: 3 * requestMs };
}

/** ReceiveMessage's longest WaitTimeSeconds. */
const SQS_MAX_WAIT_SECONDS = 20;

/** The client's `requestHandler` (NodeHttpHandler options; the SDK builds the handler from them). */
export function requestHandlerOptions(t: CallTimeouts) {
  return {
    connectionTimeout: t.connectMs,
    requestTimeout: t.requestMs,
    throwOnRequestTimeout: true,
    // A response whose body stalls after its headers (requestTimeout ends at the headers). It cannot
    // be set per call, so it leaves room for an SQS long poll's idle wait (≤ 20 s).
    socketTimeout: t.requestMs + SQS_MAX_WAIT_SECONDS * 1000,
  };
}

/** The per-request timeout for an SQS long poll, which legitimately waits up to `waitSeconds` first. */
export const longPollTimeoutMs = (t: CallTimeouts, waitSeconds: number) => waitSeconds * 1000 + t.requestMs;

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

type NetError = { name?: string; code?: string; message?: string };

/** A refused, reset or unresolvable connection (node-http-handler names some of these TimeoutError too). */
export function isConnectionError(err: unknown): boolean {
  return CONNECT_CODES.has((err as NetError | undefined)?.code ?? '');
}

/** A connection or request that took longer than its timeout. */
export function isTimeoutError(err: unknown): boolean {
  const e = err as NetError | undefined;
  return !isConnectionError(err) && (e?.name === 'TimeoutError' || e?.code === 'ETIMEDOUT');
}

/** Where the endpoint came from, in the words the message uses. */
export type EndpointSource = '--endpoint-url' | 'AWS_ENDPOINT_URL';

/** Thrown inside the retry loop to end it; carries the real error without `cause` (the SDK would retry on it). */
class BudgetSpent extends Error {
  constructor(readonly original: unknown) {
    super('timeout budget spent');
    this.name = 'WebhookProxyTimeoutBudgetSpent';
  }
}

const STARTED = Symbol('webhook-proxy call started');

type Handler = (args: { request?: unknown }) => Promise<unknown>;
type Context = { clientName?: string; commandName?: string; [STARTED]?: number };
interface Stack {
  add(mw: (next: Handler, context: Context) => Handler, o: object): void;
  addRelativeTo(mw: (next: Handler, context: Context) => Handler, o: object): void;
}

/**
 * Two middlewares on a client: one around each attempt (below the retry middleware) that ends the
 * retries once a timed-out call has spent its budget, and one around the whole call (build step, above
 * the retries) that turns a timeout or a refused connection into an error naming the endpoint.
 */
export function installTimeoutHandling(
  client: { middlewareStack: unknown },
  settings: AwsSettings,
  t: CallTimeouts,
): void {
  const stack = client.middlewareStack as Stack;
  stack.addRelativeTo(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        const started = context[STARTED] ?? Date.now();
        if (isTimeoutError(err) && Date.now() - started + t.requestMs > t.budgetMs) {
          throw new BudgetSpent(err);
        }
        throw err;
      }
    },
    {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name: 'webhookProxyTimeoutBudget',
      override: true,
    },
  );
  stack.add(
    (next, context) => async (args) => {
      context[STARTED] = Date.now();
      try {
        return await next(args);
      } catch (err) {
        const cause = err instanceof BudgetSpent ? err.original : err;
        if (!isTimeoutError(cause) && !isConnectionError(cause)) throw err;
        throw unreachable(cause, args.request, context, settings, t, err);
      }
    },
    { step: 'build', priority: 'high', name: 'webhookProxyEndpointErrors', override: true },
  );
}

function unreachable(
  cause: unknown,
  request: unknown,
  context: Context,
  settings: AwsSettings,
  t: CallTimeouts,
  thrown: unknown,
): EndpointUnreachableError {
  const r = request as { protocol?: string; hostname?: string; port?: number } | undefined;
  const endpoint = r?.hostname
    ? `${r.protocol ?? 'https:'}//${r.hostname}${r.port ? `:${r.port}` : ''}`
    : (settings.endpoint ?? 'the AWS endpoint');
  const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
  const operation = (context.commandName ?? 'a call').replace(/Command$/, '');
  const attempts = (thrown as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
  const source = settings.endpoint
    ? `set by ${settings.endpointSource ?? '--endpoint-url'}`
    : `AWS's endpoint for ${service} in ${settings.region}`;
  const what = isTimeoutError(cause)
    ? `no answer within ${t.requestMs / 1000} s` + (attempts > 1 ? ` (${attempts} attempts)` : '')
    : `cannot connect (${(cause as NetError).code})`;
  const hint = settings.endpoint
    ? `The endpoint comes from ${settings.endpointSource ?? '--endpoint-url'}: check the URL and that what serves it (an emulator, a proxy) is running, or leave it out${settings.endpointSource === 'AWS_ENDPOINT_URL' ? ' (unset AWS_ENDPOINT_URL)' : ''} to use AWS itself.`
    : "Check this machine's connection to AWS (network, VPN, proxy, firewall). Running the command again is safe.";
  return new EndpointUnreachableError(
    `${service} ${operation}: ${what} from ${endpoint} (${source}).`,
    hint,
    endpoint,
    cause,
  );
}
