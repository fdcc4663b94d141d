/**
 * The event source mapping from the queue to `deliver`: the concurrency cap lives here
 * (ScalingConfig.MaximumConcurrency, 2–1000), never in reserved concurrency (DESIGN.md).
 * Re-running `create` never flips Enabled: a paused proxy stays paused until `resume`.
 */
import {
  CreateEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  paginateListEventSourceMappings,
  UpdateEventSourceMappingCommand,
  type EventSourceMappingConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { isNotFound } from './compare.js';
import { retryPropagation } from './functions.js';
import type { ChangeAction, StepContext } from './types.js';

const TRANSITIONAL = new Set(['Creating', 'Enabling', 'Disabling', 'Updating']);

export async function findMapping(
  lambda: LambdaClient,
  functionName: string,
  queueArn?: string,
): Promise<EventSourceMappingConfiguration | undefined> {
  try {
    for await (const page of paginateListEventSourceMappings(
      { client: lambda },
      { FunctionName: functionName },
    )) {
      const hit = page.EventSourceMappings?.find((m) => !queueArn || m.EventSourceArn === queueArn);
      if (hit) return hit;
    }
  } catch (err) {
    // No function yet (a first create, or a dry run): no mapping either.
    if (!isNotFound(err)) throw err;
  }
  return undefined;
}

/** Wait (bounded) until the mapping has left Creating/Updating/Enabling/Disabling. */
export async function waitMappingSettled(
  lambda: LambdaClient,
  uuid: string,
  maxWaitMs = 120_000,
): Promise<EventSourceMappingConfiguration> {
  const deadline = Date.now() + maxWaitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    const m = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (!TRANSITIONAL.has(m.State ?? '') || Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, delay));
  }
}

export function wantedMapping(ctx: StepContext) {
  return {
    BatchSize: ctx.spec.batchSize,
    // Lambda requires a batching window of at least 1 s for batches over 10 (not allowed on FIFO).
    MaximumBatchingWindowInSeconds: ctx.spec.batchSize > 10 ? 1 : 0,
    FunctionResponseTypes: ['ReportBatchItemFailures' as const],
    ScalingConfig: { MaximumConcurrency: ctx.spec.concurrency },
  };
}

export async function ensureMapping(
  ctx: StepContext,
  queueArn: string,
): Promise<{ action: ChangeAction; uuid?: string }> {
  const lambda = await ctx.aws.lambda();
  const wanted = wantedMapping(ctx);
  const current = await findMapping(lambda, ctx.names.deliverFunction, queueArn);
  if (!current) {
    if (ctx.dryRun) return { action: 'created' };
    const created = await retryPropagation(() =>
      lambda.send(
        new CreateEventSourceMappingCommand({
          EventSourceArn: queueArn,
          FunctionName: ctx.names.deliverFunction,
          Enabled: true,
          ...wanted,
        }),
      ),
    );
    await waitMappingSettled(lambda, created.UUID!);
    return { action: 'created', uuid: created.UUID! };
  }
  const same =
    current.BatchSize === wanted.BatchSize &&
    (current.MaximumBatchingWindowInSeconds ?? 0) === wanted.MaximumBatchingWindowInSeconds &&
    (current.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures') &&
    current.ScalingConfig?.MaximumConcurrency === wanted.ScalingConfig.MaximumConcurrency;
  if (same) return { action: 'unchanged', uuid: current.UUID! };
  if (!ctx.dryRun) {
    await waitMappingSettled(lambda, current.UUID!);
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: current.UUID!, ...wanted }));
    await waitMappingSettled(lambda, current.UUID!);
  }
  return { action: 'updated', uuid: current.UUID! };
}
