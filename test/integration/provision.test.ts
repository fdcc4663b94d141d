/**
 * `create` and `destroy` against moto, checked by describing every resource with the SDK (not by
 * trusting the CLI's own report): settings, least-privilege policies, tags; a second create reports
 * only `unchanged`; a changed flag converges in place; destroy leaves nothing and can run again.
 *
 * moto differences that matter here (the code is written for AWS):
 * - moto does not run Lambda functions and does not enforce IAM: the policies are checked as documents.
 * - moto answers immediately (functions Active, mappings Enabled), so the waiters return at once.
 * - moto lists event source mappings by function name even after the function is deleted (AWS: 404).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerZip } from '../../src/proxy/provision/bundle.js';
import { deliverFunctionTimeout, queueVisibilityTimeout } from '../../src/proxy/limits.js';
import { runCli } from '../helpers/proxy-fixture.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { describeProxy, grants, leftovers, type PolicyDocument } from '../helpers/provision.js';

useMoto();

const UPSTREAM = 'https://app.example.com/hooks';
const TOOL_TAGS = (name: string) => ({ 'managed-by': 'webhook-proxy', 'webhook-proxy:name': name });

beforeAll(() => {
  // The functions are deployed from the built bundles (npm run build, as `npm test` does first).
  handlerZip('ingest');
  handlerZip('deliver');
});

const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const actions = (r: { stdout: string }) =>
  Object.fromEntries(
    (json(r).changes as { resource: string; action: string }[]).map((c) => [c.resource, c.action]),
  );

function expectNoWildcardQueueActions(doc: PolicyDocument) {
  for (const g of grants(doc)) {
    if (g.action.startsWith('sqs:')) expect(g.resource, g.action).not.toBe('*');
    expect(g.action, 'no service-wide wildcard actions').not.toMatch(/:\*$|^\*$/);
  }
}

describe('create → describe → converge → destroy', () => {
  const name = uniqueName('prov');
  const flags = [
    '--upstream',
    UPSTREAM,
    '--concurrency',
    '3',
    '--rate',
    '20',
    '--max-attempts',
    '6',
    '--retention',
    '4',
    '--ingress-rate',
    '50',
    '--ingress-burst',
    '100',
    '--tag',
    'team=payments',
  ];

  it('creates every resource with the settings the flags ask for', async () => {
    const res = await runCli('create', name, ...flags, '--json');
    expect(res.code, res.stderr).toBe(0);
    const out = json(res);
    const d = await describeProxy(name);
    const account = d.queue.attributes.QueueArn!.split(':')[4];
    const tags = { ...TOOL_TAGS(name), team: 'payments' };

    // The result the contract promises, every value matching AWS.
    expect(out).toMatchObject({
      name,
      region: TEST_REGION,
      endpoint: d.api!.ApiEndpoint,
      upstream: UPSTREAM,
      queueUrl: d.queue.url,
      dlqUrl: d.dlq.url,
    });
    expect(out.changes.length).toBeGreaterThanOrEqual(14);
    expect(new Set(out.changes.map((c: { action: string }) => c.action))).toEqual(new Set(['created']));

    // Queues: redrive after --max-attempts receives, SSE, retention, visibility ≥ 6 × deliver timeout.
    const limits = { batchSize: 10, timeout: 10, concurrency: 3, rate: 20 };
    expect(d.queue.attributes).toMatchObject({
      VisibilityTimeout: String(queueVisibilityTimeout(limits)),
      MessageRetentionPeriod: String(4 * 86_400),
      SqsManagedSseEnabled: 'true',
    });
    expect(JSON.parse(d.queue.attributes.RedrivePolicy!)).toMatchObject({
      deadLetterTargetArn: d.dlq.attributes.QueueArn,
      maxReceiveCount: 6,
    });
    // The DLQ keeps 14 days whatever --retention says: a message moved there keeps its enqueue time.
    expect(d.dlq.attributes).toMatchObject({
      MessageRetentionPeriod: String(14 * 86_400),
      SqsManagedSseEnabled: 'true',
    });
    expect(d.dlq.attributes.RedrivePolicy).toBeUndefined();
    expect(d.queue.tags).toEqual(tags);
    expect(d.dlq.tags).toEqual(tags);

    // Roles: only Lambda may assume them; ingest may only send to its queue, deliver only consume it.
    const queueArn = d.queue.attributes.QueueArn!;
    for (const role of [d.roles.ingest, d.roles.deliver]) {
      expect(role.trust.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      expect(role.policies).toHaveLength(1);
      expectNoWildcardQueueActions(role.policies[0]!);
      expect(role.tags).toEqual(tags);
    }
    const logArn = (fn: string) => `arn:aws:logs:${TEST_REGION}:${account}:log-group:/aws/lambda/${fn}:*`;
    expect(grants(d.roles.ingest.policies[0]!)).toEqual([
      { action: 'sqs:SendMessage', resource: queueArn },
      { action: 'logs:CreateLogStream', resource: logArn(d.names.ingestFunction) },
      { action: 'logs:PutLogEvents', resource: logArn(d.names.ingestFunction) },
    ]);
    expect(grants(d.roles.deliver.policies[0]!)).toEqual([
      { action: 'sqs:ReceiveMessage', resource: queueArn },
      { action: 'sqs:DeleteMessage', resource: queueArn },
      { action: 'sqs:ChangeMessageVisibility', resource: queueArn },
      { action: 'sqs:GetQueueAttributes', resource: queueArn },
      { action: 'logs:CreateLogStream', resource: logArn(d.names.deliverFunction) },
      { action: 'logs:PutLogEvents', resource: logArn(d.names.deliverFunction) },
    ]);

    // Log groups exist before the functions, with a retention and the tags.
    for (const group of [d.logGroups.ingest, d.logGroups.deliver]) {
      expect(group).toEqual({ retentionInDays: 14, tags });
    }

    // Functions: runtime, handler, memory, timeouts, role, environment per the handler contract, code.
    const common = { Runtime: 'nodejs22.x', Handler: 'index.handler', MemorySize: 256 };
    expect(d.functions.ingest.config).toMatchObject({
      ...common,
      Timeout: 10,
      Role: d.roles.ingest.arn,
      CodeSha256: handlerZip('ingest').sha256,
    });
    expect(d.functions.ingest.config.Environment?.Variables).toEqual({
      WP_PROXY_NAME: name,
      WP_QUEUE_URL: d.queue.url,
      WP_RESPONSE_STATUS: '200',
    });
    expect(d.functions.deliver.config).toMatchObject({
      ...common,
      Timeout: deliverFunctionTimeout(limits),
      Role: d.roles.deliver.arn,
      CodeSha256: handlerZip('deliver').sha256,
    });
    expect(Number(d.queue.attributes.VisibilityTimeout)).toBeGreaterThanOrEqual(
      6 * d.functions.deliver.config.Timeout!,
    );
    expect(d.functions.deliver.config.Environment?.Variables).toEqual({
      WP_PROXY_NAME: name,
      WP_QUEUE_URL: d.queue.url,
      WP_UPSTREAM: UPSTREAM,
      WP_PRESERVE_PATH: '0',
      WP_TIMEOUT: '10',
      WP_RATE: '20',
      WP_CONCURRENCY: '3',
      WP_BACKOFF_BASE: '5',
      WP_BACKOFF_MAX: '900',
      WP_MAX_ATTEMPTS: '6',
    });
    expect(d.functions.ingest.tags).toEqual(tags);
    expect(d.functions.deliver.tags).toEqual(tags);

    // The mapping caps concurrency (never reserved concurrency) and reports partial batch failures.
    expect(d.mappings).toHaveLength(1);
    expect(d.mappings[0]).toMatchObject({
      EventSourceArn: queueArn,
      FunctionArn: d.functions.deliver.config.FunctionArn,
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 3 },
    });

    // HTTP API: every path and method to ingest (payload 2.0), auto-deployed, throttled.
    expect(d.apis).toHaveLength(1);
    expect(d.api).toMatchObject({ ProtocolType: 'HTTP', Tags: tags });
    expect(d.integrations).toHaveLength(1);
    expect(d.integrations[0]).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: d.functions.ingest.config.FunctionArn,
      PayloadFormatVersion: '2.0',
    });
    expect(d.routes.map((r) => [r.RouteKey, r.Target])).toEqual([
      ['$default', `integrations/${d.integrations[0]!.IntegrationId}`],
    ]);
    expect(d.stage).toMatchObject({
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    const invoke = d.invokePolicy!.Statement;
    expect(invoke).toHaveLength(1);
    expect(invoke[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'apigateway.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: d.functions.ingest.config.FunctionArn,
    });
    expect(JSON.stringify(invoke[0]!.Condition)).toContain(
      `arn:aws:execute-api:${TEST_REGION}:${account}:${d.api!.ApiId}/*/*`,
    );
  });

  it('a second create with the same flags changes nothing', async () => {
    const before = await describeProxy(name);
    const res = await runCli('create', name, ...flags, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(new Set(Object.values(actions(res)))).toEqual(new Set(['unchanged']));
    const after = await describeProxy(name);
    expect(after.apis).toHaveLength(1);
    expect(after.mappings).toHaveLength(1);
    expect(after.functions.deliver.config.LastModified).toBe(before.functions.deliver.config.LastModified);
    expect(after.functions.ingest.config.LastModified).toBe(before.functions.ingest.config.LastModified);
  });

  it('a changed --concurrency converges in place: the mapping and deliver update, nothing else', async () => {
    const changed = flags.map((f, i) => (flags[i - 1] === '--concurrency' ? '5' : f));
    const res = await runCli('create', name, ...changed, '--json');
    expect(res.code, res.stderr).toBe(0);
    const updated = Object.entries(actions(res))
      .filter(([, a]) => a !== 'unchanged')
      .map(([r, a]) => `${a} ${r}`);
    const d = await describeProxy(name);
    // The queue follows too: its visibility timeout is derived from the deliver timeout.
    expect(updated.sort()).toEqual(
      [
        `updated event source mapping (queue → deliver)`,
        `updated function ${d.names.deliverFunction}`,
        `updated queue ${d.names.queue}`,
      ].sort(),
    );
    expect(d.mappings).toHaveLength(1);
    expect(d.mappings[0]!.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    expect(d.functions.deliver.config.Environment?.Variables?.WP_CONCURRENCY).toBe('5');
    // The pacing interval per invocation changed (5 / 20 s), so the deliver timeout followed.
    const limits = { batchSize: 10, timeout: 10, concurrency: 5, rate: 20 };
    expect(d.functions.deliver.config.Timeout).toBe(deliverFunctionTimeout(limits));
    expect(d.queue.attributes.VisibilityTimeout).toBe(String(queueVisibilityTimeout(limits)));
  });

  it('destroy without --yes and without a terminal refuses, and deletes nothing', async () => {
    const before = await leftovers(name);
    expect(before.length).toBeGreaterThanOrEqual(10);
    const res = await runCli('destroy', name);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--yes/);
    expect(await leftovers(name)).toEqual(before);
  });

  it('destroy --yes deletes everything; a second destroy finds nothing and succeeds', async () => {
    const res = await runCli('destroy', name, '--yes', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(json(res)).toMatchObject({ name, region: TEST_REGION });
    expect(json(res).deleted.length).toBeGreaterThanOrEqual(10);
    expect(await leftovers(name)).toEqual([]);

    const again = await runCli('destroy', name, '--yes');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Nothing to delete/);
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('--ordered', () => {
  it('builds a FIFO pair, one message group, a mapping capped at 2, and cannot flip kinds in place', async () => {
    const name = uniqueName('fifo');
    const res = await runCli(
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--ordered',
      '--batch-size',
      '5',
      '--json',
    );
    expect(res.code, res.stderr).toBe(0);
    const d = await describeProxy(name, { ordered: true });
    expect(d.queue.url).toMatch(/\.fifo$/);
    for (const q of [d.queue, d.dlq]) {
      expect(q.attributes).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'false' });
    }
    expect(JSON.parse(d.queue.attributes.RedrivePolicy!).deadLetterTargetArn).toBe(d.dlq.attributes.QueueArn);
    // ingest sends MessageGroupId/MessageDeduplicationId when WP_FIFO is set (the handler's unit tests).
    expect(d.functions.ingest.config.Environment?.Variables?.WP_FIFO).toBe('1');
    // One group means one delivery at a time, so deliver paces as the only invocation.
    expect(d.functions.deliver.config.Environment?.Variables?.WP_CONCURRENCY).toBe('1');
    expect(d.functions.deliver.config.Timeout).toBe(
      deliverFunctionTimeout({ batchSize: 5, timeout: 10, concurrency: 1 }),
    );
    expect(d.mappings).toHaveLength(1);
    expect(d.mappings[0]).toMatchObject({ BatchSize: 5, ScalingConfig: { MaximumConcurrency: 2 } });
    // AWS supports no batching window on FIFO sources.
    expect(d.mappings[0]!.MaximumBatchingWindowInSeconds).toBeUndefined();

    const flip = await runCli('create', name, '--upstream', UPSTREAM);
    expect(flip.code).toBe(1);
    expect(flip.stderr).toMatch(/already exists as an ordered/);
    expect(await leftovers(name)).not.toContain(`queue webhook-proxy-${name}`);

    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('--vpc-subnets', () => {
  it('puts deliver in the VPC with network-interface permissions, and takes it out again', async () => {
    const name = uniqueName('vpc');
    const vpc = ['--vpc-subnets', 'subnet-0a1b2c,subnet-0d4e5f', '--vpc-security-groups', 'sg-0123abcd'];
    const res = await runCli('create', name, '--upstream', UPSTREAM, ...vpc);
    expect(res.code, res.stderr).toBe(0);
    let d = await describeProxy(name);
    expect(d.functions.deliver.config.VpcConfig).toMatchObject({
      SubnetIds: ['subnet-0a1b2c', 'subnet-0d4e5f'],
      SecurityGroupIds: ['sg-0123abcd'],
    });
    const ec2 = (doc: PolicyDocument) => grants(doc).filter((g) => g.action.startsWith('ec2:'));
    // EC2 network-interface actions support no resource-level scoping; they are the only "*" allowed.
    expect(ec2(d.roles.deliver.policies[0]!).map((g) => g.action)).toContain('ec2:CreateNetworkInterface');
    expect(ec2(d.roles.deliver.policies[0]!).every((g) => g.resource === '*')).toBe(true);
    expect(ec2(d.roles.ingest.policies[0]!)).toEqual([]);
    expect(d.functions.ingest.config.VpcConfig?.SubnetIds ?? []).toEqual([]);

    const out = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(out.code, out.stderr).toBe(0);
    expect(actions(out)[`role ${d.names.deliverRole}`]).toBe('updated');
    d = await describeProxy(name);
    expect(d.functions.deliver.config.VpcConfig?.SubnetIds ?? []).toEqual([]);
    expect(ec2(d.roles.deliver.policies[0]!)).toEqual([]);

    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });
});
