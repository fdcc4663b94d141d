/**
 * The public endpoint: an HTTP API whose `$default` route sends every path and method to `ingest`
 * (payload format 2.0), a `$default` stage with auto-deploy and optional ingress throttling, and the
 * permission for API Gateway to invoke the function.
 */
import {
  CreateApiCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  GetApisCommand,
  GetIntegrationsCommand,
  GetRoutesCommand,
  TagResourceCommand,
  UpdateRouteCommand,
  type Api,
  type ApiGatewayV2Client,
} from '@aws-sdk/client-apigatewayv2';
import { AddPermissionCommand, GetPolicyCommand, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { errorName, retryWhileBusy } from '../../aws/retry.js';
import { isOurs, proxyTags } from '../names.js';
import { includesAll, isNotFound } from './compare.js';
import { partitionOf } from './arns.js';
import type { ChangeAction, StepContext } from './types.js';

export const PERMISSION_SID = 'webhook-proxy-apigateway';

/** Our API for this proxy: found by name, and checked by tags so a same-named API of someone else is never touched. */
export async function findApi(
  apigw: ApiGatewayV2Client,
  apiName: string,
  proxyName: string,
): Promise<Api | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await apigw.send(new GetApisCommand({ NextToken, MaxResults: '100' }));
    const hit = page.Items?.find((a) => a.Name === apiName && isOurs(a.Tags, proxyName));
    if (hit) return hit;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

export async function ensureApi(ctx: StepContext): Promise<{ action: ChangeAction; api?: Api }> {
  const apigw = await ctx.aws.apigw();
  const tags = proxyTags(ctx.spec.name, ctx.spec.tags);
  const api = await findApi(apigw, ctx.names.api, ctx.spec.name);
  if (!api) {
    if (ctx.dryRun) return { action: 'created' };
    const created = await apigw.send(
      new CreateApiCommand({
        Name: ctx.names.api,
        ProtocolType: 'HTTP',
        Description: `webhook-proxy ${ctx.spec.name}: webhooks in, buffered in SQS`,
        Tags: tags,
      }),
    );
    return { action: 'created', api: created as Api };
  }
  if (includesAll(api.Tags, tags)) return { action: 'unchanged', api };
  if (!ctx.dryRun) {
    const arn = `arn:${partitionOf(ctx.aws.settings.region)}:apigateway:${ctx.aws.settings.region}::/apis/${api.ApiId}`;
    await apigw.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }));
  }
  return { action: 'updated', api };
}

export async function ensureIntegration(
  ctx: StepContext,
  apiId: string | undefined,
  functionArn: string,
): Promise<{ action: ChangeAction; integrationId?: string }> {
  if (!apiId) return { action: 'created' };
  const apigw = await ctx.aws.apigw();
  const items =
    (await apigw.send(new GetIntegrationsCommand({ ApiId: apiId, MaxResults: '100' }))).Items ?? [];
  const hit = items.find(
    (i) =>
      i.IntegrationType === 'AWS_PROXY' &&
      i.IntegrationUri === functionArn &&
      i.PayloadFormatVersion === '2.0',
  );
  if (hit) return { action: 'unchanged', integrationId: hit.IntegrationId! };
  if (ctx.dryRun) return { action: 'created' };
  const created = await apigw.send(
    new CreateIntegrationCommand({
      ApiId: apiId,
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: functionArn,
      PayloadFormatVersion: '2.0',
      // API Gateway's maximum: ingest answers in milliseconds, but a cold start must not cost a webhook.
      TimeoutInMillis: 30_000,
    }),
  );
  return { action: 'created', integrationId: created.IntegrationId! };
}

