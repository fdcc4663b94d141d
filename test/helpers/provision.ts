/**
 * For the provision-*.test.ts files: describe one proxy's resources with the SDK (clients of their own,
 * built from the environment useMoto() sets, never the CLI's factory), list what is left of a proxy,
 * record which API calls the CLI makes, and put faults in front of the CLI's own cached clients.
 * The CLI itself runs in-process through `runCli` from proxy-fixture.ts.
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
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  SQSClient,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createAws, type Aws } from '../../src/aws/clients.js';
import { resourceNames } from '../../src/proxy/names.js';
import { TEST_REGION } from './moto.js';

export const sdk = () => ({
  sqs: new SQSClient({}),
  lambda: new LambdaClient({}),
  iam: new IAMClient({}),
  apigw: new ApiGatewayV2Client({}),
  logs: new CloudWatchLogsClient({}),
});

const isMissing = (err: unknown) =>
  /NotFound|NoSuchEntity|NonExistentQueue|QueueDoesNotExist/.test((err as Error).name);

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isMissing(err)) return undefined;
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
  Version?: string;
  Statement: PolicyStatement[];
}
const parseDoc = (doc: string | undefined): PolicyDocument => JSON.parse(decodeURIComponent(doc ?? '{}'));
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Every allowed action with the resource it applies to. */
export function grants(doc: PolicyDocument): { action: string; resource: string }[] {
  return doc.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
    list(s.Action).flatMap((action) => list(s.Resource).map((resource) => ({ action, resource }))),
  );
}

async function queue(queueName: string) {
  const { sqs } = sdk();
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl!;
  const AttributeNames = ['All'] as QueueAttributeName[];
  const attributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames })))
    .Attributes!;
  const tags = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
  return { url, attributes, tags };
}

async function role(roleName: string) {
  const { iam } = sdk();
  const r = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const policies = await Promise.all(
    names.map(async (PolicyName) =>
      parseDoc((await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))).PolicyDocument),
    ),
  );
  const tags = Object.fromEntries((r.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  return { arn: r.Arn!, trust: parseDoc(r.AssumeRolePolicyDocument), policies, tags };
}

async function logGroup(logGroupName: string) {
  const { logs } = sdk();
  const found = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName })))
    .logGroups;
  const g = found?.find((x) => x.logGroupName === logGroupName);
  if (!g) return undefined;
  const resourceArn = g.arn!.replace(/:\*$/, '');
  const tags = (await logs.send(new ListTagsForResourceCommand({ resourceArn }))).tags ?? {};
  return { retentionInDays: g.retentionInDays, tags };
}

async function fn(functionName: string) {
  const out = await sdk().lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  return { config: out.Configuration!, tags: out.Tags ?? {} };
}

export async function apisNamed(apiName: string): Promise<Api[]> {
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

/** Every resource of one proxy as AWS (moto) describes it. */
export async function describeProxy(name: string, o: { ordered?: boolean } = {}) {
  const n = resourceNames(name, o);
  const { lambda, apigw } = sdk();
  const [q, dlq, ingestRole, deliverRole, ingestLogs, deliverLogs, accessLogs, ingest, deliver] =
    await Promise.all([
      queue(n.queue),
      queue(n.dlq),
      role(n.ingestRole),
      role(n.deliverRole),
      logGroup(n.ingestLogGroup),
      logGroup(n.deliverLogGroup),
      logGroup(n.accessLogGroup),
      fn(n.ingestFunction),
      fn(n.deliverFunction),
    ]);
  const mappings =
    (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: n.deliverFunction })))
      .EventSourceMappings ?? [];
  const apis = await apisNamed(n.api);
  const api = apis[0];
  const ApiId = api?.ApiId;
  const integrations = ApiId ? ((await apigw.send(new GetIntegrationsCommand({ ApiId }))).Items ?? []) : [];
  const routes = ApiId ? ((await apigw.send(new GetRoutesCommand({ ApiId }))).Items ?? []) : [];
  const stageOut = ApiId
    ? await orUndefined(apigw.send(new GetStageCommand({ ApiId, StageName: '$default' })))
    : undefined;
  // Without the response metadata (a fresh request id each time), so two descriptions compare equal.
  const { $metadata: _m, ...stage } = stageOut ?? { $metadata: {} };
  const policy = await orUndefined(lambda.send(new GetPolicyCommand({ FunctionName: n.ingestFunction })));
  return {
    names: n,
    queue: q,
    dlq,
    roles: { ingest: ingestRole, deliver: deliverRole },
    logGroups: { ingest: ingestLogs, deliver: deliverLogs, access: accessLogs },
    functions: { ingest, deliver },
    mappings,
    apis,
    api,
    integrations,
    routes,
    stage: stageOut ? stage : undefined,
    invokePolicy: policy?.Policy ? (JSON.parse(policy.Policy) as PolicyDocument) : undefined,
  };
}

