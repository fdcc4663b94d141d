/**
 * AWS's rules that moto skips: a middleware on every SDK client the package builds (installed through
 * the test seam src/aws/client-hooks.ts by test/setup/aws-rules.ts, and in child processes by
 * aws-rules-preload.ts) that refuses, as AWS would, a request AWS documents as invalid. One rule a line,
 * each with the AWS document it comes from. A refusal is thrown as an AWS-shaped error (the name AWS
 * gives it) and also remembered, so a test whose code swallowed it still fails (test/setup/aws-rules.ts).
 *
 * Only the lookups of the visibility rule make calls (to the same endpoint, with clients of their own
 * that no recorder sees); every other rule reads the request alone.
 */
import type { HookedClient, HookSettings } from '../../src/aws/client-hooks.js';

export interface Violation {
  /** The AWS error name AWS answers with. */
  code: string;
  message: string;
  doc: string;
}

/** What the event source mapping rules need to know beyond the request. */
export interface RuleLookups {
  /** The function's configured timeout in seconds (Lambda's default is 3), undefined if unknown. */
  functionTimeout(functionName: string): Promise<number | undefined>;
  /** The queue's VisibilityTimeout in seconds, undefined if unknown. */
  queueVisibility(queueArn: string): Promise<number | undefined>;
  /** An existing mapping (for UpdateEventSourceMapping, which sends only what changes). */
  mapping(uuid: string): Promise<MappingFacts | undefined>;
}
export interface MappingFacts {
  EventSourceArn?: string;
  FunctionArn?: string;
  BatchSize?: number;
  MaximumBatchingWindowInSeconds?: number;
}

const DOC = {
  esmVisibility: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html',
  esmParams: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html',
  esmWindow: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html',
  scaling: 'https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html',
  createFunction: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html',
  lambdaQuotas: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  changeVisibility:
    'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html',
  sendBatch:
    'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html',
  tooManyEntries:
    'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html',
  receive: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html',
  createQueue: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html',
  queueAttributes:
    'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html',
  queueQuotas:
    'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html',
  createRole: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html',
  iamTag: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html',
  logGroup: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html',
  lambdaTag:
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-tag.html',
  tagging: 'https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html',
};

const MiB = 1_048_576;
type Input = Record<string, unknown>;
const num = (v: unknown): number | undefined =>
  v === undefined || v === null || v === '' ? undefined : Number(v);
const bytes = (s: unknown) => (typeof s === 'string' ? Buffer.byteLength(s) : 0);
const v = (code: string, message: string, doc: string): Violation => ({ code, message, doc });

/** SQS counts a message's size as its body plus every attribute's name, type and value. */
function messageSize(entry: Input): number {
  let size = bytes(entry.MessageBody);
  for (const [name, attr] of Object.entries((entry.MessageAttributes ?? {}) as Record<string, Input>)) {
    size += bytes(name) + bytes(attr.DataType) + bytes(attr.StringValue);
    const bin = attr.BinaryValue as Uint8Array | undefined;
    if (bin) size += bin.byteLength;
  }
  return size;
}

/** Tags as [key, value] pairs, whether a map (SQS, Lambda, Logs, API Gateway) or a list (IAM). */
function tagPairs(input: Input): [string, string][] | undefined {
  const raw = input.Tags ?? input.tags;
  if (!raw) return undefined;
  if (Array.isArray(raw)) return raw.map((t: Input) => [String(t.Key ?? ''), String(t.Value ?? '')]);
  return Object.entries(raw as Record<string, string>).map(([k, val]) => [k, String(val ?? '')]);
}

function tagRules(client: string, input: Input): Violation[] {
  const pairs = tagPairs(input);
  if (!pairs) return [];
  const code =
    client === 'IAMClient'
      ? 'ValidationError'
      : client === 'SQSClient'
        ? 'InvalidParameterValue'
        : 'InvalidParameterValueException';
  const doc = client === 'IAMClient' ? DOC.iamTag : client === 'LambdaClient' ? DOC.lambdaTag : DOC.tagging;
  const out: Violation[] = [];
  // Tagging AWS resources: at most 50 user tags per resource, keys 1–128 characters, values up to 256.
  if (pairs.length > 50) out.push(v(code, `${pairs.length} tags: a resource takes at most 50`, doc));
  for (const [key, value] of pairs) {
    if (key.length < 1 || key.length > 128)
      out.push(v(code, `tag key "${key.slice(0, 40)}…" has ${key.length} characters: keys take 1–128`, doc));
    // Tagging AWS resources: "Don't use aws:, AWS:, or any upper or lowercase combination of such as a prefix".
    if (/^aws:/i.test(key))
      out.push(v(code, `tag key "${key}": the prefix aws: is reserved for AWS use`, doc));
    if (value.length > 256)
      out.push(v(code, `tag ${key}'s value has ${value.length} characters: values take at most 256`, doc));
  }
  return out;
}

