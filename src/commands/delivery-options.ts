/**
 * The delivery flags `create` and `dev` share (DESIGN.md, "CLI contract"), declared and checked in
 * one place. `dev` accepts fractions of a second and a concurrency of 1, which AWS does not: there is
 * no Lambda or SQS minimum on one machine, and fast backoffs make local rehearsals quick.
 *
 * On AWS (`create`) no flag has a commander default: a flag left out is undefined, and a re-run keeps
 * the proxy's current value (src/proxy/provision/settings.ts); the defaults apply only to a new proxy,
 * and the help text names them. `dev` has no current proxy, so commander fills its defaults in.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULTS } from '../handlers/ports.js';
import { httpUrl, intInRange, numberInRange, orNone, type NONE } from '../options.js';
import { maxBatchSizeFor, SQS_MAX_VISIBILITY } from '../proxy/limits.js';

/** What the delivery flags say; undefined: not given. `rate: 'none'` is `--rate none` (unpaced). */
export interface DeliveryOptions {
  upstream?: string;
  concurrency?: number;
  rate?: number | typeof NONE;
  batchSize?: number;
  timeout?: number;
  maxAttempts?: number;
  backoffBase?: number;
  backoffMax?: number;
  responseStatus?: number;
  /** true: --preserve-path, false: --no-preserve-path (create only). */
  preservePath?: boolean;
  /** true: --adaptive, false: --no-adaptive (create, scale). */
  adaptive?: boolean;
  /** --retry-window, seconds. */
  retryWindow?: number;
}

/** The delivery settings once resolved: the flags, over the current values or the defaults. */
export interface DeliverySettings {
  upstream?: string;
  concurrency: number;
  /** Requests per second; undefined: unpaced. */
  rate?: number;
  batchSize: number;
  timeout: number;
  backoffBase: number;
  backoffMax: number;
}

/**
 * Retry delays are kept by hiding the message (ChangeMessageVisibility), which SQS allows for at most
 * 12 hours from the receive (AWS: ChangeMessageVisibility, "The maximum is 12 hours"), so neither
 * delay may be longer; the message says why instead of a bare range.
 */
function retryDelay(flag: string, parse: (raw: string) => number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (Number.isFinite(n) && n > SQS_MAX_VISIBILITY) {
      throw new UsageError(
        `${flag} cannot exceed ${SQS_MAX_VISIBILITY} seconds (12 hours; got "${raw}").`,
        'A retry waits by hiding the webhook in SQS, which hides a message for at most 12 hours after it was received.',
      );
    }
    return parse(raw);
  };
}

