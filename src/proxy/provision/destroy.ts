/**
 * `destroy`: delete everything `create` made, in an order that never leaves a working part pointing at
 * a deleted one (the public endpoint first, the queues — the webhooks — last). Every step treats
 * "not found" as done, so an interrupted destroy is finished by running it again.
 */
import { DeleteApiCommand } from '@aws-sdk/client-apigatewayv2';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  RemovePermissionCommand,
  GetFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import type { Aws } from '../../aws/clients.js';
import { CliError, describeAwsError } from '../../errors.js';
import { findQueues, queueCounts, readCounts, totalOf } from '../locate.js';
import { resourceNames, type ResourceNames } from '../names.js';
import { findApi, PERMISSION_SID } from './api.js';
import { destroyDomain } from './domain.js';
import { isNotFound } from './compare.js';
import { findMapping, waitMappingGone } from './mapping.js';
import { settleAll, stepHint } from './settle.js';
import type { StepAction, StepEvents } from './types.js';

export interface DestroyResult {
  name: string;
  region: string;
  deleted: string[];
}

/** Webhooks a queue still holds: waiting, in flight and delayed. */
async function depthOf(aws: Aws, url: string | undefined): Promise<number> {
  return url ? totalOf(await readCounts(aws, url)) : 0;
}

/**
 * Which of the two kinds (ordered or not) this proxy's queues are, and how many webhooks they still
 * hold: located as every command locates them (one round when the account id is known).
 */
export async function queueState(
  aws: Aws,
  name: string,
): Promise<{ names: ResourceNames; urls: { queue?: string; dlq?: string }; queued: number; dlq: number }> {
  const [queue, dlq] = await findQueues(aws, name);
  const ordered = (queue ?? dlq)?.name.endsWith('.fifo') ?? false;
  const held = (q: typeof queue) => (q ? totalOf(queueCounts(q.attributes)) : 0);
  return {
    names: resourceNames(name, { ordered }),
    urls: { queue: queue?.url, dlq: dlq?.url },
    queued: held(queue),
    dlq: held(dlq),
  };
}

/**
 * Whether anything of a proxy whose queues are gone is left. Both create (queues first) and destroy
 * (queues last) leave the queues standing while any other part exists, so this is only asked when
 * they are missing, and looks for the parts that outlive a queue deleted by hand.
 */
export async function anyPartLeft(aws: Aws, names: ResourceNames, name: string): Promise<boolean> {
  const [lambda, iam, apigw] = await Promise.all([aws.lambda(), aws.iam(), aws.apigw()]);
  const exists = (p: Promise<unknown>) =>
    p.then(
      (found) => Boolean(found),
      (err) => {
        if (isNotFound(err)) return false;
        throw err;
      },
    );
  const found = await Promise.all([
    exists(findApi(apigw, names.api, name)),
    ...[names.ingestFunction, names.deliverFunction].map((fn) =>
      exists(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }))),
    ),
    ...[names.ingestRole, names.deliverRole].map((role) =>
      exists(iam.send(new GetRoleCommand({ RoleName: role }))),
    ),
  ]);
  return found.some(Boolean);
}

async function gone(run: () => Promise<unknown>): Promise<StepAction> {
  try {
    await run();
    return 'deleted';
  } catch (err) {
    if (isNotFound(err)) return 'absent';
    throw err;
  }
}