function queueAttributeRules(attrs: Record<string, string> | undefined): Violation[] {
  if (!attrs) return [];
  const out: Violation[] = [];
  const vis = num(attrs.VisibilityTimeout);
  // SetQueueAttributes: VisibilityTimeout "An integer from 0 to 43,200 (12 hours)".
  if (vis !== undefined && (vis < 0 || vis > 43_200))
    out.push(v('InvalidAttributeValue', `VisibilityTimeout ${vis}: 0–43200 seconds`, DOC.queueAttributes));
  const ret = num(attrs.MessageRetentionPeriod);
  // SetQueueAttributes: MessageRetentionPeriod "An integer representing seconds, from 60 (1 minute) to 1,209,600 (14 days)".
  if (ret !== undefined && (ret < 60 || ret > 1_209_600))
    out.push(
      v('InvalidAttributeValue', `MessageRetentionPeriod ${ret}: 60–1209600 seconds`, DOC.queueAttributes),
    );
  if (attrs.RedrivePolicy) {
    const max = Number((JSON.parse(attrs.RedrivePolicy) as { maxReceiveCount?: unknown }).maxReceiveCount);
    // SetQueueAttributes: RedrivePolicy maxReceiveCount, 1 to 1,000 (SQS quotas: "maxReceiveCount ... 1 to 1,000").
    if (!(max >= 1 && max <= 1000))
      out.push(
        v('InvalidAttributeValue', `RedrivePolicy maxReceiveCount ${max}: 1–1000`, DOC.queueAttributes),
      );
  }
  return out;
}

function sqsRules(op: string, input: Input): Violation[] {
  const out: Violation[] = [];
  if (op === 'CreateQueue') {
    const name = String(input.QueueName ?? '');
    const attrs = input.Attributes as Record<string, string> | undefined;
    const fifo = attrs?.FifoQueue === 'true';
    // CreateQueue: "A queue name can have up to 80 characters. Valid values: alphanumeric characters, hyphens (-), and underscores (_)."
    if (name.length > 80 || !/^[A-Za-z0-9_-]+(\.fifo)?$/.test(name))
      out.push(
        v('InvalidParameterValue', `queue name "${name}": up to 80 of A-Z a-z 0-9 - _`, DOC.createQueue),
      );
    // CreateQueue: "A FIFO queue name must end with the .fifo suffix."
    if (fifo !== name.endsWith('.fifo'))
      out.push(
        v(
          'InvalidParameterValue',
          `queue name "${name}": .fifo exactly when FifoQueue is true`,
          DOC.createQueue,
        ),
      );
    out.push(...queueAttributeRules(attrs));
  }
  if (op === 'SetQueueAttributes')
    out.push(...queueAttributeRules(input.Attributes as Record<string, string>));
  if (op === 'ChangeMessageVisibility') {
    const t = Number(input.VisibilityTimeout);
    // ChangeMessageVisibility: "The new value ... Values range: 0 to 43200. Maximum: 12 hours."
    if (!(t >= 0 && t <= 43_200))
      out.push(v('InvalidParameterValue', `VisibilityTimeout ${t}: 0–43200 seconds`, DOC.changeVisibility));
  }
  if (op === 'ChangeMessageVisibilityBatch' || op === 'DeleteMessageBatch' || op === 'SendMessageBatch') {
    const entries = (input.Entries ?? []) as Input[];
    // TooManyEntriesInBatchRequest: "the maximum number of entries you can include in a single SendMessageBatch, DeleteMessageBatch, or ChangeMessageVisibilityBatch request is 10."
    if (entries.length > 10)
      out.push(
        v(
          'TooManyEntriesInBatchRequest',
          `${op} with ${entries.length} entries: at most 10`,
          DOC.tooManyEntries,
        ),
      );
    if (entries.length === 0) out.push(v('EmptyBatchRequest', `${op} with no entries`, DOC.tooManyEntries));
    if (op === 'ChangeMessageVisibilityBatch')
      for (const e of entries) out.push(...sqsRules('ChangeMessageVisibility', e));
  }
  if (op === 'SendMessageBatch') {
    const total = ((input.Entries ?? []) as Input[]).reduce((sum, e) => sum + messageSize(e), 0);
    // SendMessageBatch: "The maximum allowed individual message size and the maximum total payload size (the sum of the individual lengths of all of the batched messages) are both 1 MiB 1,048,576 bytes."
    if (total > MiB)
      out.push(
        v(
          'BatchRequestTooLong',
          `SendMessageBatch of ${total} bytes: at most 1,048,576 in all`,
          DOC.sendBatch,
        ),
      );
    for (const e of (input.Entries ?? []) as Input[])
      if (messageSize(e) > MiB)
        out.push(
          v(
            'InvalidParameterValue',
            `a message of ${messageSize(e)} bytes: at most 1,048,576`,
            DOC.sendBatch,
          ),
        );
  }
  if (op === 'SendMessage' && messageSize(input) > MiB)
    // SendMessage (same rule as the batch): a message is at most 1 MiB, attributes included.
    out.push(
      v(
        'InvalidParameterValue',
        `a message of ${messageSize(input)} bytes: at most 1,048,576`,
        DOC.sendBatch,
      ),
    );
  if (op === 'ReceiveMessage') {
    const max = num(input.MaxNumberOfMessages);
    const wait = num(input.WaitTimeSeconds);
    // ReceiveMessage: MaxNumberOfMessages "Valid values: 1 to 10"; WaitTimeSeconds at most 20 (SQS quotas: long polling 20 s).
    if (max !== undefined && (max < 1 || max > 10))
      out.push(v('InvalidParameterValue', `MaxNumberOfMessages ${max}: 1–10`, DOC.receive));
    if (wait !== undefined && (wait < 0 || wait > 20))
      out.push(v('InvalidParameterValue', `WaitTimeSeconds ${wait}: 0–20`, DOC.queueQuotas));
  }
  return out;
}

