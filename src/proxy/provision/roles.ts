/**
 * One IAM role per function, its permissions inlined from the documents in templates/ (the single
 * source of IAM truth): ingest may only send to its queue; deliver may consume it, send to its DLQ and
 * (standard queues) re-queue held webhooks on it; each may only write its own log group. VPC
 * networking statements only when --vpc-subnets is given.
 */
import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import { templatePath } from '../../paths.js';
import { isOurs, notOursError, proxyTags } from '../names.js';
import { includesAll, isNotFound, parsePolicyDocument, sameJson } from './compare.js';
import { partitionOf, plannedArn } from './arns.js';
import type { ChangeAction, StepContext } from './types.js';

export const INLINE_POLICY_NAME = 'webhook-proxy';

/** A template from templates/, with `${Name}` placeholders filled in. */
export function renderTemplate(file: string, values: Record<string, string> = {}): unknown {
  const text = readFileSync(templatePath(file), 'utf8').replace(/\$\{(\w+)\}/g, (_m, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${file} needs a value for \${${key}}`);
    return value;
  });
  return JSON.parse(text);
}

export function logGroupArn(ctx: StepContext, accountId: string, logGroup: string): string {
  return `arn:${partitionOf(ctx.aws.settings.region)}:logs:${ctx.aws.settings.region}:${accountId}:log-group:${logGroup}`;
}

export function ingestPolicy(ctx: StepContext, queueArn: string, accountId: string) {
  return renderTemplate('ingest-policy.json', {
    QueueArn: queueArn,
    LogGroupArn: logGroupArn(ctx, accountId, ctx.names.ingestLogGroup),
  });
}

/**
 * deliver consumes its queue and sends to two places itself (src/handlers/deliver.ts): the DLQ, when
 * it decides a webhook is dead, and, on a standard queue, its own queue, where a webhook held through
 * an outage (or by the rate) is queued again as a delayed copy so the receives it waited never count.
 * An ordered proxy holds by hiding the message instead (a copy would lose its place in the FIFO
 * group), so it gets no send on its queue.
 */
export function deliverPolicy(ctx: StepContext, queueArn: string, dlqArn: string, accountId: string) {
  const doc = renderTemplate('deliver-policy.json', {
    QueueArn: queueArn,
    DlqArn: dlqArn,
    LogGroupArn: logGroupArn(ctx, accountId, ctx.names.deliverLogGroup),
  }) as { Statement: unknown[] };
  if (!ctx.spec.ordered) {
    doc.Statement.splice(1, 0, renderTemplate('deliver-hold-statement.json', { QueueArn: queueArn }));
  }
  if (ctx.spec.vpcSubnets.length) doc.Statement.push(renderTemplate('deliver-vpc-statement.json'));
  return doc;
}

export async function ensureRole(
  ctx: StepContext,
  roleName: string,
  policy: unknown,
): Promise<{ action: ChangeAction; arn: string }> {
  const iam = await ctx.aws.iam();
  const trust = renderTemplate('lambda-trust-policy.json');
  const tags = proxyTags(ctx.spec.name, ctx.spec.tags);
  const tagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!role) {
    if (ctx.dryRun) return { action: 'created', arn: await plannedArn(ctx, 'iam', `role/${roleName}`) };
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(trust),
        Description: `webhook-proxy ${ctx.spec.name}: ${roleName.endsWith('-ingest') ? 'ingest' : 'deliver'} function`,
        Tags: tagList,
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: INLINE_POLICY_NAME,
        PolicyDocument: JSON.stringify(policy),
      }),
    );
    return { action: 'created', arn: created.Role!.Arn! };
  }

  const currentTags = Object.fromEntries((role.Tags ?? []).map((t) => [t.Key, t.Value]));
  // Checked up front too (current.ts); here as well, so nothing can adopt a role that is not ours.
  if (!isOurs(currentTags, ctx.spec.name))
    throw notOursError([`role ${roleName}`], ctx.spec.name, 'create stopped');
  let changed = false;
  if (!sameJson(parsePolicyDocument(role.AssumeRolePolicyDocument), trust)) {
    changed = true;
    if (!ctx.dryRun) {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: JSON.stringify(trust) }),
      );
    }
  }
  let currentPolicy: unknown;
  try {
    const out = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: INLINE_POLICY_NAME }),
    );
    currentPolicy = parsePolicyDocument(out.PolicyDocument);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!sameJson(currentPolicy, policy)) {
    changed = true;
    if (!ctx.dryRun) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: INLINE_POLICY_NAME,
          PolicyDocument: JSON.stringify(policy),
        }),
      );
    }
  }
  if (!includesAll(currentTags, tags)) {
    changed = true;
    if (!ctx.dryRun) await iam.send(new TagRoleCommand({ RoleName: roleName, Tags: tagList }));
  }
  return { action: changed ? 'updated' : 'unchanged', arn: role.Arn! };
}