export async function destroyProxy(
  aws: Aws,
  name: string,
  events: StepEvents,
  state: Awaited<ReturnType<typeof queueState>>,
  force = false,
): Promise<DestroyResult> {
  const { names, urls } = state;
  const deleted: string[] = [];
  // `listed: false` for a step that lists what it deleted itself (the custom domain's three parts).
  const step = async (label: string, run: () => Promise<StepAction>, listed = true) => {
    events.start(label, label);
    let action: StepAction;
    try {
      action = await run();
    } catch (err) {
      events.done(label, 'failed');
      throw new CliError(
        `destroy stopped at "${label}": ${describeAwsError(err)}`,
        stepHint(err, 'destroy'),
        {
          cause: err,
        },
      );
    }
    events.done(label, action);
    if (action === 'deleted' && listed) deleted.push(label);
  };
  const [lambda, iam, apigw, logs, sqs] = await Promise.all([
    aws.lambda(),
    aws.iam(),
    aws.apigw(),
    aws.logs(),
    aws.sqs(),
  ]);

  // 1. The public endpoint: senders get an error (and retry later) instead of reaching a half-deleted proxy.
  //    The custom domain first (its DNS record, mapping and name), so the hostname stops resolving to us.
  await step(
    'custom domain',
    async () => {
      const removed = await destroyDomain(aws, name);
      for (const r of removed) deleted.push(r.label);
      return removed.length ? 'deleted' : 'absent';
    },
    false,
  );
  await step(`HTTP API ${names.api}`, async () => {
    const api = await findApi(apigw, names.api, name);
    if (!api) return 'absent';
    return gone(() => apigw.send(new DeleteApiCommand({ ApiId: api.ApiId! })));
  });
  // 2. The invoke permission (it would go with ingest anyway; removed first so a half-finished destroy
  //    never leaves a function that a re-created API of the same name could call), then delivery: the
  //    mapping, then both functions.
  await step('invoke permission (API Gateway → ingest)', () =>
    gone(() =>
      lambda.send(
        new RemovePermissionCommand({ FunctionName: names.ingestFunction, StatementId: PERMISSION_SID }),
      ),
    ),
  );
  await step('event source mapping (queue → deliver)', async () => {
    const mapping = await findMapping(lambda, names.deliverFunction);
    if (!mapping) return 'absent';
    const action = await gone(() =>
      lambda.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID! })),
    );
    // Deleting is asynchronous; wait (bounded) so the function is not deleted under a live mapping.
    await waitMappingGone(lambda, mapping.UUID!, 'destroy');
    return action;
  });
  await settleAll(
    [names.ingestFunction, names.deliverFunction].map((fn) =>
      step(`function ${fn}`, () => gone(() => lambda.send(new DeleteFunctionCommand({ FunctionName: fn })))),
    ),
  );
  // 3. Roles (inline policies first: IAM refuses to delete a role that still has them) and log groups.
  await settleAll([
    ...[names.ingestRole, names.deliverRole].map((role) =>
      step(`role ${role}`, () =>
        gone(async () => {
          const policies = await iam.send(new ListRolePoliciesCommand({ RoleName: role }));
          for (const p of policies.PolicyNames ?? []) {
            await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: p }));
          }
          await iam.send(new DeleteRoleCommand({ RoleName: role }));
        }),
      ),
    ),
    ...[names.ingestLogGroup, names.deliverLogGroup, names.accessLogGroup].map((group) =>
      step(`log group ${group}`, () =>
        gone(() => logs.send(new DeleteLogGroupCommand({ logGroupName: group }))),
      ),
    ),
  ]);
  // 4. Last, the queues: only now can nothing write to them or read from them. The count the caller
  //    checked was taken while the endpoint still took webhooks; count again now that nothing can add
  //    one, so a webhook that arrived meanwhile is not deleted without --force. (SQS counts are
  //    approximate and lag by a few seconds; this closes the window of the steps above, not that one.)
  if (!force) {
    const [queued, dlq] = await Promise.all([depthOf(aws, urls.queue), depthOf(aws, urls.dlq)]);
    if (queued + dlq > 0) {
      throw new CliError(
        `destroy stopped before the queues: ${queued} webhook(s) arrived in the queue and ${dlq} in the ` +
          'dead-letter queue while the proxy was being destroyed. The endpoint and functions are gone; the ' +
          'queues and their webhooks are kept.',
        `To deliver them, run "webhook-proxy create ${name} --upstream URL" (it rebuilds the rest around ` +
          `the queues), then "webhook-proxy drain ${name}". To delete them, "webhook-proxy destroy ${name} --force".`,
      );
    }
  }
  for (const [label, url] of [
    [`queue ${names.queue}`, urls.queue],
    [`dead-letter queue ${names.dlq}`, urls.dlq],
  ] as const) {
    await step(label, async () =>
      url ? gone(() => sqs.send(new DeleteQueueCommand({ QueueUrl: url }))) : 'absent',
    );
  }
  return { name, region: aws.settings.region, deleted };
}