const queueNameOf = (arn: string) => arn.split(':').pop() ?? '';

async function mappingRules(op: string, input: Input, lookups: RuleLookups): Promise<Violation[]> {
  const out: Violation[] = [];
  const current = op === 'UpdateEventSourceMapping' ? await lookups.mapping(String(input.UUID)) : undefined;
  const queueArn = String(input.EventSourceArn ?? current?.EventSourceArn ?? '');
  const fn = String(input.FunctionName ?? current?.FunctionArn ?? '');
  if (!queueArn.startsWith('arn:') || !queueArn.includes(':sqs:')) return out;
  const fifo = queueNameOf(queueArn).endsWith('.fifo');
  const batch = num(input.BatchSize) ?? current?.BatchSize ?? 10;
  const window = num(input.MaximumBatchingWindowInSeconds) ?? current?.MaximumBatchingWindowInSeconds ?? 0;
  const max = (input.ScalingConfig as Input | undefined)?.MaximumConcurrency;
  // ScalingConfig: MaximumConcurrency "Valid Range: Minimum value of 2. Maximum value of 1000."
  if (max !== undefined && !(Number(max) >= 2 && Number(max) <= 1000))
    out.push(
      v(
        'InvalidParameterValueException',
        `ScalingConfig.MaximumConcurrency ${String(max)}: 2–1000`,
        DOC.scaling,
      ),
    );
  // SQS parameters: BatchSize "For standard queues, the maximum is 10,000. For FIFO queues, the maximum is 10."
  if (batch < 1 || batch > (fifo ? 10 : 10_000))
    out.push(
      v(
        'InvalidParameterValueException',
        `BatchSize ${batch}: 1–${fifo ? 10 : 10_000} for this queue`,
        DOC.esmParams,
      ),
    );
  // MaximumBatchingWindowInSeconds: "when you set BatchSize to a value greater than 10, you must set MaximumBatchingWindowInSeconds to at least 1."
  if (!fifo && batch > 10 && window < 1)
    out.push(
      v(
        'InvalidParameterValueException',
        `BatchSize ${batch} with a batching window of ${window} s: over 10 needs at least 1 s`,
        DOC.esmWindow,
      ),
    );
  // SQS parameters: MaximumBatchingWindowInSeconds "Batching window is not supported for FIFO queues".
  if (
    fifo &&
    input.MaximumBatchingWindowInSeconds !== undefined &&
    Number(input.MaximumBatchingWindowInSeconds) > 0
  )
    out.push(v('InvalidParameterValueException', 'a batching window on a FIFO queue', DOC.esmParams));
  // "Lambda validates this requirement when you create or update an event source mapping and will return an error if the function timeout exceeds the queue's visibility timeout."
  const [timeout, visibility] = await Promise.all([
    lookups.functionTimeout(fn),
    lookups.queueVisibility(queueArn),
  ]);
  if (timeout !== undefined && visibility !== undefined && visibility < timeout)
    out.push(
      v(
        'InvalidParameterValueException',
        `Invalid request provided: Queue visibility timeout: ${visibility} seconds is less than Function timeout: ${timeout} seconds`,
        DOC.esmVisibility,
      ),
    );
  return out;
}