export async function ensureRoute(
  ctx: StepContext,
  apiId: string | undefined,
  integrationId: string | undefined,
): Promise<{ action: ChangeAction }> {
  if (!apiId || !integrationId) return { action: 'created' };
  const apigw = await ctx.aws.apigw();
  const target = `integrations/${integrationId}`;
  const routes = (await apigw.send(new GetRoutesCommand({ ApiId: apiId, MaxResults: '100' }))).Items ?? [];
  const route = routes.find((r) => r.RouteKey === '$default');
  if (route?.Target === target) return { action: 'unchanged' };
  if (ctx.dryRun) return { action: route ? 'updated' : 'created' };
  if (route) {
    await apigw.send(new UpdateRouteCommand({ ApiId: apiId, RouteId: route.RouteId!, Target: target }));
    return { action: 'updated' };
  }
  await apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: '$default', Target: target }));
  return { action: 'created' };
}

/**
 * Lambda answers ResourceConflictException both when the statement id already exists and when the
 * function is busy applying an update. Only the first means "already there".
 * AWS: Lambda API reference, AddPermission errors: ResourceConflictException "The resource already
 * exists, or another operation is in progress." The texts, as AWS sends them: "The statement id (X)
 * provided already exists. Please provide a new statement id, or remove the existing statement." and
 * "The operation cannot be performed at this time. An update is in progress for resource: arn:…"
 * (terraform-aws-modules/terraform-aws-lambda issue 547; aws-amplify/amplify-backend PR 2510).
 */
export function isStatementExists(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'ResourceConflictException' && /already exists/i.test(e.message ?? '');
}

/** Any other ResourceConflictException: the function is mid-update; wait and try again. */
export function isFunctionBusy(err: unknown): boolean {
  return errorName(err) === 'ResourceConflictException' && !isStatementExists(err);
}

/** How long a permission change waits for the function to finish an update (tests shorten it). */
export const functionBusy = { maxWaitMs: 120_000, firstDelayMs: 1000, maxDelayMs: 10_000 };

const retryWhileFunctionBusy = <T>(fn: () => Promise<T>) =>
  retryWhileBusy(fn, { isBusy: isFunctionBusy, ...functionBusy });

type PolicyStatement = { Sid?: string; Condition?: { ArnLike?: Record<string, string> } };

async function ourStatement(ctx: StepContext): Promise<PolicyStatement | undefined> {
  const lambda = await ctx.aws.lambda();
  try {
    const policy = await lambda.send(new GetPolicyCommand({ FunctionName: ctx.names.ingestFunction }));
    const statements: PolicyStatement[] = JSON.parse(policy.Policy ?? '{}').Statement ?? [];
    return statements.find((s) => s.Sid === PERMISSION_SID);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return undefined;
  }
}

const sourceArnOf = (s: PolicyStatement | undefined) => s?.Condition?.ArnLike?.['AWS:SourceArn'];

/** The resource policy statement that lets this API (any stage, any route) invoke ingest. */
export async function ensureInvokePermission(
  ctx: StepContext,
  apiId: string | undefined,
  functionArn: string,
): Promise<{ action: ChangeAction }> {
  if (!apiId) return { action: 'created' };
  const lambda = await ctx.aws.lambda();
  const [, partition, , region, account] = functionArn.split(':');
  const sourceArn = `arn:${partition}:execute-api:${region}:${account}:${apiId}/*/*`;
  const existing = await ourStatement(ctx);
  if (sourceArnOf(existing) === sourceArn) return { action: 'unchanged' };
  if (ctx.dryRun) return { action: existing ? 'updated' : 'created' };
  if (existing) {
    await retryWhileFunctionBusy(() =>
      lambda.send(
        new RemovePermissionCommand({ FunctionName: ctx.names.ingestFunction, StatementId: PERMISSION_SID }),
      ),
    );
  }
  try {
    await retryWhileFunctionBusy(() =>
      lambda.send(
        new AddPermissionCommand({
          FunctionName: ctx.names.ingestFunction,
          StatementId: PERMISSION_SID,
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
          SourceArn: sourceArn,
        }),
      ),
    );
  } catch (err) {
    if (!isStatementExists(err)) throw err;
    // A concurrent run added it between our read and our write: fine if it is the same grant.
    const now = await ourStatement(ctx);
    if (sourceArnOf(now) === sourceArn) return { action: 'unchanged' };
    throw err;
  }
  return { action: existing ? 'updated' : 'created' };
}
