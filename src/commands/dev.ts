/**
 * `webhook-proxy dev`: the whole proxy on this machine, with the same ingest and deliver handlers the
 * Lambda functions run and an embedded queue with SQS semantics, kept on disk in the proxy's data
 * directory (local-options.ts; --memory: in memory only; --queue-url: a real SQS queue).
 * The engine is src/local/runtime.ts; this file parses flags, picks a renderer and waits for Ctrl-C.
 */
import type { Command } from 'commander';
import { CliError, describeAwsError } from '../errors.js';
import { addEdgeOptions, edgeSettingsFromOptions, type EdgeOptions } from '../handlers/edge/flags.js';
import { DEFAULTS } from '../handlers/ports.js';
import { httpUrl, intInRange } from '../options.js';
import { addDeliveryOptions, checkDeliveryOptions, type DeliveryOptions } from './delivery-options.js';
import { addLocalStoreOptions, localStoreFromOptions, type LocalStoreOptions } from './local-options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface DevOptions extends EdgeOptions, DeliveryOptions, LocalStoreOptions {
  // Filled in by commander's defaults (addDeliveryOptions(cmd, 'dev')); dev has no --rate none.
  concurrency: number;
  rate?: number;
  timeout: number;
  maxAttempts: number;
  backoffBase: number;
  backoffMax: number;
  responseStatus: number;
  port: number;
  queueUrl?: string;
  eventLog?: string;
}

export const dev: CommandSpec<DevOptions> = {
  name: 'dev',
  summary: 'Run the whole proxy on this machine (same handlers, no AWS) in front of a local upstream',
  configure(cmd: Command) {
    addDeliveryOptions(cmd, 'dev')
      .option(
        '--port <port>',
        'port to listen on, on 127.0.0.1 (0: any free port)',
        intInRange('--port', 0, 65_535),
        8080,
      )
      .option(
        '--queue-url <url>',
        'use this SQS queue instead of the local store (with --endpoint-url for emulators)',
        httpUrl('--queue-url'),
      )
      .option(
        '--event-log <file>',
        'append every ingest and delivery line to FILE (JSON lines), for "webhook-proxy logs --local FILE"',
      );
    addLocalStoreOptions(cmd);
    return addEdgeOptions(cmd);
  },
  async run(ctx: CommandContext<DevOptions>) {
    const { opts } = ctx;
    const upstream = checkDeliveryOptions(
      { ...opts, batchSize: opts.batchSize ?? DEFAULTS.batchSize },
      'dev',
    );
    const edge = edgeSettingsFromOptions(opts);
    const store = localStoreFromOptions(opts, opts.queueUrl ? { queueUrl: opts.queueUrl } : {});

    let sqs: { client: import('@aws-sdk/client-sqs').SQSClient; queueUrl: string } | undefined;
    if (opts.queueUrl) {
      const [{ awsFor }, { regionFromQueueUrl }] = await Promise.all([
        import('../aws/clients.js'),
        import('../local/sqs-queue.js'),
      ]);
      const region = ctx.global.region ?? regionFromQueueUrl(opts.queueUrl);
      const aws = await awsFor({ ...ctx.global, ...(region ? { region } : {}) });
      sqs = { client: await aws.sqs(), queueUrl: opts.queueUrl };
    }

    const { startDev } = await import('../local/runtime.js');
    const { runDevOutput } = await import('../ui/dev-output.js');
    const output = await runDevOutput(ctx.global, {
      concurrency: opts.concurrency,
      ...(opts.rate ? { rate: opts.rate } : {}),
    });
    // Listening for the stop signal from before the start: a SIGTERM right after the `listening` event
    // (startDev emits it before it returns) must stop dev cleanly, not kill it with the lock still held.
    const stopSignal = waitForStopSignal();
    let starting = true;
    // A second one while still starting (a --queue-url endpoint that does not answer): give up now, as
    // the default handler would have; nothing was accepted yet, so nothing can be lost.
    const interrupted = stopSignal
      .then(() => waitForStopSignal())
      .then(() => {
        if (starting)
          throw new CliError('Interrupted while starting; nothing was accepted.', undefined, {
            exitCode: 130,
          });
        return new Promise<never>(() => {});
      });
    interrupted.catch(() => {});
    let runtime: Awaited<ReturnType<typeof startDev>>;
    try {
      const start = startDev(
        {
          upstream,
          host: '127.0.0.1',
          port: opts.port,
          concurrency: opts.concurrency,
          ...(opts.rate ? { rate: opts.rate } : {}),
          maxAttempts: opts.maxAttempts,
          ...(opts.adaptive ? { adaptive: true } : {}),
          ...(opts.retryWindow !== undefined ? { retryWindow: opts.retryWindow } : {}),
          backoffBase: opts.backoffBase,
          backoffMax: opts.backoffMax,
          timeout: opts.timeout,
          batchSize: opts.batchSize ?? DEFAULTS.batchSize,
          preservePath: Boolean(opts.preservePath),
          responseStatus: opts.responseStatus,
          handshakes: edge.handshakes,
          verify: edge.verify,
          ...(edge.methods ? { methods: edge.methods } : {}),
          ...(sqs ? { sqs } : { store }),
          ...(opts.eventLog ? { eventLog: opts.eventLog } : {}),
        },
        output.emit,
      );
      runtime = await Promise.race([start, interrupted]);
      starting = false;
    } catch (err) {
      await output.close();
      if (err instanceof CliError || !sqs) throw err;
      const name = (err as { name?: string }).name;
      if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
        throw new CliError(
          `There is no SQS queue at --queue-url ${sqs.queueUrl}.`,
          'Check the URL, the --region and the --endpoint-url (for an emulator), or create the queue first.',
          { cause: err },
        );
      }
      throw new CliError(
        `Could not use the SQS queue at ${sqs.queueUrl}: ${describeAwsError(err)}`,
        undefined,
        {
          cause: err,
        },
      );
    }
    output.attach(runtime);

    await stopSignal;
    output.stopping();
    // A second Ctrl-C while the deliveries on the wire finish: stop waiting for them.
    const stopped = await Promise.race([
      runtime.stop().then(() => true),
      waitForStopSignal().then(() => false),
    ]);
    await output.close();
    if (!stopped) process.stderr.write('Stopped without waiting for the deliveries in flight.\n');
    return 0;
  },
};

function waitForStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const on = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