function lambdaRules(op: string, input: Input): Violation[] {
  const out: Violation[] = [];
  if (op === 'CreateFunction') {
    const name = String(input.FunctionName ?? '');
    // CreateFunction: FunctionName "If you specify only the function name, it is limited to 64 characters in length", pattern [a-zA-Z0-9-_]+.
    if (!name.startsWith('arn:') && (name.length > 64 || !/^[a-zA-Z0-9_-]+$/.test(name)))
      out.push(
        v(
          'InvalidParameterValueException',
          `function name "${name}": up to 64 of a-z A-Z 0-9 - _`,
          DOC.createFunction,
        ),
      );
  }
  if (op === 'CreateFunction' || op === 'UpdateFunctionConfiguration') {
    const d = input.Description as string | undefined;
    // CreateFunction: Description "Length Constraints: Minimum length of 0. Maximum length of 256."
    if (d !== undefined && d.length > 256)
      out.push(
        v(
          'InvalidParameterValueException',
          `Description of ${d.length} characters: at most 256`,
          DOC.createFunction,
        ),
      );
    const t = num(input.Timeout);
    // Lambda quotas: "Function timeout: 900 seconds (15 minutes)"; CreateFunction Timeout minimum 1.
    if (t !== undefined && (t < 1 || t > 900))
      out.push(v('InvalidParameterValueException', `Timeout ${t}: 1–900 seconds`, DOC.lambdaQuotas));
    const m = num(input.MemorySize);
    // CreateFunction: MemorySize "Valid Range: Minimum value of 128. Maximum value of 10240."
    if (m !== undefined && (m < 128 || m > 10_240))
      out.push(v('InvalidParameterValueException', `MemorySize ${m}: 128–10240 MB`, DOC.createFunction));
  }
  return out;
}

function iamRules(op: string, input: Input): Violation[] {
  const out: Violation[] = [];
  if (op === 'CreateRole') {
    const name = String(input.RoleName ?? '');
    // CreateRole: RoleName "Length Constraints: Minimum length of 1. Maximum length of 64. Pattern: [\w+=,.@-]+".
    if (name.length > 64 || !/^[\w+=,.@-]+$/.test(name))
      out.push(v('ValidationError', `role name "${name}": up to 64 of \\w + = , . @ -`, DOC.createRole));
    const d = input.Description as string | undefined;
    // CreateRole: Description "Maximum length of 1000."
    if (d !== undefined && d.length > 1000)
      out.push(
        v('ValidationError', `role Description of ${d.length} characters: at most 1000`, DOC.createRole),
      );
  }
  return out;
}

