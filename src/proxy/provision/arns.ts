/**
 * ARNs the engine builds itself: the partition of a region, and the ARN a resource will have once
 * created, which a dry run plans with (so a planned ARN compares equal to the real one later).
 */
import type { StepContext } from './types.js';

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The ARN `create` would give a resource it has not made yet. Only a dry run needs it; the account id
 * comes from STS GetCallerIdentity (read-only, needs no permission).
 */
export async function plannedArn(
  ctx: Pick<StepContext, 'aws'>,
  service: 'sqs' | 'iam' | 'lambda',
  resource: string,
): Promise<string> {
  const region = ctx.aws.settings.region;
  const account = await ctx.aws.accountId();
  // IAM is global: no region in its ARNs.
  return `arn:${partitionOf(region)}:${service}:${service === 'iam' ? '' : region}:${account}:${resource}`;
}
