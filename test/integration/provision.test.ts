/**
 * `create` and `destroy` run in-process against moto, checked by describing every resource with the
 * SDK (never by trusting the CLI's own report): settings, least-privilege policies, tags; a second
 * create reports only `unchanged` and makes no call that could change anything; a changed flag
 * converges in place; --ordered builds a FIFO pair; destroy leaves nothing and can run again.
 *
 * moto differences that matter here (the code is written for AWS):
 * - moto runs no Lambda code and enforces no IAM: the policies are checked as documents.
 * - moto's functions are Active and its mappings Enabled at once, so the waiters return immediately.
 * - moto lists event source mappings by function name even after the function is deleted (AWS: 404).
 */
import { GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../src/handlers/ports.js';
import { handlerZip } from '../../src/proxy/provision/bundle.js';
import { orderedOutageWarning } from '../../src/proxy/provision/run.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import {
  describeProxy,
  grants,
  leftovers,
  recordCalls,
  sdk,
  undoAll,
  writes,
  type PolicyDocument,
  type Restore,
} from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();

const UPSTREAM = 'https://app.example.com/hooks';
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const actionsOf = (r: { stdout: string }) =>
  Object.fromEntries(
    (json(r).changes as { resource: string; action: string }[]).map((c) => [c.resource, c.action]),
  );

const restore: Restore = [];
afterEach(() => undoAll(restore));

beforeAll(() => {
  // The functions are deployed from the built bundles (npm run build, as `npm test` does first).
  handlerZip('ingest');
  handlerZip('deliver');
});

function noQueueWildcards(doc: PolicyDocument) {
  for (const g of grants(doc)) {
    if (g.action.startsWith('sqs:')) expect(g.resource, g.action).not.toMatch(/\*/);
    expect(g.action, 'no service-wide wildcard actions').not.toMatch(/^\*$|:\*$/);
    expect(g.action, 'no EC2 without --vpc-subnets').not.toMatch(/^ec2:/);
  }
}