function logsRules(op: string, input: Input): Violation[] {
  const out: Violation[] = [];
  if (op === 'CreateLogGroup') {
    const name = String(input.logGroupName ?? '');
    // CreateLogGroup: "Log group names can be between 1 and 512 characters long" of a-z, A-Z, 0-9, '_', '-', '/', '.', '#'.
    if (name.length < 1 || name.length > 512 || !/^[.\-_/#A-Za-z0-9]+$/.test(name))
      out.push(
        v(
          'InvalidParameterException',
          `log group name "${name}": 1–512 of a-z A-Z 0-9 _ - / . #`,
          DOC.logGroup,
        ),
      );
  }
  return out;
}

const TAGGING = new Set([
  'CreateQueue',
  'TagQueue',
  'CreateFunction',
  'CreateEventSourceMapping',
  'TagResource',
  'CreateRole',
  'TagRole',
  'CreateLogGroup',
  'CreateApi',
  'CreateDomainName',
]);

/** Every rule the request breaks (empty when AWS would accept it as far as these rules go). */
export async function checkRequest(
  clientName: string,
  commandName: string,
  input: Input,
  lookups: RuleLookups,
): Promise<Violation[]> {
  const op = commandName.replace(/Command$/, '');
  const out: Violation[] = [];
  if (clientName === 'SQSClient') out.push(...sqsRules(op, input));
  if (clientName === 'LambdaClient') {
    out.push(...lambdaRules(op, input));
    if (op === 'CreateEventSourceMapping' || op === 'UpdateEventSourceMapping')
      out.push(...(await mappingRules(op, input, lookups)));
  }
  if (clientName === 'IAMClient') out.push(...iamRules(op, input));
  if (clientName === 'CloudWatchLogsClient') out.push(...logsRules(op, input));
  if (TAGGING.has(op)) out.push(...tagRules(clientName, input));
  return out;
}

/** The error AWS would answer with: its name is the AWS error code, so the CLI's handling applies. */
export class AwsRuleError extends Error {
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
  constructor(
    readonly violation: Violation,
    readonly operation: string,
  ) {
    super(`${violation.message} (AWS refuses this; moto does not. ${violation.doc})`);
    this.name = violation.code;
  }
}

const VIOLATIONS = Symbol.for('webhook-proxy.awsRuleViolations');
/** Every refusal in this process since the last take (test/setup/aws-rules.ts fails the test on any). */
export function takeViolations(): { operation: string; violation: Violation }[] {
  const g = globalThis as { [VIOLATIONS]?: { operation: string; violation: Violation }[] };
  return (g[VIOLATIONS] ??= []).splice(0);
}
function remember(operation: string, violation: Violation, onViolation?: (line: string) => void) {
  const g = globalThis as { [VIOLATIONS]?: { operation: string; violation: Violation }[] };
  (g[VIOLATIONS] ??= []).push({ operation, violation });
  onViolation?.(`${operation}: ${violation.message} (${violation.doc})`);
}

type Handler = (args: { input: Input }) => Promise<unknown>;
type Stack = {
  add(
    mw: (next: Handler, context: { clientName?: string; commandName?: string }) => Handler,
    o: object,
  ): void;
};

/** Lookups against the client's own endpoint, with clients of their own (no hook, no recorder sees them). */
export function liveLookups(client: HookedClient, settings: HookSettings): RuleLookups {
  const config = client.config as { credentials?: unknown };
  const options = () => ({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials as never } : {}),
  });
  const quiet = async <T>(p: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await p();
    } catch {
      return undefined; // unknown: the rule cannot judge, AWS itself will
    }
  };
  const lambda = async () => {
    const m = await import('@aws-sdk/client-lambda');
    return { m, c: new m.LambdaClient(options()) };
  };
  return {
    functionTimeout: (FunctionName) =>
      quiet(async () => {
        const { m, c } = await lambda();
        const out = await c.send(new m.GetFunctionConfigurationCommand({ FunctionName }));
        return out.Timeout ?? 3;
      }),
    queueVisibility: (queueArn) =>
      quiet(async () => {
        const m = await import('@aws-sdk/client-sqs');
        const c = new m.SQSClient(options());
        const [, , , , account, name] = queueArn.split(':');
        const { QueueUrl } = await c.send(
          new m.GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
        );
        const out = await c.send(
          new m.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout'] }),
        );
        return num(out.Attributes?.VisibilityTimeout);
      }),
    mapping: (UUID) =>
      quiet(async () => {
        const { m, c } = await lambda();
        return await c.send(new m.GetEventSourceMappingCommand({ UUID }));
      }),
  };
}

/**
 * Put the rules on one client. `onViolation` also hears each refusal (the preload writes it where the
 * test process reads it).
 */
export function installAwsRules(
  client: HookedClient,
  settings: HookSettings,
  o: { lookups?: RuleLookups; onViolation?: (line: string) => void } = {},
): void {
  const lookups = o.lookups ?? liveLookups(client, settings);
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      const found = await checkRequest(context.clientName ?? '', command, args.input ?? {}, lookups);
      if (found.length) {
        const op = command.replace(/Command$/, '');
        for (const f of found) remember(op, f, o.onViolation);
        throw new AwsRuleError(found[0]!, op);
      }
      return next(args);
    },
    { step: 'initialize', name: 'testAwsRules', priority: 'high' },
  );
}
