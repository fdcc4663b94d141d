/**
 * The queue pair: a DLQ, and the queue whose redrive policy moves a webhook there after
 * --max-attempts receives. Both encrypted (SSE-SQS), both keeping messages for --retention days.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import { errorName, retryWhileBusy } from '../../aws/retry.js';
import { SQS_MAX_MESSAGE_BYTES } from '../../envelope.js';
import { isOurs, notOursError, proxyTags } from '../names.js';
import { queueVisibilityTimeout } from '../limits.js';
import { includesAll, isNotFound } from './compare.js';
import { plannedArn } from './arns.js';
import type { ChangeAction, StepContext } from './types.js';

export interface QueueRef {
  url: string;
  arn: string;
}

export async function queueUrlIfExists(ctx: Pick<StepContext, 'aws'>, queueName: string) {
  const sqs = await ctx.aws.sqs();
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * A dry run still needs a ref to plan with: the real ARN the queue will have (so a queue whose DLQ is
 * missing is not shown as "updated"), and a URL that never reaches a call.
 */
async function plannedRef(ctx: StepContext, queueName: string): Promise<QueueRef> {
  return { url: `(new queue ${queueName})`, arn: await plannedArn(ctx, 'sqs', queueName) };
}

/**
 * The URL a queue that a dry run would create will have, when its sibling exists: SQS queue URLs are
 * `<endpoint>/<account>/<queue name>` (AWS and emulators alike), so it is the sibling's with the name
 * swapped. The functions' environment (WP_QUEUE_URL, WP_DLQ_URL) is then planned as the real run
 * will set it, and a function is not shown as "updated" for a queue re-made under the same name.
 */
export function plannedUrlBeside(ref: QueueRef, sibling: QueueRef, queueName: string): string {
  if (!ref.url.startsWith('(new queue ') || sibling.url.startsWith('(new queue ')) return ref.url;
  return sibling.url.replace(/[^/]+$/, queueName);
}

/**
 * `lowerLater`: attributes that, when they would go down, are left for the caller to lower later
 * (returned as `deferred`): the visibility timeout goes down only after deliver's timeout did.
 */
async function ensureQueue(
  ctx: StepContext,
  label: string,
  queueName: string,
  attributes: Record<string, string>,
  lowerLater: string[] = [],
): Promise<{ action: ChangeAction; ref: QueueRef; deferred?: Record<string, string> }> {
  const sqs = await ctx.aws.sqs();
  const tags = proxyTags(ctx.spec.name, ctx.spec.tags);
  const url = await queueUrlIfExists(ctx, queueName);
  if (!url) {
    if (ctx.dryRun) return { action: 'created', ref: await plannedRef(ctx, queueName) };
    const created = await retryDeletedRecently(() =>
      sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes, tags })),
    );
    return { action: 'created', ref: await refOf(ctx, created.QueueUrl!) };
  }
  const [current, { Tags: currentTags }] = await Promise.all([
    sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] as QueueAttributeName[] }),
    ),
    sqs.send(new ListQueueTagsCommand({ QueueUrl: url })),
  ]);
  // Checked up front too (current.ts); here as well, so nothing can adopt a queue that is not ours.
  if (!isOurs(currentTags, ctx.spec.name)) {
    throw notOursError([label], ctx.spec.name, 'create stopped');
  }
  const actual: Record<string, string | undefined> = current.Attributes ?? {};
  // FifoQueue and ContentBasedDeduplication cannot change (and the name already pins FIFO-ness).
  const mutable = Object.fromEntries(
    Object.entries(attributes).filter(([k]) => k !== 'FifoQueue' && k !== 'ContentBasedDeduplication'),
  );
  const changed = Object.fromEntries(
    Object.entries(mutable).filter(([k, v]) =>
      k === 'RedrivePolicy' ? !sameRedrive(actual[k], v) : actual[k] !== v,
    ),
  );
  const deferred: Record<string, string> = {};
  for (const k of lowerLater) {
    if (changed[k] !== undefined && Number(changed[k]) < Number(actual[k])) {
      deferred[k] = changed[k];
      delete changed[k];
    }
  }
  const later = Object.keys(deferred).length ? { deferred } : {};
  const tagsChanged = !includesAll(currentTags, tags);
  const ref = { url, arn: actual.QueueArn! };
  if (!Object.keys(changed).length && !tagsChanged) return { action: 'unchanged', ref, ...later };
  if (!ctx.dryRun) {
    if (Object.keys(changed).length) {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: changed }));
    }
    if (tagsChanged) await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: tags }));
  }
  return { action: 'updated', ref, ...later };
}