describe('create with every delivery flag → describe → converge → destroy', () => {
  const name = uniqueName('prov');
  const flags = [
    '--upstream', UPSTREAM,
    '--concurrency', '3',
    '--rate', '20',
    '--batch-size', '20',
    '--timeout', '15',
    '--max-attempts', '6',
    '--retention', '4',
    '--ingress-rate', '50',
    '--ingress-burst', '100',
    '--memory', '512',
    '--response-status', '202',
    '--preserve-path',
    '--backoff-base', '2',
    '--backoff-max', '120',
    '--tag', 'team=payments',
  ]; // prettier-ignore
  const tags = { team: 'payments', 'managed-by': 'webhook-proxy', 'webhook-proxy:name': name };

  it('makes every resource with the settings asked for, least privilege and tags', async () => {
    const res = await runCli('create', name, ...flags, '--json');
    expect(res.code, res.stderr).toBe(0);
    // A standard queue holds webhooks through an outage uncounted: nothing to warn about.
    expect(res.stderr).not.toContain('an ordered proxy counts every receive');
    const d = await describeProxy(name);
    const queueArn = d.queue.attributes.QueueArn!;
    const account = queueArn.split(':')[4];

    // The result the contract promises, every value matching AWS.
    expect(json(res)).toMatchObject({
      name,
      region: TEST_REGION,
      endpoint: d.api!.ApiEndpoint,
      upstream: UPSTREAM,
      queueUrl: d.queue.url,
      dlqUrl: d.dlq.url,
    });
    expect(json(res).changes.length).toBeGreaterThanOrEqual(14);
    expect(new Set(Object.values(actionsOf(res)))).toEqual(new Set(['created']));

    // Functions. deliver's timeout covers a paced batch: 20 × (15 s + 3/20 s pacing) + 5 s slack = 308 s.
    const ingest = d.functions.ingest.config;
    const deliver = d.functions.deliver.config;
    for (const f of [ingest, deliver]) {
      expect(f).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
      });
    }
    expect(ingest.Timeout).toBe(10);
    expect(deliver.Timeout).toBe(308);
    expect(ingest.Role).toBe(d.roles.ingest.arn);
    expect(deliver.Role).toBe(d.roles.deliver.arn);
    expect(ingest.CodeSha256).toBe(handlerZip('ingest').sha256);
    expect(deliver.CodeSha256).toBe(handlerZip('deliver').sha256);
    expect(ingest.CodeSha256).not.toBe(deliver.CodeSha256);
    expect(ingest.Environment?.Variables).toEqual({
      [ENV.proxyName]: name,
      [ENV.queueUrl]: d.queue.url,
      [ENV.responseStatus]: '202',
    });
    expect(deliver.Environment?.Variables).toEqual({
      [ENV.proxyName]: name,
      [ENV.queueUrl]: d.queue.url,
      [ENV.upstream]: UPSTREAM,
      [ENV.preservePath]: '1',
      [ENV.timeout]: '15',
      [ENV.rate]: '20',
      [ENV.concurrency]: '3',
      [ENV.backoffBase]: '2',
      [ENV.backoffMax]: '120',
      [ENV.maxAttempts]: '6',
      // deliver dead-letters itself (src/handlers/deliver.ts), within the default 24-hour window.
      [ENV.dlqUrl]: d.dlq.url,
      [ENV.retryWindow]: '86400',
    });
    expect(d.functions.ingest.tags).toEqual(tags);
    expect(d.functions.deliver.tags).toEqual(tags);
    // The cap is the mapping's, never reserved concurrency (DESIGN.md: the poller ignores it).
    const reserved = await sdk().lambda.send(
      new GetFunctionConcurrencyCommand({ FunctionName: d.names.deliverFunction }),
    );
    expect(reserved.ReservedConcurrentExecutions).toBeUndefined();

    // Queues: redrive after --max-attempts receives, visibility = 6 × deliver's timeout, SSE, retention.
    expect(d.queue.attributes.VisibilityTimeout).toBe(String(6 * 308));
    expect(JSON.parse(d.queue.attributes.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: d.dlq.attributes.QueueArn,
      maxReceiveCount: 6,
    });
    for (const q of [d.queue, d.dlq]) {
      expect(q.attributes.SqsManagedSseEnabled).toBe('true');
      expect(q.tags).toEqual(tags);
    }
    // The queue keeps webhooks --retention days; the DLQ the longest SQS allows whatever --retention
    // says, since a message that moves there keeps its original enqueue time and would expire early.
    expect(d.queue.attributes.MessageRetentionPeriod).toBe(String(4 * 86_400));
    expect(d.dlq.attributes.MessageRetentionPeriod).toBe(String(14 * 86_400));
    expect(d.dlq.attributes.RedrivePolicy).toBeUndefined();

    // Roles: only Lambda may assume them; ingest may only send to its queue, deliver consume it, hold on
    // it and dead-letter to its DLQ;
    // each writes only its own log group; no VPC statement without --vpc-subnets.
    const logs = (fn: string) => `arn:aws:logs:${TEST_REGION}:${account}:log-group:/aws/lambda/${fn}:*`;
    for (const r of [d.roles.ingest, d.roles.deliver]) {
      expect(r.trust.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      expect(r.policies).toHaveLength(1);
      expect(r.tags).toEqual(tags);
      noQueueWildcards(r.policies[0]!);
    }
    expect(grants(d.roles.ingest.policies[0]!)).toEqual([
      { action: 'sqs:SendMessage', resource: queueArn },
      { action: 'logs:CreateLogStream', resource: logs(d.names.ingestFunction) },
      { action: 'logs:PutLogEvents', resource: logs(d.names.ingestFunction) },
    ]);
    expect(grants(d.roles.deliver.policies[0]!)).toEqual([
      { action: 'sqs:ReceiveMessage', resource: queueArn },
      { action: 'sqs:DeleteMessage', resource: queueArn },
      { action: 'sqs:ChangeMessageVisibility', resource: queueArn },
      { action: 'sqs:GetQueueAttributes', resource: queueArn },
      // A webhook held through an outage is queued again as a delayed copy; a dead one moved by
      // deliver itself to its DLQ (src/handlers/deliver.ts). Nothing else may be sent anywhere.
      { action: 'sqs:SendMessage', resource: queueArn },
      { action: 'sqs:SendMessage', resource: d.dlq.attributes.QueueArn },
      { action: 'logs:CreateLogStream', resource: logs(d.names.deliverFunction) },
      { action: 'logs:PutLogEvents', resource: logs(d.names.deliverFunction) },
    ]);

    // Log groups, made before the functions so they have a retention (Lambda's own keep logs forever).
    for (const g of [d.logGroups.ingest, d.logGroups.deliver, d.logGroups.access]) {
      expect(g).toEqual({ retentionInDays: 14, tags });
    }

    // Mapping: batch over 10 needs a batching window ≥ 1 s; partial batch failures; the cap.
    expect(d.mappings).toHaveLength(1);
    expect(d.mappings[0]).toMatchObject({
      EventSourceArn: queueArn,
      FunctionArn: deliver.FunctionArn,
      BatchSize: 20,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      // The pacing plan's containers at --rate 20 --concurrency 3: 2 × 10/s (3 × 6/s reaches only 18).
      ScalingConfig: { MaximumConcurrency: 2 },
    });

    // HTTP API: $default route → AWS_PROXY payload 2.0 → ingest; $default stage auto-deployed, throttled.
    expect(d.apis).toHaveLength(1);
    expect(d.api).toMatchObject({ ProtocolType: 'HTTP', Tags: tags });
    expect(d.integrations).toHaveLength(1);
    expect(d.integrations[0]).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: ingest.FunctionArn,
      PayloadFormatVersion: '2.0',
    });
    expect(d.routes.map((r) => [r.RouteKey, r.Target])).toEqual([
      ['$default', `integrations/${d.integrations[0]!.IntegrationId}`],
    ]);
    expect(d.stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      Tags: tags,
    });

    // The invoke permission: API Gateway, only from this API (any stage, any route).
    expect(d.invokePolicy!.Statement).toHaveLength(1);
    const p = d.invokePolicy!.Statement[0]!;
    expect(p).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'apigateway.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: ingest.FunctionArn,
    });
    expect(p.Condition?.ArnLike?.['AWS:SourceArn']).toBe(
      `arn:aws:execute-api:${TEST_REGION}:${account}:${d.api!.ApiId}/*/*`,
    );
  });

  it('a second create reports only unchanged and makes no call that could change anything', async () => {
    const before = await describeProxy(name);
    const calls = await recordCalls(restore);
    const res = await runCli('create', name, ...flags, '--json');
    undoAll(restore);
    expect(res.code, res.stderr).toBe(0);
    expect(new Set(Object.values(actionsOf(res)))).toEqual(new Set(['unchanged']));
    expect(calls.length).toBeGreaterThan(10); // the recorder saw the describes
    expect(writes(calls)).toEqual([]);
    // Everything as it was, to the LastModified of each function, and nothing made twice.
    expect(await describeProxy(name)).toEqual(before);
  });

  it('a changed --concurrency converges in place: the same mapping, deliver and the queue update', async () => {
    const before = await describeProxy(name);
    const changed = flags.map((f, i) => (flags[i - 1] === '--concurrency' ? '5' : f));
    const res = await runCli('create', name, ...changed, '--json');
    expect(res.code, res.stderr).toBe(0);
    const d = await describeProxy(name);
    const acted = Object.entries(actionsOf(res))
      .filter(([, a]) => a !== 'unchanged')
      .map(([r, a]) => `${a} ${r}`);
    // The queue follows too: its visibility timeout is derived from the deliver timeout.
    expect(acted.sort()).toEqual(
      [
        `updated event source mapping (queue → deliver)`,
        `updated function ${d.names.deliverFunction}`,
        `updated queue ${d.names.queue}`,
      ].sort(),
    );
    // Only the flag that changed is a changed setting; every other one was kept.
    expect(json(res).settings).toEqual([{ setting: 'concurrency', before: '3', after: '5' }]);
    expect(d.mappings).toHaveLength(1);
    expect(d.mappings[0]!.UUID).toBe(before.mappings[0]!.UUID);
    expect(d.mappings[0]!.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    expect(d.functions.deliver.config.Environment?.Variables?.[ENV.concurrency]).toBe('5');
    // The pacing interval per invocation changed (the plan: 5 × 4/s at 97 %, 0.258 s, above 5/20 s),
    // so the deliver timeout followed: 20 × (15 s + 0.258 s) + 5 s = 310.2 → 311 s, the visibility 6 × that.
    expect(d.functions.deliver.config.Timeout).toBe(311);
    expect(d.queue.attributes.VisibilityTimeout).toBe(String(6 * 311));
    expect(d.apis).toHaveLength(1);
    expect(d.integrations).toHaveLength(1);
    expect(d.routes).toHaveLength(1);
    expect(d.functions.ingest.config.LastModified).toBe(before.functions.ingest.config.LastModified);
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
    const third = await runCli('destroy', name, '--yes', '--json');
    expect(third.code, third.stderr).toBe(0);
    expect(json(third).deleted).toEqual([]);
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('create --ordered', () => {
  it('builds a FIFO pair, one message group, deliver pacing alone, a mapping capped at 2; a re-run keeps it ordered', async () => {
    const name = uniqueName('fifo');
    const res = await runCli(
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--ordered',
      '--concurrency',
      '1',
      '--rate',
      '1',
      '--json',
    );
    expect(res.code, res.stderr).toBe(0);
    // It says what it cannot promise: an outage's receives count (an ordered proxy holds by hiding).
    // With --json, as a JSON line on stderr.
    expect(res.stderr).toContain(
      JSON.stringify({ warning: { code: 'ordered_outage_counts', message: orderedOutageWarning(10) } }),
    );
    expect(json(res).warnings).toEqual([orderedOutageWarning(10)]);
    const d = await describeProxy(name, { ordered: true });
    expect(d.queue.url).toMatch(/\.fifo$/);
    expect(d.dlq.url).toMatch(/-dlq\.fifo$/);
    for (const q of [d.queue, d.dlq]) {
      expect(q.attributes).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'false' });
    }
    expect(JSON.parse(d.queue.attributes.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: d.dlq.attributes.QueueArn,
      maxReceiveCount: 10,
    });
    // ingest sends MessageGroupId/MessageDeduplicationId when WP_FIFO is set (the handler's unit tests).
    expect(d.functions.ingest.config.Environment?.Variables?.[ENV.fifo]).toBe('1');
    expect(grants(d.roles.ingest.policies[0]!)[0]).toEqual({
      action: 'sqs:SendMessage',
      resource: d.queue.attributes.QueueArn,
    });
    // The defaults of every flag not given; one group means one delivery at a time, so deliver paces
    // as the only invocation.
    expect(d.functions.deliver.config.Environment?.Variables).toEqual({
      [ENV.proxyName]: name,
      [ENV.queueUrl]: d.queue.url,
      [ENV.upstream]: UPSTREAM,
      [ENV.preservePath]: '0',
      [ENV.timeout]: '10',
      [ENV.rate]: '1',
      [ENV.concurrency]: '1',
      [ENV.backoffBase]: '5',
      [ENV.backoffMax]: '900',
      [ENV.maxAttempts]: '10',
      [ENV.dlqUrl]: d.dlq.url,
      [ENV.retryWindow]: '86400',
    });
    // One webhook per batch (a failed one must not hand back, and wear out, the ones behind it):
    // 1 × (10 s + 1.03 s: 1/s at the pacer's 97 %) + 5 s = 16.03 → 17 s, and the queue's visibility
    // follows from that same timeout.
    expect(d.functions.deliver.config.Timeout).toBe(17);
    expect(d.queue.attributes.VisibilityTimeout).toBe(String(6 * 17));
    // AWS's lowest mapping cap is 2; one message group already means one delivery at a time.
    expect(d.mappings).toHaveLength(1);
    expect(d.mappings[0]).toMatchObject({ BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } });
    // AWS supports no batching window on FIFO sources.
    expect(d.mappings[0]!.MaximumBatchingWindowInSeconds).toBeUndefined();

    // A re-run without --ordered keeps the proxy ordered (a flag left out keeps its value).
    const again = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(new Set(Object.values(actionsOf(again)))).toEqual(new Set(['unchanged']));
    expect(json(again).settings).toEqual([]);
    expect(await leftovers(name)).not.toContain(`queue webhook-proxy-${name}`);

    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });

  it('an unordered proxy cannot become ordered in place: exit 1, nothing of the other kind made', async () => {
    const name = uniqueName('nofifo');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const flip = await runCli('create', name, '--ordered');
    expect(flip.code).toBe(1);
    expect(flip.stderr).toMatch(/already exists as an unordered proxy/);
    // The way out names the proxy and its region, so pasting it acts on this one (issue 15).
    expect(flip.stderr).toContain(`"webhook-proxy destroy ${name} --region ${TEST_REGION} --yes"`);
    expect(await leftovers(name)).not.toContain(`queue webhook-proxy-${name}.fifo`);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('--vpc-subnets', () => {
  it('puts deliver in the VPC with network-interface permissions, and takes it out again', async () => {
    const name = uniqueName('vpc');
    const vpc = ['--vpc-subnets', 'subnet-0a1b2c,subnet-0d4e5f', '--vpc-security-groups', 'sg-0123abcd'];
    // Subnets that exist nowhere: the reachability check (provision-vpc.test.ts) is skipped here.
    const res = await runCli('create', name, '--upstream', UPSTREAM, ...vpc, '--skip-vpc-check');
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

    // Left out, the VPC is kept; --vpc-subnets none takes deliver out, shown before → after.
    const kept = await runCli('create', name, '--json');
    expect(kept.code, kept.stderr).toBe(0);
    expect(new Set(Object.values(actionsOf(kept)))).toEqual(new Set(['unchanged']));
    const out = await runCli('create', name, '--vpc-subnets', 'none', '--json');
    expect(out.code, out.stderr).toBe(0);
    expect(actionsOf(out)[`role ${d.names.deliverRole}`]).toBe('updated');
    expect(json(out).settings).toEqual([
      { setting: 'vpc-subnets', before: 'subnet-0a1b2c, subnet-0d4e5f (sg-0123abcd)', after: 'none' },
    ]);
    d = await describeProxy(name);
    expect(d.functions.deliver.config.VpcConfig?.SubnetIds ?? []).toEqual([]);
    expect(ec2(d.roles.deliver.policies[0]!)).toEqual([]);

    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });
});
