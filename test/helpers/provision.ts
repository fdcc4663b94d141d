/**
 * Describe a provisioned proxy with the SDK, resource by resource, so the provisioning tests check
 * what is in AWS (moto) rather than what `create` says it did; and list whatever of a proxy is left.
 * Clients are built from the environment `useMoto()` sets, never from the CLI's own factory.
 */
import {
  ApiGatewayV2Client,
  GetApisCommand,
  GetIntegrationsCommand,
  GetRoutesCommand,
  GetStageCommand,
  type Api,
} from '@aws-sdk/client-apigatewayv2';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  GetFunctionCommand,
  GetPolicyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SQSClient,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import type { Aws } from '../../src/aws/clients.js';
import { resourceNames } from '../../src/proxy/names.js';

export const sdk = () => ({
  sqs: new SQSClient({}),
  lambda: new LambdaClient({}),
  iam: new IAMClient({}),
  apigw: new ApiGatewayV2Client({}),
  logs: new CloudWatchLogsClient({}),
});

const missing = (err: unknown) =>
  /NotFound|NoSuchEntity|NonExistentQueue|QueueDoesNotExist/.test((err as Error).name);

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (missing(err)) return undefined;
    throw err;
  }
}

export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string>>;
}
export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

const parseDoc = (doc: string | undefined): PolicyDocument => JSON.parse(decodeURIComponent(doc ?? '{}'));

async function describeQueue(queueName: string) {
  const { sqs } = sdk();
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl!;
  const attributes = (
    await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] as QueueAttributeName[] }),
    )
  ).Attributes!;
  const tags = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
  return { url, attributes, tags };
}

async function describeRole(roleName: string) {
  const { iam } = sdk();
  const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
  const policyNames = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const policies = await Promise.all(
    policyNames.map(async (PolicyName) =>
      parseDoc((await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))).PolicyDocument),
    ),
  );
  return {
    arn: role.Arn!,
    trust: parseDoc(role.AssumeRolePolicyDocument),
    policyNames,
    policies,
    tags: Object.fromEntries((role.Tags ?? []).map((t) => [t.Key!, t.Value!])),
  };
}

async function describeLogGroup(logGroupName: string) {
  const { logs } = sdk();
  const group = (
    await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName }))
  ).logGroups?.find((g) => g.logGroupName === logGroupName);
  if (!group) return undefined;
  const tags = (
    await logs.send(new ListTagsForResourceCommand({ resourceArn: group.arn!.replace(/:\*$/, '') }))
  ).tags;
  return { retentionInDays: group.retentionInDays, tags: tags ?? {} };
}

async function describeFunction(functionName: string) {
  const { lambda } = sdk();
  const fn = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  return { config: fn.Configuration!, tags: fn.Tags ?? {} };
}

export async function findApiByName(apiName: string): Promise<Api[]> {
  const { apigw } = sdk();
  const found: Api[] = [];
  let NextToken: string | undefined;
  do {
    const page = await apigw.send(new GetApisCommand({ NextToken }));
    found.push(...(page.Items ?? []).filter((a) => a.Name === apiName));
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/** Every resource of one proxy, as the SDK describes it. */
export async function describeProxy(name: string, o: { ordered?: boolean } = {}) {
  const n = resourceNames(name, o);
  const { lambda, apigw } = sdk();
  const [queue, dlq, ingestRole, deliverRole, ingestLogs, deliverLogs, ingest, deliver] = await Promise.all([
    describeQueue(n.queue),
    describeQueue(n.dlq),
    describeRole(n.ingestRole),
    describeRole(n.deliverRole),
    describeLogGroup(n.ingestLogGroup),
    describeLogGroup(n.deliverLogGroup),
    describeFunction(n.ingestFunction),
    describeFunction(n.deliverFunction),
  ]);
  const mappings =
    (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: n.deliverFunction })))
      .EventSourceMappings ?? [];
  const apis = await findApiByName(n.api);
  const api = apis[0];
  const integrations = api
    ? ((await apigw.send(new GetIntegrationsCommand({ ApiId: api.ApiId! }))).Items ?? [])
    : [];
  const routes = api ? ((await apigw.send(new GetRoutesCommand({ ApiId: api.ApiId! }))).Items ?? []) : [];
  const stage = api
    ? await orUndefined(apigw.send(new GetStageCommand({ ApiId: api.ApiId!, StageName: '$default' })))
    : undefined;
  const permission = await orUndefined(lambda.send(new GetPolicyCommand({ FunctionName: n.ingestFunction })));
  return {
    names: n,
    queue,
    dlq,
    roles: { ingest: ingestRole, deliver: deliverRole },
    logGroups: { ingest: ingestLogs, deliver: deliverLogs },
    functions: { ingest, deliver },
    mappings,
    apis,
    api,
    integrations,
    routes,
    stage,
    invokePolicy: permission?.Policy ? (JSON.parse(permission.Policy) as PolicyDocument) : undefined,
  };
}

/** What is left of a proxy, whichever kind (ordered or not): a list of labels, empty when nothing is. */
export async function leftovers(name: string): Promise<string[]> {
  const { sqs, lambda, iam, logs } = sdk();
  const left: string[] = [];
  for (const ordered of [false, true]) {
    const n = resourceNames(name, { ordered });
    for (const q of [n.queue, n.dlq]) {
      if (await orUndefined(sqs.send(new GetQueueUrlCommand({ QueueName: q })))) left.push(`queue ${q}`);
    }
  }
  const n = resourceNames(name);
  for (const fn of [n.ingestFunction, n.deliverFunction]) {
    if (await orUndefined(lambda.send(new GetFunctionCommand({ FunctionName: fn }))))
      left.push(`function ${fn}`);
  }
  // moto lists mappings by function name even after the function is gone (AWS would say 404).
  const mappings = await orUndefined(
    lambda.send(new ListEventSourceMappingsCommand({ FunctionName: n.deliverFunction })),
  );
  for (const m of mappings?.EventSourceMappings ?? []) left.push(`mapping ${m.UUID}`);
  for (const role of [n.ingestRole, n.deliverRole]) {
    if (await orUndefined(iam.send(new GetRoleCommand({ RoleName: role })))) left.push(`role ${role}`);
  }
  for (const group of [n.ingestLogGroup, n.deliverLogGroup, n.accessLogGroup]) {
    const found = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }))).logGroups;
    if (found?.some((g) => g.logGroupName === group)) left.push(`log group ${group}`);
  }
  for (const api of await findApiByName(n.api)) left.push(`api ${api.ApiId}`);
  return left;
}

/** Every Action of a document's Allow statements, with the Resource it applies to. */
export function grants(doc: PolicyDocument): { action: string; resource: string }[] {
  const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
  return doc.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
    list(s.Action).flatMap((action) => list(s.Resource).map((resource) => ({ action, resource }))),
  );
}

/**
 * Record the name of every command the given clients send (the CLI's own, from `createAws` with the
 * same settings); pushes the undo onto `restore`.
 */
export async function recordCommands(aws: Aws, restore: (() => void)[]): Promise<string[]> {
  const sent: string[] = [];
  const clients = await Promise.all([aws.sqs(), aws.lambda(), aws.iam(), aws.apigw(), aws.logs(), aws.sts()]);
  for (const client of clients) {
    const stack = client.middlewareStack as {
      add(mw: unknown, o: { step: string; name: string }): void;
      remove(name: string): boolean;
    };
    stack.add(
      (next: (args: unknown) => unknown, context: { commandName?: string }) => (args: unknown) => {
        sent.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    restore.push(() => stack.remove('recordCommands'));
  }
  return sent;
}
