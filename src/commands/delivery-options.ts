/**
 * The delivery flags `create` and `dev` share (DESIGN.md, "CLI contract"), declared and checked in
 * one place. `dev` accepts fractions of a second and a concurrency of 1, which AWS does not: there is
 * no Lambda or SQS minimum on one machine, and fast backoffs make local rehearsals quick.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULTS } from '../handlers/ports.js';
import { httpUrl, intInRange, numberInRange } from '../options.js';
import { maxBatchSizeFor } from '../proxy/limits.js';

export interface DeliveryOptions {
  upstream?: string;
  concurrency: number;
  rate?: number;
  /**
   * No commander default, so undefined when --batch-size was not given: `create --ordered` refuses an
   * explicit one, even an explicit 10. Resolve with `?? DEFAULTS.batchSize`.
   */
  batchSize?: number;
  timeout: number;
  maxAttempts: number;
  backoffBase: number;
  backoffMax: number;
  responseStatus: number;
  preservePath?: boolean;
}

export function addDeliveryOptions(cmd: Command, where: 'aws' | 'dev'): Command {
  const dev = where === 'dev';
  // Seconds: whole ones on AWS (SQS visibility and Lambda timeouts are integers), fractions in dev.
  const seconds = (flag: string, min: number, max: number) =>
    dev ? numberInRange(flag, min, max) : intInRange(flag, Math.max(1, Math.ceil(min)), max);
  return cmd
    .option(
      '--upstream <url>',
      'your application URL that receives the webhooks (required)',
      httpUrl('--upstream'),
    )
    .option(
      '--concurrency <n>',
      dev
        ? 'deliveries in flight at once; 1 is allowed here (on AWS the minimum is 2 unless the proxy is --ordered)'
        : 'deliveries in flight at once (2–1000)',
      intInRange('--concurrency', 1, 1000),
      DEFAULTS.concurrency,
    )
    .option(
      '--rate <r>',
      'at most R requests per second to the upstream (default: unpaced)',
      numberInRange('--rate', 0.01, dev ? 100_000 : 10_000),
    )
    .option(
      '--batch-size <n>',
      `messages per deliver invocation (default: ${DEFAULTS.batchSize})`,
      intInRange('--batch-size', 1, 10_000),
    )
    .option(
      '--timeout <s>',
      `seconds per upstream request${dev ? ' (fractions allowed in dev)' : ''}`,
      seconds('--timeout', 0.05, dev ? 900 : 890),
      DEFAULTS.timeout,
    )
    .option(
      '--max-attempts <n>',
      'attempts before a webhook goes to the dead-letter queue',
      intInRange('--max-attempts', dev ? 1 : 2, 1000),
      DEFAULTS.maxAttempts,
    )
    .option(
      '--backoff-base <s>',
      `first retry delay in seconds, doubling each attempt${dev ? ' (fractions allowed in dev)' : ''}`,
      seconds('--backoff-base', 0.001, 43_200),
      DEFAULTS.backoffBase,
    )
    .option(
      '--backoff-max <s>',
      'longest retry delay in seconds',
      seconds('--backoff-max', 0.001, 43_200),
      DEFAULTS.backoffMax,
    )
    .option(
      '--response-status <code>',
      'status the sender gets once its webhook is stored',
      intInRange('--response-status', 200, 299),
      DEFAULTS.responseStatus,
    )
    .option('--preserve-path', 'append the path the webhook was sent to onto the upstream URL');
}

/**
 * The checks across flags. `pacingConcurrency` is how many deliveries share the rate (1 for an
 * ordered proxy, whose single FIFO group delivers one at a time).
 */
export function checkDeliveryOptions(
  o: DeliveryOptions,
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
  const batchSize = o.batchSize ?? DEFAULTS.batchSize;
  const fits = maxBatchSizeFor({ timeout: o.timeout, concurrency: pacingConcurrency, rate: o.rate });
  if (batchSize > fits) {
    throw new UsageError(
      `--batch-size ${batchSize} cannot be delivered within Lambda's 15-minute limit at --timeout ${o.timeout}` +
        (o.rate ? ` and --rate ${o.rate}` : '') +
        '.',
      `Use --batch-size ${fits} or less, a shorter --timeout, or a higher --rate.`,
    );
  }
  return o.upstream;
}
