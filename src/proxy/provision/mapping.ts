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
import { errorName, retryWhileBusy } from '../../aws/retry.js';
import { CliError } from '../../errors.js';
import { mappingConcurrency } from '../limits.js';
import { proxyTags } from '../names.js';
import { isNotFound } from './compare.js';
import { retryPropagation } from './functions.js';
import type { ChangeAction, StepContext } from './types.js';
import { retryWhileVisibilityPropagates } from './visibility.js';

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

/** Wait (bounded) until a mapping that is being deleted has gone; `command` is the one to re-run. */
export async function waitMappingGone(
  lambda: LambdaClient,
  uuid: string,
  command: 'create' | 'destroy' = 'create',
  maxWaitMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (Date.now() > deadline) {
      throw new CliError(
        `The event source mapping ${uuid} is still being deleted.`,
        `Run the same ${command} command again in a minute: it continues from here.`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** How long a change waits out a busy mapping (tests shorten it). */
export const mappingBusy = { maxWaitMs: 120_000, firstDelayMs: 1000, maxDelayMs: 10_000 };

/**
 * Lambda refuses to change a mapping that is still Creating/Updating/Enabling/Disabling, which it is
 * for a while after every change, even one GetEventSourceMapping already shows as done.
 * AWS: Lambda API reference, UpdateEventSourceMapping errors: ResourceInUseException "The operation
 * conflicts with the resource's availability. For example, you tried to update an event source
 * mapping in the CREATING state, or you tried to delete an event source mapping currently UPDATING."
 */
export function retryWhileMappingBusy<T>(fn: () => Promise<T>): Promise<T> {
  return retryWhileBusy(fn, {
    isBusy: (err) => errorName(err) === 'ResourceInUseException',
    ...mappingBusy,
  });
}

export function wantedMapping(ctx: Pick<StepContext, 'spec'>) {
  return {
    BatchSize: ctx.spec.batchSize,
    // Lambda requires a batching window of at least 1 s for batches over 10. FIFO queues support no
    // batching window at all (and at most 10 per batch), so an ordered proxy sends none.
    ...(ctx.spec.ordered ? {} : { MaximumBatchingWindowInSeconds: ctx.spec.batchSize > 10 ? 1 : 0 }),
    FunctionResponseTypes: ['ReportBatchItemFailures' as const],
    // The containers the pacing plan assumes, not --concurrency: a container more than the plan would
    // pace at ⌊R/c⌋ too and push the upstream past --rate (limits.ts). --ordered: AWS's lowest, 2
    // (one message group already means one at a time).
    ScalingConfig: { MaximumConcurrency: mappingConcurrency(ctx.spec) },
  };
}

export async function ensureMapping(
  ctx: StepContext,
  queueArn: string,
): Promise<{ action: ChangeAction; uuid?: string }> {
  const lambda = await ctx.aws.lambda();
  const wanted = wantedMapping(ctx);
  let current = await findMapping(lambda, ctx.names.deliverFunction, queueArn);
  if (current?.State === 'Deleting') {
    // An interrupted destroy left the mapping going away: it must not count as "unchanged" (the proxy
    // would be left with no delivery at all). Wait until it is gone, then make a new one.
    if (!ctx.dryRun) await waitMappingGone(lambda, current.UUID!);
    current = undefined;
  }
  if (!current) {
    if (ctx.dryRun) return { action: 'created' };
    const created = await retryWhileVisibilityPropagates(() =>
      retryPropagation(() =>
        lambda.send(
          new CreateEventSourceMappingCommand({
            EventSourceArn: queueArn,
            FunctionName: ctx.names.deliverFunction,
            Enabled: true,
            ...wanted,
            Tags: proxyTags(ctx.spec.name, ctx.spec.tags),
          }),
        ),
      ),
    );
    await waitMappingSettled(lambda, created.UUID!);
    return { action: 'created', uuid: created.UUID! };
  }
  const same =
    current.BatchSize === wanted.BatchSize &&
    (current.MaximumBatchingWindowInSeconds ?? 0) === (wanted.MaximumBatchingWindowInSeconds ?? 0) &&
    (current.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures') &&
    current.ScalingConfig?.MaximumConcurrency === wanted.ScalingConfig.MaximumConcurrency;
  if (same) return { action: 'unchanged', uuid: current.UUID! };
  if (!ctx.dryRun) {
    await waitMappingSettled(lambda, current.UUID!);
    await retryWhileMappingBusy(() =>
      retryWhileVisibilityPropagates(() =>
        lambda.send(new UpdateEventSourceMappingCommand({ UUID: current.UUID!, ...wanted })),
      ),
    );
    await waitMappingSettled(lambda, current.UUID!);
  }
  return { action: 'updated', uuid: current.UUID! };
}
