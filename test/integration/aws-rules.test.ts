/**
 * The AWS rules middleware against moto: its one rule that needs lookups (a mapping's queue visibility
 * timeout against the function's timeout, read from moto), and its reach into the built CLI run as a
 * child process (NODE_OPTIONS=--import of the preload, test/setup/aws-rules.ts).
 */
import { CreateFunctionCommand, CreateEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readFileSync, rmSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { takeViolations } from '../helpers/aws-rules.js';
import { runBinAsync } from '../helpers/bin.js';
import { motoEnv, uniqueName, useMoto } from '../helpers/moto.js';
import { createProxyFixture } from '../helpers/proxy-fixture.js';
import { cliAws } from '../helpers/provision.js';

useMoto();

describe('AWS rules on real requests', () => {
  it('refuses a mapping whose queue visibility timeout (read from moto) is below the function timeout', async () => {
    const name = uniqueName('rules');
    // Raw clients (no rules on them): moto takes all of this.
    const sqs = new SQSClient({});
    const url = (
      await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '5' } }))
    ).QueueUrl!;
    const arn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    const role = await new IAMClient({}).send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      }),
    );
    await new LambdaClient({}).send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: role.Role!.Arn!,
        Code: { ZipFile: zipSync({ 'index.mjs': strToU8('export const handler = async () => ({});') }) },
        Timeout: 30,
      }),
    );
    // The CLI's own client, which the setup file gave the rules.
    const lambda = await cliAws().lambda();
    await expect(
      lambda.send(new CreateEventSourceMappingCommand({ EventSourceArn: arn, FunctionName: name })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining(
        'Queue visibility timeout: 5 seconds is less than Function timeout: 30 seconds',
      ),
    });
    expect(takeViolations()).toHaveLength(1);
  });

  it('reaches the built CLI run as a child process', async () => {
    const name = uniqueName('rules');
    // moto made a mapping AWS would not have: batches of 11 without a batching window.
    await createProxyFixture(name, { enabled: false, batchSize: 11 });
    const log = process.env.WEBHOOK_PROXY_TEST_AWS_RULES_LOG!;
    const res = await runBinAsync(['resume', name], motoEnv());
    const lines = readFileSync(log, 'utf8');
    rmSync(log); // read here, so the afterEach check does not fail this test for it
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain('over 10 needs at least 1 s');
    expect(lines).toContain('UpdateEventSourceMapping: BatchSize 11 with a batching window of 0 s');
  });
});
