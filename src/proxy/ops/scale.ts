/**
 * Change the delivery limits live: the mapping's MaximumConcurrency, and (when the rate is involved)
 * the deliver function's WP_RATE / WP_CONCURRENCY; --adaptive / --no-adaptive its WP_ADAPTIVE. Each invocation paces at rate / concurrency, so the
 * two must change together; the function timeout and the queue visibility timeout follow from them
 * (src/proxy/limits.ts).
 *
 * Order, so the upstream never sees more than the old or the new rate in between:
 * - raising concurrency: the function env first (each invocation slows to R/C_new), then the mapping;
 * - lowering it: the mapping first (fewer invocations), then the env (each speeds up to R/C_new).
 * The visibility timeout is raised before the function timeout and lowered after it, so it is never
 * below 6 × the function timeout.
 */
import type { Aws } from '../../aws/clients.js';
import { CliError, UsageError } from '../../errors.js';
import { DEFAULTS, ENV } from '../../handlers/ports.js';
import { rateOf } from '../inspect.js';
import {
  concurrencyOf,
  deliverFunctionTimeout,
  LAMBDA_MAX_TIMEOUT,
  mappingConcurrency as mappingFor,
  maxBatchSizeFor,
  queueVisibilityTimeout,
} from '../limits.js';
import { need, type Proxy } from '../locate.js';
import { setMappingConcurrency } from './mapping.js';

export interface ScaleRequest {
  /**
   * Requested concurrency; undefined keeps the mapping's. For an ordered proxy this is informational
   * (always one at a time).
   */
  concurrency?: number;
  /** New rate in requests/s; null: unpaced (`--rate none`); undefined keeps the current one. */
  rate?: number | null;
  /** true: --adaptive, false: --no-adaptive; undefined keeps it (WP_ADAPTIVE). */
  adaptive?: boolean;
  /** Max seconds to wait for the function update. */
  maxWaitSeconds?: number;
}

export interface ScaleResult {
  name: string;
  /** mappingConcurrency: the containers the pacing plan runs (the mapping's MaximumConcurrency). */
  delivery: { concurrency: number; rate: number | null; mappingConcurrency: number; adaptive: boolean };
  functionTimeout?: number;
  visibilityTimeout?: number;
  changed: string[];
  /** The proxy as it is now (drain scales back from it without reading it again). */
  proxy: Proxy;
}

