/**
 * Build a proxy in moto directly with the SDK, shaped as `create` makes it (names from names.ts, env
 * per the handler contract, tags from proxyTags). The ops tests need an existing proxy and must not
 * depend on provisioning being finished; the lead may swap this for `create` later.
 *
 * moto note: when a message is added to a queue whose mapping is Enabled, moto tries to invoke the
 * function at once (it needs Docker for that) and receives the message in doing so. Tests that put
 * messages in the queue therefore build the proxy with `enabled: false` (delivery paused), which is also
 * how a real proxy holds messages while its upstream is down.
 */
import { CreateApiCommand, ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { strToU8, zipSync } from 'fflate';
import { createEnvelope, encodeEnvelope, type Envelope } from '../../src/envelope.js';
import { ENV } from '../../src/handlers/ports.js';
import { proxyTags, resourceNames } from '../../src/proxy/names.js';

export interface FixtureOptions {
  ordered?: boolean;
  enabled?: boolean;
  concurrency?: number;
  rate?: number;
  batchSize?: number;
  upstream?: string;
  /** Extra ingest env (handshake/verify secrets) to prove they are never printed. */
  ingestEnv?: Record<string, string>;
  /** Skip parts, to build an incomplete proxy. */
  without?: ('api' | 'mapping')[];
}

export interface Fixture {
  name: string;
  queueUrl: string;
  dlqUrl: string;
  queueArn: string;
  dlqArn: string;
  mappingUuid: string;
  endpoint: string;
  deliverFunction: string;
}

export const clients = () => ({
  sqs: new SQSClient({}),
  lambda: new LambdaClient({}),
  iam: new IAMClient({}),
  apigw: new ApiGatewayV2Client({}),
});

const zip = () => zipSync({ 'index.mjs': strToU8('export const handler = async () => ({});\n') });

export async function createProxyFixture(name: string, o: FixtureOptions = {}): Promise<Fixture> {
  const { sqs, lambda, iam, apigw } = clients();
  const n = resourceNames(name, { ordered: o.ordered });
  const tags = proxyTags(name);
  const fifoAttrs: Record<string, string> = o.ordered ? { FifoQueue: 'true' } : {};
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: n.dlq, Attributes: fifoAttrs, tags })))
    .QueueUrl!;
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  const queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: n.queue,
        Attributes: {
          ...fifoAttrs,
          VisibilityTimeout: '630',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 10 }),
        },
        tags,
      }),
    )
  ).QueueUrl!;
  const queueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;

  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: n.deliverRole,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  const fn = (FunctionName: string, Variables: Record<string, string>) =>
    lambda.send(
      new CreateFunctionCommand({
        FunctionName,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: role.Role!.Arn!,
        Code: { ZipFile: zip() },
        Timeout: 105,
        Environment: { Variables },
        Tags: tags,
      }),
    );
  await fn(n.ingestFunction, {
    [ENV.queueUrl]: queueUrl,
    [ENV.fifo]: o.ordered ? '1' : '0',
    [ENV.responseStatus]: '200',
    [ENV.proxyName]: name,
    ...o.ingestEnv,
  });
  const deliverEnv: Record<string, string> = {
    [ENV.queueUrl]: queueUrl,
    [ENV.upstream]: o.upstream ?? 'https://app.example.com/webhooks',
    [ENV.preservePath]: '0',
    [ENV.timeout]: '10',
    [ENV.concurrency]: String(o.concurrency ?? 2),
    [ENV.backoffBase]: '5',
    [ENV.backoffMax]: '900',
    [ENV.maxAttempts]: '10',
    [ENV.proxyName]: name,
  };
  if (o.rate) deliverEnv[ENV.rate] = String(o.rate);
  await fn(n.deliverFunction, deliverEnv);

  let mappingUuid = '';
  if (!o.without?.includes('mapping')) {
    const m = await lambda.send(
      new CreateEventSourceMappingCommand({
        EventSourceArn: queueArn,
        FunctionName: n.deliverFunction,
        BatchSize: o.batchSize ?? 10,
        Enabled: o.enabled ?? true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: Math.max(2, o.concurrency ?? 2) },
      }),
    );
    mappingUuid = m.UUID!;
  }
  let endpoint = '';
  if (!o.without?.includes('api')) {
    const api = await apigw.send(new CreateApiCommand({ Name: n.api, ProtocolType: 'HTTP', Tags: tags }));
    endpoint = api.ApiEndpoint!;
  }
  return {
    name,
    queueUrl,
    dlqUrl,
    queueArn,
    dlqArn,
    mappingUuid,
    endpoint,
    deliverFunction: n.deliverFunction,
  };
}

/** A realistic envelope for tests, as ingest would have made it. */
export function testEnvelope(over: Partial<Envelope> & { bodyBytes?: Uint8Array } = {}): Envelope {
  const { bodyBytes, ...rest } = over;
  const e = createEnvelope({
    method: 'POST',
    rawPath: '/hooks/stripe',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=abc' },
    cookies: [],
    sourceIp: '203.0.113.9',
    host: 'abc.execute-api.us-east-1.amazonaws.com',
    protocol: 'https',
    body: bodyBytes ?? Buffer.from('{"type":"invoice.paid","id":"evt_1"}'),
  });
  return { ...e, ...rest };
}

/** Webhook number `n`: POST /hook/n with the body {"n":n}, so a test can tell each apart by path and body. */
export function numberedEnvelope(n: number): Envelope {
  return testEnvelope({ rawPath: `/hook/${n}`, bodyBytes: Buffer.from(JSON.stringify({ n })) });
}

/** Put `count` envelopes in a queue (batches of 10); returns their envelope ids in order. */
export async function fillQueue(queueUrl: string, count: number, o: { ordered?: boolean } = {}) {
  const sqs = new SQSClient({});
  const ids: string[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, () => testEnvelope());
    ids.push(...batch.map((e) => e.id));
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((e, j) => ({
          Id: String(j),
          MessageBody: encodeEnvelope(e),
          ...(o.ordered ? { MessageGroupId: 'webhooks', MessageDeduplicationId: e.id } : {}),
        })),
      }),
    );
    if (out.Failed?.length) throw new Error(`fillQueue: ${JSON.stringify(out.Failed)}`);
  }
  return ids;
}

export async function counts(queueUrl: string) {
  const sqs = new SQSClient({});
  const a = (
    await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    )
  ).Attributes!;
  return {
    visible: Number(a.ApproximateNumberOfMessages),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed),
  };
}

export { runCli } from './cli.js';
