/**
 * The `$default` stage: auto-deploy, optional ingress throttling, and access logs to CloudWatch in the
 * JSON format of the original design (on by default; --no-access-logs turns them off).
 */
import {
  CreateStageCommand,
  DeleteAccessLogSettingsCommand,
  GetStageCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-apigatewayv2';
import { proxyTags } from '../names.js';
import { isNotFound } from './compare.js';
import type { ChangeAction, StepContext } from './types.js';

export const STAGE = '$default';

/**
 * One JSON object per request. HTTP APIs name the path `$context.path` (REST APIs' `resourcePath`
 * does not exist here); the rest is the original design's set.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  sourceIp: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  protocol: '$context.protocol',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationErrorMessage: '$context.integrationErrorMessage',
});

/** `accessLogArn`: the log group (no trailing `:*`), or undefined for no access logs. */
export async function ensureStage(
  ctx: StepContext,
  apiId: string | undefined,
  accessLogArn: string | undefined,
): Promise<{ action: ChangeAction }> {
  if (!apiId) return { action: 'created' };
  const apigw = await ctx.aws.apigw();
  const { ingressRate, ingressBurst } = ctx.spec;
  const throttling =
    ingressRate !== undefined ? { ThrottlingRateLimit: ingressRate, ThrottlingBurstLimit: ingressBurst } : {};
  const accessLogs = accessLogArn ? { DestinationArn: accessLogArn, Format: ACCESS_LOG_FORMAT } : undefined;
  let stage;
  try {
    stage = await apigw.send(new GetStageCommand({ ApiId: apiId, StageName: STAGE }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!stage) {
    if (ctx.dryRun) return { action: 'created' };
    await apigw.send(
      new CreateStageCommand({
        ApiId: apiId,
        StageName: STAGE,
        AutoDeploy: true,
        DefaultRouteSettings: throttling,
        ...(accessLogs ? { AccessLogSettings: accessLogs } : {}),
        Tags: proxyTags(ctx.spec.name, ctx.spec.tags),
      }),
    );
    return { action: 'created' };
  }
  const current = stage.DefaultRouteSettings ?? {};
  // Without --ingress-rate we leave the stage's throttling as it is: API Gateway v2 cannot unset it,
  // so lifting a limit means passing a higher --ingress-rate (the README says so).
  const throttlingSame =
    ingressRate === undefined ||
    (current.ThrottlingRateLimit === throttling.ThrottlingRateLimit &&
      current.ThrottlingBurstLimit === throttling.ThrottlingBurstLimit);
  const logsNow = stage.AccessLogSettings?.DestinationArn ? stage.AccessLogSettings : undefined;
  const logsSame =
    logsNow?.DestinationArn === accessLogs?.DestinationArn &&
    (!accessLogs || logsNow?.Format === accessLogs.Format);
  if (stage.AutoDeploy === true && throttlingSame && logsSame) return { action: 'unchanged' };
  if (ctx.dryRun) return { action: 'updated' };
  if (logsNow && !accessLogs) {
    await apigw.send(new DeleteAccessLogSettingsCommand({ ApiId: apiId, StageName: STAGE }));
  }
  if (stage.AutoDeploy !== true || !throttlingSame || accessLogs) {
    await apigw.send(
      new UpdateStageCommand({
        ApiId: apiId,
        StageName: STAGE,
        AutoDeploy: true,
        DefaultRouteSettings: throttling,
        ...(accessLogs ? { AccessLogSettings: accessLogs } : {}),
      }),
    );
  }
  return { action: 'updated' };
}