/** What is left of a proxy (either kind): labels, empty when nothing is. */
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
  for (const f of [n.ingestFunction, n.deliverFunction]) {
    if (await orUndefined(lambda.send(new GetFunctionCommand({ FunctionName: f }))))
      left.push(`function ${f}`);
  }
  // moto still lists a deleted function's mappings by its name (AWS answers 404): either way, none may be left.
  const mappings = await orUndefined(
    lambda.send(new ListEventSourceMappingsCommand({ FunctionName: n.deliverFunction })),
  );
  for (const m of mappings?.EventSourceMappings ?? []) left.push(`mapping ${m.UUID}`);
  for (const r of [n.ingestRole, n.deliverRole]) {
    if (await orUndefined(iam.send(new GetRoleCommand({ RoleName: r })))) left.push(`role ${r}`);
  }
  for (const g of [n.ingestLogGroup, n.deliverLogGroup, n.accessLogGroup, n.legacyAccessLogGroup]) {
    const found = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: g }))).logGroups;
    if (found?.some((x) => x.logGroupName === g)) left.push(`log group ${g}`);
  }
  for (const a of await apisNamed(n.api)) left.push(`api ${a.ApiId}`);
  return left;
}

/** Queues and functions whose names start with the proxy's prefix (for "nothing was created"). */
export async function anythingNamed(name: string): Promise<string[]> {
  const { sqs, lambda } = sdk();
  const prefix = `webhook-proxy-${name}`;
  const queues = (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls ?? [];
  const fns: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ Marker }));
    fns.push(...(page.Functions ?? []).map((f) => f.FunctionName!).filter((f) => f.startsWith(prefix)));
    Marker = page.NextMarker;
  } while (Marker);
  return [...queues, ...fns];
}

/**
 * The clients the CLI itself uses when run in-process: createAws caches them per settings, and these
 * are the settings the CLI derives from the environment useMoto() sets (call it first).
 */
export const cliAws = (): Aws =>
  createAws({ region: TEST_REGION, profile: undefined, endpoint: process.env.AWS_ENDPOINT_URL });

/** Undo functions that `recordCalls` and `inject` push; run them all in afterEach (or earlier). */
export type Restore = (() => void)[];
export const undoAll = (restore: Restore) => restore.splice(0).forEach((undo) => undo());

/** One API call: its operation (`GetApis`), how many calls had answered when it started, whether it threw. */
export interface RecordedCall {
  command: string;
  startedAfter: number;
  failed?: boolean;
}

/** Everything `recordCallLog` sees, filled in as the calls happen. */
export interface CallLog {
  /** Each call's command name as the SDK gives it (`GetApisCommand`), in the order they started. */
  names: string[];
  /** Each call in the order they started. */
  calls: RecordedCall[];
  /** The operations in the order they answered (or threw). */
  finished: string[];
}

/** Which clients to record, and of which client set (by default the CLI's own cached one, see cliAws). */
export interface RecordOptions {
  aws?: Aws;
  clients?: readonly ClientName[];
}
type ClientName =
  'sqs' | 'lambda' | 'iam' | 'apigw' | 'logs' | 'cloudwatch' | 'sns' | 'sts' | 'acm' | 'route53';

/**
 * Record every API call made through the clients of `o.aws` (by default its sqs, lambda, iam, apigw,
 * logs and sts clients): one middleware on each client, whose undo goes onto `restore`.
 */
export async function recordCallLog(restore: Restore, o: RecordOptions = {}): Promise<CallLog> {
  const aws = o.aws ?? cliAws();
  const which = o.clients ?? (['sqs', 'lambda', 'iam', 'apigw', 'logs', 'sts'] as const);
  const clients = await Promise.all(which.map((c) => aws[c]()));
  const log: CallLog = { names: [], calls: [], finished: [] };
  // The one shape every client's middleware stack shares (each client types its own inputs).
  type Handler = (args: unknown) => Promise<unknown>;
  type Stack = {
    add(mw: (next: Handler, context: { commandName?: string }) => Handler, o: object): void;
    remove(name: string): boolean;
  };
  for (const c of clients as unknown as { middlewareStack: Stack }[]) {
    c.middlewareStack.add(
      (next, context) => async (args) => {
        log.names.push(context.commandName ?? '?');
        const call: RecordedCall = {
          command: String(context.commandName).replace(/Command$/, ''),
          startedAfter: log.finished.length,
        };
        log.calls.push(call);
        try {
          return await next(args);
        } catch (err) {
          call.failed = true;
          throw err;
        } finally {
          log.finished.push(call.command);
        }
      },
      { step: 'initialize', name: 'testRecordCalls' },
    );
    restore.push(() => c.middlewareStack.remove('testRecordCalls'));
  }
  return log;
}

/**
 * The command name (`CreateQueueCommand`) of every API call the CLI makes in this process, in the order
 * they start (recordCallLog's `names`); the undo goes onto `restore`.
 */
export async function recordCalls(restore: Restore, o: RecordOptions = {}): Promise<string[]> {
  return (await recordCallLog(restore, o)).names;
}

/** The calls that are not plainly reads (Get*, List*, Describe*): any of them may change something. */
export const writes = (calls: string[]) => calls.filter((c) => !/^(Get|List|Describe)\w*Command$/.test(c));

/**
 * A stub (aws-sdk-client-mock) in front of one of the CLI's cached clients, for what moto cannot do:
 * `fault` may throw for a command or return a response of its own; when it returns undefined the
 * command goes on to moto. The undo goes onto `restore`.
 */
export function inject<C extends { send: (c: never) => Promise<unknown> }>(
  client: C,
  fault: (cmd: object) => unknown,
  restore: Restore,
) {
  const real = client.send.bind(client) as unknown as (c: object) => Promise<unknown>;
  const mock = mockClient(client as never);
  mock.send.callsFake((async (cmd: object) => (await fault(cmd)) ?? real(cmd)) as never);
  restore.push(() => mock.restore());
  return mock;
}
