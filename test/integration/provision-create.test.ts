/**
 * `create` run in-process against moto, checked by describing every resource with the SDK (never by
 * trusting the CLI's own report): settings, least-privilege policies, tags; a second create reports only
 * `unchanged` and makes no mutating call; a changed --concurrency converges in place; --ordered builds
 * a FIFO pair; --dry-run creates nothing.
 *
 * moto differences (the code is written for AWS):
 * - moto runs no Lambda code and enforces no IAM, so policies are checked as documents.
 * - moto's functions are Active and its mappings Enabled at once, so the waiters return immediately.
 */
import { GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../src/handlers/ports.js';
import { handlerZip } from '../../src/proxy/provision/bundle.js';
import { motoEnv, TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import {
  anythingNamed,
  cli,
  describeProxy,
  grants,
  leftovers,
  mutating,
  recordCalls,
  sdk,
  type PolicyDoc,
} from '../helpers/provision-describe.js';

const endpoint = useMoto();
const UPSTREAM = 'https://app.example.com/hooks';
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const actionsOf = (r: { stdout: string }) =>
  Object.fromEntries(
    (json(r).changes as { resource: string; action: string }[]).map((c) => [c.resource, c.action]),
  );

beforeAll(() => {
  // The functions are deployed from the built bundles (`npm test` builds first).
  handlerZip('ingest');
  handlerZip('deliver');
});

describe('create with every delivery flag', () => {
  const name = uniqueName('pc');
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
    '--tag', 'team=payments',
  ]; // prettier-ignore
  const tags = { team: 'payments', 'managed-by': 'webhook-proxy', 'webhook-proxy:name': name };
  afterAll(async () => {
    await cli('destroy', name, '--yes', '--force');
  });

  it('makes every resource with the settings asked for, least privilege and tags', async () => {
    const res = await cli('create', name, ...flags, '--json');
    expect(res.code, res.stderr).toBe(0);
    const d = await describeProxy(name);
    const queueArn = d.queue.attributes.QueueArn!;
    const account = queueArn.split(':')[4];
    expect(json(res)).toMatchObject({
      name,
      region: TEST_REGION,
      endpoint: d.api!.ApiEndpoint,
      upstream: UPSTREAM,
      queueUrl: d.queue.url,
      dlqUrl: d.dlq.url,
    });
    expect(new Set(Object.values(actionsOf(res)))).toEqual(new Set(['created']));

    // Functions. deliver's timeout covers a paced batch: 20 × (15 s + 3/20 s pacing) + 5 s slack = 308 s.
    const ingest = d.functions.ingest.config;
    const deliver = d.functions.deliver.config;
    for (const f of [ingest, deliver]) {
      expect(f).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler', MemorySize: 512 });
    }
    expect(ingest.Timeout).toBe(10);
    expect(deliver.Timeout).toBe(308);
    expect(ingest.Role).toBe(d.roles.ingest.arn);
    expect(deliver.Role).toBe(d.roles.deliver.arn);
    expect(ingest.CodeSha256).toBe(handlerZip('ingest').sha256);
    expect(deliver.CodeSha256).toBe(handlerZip('deliver').sha256);
    expect(ingest.CodeSha256).not.toBe(deliver.CodeSha256);
    const ingestEnv = ingest.Environment?.Variables ?? {};
    const deliverEnv = deliver.Environment?.Variables ?? {};
    expect(ingestEnv).toEqual({
      [ENV.proxyName]: name,
      [ENV.queueUrl]: d.queue.url,
      [ENV.responseStatus]: '202',
    });
    expect(deliverEnv).toEqual({
      [ENV.proxyName]: name,
      [ENV.queueUrl]: d.queue.url,
      [ENV.upstream]: UPSTREAM,
      [ENV.preservePath]: '1',
      [ENV.timeout]: '15',
      [ENV.rate]: '20',
      [ENV.concurrency]: '3',
      [ENV.backoffBase]: '5',
      [ENV.backoffMax]: '900',
      [ENV.maxAttempts]: '6',
    });
    expect(d.functions.ingest.tags).toEqual(tags);
    expect(d.functions.deliver.tags).toEqual(tags);
    // The cap is the mapping's, never reserved concurrency (DESIGN.md: the poller ignores it).
    const reserved = await sdk().lambda.send(
      new GetFunctionConcurrencyCommand({ FunctionName: d.names.deliverFunction }),
    );
    expect(reserved.ReservedConcurrentExecutions).toBeUndefined();

    // Queues: redrive after --max-attempts, visibility ≥ 6 × deliver's timeout, SSE, retention.
    expect(Number(d.queue.attributes.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * deliver.Timeout!);
    expect(JSON.parse(d.queue.attributes.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: d.dlq.attributes.QueueArn,
      maxReceiveCount: 6,
    });
    for (const q of [d.queue, d.dlq]) {
      expect(q.attributes.SqsManagedSseEnabled).toBe('true');
      expect(q.tags).toEqual(tags);
    }
    // The queue keeps webhooks --retention days; the DLQ the longest SQS allows, since a message that
    // moves there keeps its original enqueue time (standard queues) and would otherwise expire early.
    expect(d.queue.attributes.MessageRetentionPeriod).toBe(String(4 * 86_400));
    expect(d.dlq.attributes.MessageRetentionPeriod).toBe(String(14 * 86_400));
    expect(d.dlq.attributes.RedrivePolicy).toBeUndefined();

    // Roles: only Lambda may assume them; ingest may only send to its queue, deliver only consume it;
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
      ScalingConfig: { MaximumConcurrency: 3 },
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

  it('a second create reports only unchanged and makes no mutating call', async () => {
    const before = await describeProxy(name);
    const rec = await recordCalls(endpoint);
    let res;
    try {
      res = await cli('create', name, ...flags, '--json');
    } finally {
      rec.stop();
    }
    expect(res.code, res.stderr).toBe(0);
    expect(new Set(Object.values(actionsOf(res)))).toEqual(new Set(['unchanged']));
    expect(rec.calls.length).toBeGreaterThan(10); // the recorder saw the describes
    expect(mutating(rec.calls)).toEqual([]);
    expect(await describeProxy(name)).toEqual(before);
  });

  it('a changed --concurrency converges in place: the same mapping updated, nothing duplicated', async () => {
    const before = await describeProxy(name);
    const changed = flags.map((f, i) => (flags[i - 1] === '--concurrency' ? '5' : f));
    const res = await cli('create', name, ...changed, '--json');
    expect(res.code, res.stderr).toBe(0);
    const actions = actionsOf(res);
    expect(actions['event source mapping (queue → deliver)']).toBe('updated');
    expect(Object.values(actions)).not.toContain('created');
    const d = await describeProxy(name);
    expect(d.mappings).toHaveLength(1);
    expect(d.mappings[0]!.UUID).toBe(before.mappings[0]!.UUID);
    expect(d.mappings[0]!.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    expect(d.functions.deliver.config.Environment?.Variables?.[ENV.concurrency]).toBe('5');
    expect(Number(d.queue.attributes.VisibilityTimeout)).toBeGreaterThanOrEqual(
      6 * d.functions.deliver.config.Timeout!,
    );
    expect(d.apis).toHaveLength(1);
    expect(d.integrations).toHaveLength(1);
    expect(d.routes).toHaveLength(1);
    expect(d.functions.ingest.config.LastModified).toBe(before.functions.ingest.config.LastModified);
  });
});

describe('create --ordered', () => {
  it('builds a FIFO queue and FIFO DLQ, ingest sends to one message group, deliver paces alone', async () => {
    const name = uniqueName('pco');
    const res = await cli(
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
    const d = await describeProxy(name, { ordered: true });
    expect(d.queue.url).toMatch(/\.fifo$/);
    expect(d.dlq.url).toMatch(/-dlq\.fifo$/);
    for (const q of [d.queue, d.dlq]) expect(q.attributes.FifoQueue).toBe('true');
    expect(JSON.parse(d.queue.attributes.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: d.dlq.attributes.QueueArn,
      maxReceiveCount: 10,
    });
    expect(d.functions.ingest.config.Environment?.Variables?.[ENV.fifo]).toBe('1');
    expect(d.functions.deliver.config.Environment?.Variables?.[ENV.concurrency]).toBe('1');
    // One invocation at a time paces at the full rate: 10 × (10 s + 1/1 s) + 5 s = 115 s, and the
    // queue's visibility follows from that same timeout.
    expect(d.functions.deliver.config.Timeout).toBe(115);
    expect(d.queue.attributes.VisibilityTimeout).toBe(String(6 * 115));
    // AWS's lowest mapping cap is 2; one message group already means one delivery at a time.
    expect(d.mappings[0]!.ScalingConfig).toEqual({ MaximumConcurrency: 2 });
    expect(grants(d.roles.ingest.policies[0]!)[0]).toEqual({
      action: 'sqs:SendMessage',
      resource: d.queue.attributes.QueueArn,
    });
    expect((await cli('destroy', name, '--yes')).code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('create --dry-run', () => {
  it('prints the plan, calls no mutating API, and nothing exists afterwards', async () => {
    const name = uniqueName('pcd');
    const rec = await recordCalls(endpoint);
    let res;
    try {
      res = await cli('create', name, '--upstream', UPSTREAM, '--dry-run', '--json');
    } finally {
      rec.stop();
    }
    expect(res.code, res.stderr).toBe(0);
    expect(json(res).dryRun).toBe(true);
    expect(json(res).changes.length).toBeGreaterThanOrEqual(10);
    expect(new Set(Object.values(actionsOf(res)))).toEqual(new Set(['created']));
    expect(mutating(rec.calls)).toEqual([]);
    expect(await leftovers(name)).toEqual([]);
    expect(await anythingNamed(name)).toEqual([]);
  });
});

describe('the built binary (node bin/webhook-proxy.js, after npm run build)', () => {
  const bin = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/webhook-proxy.js', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...motoEnv(), CI: '1' },
      input: '', // stdin is a pipe, not a terminal
    });

  it('creates a proxy that the SDK describes as asked, refuses destroy without --yes, then destroys it', async () => {
    const name = uniqueName('pcb');
    const res = bin('create', name, '--upstream', UPSTREAM, '--batch-size', '7', '--ordered', '--json');
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ name, upstream: UPSTREAM });
    const d = await describeProxy(name, { ordered: true });
    expect(d.queue.attributes.FifoQueue).toBe('true');
    expect(d.functions.deliver.config.CodeSha256).toBe(handlerZip('deliver').sha256);
    expect(d.mappings[0]).toMatchObject({ BatchSize: 7, ScalingConfig: { MaximumConcurrency: 2 } });

    const refused = bin('destroy', name);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    expect((await leftovers(name)).length).toBeGreaterThan(10);

    const gone = bin('destroy', name, '--yes');
    expect(gone.status, gone.stderr).toBe(0);
    expect(gone.stderr).toMatch(/^deleted +queue webhook-proxy-/m);
    expect(await leftovers(name)).toEqual([]);
  });
});

function noQueueWildcards(doc: PolicyDoc) {
  for (const g of grants(doc)) {
    if (g.action.startsWith('sqs:')) expect(g.resource, g.action).not.toMatch(/\*/);
    expect(g.action).not.toMatch(/^\*$|:\*$/);
    expect(g.action).not.toMatch(/^ec2:/);
  }
}