export async function scaleProxy(aws: Aws, proxy: Proxy, req: ScaleRequest): Promise<ScaleResult> {
  const mapping = need(proxy, 'mapping');
  const deliver = need(proxy, 'deliver');
  const queue = need(proxy, 'queue');
  // An ordered proxy's one FIFO message group is delivered one batch at a time whatever the cap, so
  // the mapping keeps AWS's minimum of 2 and pacing counts one invocation.
  // What it was not told, it keeps: the concurrency (read from the function and the mapping), the rate.
  const currentRate = rateOf(deliver.env);
  const rate = req.rate === undefined ? currentRate : req.rate;
  const concurrency =
    req.concurrency ??
    concurrencyOf(deliver.env, mapping.maximumConcurrency, {
      ...(currentRate !== null ? { rate: currentRate } : {}),
      ordered: proxy.ordered,
    }) ??
    DEFAULTS.concurrency;
  const effective = proxy.ordered ? 1 : concurrency;
  // The containers the pacing plan assumes (limits.ts), the same value create writes.
  const mappingConcurrency = mappingFor({
    concurrency,
    ...(rate !== null ? { rate } : {}),
    ordered: proxy.ordered,
  });
  const currentAdaptive = deliver.env[ENV.adaptive] === '1';
  const adaptive = req.adaptive ?? currentAdaptive;
  const changed: string[] = [];

  // Unpaced and fixed, the function ignores WP_CONCURRENCY (it only divides the rate, and sets the
  // adaptive share's floor 1/C): a concurrency change alone then needs no function update. Going
  // unpaced removes WP_RATE.
  // --adaptive is read by each new container: a function update turns it on or off for all of them.
  const envChanged =
    rate !== currentRate ||
    adaptive !== currentAdaptive ||
    ((rate !== null || adaptive) && String(effective) !== deliver.env[ENV.concurrency]);
  const oldMapping = mapping.maximumConcurrency;
  const raising = oldMapping === undefined || mappingConcurrency >= oldMapping;

  const limits = {
    batchSize: mapping.batchSize,
    timeout: Number(deliver.env[ENV.timeout] ?? DEFAULTS.timeout) || DEFAULTS.timeout,
    concurrency: effective,
    rate: rate ?? undefined,
  };
  if (envChanged) {
    if (limits.batchSize > maxBatchSizeFor(limits)) {
      // The capped timeout would cut a paced batch off mid-delivery: refuse before changing anything.
      throw new UsageError(
        `At ${rate}/s over ${effective} concurrent deliveries, a batch of ${limits.batchSize} takes longer than Lambda's ${LAMBDA_MAX_TIMEOUT}s limit.`,
        `Raise --rate, lower --concurrency, or re-create the proxy with --batch-size ${maxBatchSizeFor(limits)} or less.`,
      );
    }
  }

  const updateMapping = async () => {
    if (oldMapping === mappingConcurrency) return;
    await setMappingConcurrency(aws, mapping.uuid, mappingConcurrency);
    changed.push('mapping');
  };

  let functionTimeout: number | undefined;
  let visibilityTimeout: number | undefined;
  let env = deliver.env;
  const updateFunction = async () => {
    if (!envChanged) return;
    functionTimeout = deliverFunctionTimeout(limits);
    visibilityTimeout = queueVisibilityTimeout(limits);
    const oldVisibility = Number(queue.attributes.VisibilityTimeout ?? 0);
    if (visibilityTimeout > oldVisibility) await setVisibility(aws, queue.url, visibilityTimeout);
    const { [ENV.rate]: _was, [ENV.adaptive]: _wasAdaptive, ...others } = deliver.env;
    env = {
      ...others,
      ...(rate !== null ? { [ENV.rate]: String(rate) } : {}),
      // Absent when off, as create writes it (deliver turns it on for '1' only).
      ...(adaptive ? { [ENV.adaptive]: '1' } : {}),
      [ENV.concurrency]: String(effective),
    };
    await updateDeliverFunction(aws, deliver.name, env, functionTimeout, req.maxWaitSeconds ?? 300);
    if (visibilityTimeout < oldVisibility) await setVisibility(aws, queue.url, visibilityTimeout);
    changed.push('function');
  };

  if (raising) {
    await updateFunction();
    await updateMapping();
  } else {
    await updateMapping();
    await updateFunction();
  }
  return {
    name: proxy.name,
    delivery: { concurrency: effective, rate, mappingConcurrency, adaptive },
    ...(functionTimeout !== undefined ? { functionTimeout, visibilityTimeout } : {}),
    changed,
    proxy: {
      ...proxy,
      mapping: { ...mapping, maximumConcurrency: mappingConcurrency },
      deliver: { ...deliver, env, timeout: functionTimeout ?? deliver.timeout },
      queue: {
        ...queue,
        attributes: {
          ...queue.attributes,
          ...(visibilityTimeout !== undefined ? { VisibilityTimeout: String(visibilityTimeout) } : {}),
        },
      },
    },
  };
}

async function setVisibility(aws: Aws, url: string, seconds: number) {
  const { SetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  await (
    await aws.sqs()
  ).send(
    new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: String(seconds) } }),
  );
}

/** Update env and timeout together (every other variable kept), then wait for the update to finish. */
async function updateDeliverFunction(
  aws: Aws,
  functionName: string,
  variables: Record<string, string>,
  timeout: number,
  maxWaitSeconds: number,
) {
  const { UpdateFunctionConfigurationCommand, waitUntilFunctionUpdatedV2 } =
    await import('@aws-sdk/client-lambda');
  const client = await aws.lambda();
  // A function still applying an earlier update refuses another (ResourceConflictException): wait first.
  await waitUntilFunctionUpdatedV2({ client, maxWaitTime: maxWaitSeconds }, { FunctionName: functionName });
  try {
    await client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: functionName,
        Timeout: timeout,
        Environment: { Variables: variables },
      }),
    );
  } catch (err) {
    throw new CliError(
      `Could not update the deliver function ${functionName}: ${(err as Error).message}`,
      'Nothing else was changed by this step; run the same scale command again.',
      { cause: err },
    );
  }
  await waitUntilFunctionUpdatedV2({ client, maxWaitTime: maxWaitSeconds }, { FunctionName: functionName });
}