/** The attribute changes ensureQueue left for later (a visibility timeout that goes down). */
export async function setQueueAttributes(
  ctx: StepContext,
  url: string,
  attributes: Record<string, string>,
): Promise<{ action: ChangeAction }> {
  if (!ctx.dryRun) {
    await (
      await ctx.aws.sqs()
    ).send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  return { action: 'updated' };
}

/** How long SQS refuses a queue name after that queue was deleted (60 s), with a margin; tests shorten it. */
export const recreate = { waitMs: 75_000, pollMs: 5_000 };

/**
 * SQS refuses to create a queue for 60 s after a queue of the same name was deleted
 * (QueueDeletedRecently), which is exactly what `destroy` then `create` does. Wait it out instead of
 * failing the step; moto does not enforce this, AWS does.
 */
function retryDeletedRecently<T>(fn: () => Promise<T>): Promise<T> {
  return retryWhileBusy(fn, {
    isBusy: (err) => /QueueDeletedRecently$/.test(errorName(err)),
    maxWaitMs: recreate.waitMs,
    firstDelayMs: recreate.pollMs,
    maxDelayMs: recreate.pollMs,
  });
}

function sameRedrive(actual: string | undefined, wanted: string): boolean {
  if (!actual) return false;
  const a = JSON.parse(actual);
  const w = JSON.parse(wanted);
  return a.deadLetterTargetArn === w.deadLetterTargetArn && Number(a.maxReceiveCount) === w.maxReceiveCount;
}

async function refOf(ctx: StepContext, url: string): Promise<QueueRef> {
  const sqs = await ctx.aws.sqs();
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: out.Attributes!.QueueArn! };
}

/**
 * MaximumMessageSize: SQS's largest message, 1 MiB, the most ingest stores (envelope.ts). Set
 * explicitly on both queues rather than left to the default: AWS raised the limit from 256 KiB
 * (https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb),
 * but a queue whose attribute says 262144 (set by an older tool, or read back from before) keeps
 * refusing larger messages, and SDK docs of the time still give 262144 as the default. So a re-run
 * raises an old queue, and a new one does not depend on which default the account has.
 */
function commonAttributes(ctx: StepContext): Record<string, string> {
  return {
    MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES),
    MessageRetentionPeriod: String(ctx.spec.retentionDays * 86_400),
    SqsManagedSseEnabled: 'true',
    ...(ctx.spec.ordered ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {}),
  };
}

/** SQS's longest retention, 14 days. */
export const MAX_RETENTION_SECONDS = 1_209_600;

export async function ensureDlq(ctx: StepContext) {
  // The DLQ keeps webhooks for the longest time SQS allows, whatever --retention says: on a standard
  // queue a message keeps its original enqueue time when it moves to the DLQ, so a DLQ with the same
  // retention as the queue would expire a webhook that needed days of retries soon after it arrived
  // (AWS: "set the retention period of a dead-letter queue to be longer than ... the original queue").
  return ensureQueue(ctx, `dead-letter queue ${ctx.names.dlq}`, ctx.names.dlq, {
    ...commonAttributes(ctx),
    MessageRetentionPeriod: String(MAX_RETENTION_SECONDS),
  });
}

/**
 * The visibility timeout must never be below the deliver function's timeout, or a batch still being
 * delivered reappears and is delivered twice (Lambda also refuses a mapping whose queue's visibility is
 * below the function's timeout). So it goes up here, before the function's timeout does, and when it
 * goes down it is returned as `deferred`, for create to lower after the function's timeout went down.
 */
export async function ensureMainQueue(ctx: StepContext, dlq: QueueRef) {
  return ensureQueue(
    ctx,
    `queue ${ctx.names.queue}`,
    ctx.names.queue,
    {
      ...commonAttributes(ctx),
      // From the same limits as deliver's timeout (create.ts): an ordered proxy delivers one batch at a
      // time, so it paces as one invocation. With the mapping's cap (≥ 2) instead, the visibility would
      // not be 6 × the function's timeout, and disagree with what `scale` sets.
      VisibilityTimeout: String(
        queueVisibilityTimeout({ ...ctx.spec, concurrency: ctx.spec.ordered ? 1 : ctx.spec.concurrency }),
      ),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: ctx.spec.maxAttempts }),
    },
    ['VisibilityTimeout'],
  );
}
