/**
 * Log groups made before the functions, so they carry a retention and our tags (Lambda would
 * otherwise create them on first log line, kept forever).
 */
import {
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { isOurs, notOursError, proxyTags } from '../names.js';
import { includesAll } from './compare.js';
import type { ChangeAction, StepContext } from './types.js';

/** CloudWatch Logs accepts only certain retention values; two weeks is plenty for delivery logs. */
export const LOG_RETENTION_DAYS = 14;

export async function ensureLogGroup(
  ctx: StepContext,
  logGroupName: string,
): Promise<{ action: ChangeAction; arn: string }> {
  const logs = await ctx.aws.logs();
  const tags = proxyTags(ctx.spec.name, ctx.spec.tags);
  const found = (
    await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName }))
  ).logGroups?.find((g) => g.logGroupName === logGroupName);
  if (!found) {
    if (!ctx.dryRun) {
      await logs.send(new CreateLogGroupCommand({ logGroupName, tags }));
      await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: LOG_RETENTION_DAYS }));
    }
    return { action: 'created', arn: `log-group:${logGroupName}` };
  }
  // DescribeLogGroups gives the ARN with a trailing ":*"; the tagging APIs want it without.
  const arn = (found.arn ?? '').replace(/:\*$/, '');
  const current = (await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags;
  // Checked up front too (current.ts); here as well, so nothing can adopt a log group that is not ours.
  if (!isOurs(current, ctx.spec.name)) {
    throw notOursError([`log group ${logGroupName}`], ctx.spec.name, 'create stopped');
  }
  let changed = false;
  if (found.retentionInDays !== LOG_RETENTION_DAYS) {
    changed = true;
    if (!ctx.dryRun) {
      await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: LOG_RETENTION_DAYS }));
    }
  }
  if (!includesAll(current, tags)) {
    changed = true;
    if (!ctx.dryRun) await logs.send(new TagResourceCommand({ resourceArn: arn, tags }));
  }
  return { action: changed ? 'updated' : 'unchanged', arn };
}
