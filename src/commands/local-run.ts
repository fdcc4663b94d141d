/**
 * What `dev` and `serve` share: their flags and the code that starts the local runtime
 * (src/local/runtime.ts), waits for SIGINT/SIGTERM and stops it. The two differ only in how they
 * show what happens (the output) and where they listen (`serve` takes --host), so a flag added for
 * one is there for both.
 */
import type { Command } from 'commander';
import { CliError, describeAwsError } from '../errors.js';
import {
  addEdgeOptions,
  edgeIoFor,
  edgeSettingsFromOptions,
  type EdgeOptions,
} from '../handlers/edge/flags.js';
import { DEFAULTS } from '../handlers/ports.js';
import { checkListenHost, parseListenHost } from '../local/listen-host.js';
import { httpUrl, intInRange } from '../options.js';
import type { DevOutput } from '../ui/dev-output.js';
import { addDeliveryOptions, checkDeliveryOptions, type DeliveryOptions } from './delivery-options.js';
import { addLocalStoreOptions, localStoreFromOptions, type LocalStoreOptions } from './local-options.js';
import type { CommandContext } from './types.js';

export type LocalCommand = 'dev' | 'serve';

export interface LocalProxyOptions extends EdgeOptions, DeliveryOptions, LocalStoreOptions {
  // Filled in by commander's defaults (addDeliveryOptions(cmd, 'dev')); no --rate none here.
  concurrency: number;
  rate?: number;
  timeout: number;
  maxAttempts: number;
  backoffBase: number;
  backoffMax: number;
  responseStatus: number;
  /** serve only; dev listens on loopback. */
  host?: string;
  port: number;
  queueUrl?: string;
  eventLog?: string;
}

/** Loopback unless told otherwise: a proxy reachable from the network is a choice made on the command line. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;

export function addLocalProxyOptions(cmd: Command, command: LocalCommand): Command {
  addDeliveryOptions(cmd, 'dev');
  if (command === 'serve') {
    cmd.option(
      '--host <address>',
      `address to listen on (default: ${DEFAULT_HOST}, this machine only; 0.0.0.0 or :: for every interface)`,
      parseListenHost,
      DEFAULT_HOST,
    );
  }
  cmd
    .option(
      '--port <port>',
      command === 'serve'
        ? 'port to listen on (0: any free port)'
        : `port to listen on, on ${DEFAULT_HOST} (0: any free port)`,
      intInRange('--port', 0, 65_535),
      DEFAULT_PORT,
    )
    .option(
      '--queue-url <url>',
      'use this SQS queue instead of the local store (with --endpoint-url for emulators)',
      httpUrl('--queue-url'),
    )
    .option(
      '--event-log <file>',
      'write the event log (every ingest and delivery line, JSON lines) to FILE, all of it, instead of the bounded one in the data directory; read it with "webhook-proxy logs --event-log FILE"',
    );
  addLocalStoreOptions(cmd);
  return addEdgeOptions(cmd);
}

/**
 * Start the runtime with the command's flags, report through `makeOutput`, run until SIGINT or
 * SIGTERM, then stop gracefully: no new webhooks (503), the ingests and deliveries under way finish.
 * A second signal stops waiting for the deliveries. Resolves with the exit code.
 */
export async function runLocalProxy(
  ctx: CommandContext<LocalProxyOptions>,
  command: LocalCommand,
  makeOutput: (limits: { concurrency: number; rate?: number }) => Promise<DevOutput>,
): Promise<number> {
  const { opts } = ctx;
  const upstream = checkDeliveryOptions(
    { ...opts, batchSize: opts.batchSize ?? DEFAULTS.batchSize },
    command,
  );
  const edge = edgeSettingsFromOptions(opts, edgeIoFor(ctx.global));
  const store = localStoreFromOptions(opts, opts.queueUrl ? { queueUrl: opts.queueUrl } : {});
  const host = opts.host ?? DEFAULT_HOST;
  // Checked before anything starts (a name that does not resolve is a usage error); said once started.
  const exposed = command === 'serve' ? await checkListenHost(host, edge.verify.length > 0) : undefined;

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
  // Listening for the signal before the runtime starts: a SIGTERM that comes right after the
  // `listening` line (a service manager, a test) must stop it gracefully, not kill it by default.
  const firstSignal = stopSignal();
  let starting = true;
  // A second one while still starting (a --queue-url endpoint that does not answer): give up now, as
  // the default handler would have; nothing was accepted yet, so nothing can be lost.
  const interrupted = firstSignal.received
    .then(() => stopSignal().received)
    .then(() => {
      if (starting) {
        throw new CliError('Interrupted while starting; nothing was accepted.', undefined, {
          exitCode: 130,
        });
      }
      return new Promise<never>(() => {});
    });
  interrupted.catch(() => {});
  const output = await makeOutput({
    concurrency: opts.concurrency,
    ...(opts.rate ? { rate: opts.rate } : {}),
  });
  let runtime: Awaited<ReturnType<typeof startDev>>;
  try {
    const start = startDev(
      {
        upstream,
        host,
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
    firstSignal.dispose();
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
  if (exposed) {
    const { warn } = await import('../ui/output.js');
    warn(ctx.global, 'reachable_from_network', exposed);
  }
  output.attach(runtime);

  let stopped = false;
  try {
    await firstSignal.received;
    output.stopping();
    // A second signal while the deliveries on the wire finish: stop waiting for them.
    const secondSignal = stopSignal();
    stopped = await Promise.race([runtime.stop().then(() => true), secondSignal.received.then(() => false)]);
    secondSignal.dispose();
  } finally {
    // Whatever ended the run (a stop, a failed stop), the log's backlog is written before the exit
    // code goes back to the entry point, which exits 3 s later even with output still pending.
    await output.close();
  }
  if (!stopped) process.stderr.write('Stopped without waiting for the deliveries in flight.\n');
  return 0;
}

/** The next SIGINT or SIGTERM; `dispose` stops listening (then the default, exit, applies again). */
function stopSignal(): { received: Promise<void>; dispose(): void } {
  let on = () => {};
  const received = new Promise<void>((resolve) => (on = () => (dispose(), resolve())));
  const dispose = () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return { received, dispose };
}
