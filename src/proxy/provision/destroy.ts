/**
 * `destroy`: delete everything `create` made, in an order that never leaves a working part pointing at
 * a deleted one (the public endpoint first, the queues — the webhooks — last). Every step treats
 * "not found" as done, so an interrupted destroy is finished by running it again.
 */
import { DeleteApiCommand } from '@aws-sdk/client-apigatewayv2';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteRoleCommand, DeleteRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  RemovePermissionCommand,
} from '@aws-sdk/client-lambda';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import type { Aws } from '../../aws/clients.js';
import { CliError, describeAwsError } from '../../errors.js';
import { readCounts, totalOf } from '../locate.js';
import { resourceNames } from '../names.js';
import type { CurrentRead } from './current.js';
import { destroyAlarms } from './alarms.js';
import { findApi, PERMISSION_SID } from './api.js';
import { destroyDomain } from './domain.js';
import { isNotFound } from './compare.js';
import { findMapping, waitMappingGone } from './mapping.js';
import { settleAll, stepHint } from './settle.js';
import type { StepAction, StepEvents } from './types.js';
import { plural, suggest } from '../suggest.js';

export interface DestroyResult {
  name: string;
  region: string;
  deleted: string[];
  /** Same-named resources that are not this proxy's (no webhook-proxy tags): never deleted. */
  leftAlone: string[];
}

/** Webhooks a queue still holds: waiting, in flight and delayed. */
async function depthOf(aws: Aws, url: string | undefined): Promise<number> {
  return url ? totalOf(await readCounts(aws, url)) : 0;
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

/**
 * `current` is the read made before the confirmation (current.ts): which queues are ours and what
 * they held, and which same-named resources are someone else's, to be left alone.
 */
export async function destroyProxy(
  aws: Aws,
  name: string,
  events: StepEvents,
  current: CurrentRead,
  force = false,
): Promise<DestroyResult> {
  const names = resourceNames(name, { ordered: current.ordered });
  const urls = { queue: current.queues.queue?.url, dlq: current.queues.dlq?.url };
  const deleted: string[] = [];
  const leftAlone: string[] = [];
  // Parts that hang off a function that is not ours are not ours to remove either.
  const foreign = new Set(current.foreign);
  if (foreign.has(`function ${names.ingestFunction}`))
    foreign.add('invoke permission (API Gateway → ingest)');
  if (foreign.has(`function ${names.deliverFunction}`)) foreign.add('event source mapping (queue → deliver)');
  if (current.legacyAccessLogGroup === 'foreign') foreign.add(`log group ${names.legacyAccessLogGroup}`);
  // `listed: false` for a step that lists what it deleted itself (the custom domain's three parts).
  const step = async (label: string, run: () => Promise<StepAction>, listed = true) => {
    events.start(label, label);
    if (foreign.has(label)) {
      events.done(label, 'kept');
      leftAlone.push(label);
      return;
    }
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

  // 0. The alarms (and the tool's topic): a proxy being taken apart must not page anyone.
  await step(
    'alarms',
    async () => {
      const { deleted: removed, leftAlone: theirs } = await destroyAlarms(aws, name);
      deleted.push(...removed);
      leftAlone.push(...theirs);
      return removed.length ? 'deleted' : 'absent';
    },
    false,
  );
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
    // The access logs' old group (before /aws/vendedlogs/), only when it carries the proxy's tags.
    current.legacyAccessLogGroup
      ? step(`log group ${names.legacyAccessLogGroup}`, () =>
          gone(() => logs.send(new DeleteLogGroupCommand({ logGroupName: names.legacyAccessLogGroup }))),
        )
      : undefined,
  ]);
  // 4. Last, the queues: only now can nothing write to them or read from them. The count the caller
  //    checked was taken while the endpoint still took webhooks; count again now that nothing can add
  //    one, so a webhook that arrived meanwhile is not deleted without --force. (SQS counts are
  //    approximate and lag by a few seconds; this closes the window of the steps above, not that one.)
  if (!force) {
    const [queued, dlq] = await Promise.all([depthOf(aws, urls.queue), depthOf(aws, urls.dlq)]);
    if (queued + dlq > 0) {
      const where = { name, region: aws.settings.region };
      throw new CliError(
        `destroy stopped before the queues: ${plural(queued, 'webhook')} arrived in the queue and ${dlq} in the ` +
          'dead-letter queue while the proxy was being destroyed. The endpoint and functions are gone; the ' +
          'queues and their webhooks are kept.',
        `To deliver them, run "${suggest('create', where, '--upstream URL')}" (it rebuilds the rest around ` +
          `the queues), then "${suggest('drain', where)}". To delete them, "${suggest('destroy', where, '--force')}".`,
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
  // A foreign queue of the names destroy has no step for (the other kind) is still reported.
  for (const label of foreign) if (/queue /.test(label) && !leftAlone.includes(label)) leftAlone.push(label);
  return { name, region: aws.settings.region, deleted, leftAlone };
}
