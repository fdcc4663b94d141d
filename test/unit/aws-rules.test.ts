/**
 * Each AWS rule of test/helpers/aws-rules.ts refuses a request AWS documents as invalid (and lets the
 * valid neighbour through), and the setup file has put the rules on the package's own clients.
 */
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { checkRequest, takeViolations, type RuleLookups } from '../helpers/aws-rules.js';

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:webhook-proxy-x';
const FIFO = `${QUEUE}.fifo`;
const lookups = (o: { timeout?: number; visibility?: number; mapping?: object } = {}): RuleLookups => ({
  functionTimeout: async () => o.timeout,
  queueVisibility: async () => o.visibility,
  mapping: async () => o.mapping,
});
const codes = async (client: string, op: string, input: object, l = lookups()) =>
  (await checkRequest(client, op, input as Record<string, unknown>, l)).map((v) => v.code);
const mapping = (extra: object) => ({
  EventSourceArn: QUEUE,
  FunctionName: 'webhook-proxy-x-deliver',
  ...extra,
});
const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
const entry = (id: string, size: number) => ({ Id: id, MessageBody: 'x'.repeat(size) });

describe('the AWS rules moto skips', () => {
  it('a mapping whose queue visibility timeout is below the function timeout', async () => {
    const input = mapping({ BatchSize: 10 });
    expect(
      await codes(
        'LambdaClient',
        'CreateEventSourceMappingCommand',
        input,
        lookups({ timeout: 60, visibility: 30 }),
      ),
    ).toEqual(['InvalidParameterValueException']);
    expect(
      await codes(
        'LambdaClient',
        'CreateEventSourceMappingCommand',
        input,
        lookups({ timeout: 60, visibility: 60 }),
      ),
    ).toEqual([]);
    // An update sends only what changes: the queue and function come from the mapping itself.
    const current = {
      mapping: { EventSourceArn: QUEUE, FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f' },
    };
    expect(
      await codes(
        'LambdaClient',
        'UpdateEventSourceMappingCommand',
        { UUID: 'u', BatchSize: 5 },
        lookups({ timeout: 90, visibility: 30, ...current }),
      ),
    ).toEqual(['InvalidParameterValueException']);
  });

  it('ScalingConfig.MaximumConcurrency outside 2–1000', async () => {
    for (const bad of [1, 1001])
      expect(
        await codes(
          'LambdaClient',
          'CreateEventSourceMapping',
          mapping({ ScalingConfig: { MaximumConcurrency: bad } }),
        ),
      ).toEqual(['InvalidParameterValueException']);
    for (const good of [2, 1000])
      expect(
        await codes(
          'LambdaClient',
          'CreateEventSourceMapping',
          mapping({ ScalingConfig: { MaximumConcurrency: good } }),
        ),
      ).toEqual([]);
  });

  it('a batch over 10 without a batching window, and FIFO batches over 10 or with a window', async () => {
    expect(await codes('LambdaClient', 'CreateEventSourceMapping', mapping({ BatchSize: 11 }))).toEqual([
      'InvalidParameterValueException',
    ]);
    expect(
      await codes(
        'LambdaClient',
        'CreateEventSourceMapping',
        mapping({ BatchSize: 11, MaximumBatchingWindowInSeconds: 1 }),
      ),
    ).toEqual([]);
    // An update that only raises the batch size keeps the mapping's window of 0.
    expect(
      await codes(
        'LambdaClient',
        'UpdateEventSourceMapping',
        { UUID: 'u', BatchSize: 100 },
        lookups({ mapping: { EventSourceArn: QUEUE, MaximumBatchingWindowInSeconds: 0 } }),
      ),
    ).toEqual(['InvalidParameterValueException']);
    expect(
      await codes(
        'LambdaClient',
        'CreateEventSourceMapping',
        mapping({ EventSourceArn: FIFO, BatchSize: 11, MaximumBatchingWindowInSeconds: 1 }),
      ),
    ).toEqual(['InvalidParameterValueException', 'InvalidParameterValueException']);
    expect(
      await codes(
        'LambdaClient',
        'CreateEventSourceMapping',
        mapping({ EventSourceArn: FIFO, BatchSize: 10 }),
      ),
    ).toEqual([]);
  });

  it('a Lambda Description over 256 characters, Timeout and MemorySize out of range', async () => {
    expect(
      await codes('LambdaClient', 'CreateFunction', { FunctionName: 'f', Description: 'd'.repeat(257) }),
    ).toEqual(['InvalidParameterValueException']);
    expect(
      await codes('LambdaClient', 'UpdateFunctionConfiguration', {
        FunctionName: 'f',
        Description: 'd'.repeat(256),
      }),
    ).toEqual([]);
    expect(
      await codes('LambdaClient', 'UpdateFunctionConfiguration', { FunctionName: 'f', Timeout: 901 }),
    ).toEqual(['InvalidParameterValueException']);
    expect(
      await codes('LambdaClient', 'UpdateFunctionConfiguration', { FunctionName: 'f', MemorySize: 64 }),
    ).toEqual(['InvalidParameterValueException']);
  });

  it('ChangeMessageVisibility over 43,200 s (alone and in a batch)', async () => {
    expect(await codes('SQSClient', 'ChangeMessageVisibility', { VisibilityTimeout: 43_201 })).toEqual([
      'InvalidParameterValue',
    ]);
    expect(await codes('SQSClient', 'ChangeMessageVisibility', { VisibilityTimeout: 43_200 })).toEqual([]);
    expect(
      await codes('SQSClient', 'ChangeMessageVisibilityBatch', {
        Entries: [{ Id: 'a', VisibilityTimeout: 50_000 }],
      }),
    ).toEqual(['InvalidParameterValue']);
  });

  it('SendMessageBatch over 10 entries or over 1 MiB in all; batches of other kinds over 10', async () => {
    const ten = Array.from({ length: 10 }, (_, i) => entry(`e${i}`, 10));
    expect(await codes('SQSClient', 'SendMessageBatch', { Entries: ten })).toEqual([]);
    expect(await codes('SQSClient', 'SendMessageBatch', { Entries: [...ten, entry('e10', 1)] })).toEqual([
      'TooManyEntriesInBatchRequest',
    ]);
    // Two messages of 600 KiB: each fits, the batch does not. Attributes count towards the size.
    expect(
      await codes('SQSClient', 'SendMessageBatch', {
        Entries: [entry('a', 600 * 1024), entry('b', 600 * 1024)],
      }),
    ).toEqual(['BatchRequestTooLong']);
    const attrs = { MessageAttributes: { k: { DataType: 'String', StringValue: 'v'.repeat(100) } } };
    expect(
      await codes('SQSClient', 'SendMessageBatch', {
        Entries: [{ ...entry('a', 1_048_576 - 50), ...attrs }],
      }),
    ).toContain('BatchRequestTooLong');
    expect(await codes('SQSClient', 'DeleteMessageBatch', { Entries: ten.concat(entry('x', 1)) })).toEqual([
      'TooManyEntriesInBatchRequest',
    ]);
    expect(await codes('SQSClient', 'SendMessage', entry('a', 1_048_577))).toEqual(['InvalidParameterValue']);
  });

  it('queue, function, role and log group names', async () => {
    expect(await codes('SQSClient', 'CreateQueue', { QueueName: 'q'.repeat(81) })).toEqual([
      'InvalidParameterValue',
    ]);
    expect(await codes('SQSClient', 'CreateQueue', { QueueName: 'a.b' })).toEqual(['InvalidParameterValue']);
    expect(await codes('SQSClient', 'CreateQueue', { QueueName: 'q.fifo' })).toEqual([
      'InvalidParameterValue',
    ]);
    expect(
      await codes('SQSClient', 'CreateQueue', { QueueName: 'q', Attributes: { FifoQueue: 'true' } }),
    ).toEqual(['InvalidParameterValue']);
    expect(
      await codes('SQSClient', 'CreateQueue', { QueueName: 'q.fifo', Attributes: { FifoQueue: 'true' } }),
    ).toEqual([]);
    expect(await codes('LambdaClient', 'CreateFunction', { FunctionName: 'f'.repeat(65) })).toEqual([
      'InvalidParameterValueException',
    ]);
    expect(await codes('LambdaClient', 'CreateFunction', { FunctionName: 'f.g' })).toEqual([
      'InvalidParameterValueException',
    ]);
    expect(await codes('IAMClient', 'CreateRole', { RoleName: 'r'.repeat(65) })).toEqual(['ValidationError']);
    expect(await codes('IAMClient', 'CreateRole', { RoleName: 'r/s' })).toEqual(['ValidationError']);
    expect(await codes('IAMClient', 'CreateRole', { RoleName: 'r+=,.@-_s' })).toEqual([]);
    expect(
      await codes('CloudWatchLogsClient', 'CreateLogGroup', { logGroupName: `/aws/${'l'.repeat(508)}` }),
    ).toEqual(['InvalidParameterException']);
    expect(
      await codes('CloudWatchLogsClient', 'CreateLogGroup', { logGroupName: '/aws/lambda/a b' }),
    ).toEqual(['InvalidParameterException']);
    expect(
      await codes('CloudWatchLogsClient', 'CreateLogGroup', { logGroupName: '/aws/lambda/a_b-c.d#e' }),
    ).toEqual([]);
  });

  it('queue attributes out of range', async () => {
    expect(
      await codes('SQSClient', 'SetQueueAttributes', { Attributes: { VisibilityTimeout: '43201' } }),
    ).toEqual(['InvalidAttributeValue']);
    expect(
      await codes('SQSClient', 'SetQueueAttributes', { Attributes: { MessageRetentionPeriod: '59' } }),
    ).toEqual(['InvalidAttributeValue']);
    expect(
      await codes('SQSClient', 'SetQueueAttributes', {
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: QUEUE, maxReceiveCount: 1001 }) },
      }),
    ).toEqual(['InvalidAttributeValue']);
    expect(await codes('SQSClient', 'ReceiveMessage', { MaxNumberOfMessages: 11 })).toEqual([
      'InvalidParameterValue',
    ]);
    expect(await codes('SQSClient', 'ReceiveMessage', { WaitTimeSeconds: 21 })).toEqual([
      'InvalidParameterValue',
    ]);
  });

  it('tags: more than 50, a key over 128 or a value over 256 characters, in every service', async () => {
    expect(await codes('SQSClient', 'CreateQueue', { QueueName: 'q', tags: tags(51) })).toEqual([
      'InvalidParameterValue',
    ]);
    expect(await codes('SQSClient', 'TagQueue', { QueueUrl: 'u', Tags: tags(50) })).toEqual([]);
    expect(
      await codes('LambdaClient', 'TagResource', { Resource: 'r', Tags: { ['k'.repeat(129)]: 'v' } }),
    ).toEqual(['InvalidParameterValueException']);
    expect(
      await codes('LambdaClient', 'CreateEventSourceMapping', mapping({ Tags: { k: 'v'.repeat(257) } })),
    ).toEqual(['InvalidParameterValueException']);
    expect(
      await codes('IAMClient', 'TagRole', { RoleName: 'r', Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }),
    ).toEqual(['ValidationError']);
    expect(
      await codes('CloudWatchLogsClient', 'CreateLogGroup', { logGroupName: 'g', tags: tags(51) }),
    ).toEqual(['InvalidParameterValueException']);
    expect(await codes('ApiGatewayV2Client', 'CreateApi', { Name: 'a', Tags: { '': 'v' } })).toEqual([
      'InvalidParameterValueException',
    ]);
  });

  it("is on the package's own clients in every test (test/setup/aws-rules.ts)", async () => {
    // A port nothing listens on: a request the rules let through would fail to connect instead.
    const aws = createAws({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
    const sqs = await aws.sqs();
    const refused = sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: 'http://127.0.0.1:9/1/q',
        ReceiptHandle: 'r',
        VisibilityTimeout: 43_201,
      }),
    );
    await expect(refused).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('API_ChangeMessageVisibility.html'),
    });
    const batch = Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }));
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: 'http://127.0.0.1:9/1/q', Entries: batch })),
    ).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    const lambda = await aws.lambda();
    const fn = lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'f',
        Role: 'arn:aws:iam::1:role/r',
        Code: {},
        Description: 'd'.repeat(300),
      }),
    );
    await expect(fn).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    // Remembered too, so a test whose code swallowed a refusal still fails; taken here, as expected.
    expect(takeViolations().map((v) => v.operation)).toEqual([
      'ChangeMessageVisibility',
      'SendMessageBatch',
      'CreateFunction',
    ]);
  });
});