export function addDeliveryOptions(cmd: Command, where: 'aws' | 'dev'): Command {
  const dev = where === 'dev';
  // Seconds: whole ones on AWS (SQS visibility and Lambda timeouts are integers), fractions in dev.
  const seconds = (flag: string, min: number, max: number) =>
    dev ? numberInRange(flag, min, max) : intInRange(flag, Math.max(1, Math.ceil(min)), max);
  // dev's defaults are filled in by commander; create's are only named in the help.
  const byDefault = <T>(value: T): [T] | [] => (dev ? [value] : []);
  const named = (value: unknown) => (dev ? '' : ` (default: ${value})`);
  const rate = numberInRange('--rate', 0.01, dev ? 100_000 : 10_000);
  cmd
    .option(
      '--upstream <url>',
      dev
        ? 'your application URL that receives the webhooks (required)'
        : 'your application URL that receives the webhooks (required for a new proxy)',
      httpUrl('--upstream'),
    )
    .option(
      '--concurrency <n>',
      dev
        ? 'deliveries in flight at once; 1 is allowed here (on AWS the minimum is 2 unless the proxy is --ordered)'
        : `deliveries in flight at once (2–1000)${named(DEFAULTS.concurrency)}`,
      intInRange('--concurrency', 1, 1000),
      ...byDefault(DEFAULTS.concurrency),
    )
    .option(
      dev ? '--rate <r>' : '--rate <r|none>',
      dev
        ? 'at most R requests per second to the upstream (default: unpaced)'
        : 'at most R requests per second to the upstream; none: unpaced (default: unpaced)',
      dev ? rate : orNone(rate, 'to deliver unpaced'),
    )
    .option(
      '--batch-size <n>',
      `messages per deliver invocation (default: ${DEFAULTS.batchSize})`,
      intInRange('--batch-size', 1, 10_000),
    )
    .option(
      '--timeout <s>',
      `seconds per upstream request${dev ? ' (fractions allowed in dev)' : named(DEFAULTS.timeout)}`,
      seconds('--timeout', 0.05, dev ? 900 : 890),
      ...byDefault(DEFAULTS.timeout),
    )
    .option(
      '--max-attempts <n>',
      `attempts before a webhook goes to the dead-letter queue${named(DEFAULTS.maxAttempts)}`,
      intInRange('--max-attempts', dev ? 1 : 2, 1000),
      ...byDefault(DEFAULTS.maxAttempts),
    )
    .option(
      '--backoff-base <s>',
      `first retry delay in seconds, doubling each attempt${dev ? ' (fractions allowed in dev)' : named(DEFAULTS.backoffBase)}`,
      retryDelay('--backoff-base', seconds('--backoff-base', 0.001, SQS_MAX_VISIBILITY)),
      ...byDefault(DEFAULTS.backoffBase),
    )
    .option(
      '--backoff-max <s>',
      `longest retry delay in seconds, at most 43200 (12 h)${named(DEFAULTS.backoffMax)}`,
      retryDelay('--backoff-max', seconds('--backoff-max', 0.001, SQS_MAX_VISIBILITY)),
      ...byDefault(DEFAULTS.backoffMax),
    )
    .option(
      '--response-status <code>',
      `status the sender gets once its webhook is stored${named(DEFAULTS.responseStatus)}`,
      intInRange('--response-status', 200, 299),
      ...byDefault(DEFAULTS.responseStatus),
    )
    .option('--preserve-path', 'append the path the webhook was sent to onto the upstream URL')
    .option(
      '--retry-window <s>',
      `seconds a webhook is retried at most before the dead-letter queue, outages included (default: ${DEFAULTS.retryWindow}, 24 h)`,
      seconds('--retry-window', dev ? 0.1 : 60, 14 * 86_400),
    );
  addAdaptiveOption(cmd, where);
  if (!dev) cmd.option('--no-preserve-path', 'deliver to the upstream URL as given, whatever the path');
  return cmd;
}

/** `--adaptive` (create, scale, dev, serve): shared so every command says the same. */
export function addAdaptiveOption(cmd: Command, where: 'aws' | 'dev'): Command {
  cmd.option(
    '--adaptive',
    'find the concurrency the upstream can take from its answers (latency, 429/503, timeouts); --concurrency and --rate become ceilings',
  );
  if (where === 'aws') cmd.option('--no-adaptive', 'deliver at the fixed --concurrency again');
  return cmd;
}

/**
 * The checks across delivery settings, on their resolved values. `pacingConcurrency` is how many
 * deliveries share the rate (1 for an ordered proxy, whose single FIFO group delivers one at a time).
 */
export function checkDeliveryOptions(
  o: DeliverySettings,
  command: string,
  pacingConcurrency = o.concurrency,
): string {
  if (!o.upstream) {
    throw new UsageError(
      `${command} needs --upstream, the URL your application receives webhooks on.`,
      `For example: webhook-proxy ${command} --upstream ${command === 'dev' ? 'http://localhost:3000/webhooks' : 'https://app.example.com/webhooks'}`,
    );
  }
  if (o.backoffMax < o.backoffBase) {
    throw new UsageError(
      `--backoff-max (${o.backoffMax}) must not be below --backoff-base (${o.backoffBase}).`,
    );
  }
  const fits = maxBatchSizeFor({ timeout: o.timeout, concurrency: pacingConcurrency, rate: o.rate });
  if (o.batchSize > fits) {
    throw new UsageError(
      `--batch-size ${o.batchSize} cannot be delivered within Lambda's 15-minute limit at --timeout ${o.timeout}` +
        (o.rate ? ` and --rate ${o.rate}` : '') +
        '.',
      `Use --batch-size ${fits} or less, a shorter --timeout, or a higher --rate.`,
    );
  }
  return o.upstream;
}
