/**
 * IAM as AWS would judge it (test/helpers/iam-policy.ts): every AWS call the CLI makes while it creates
 * proxies (with a custom domain, in a VPC, ordered, with alarms), runs every runbook command, changes
 * and removes the alarms on re-runs and destroys them is
 * recorded on its own clients (in-process, and in a child process for the built binary) and evaluated
 * with @cloud-copilot/iam-simulate against templates/operator-policy.json; the functions' own calls and
 * their event source mapping's against the role policies create put on their roles. No deny passes;
 * the grants no call used are printed and written to a report (least privilege).
 */
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { strToU8, zipSync } from 'fflate';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { alarmNames } from '../../src/proxy/alarm-states.js';
import { resourceNames } from '../../src/proxy/names.js';
import { runBinAsync } from '../helpers/bin.js';
import { vpcWithNat, vpcWithSqsEndpoint } from '../helpers/vpc.js';
import { issuedCertificate } from '../helpers/certificates.js';
import {
  judge,
  mappingFunctions,
  operatorPolicy,
  permissionsFor,
  unusedGrants,
  type Judgement,
  type Permission,
  type PolicyDoc,
} from '../helpers/iam-policy.js';
import { readRecording, startRecording, stopRecording, type RecordedAwsCall } from '../helpers/iam-record.js';
import { motoEnv, TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { describeProxy } from '../helpers/provision.js';
import { fillQueue, runCli } from '../helpers/proxy-fixture.js';

const endpoint = useMoto();
const ACCOUNT = '123456789012'; // moto's
const OPERATOR = `arn:aws:iam::${ACCOUNT}:user/operator`;
const U = 'https://app.example.com/hooks';

const calls: RecordedAwsCall[] = [];
let mainName = '';
let orderedName = '';
const roles: { proxy: string; ordered: boolean; vpc: boolean; ingest: PolicyDoc; deliver: PolicyDoc }[] = [];

/** Run a CLI command in-process; its exit code does not matter here, only the calls it made. */
async function cli(...args: string[]) {
  const res = await runCli(...args);
  return res;
}

/** Run a CLI command in-process that must succeed (its calls are the ones the scenario claims). */
async function ok(...args: string[]) {
  const res = await runCli(...args);
  expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(0);
  return res;
}

/** What the alarm steps of the scenario showed (status's alarm states, destroy's deletions). */
const seen: { statusAlarms?: { kind: string }[]; destroyed: Record<string, string[]> } = { destroyed: {} };

beforeAll(async () => {
  // moto echoes a custom domain without its regional target; fill it in as AWS answers (domain.test.ts).
  const apigw = await createAws({ region: TEST_REGION, profile: undefined, endpoint }).apigw();
  apigw.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const out = result.output as {
        DomainName?: string;
        DomainNameConfigurations?: Record<string, string>[];
      };
      for (const c of out.DomainNameConfigurations ?? []) {
        c.ApiGatewayDomainName ??= `d-${Buffer.from(out.DomainName ?? '')
          .toString('hex')
          .slice(0, 10)}.execute-api.${TEST_REGION}.amazonaws.com`;
        c.HostedZoneId ??= 'Z1UJRXOUMOOFQ8';
      }
      return result;
    },
    { step: 'initialize', name: 'motoDomainTarget' },
  );
  // moto 5.2.1 has no UpdateStage for HTTP APIs (provision-stage.test.ts): answered here, after the
  // call recorder and the AWS rules have seen the request, as AWS answers it (the stage, unchanged here).
  apigw.middlewareStack.add(
    (next, context) => async (args) =>
      context.commandName === 'UpdateStageCommand'
        ? ({ output: { $metadata: {} }, response: {} } as Awaited<ReturnType<typeof next>>)
        : next(args),
    { step: 'build', name: 'motoNoUpdateStage' },
  );

  // moto answers StartMessageMoveTask with HTTP 500, so redrive copies instead; for one redrive the
  // move task is answered as AWS answers it (started, then COMPLETED), so its polling is judged too.
  let moveTaskAsAws = false;
  const sqsClient = await createAws({ region: TEST_REGION, profile: undefined, endpoint }).sqs();
  sqsClient.middlewareStack.add(
    (next, context) => async (args) => {
      type R = Awaited<ReturnType<typeof next>>;
      if (moveTaskAsAws && context.commandName === 'StartMessageMoveTaskCommand')
        return { output: { TaskHandle: 'iam-move-task', $metadata: {} }, response: {} } as R;
      if (moveTaskAsAws && context.commandName === 'ListMessageMoveTasksCommand')
        return {
          output: {
            Results: [
              { TaskHandle: 'iam-move-task', Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 0 },
            ],
            $metadata: {},
          },
          response: {},
        } as R;
      return next(args);
    },
    { step: 'build', name: 'motoMoveTaskAsAws' },
  );

  const recording = startRecording();
  const main = uniqueName('iam');
  const ordered = uniqueName('iam-fifo');
  const zoneName = `${main}.example`;
  const zone = await new Route53Client({}).send(
    new CreateHostedZoneCommand({ Name: zoneName, CallerReference: main }),
  );
  const zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
  // ISSUED (imported): create refuses a certificate still pending validation before anything is made.
  const cert = await issuedCertificate(`*.${zoneName}`);
  // A VPC that reaches SQS through an endpoint: create's VPC check (EC2 reads) is part of the calls judged.
  const v = await vpcWithSqsEndpoint();
  const vpc = ['--vpc-subnets', v.subnets.join(','), '--vpc-security-groups', v.sg];
  // The operator's own topic (not named by the tool): alarms notify it, create only reads it.
  const oncall = (await new SNSClient({}).send(new CreateTopicCommand({ Name: `${main}-oncall` }))).TopicArn!;
  await ok(
    'create',
    main,
    '--upstream',
    U,
    '--domain',
    `hooks.${zoneName}`,
    '--certificate-arn',
    cert,
    ...vpc,
    '--tag',
    'team=payments',
    '--alarm-email',
    'ops@example.com',
    '--alarm-topic-arn',
    oncall,
  );
  // The ordered one in a VPC that reaches SQS through a NAT gateway: the check reads its route tables.
  const natVpc = await vpcWithNat();
  await ok(
    'create',
    ordered,
    '--upstream',
    U,
    '--ordered',
    '--alarm-topic-arn',
    oncall,
    '--vpc-subnets',
    natVpc.subnets.join(','),
    '--vpc-security-groups',
    natVpc.sg,
  );
  // A re-run converges (reads, then nothing to change) and a changed flag updates in place.
  await ok('create', main, '--upstream', U, '--concurrency', '4');
  // Drift made outside the tool (with the test's own clients, not recorded): a role's trust policy and
  // the deliver function's code. A re-run puts both back, changes the ingress limit (the stage) and
  // names the hosted zone (--hosted-zone-id: read, not searched for).
  const n0 = resourceNames(main);
  await new IAMClient({}).send(
    new UpdateAssumeRolePolicyCommand({
      RoleName: n0.ingestRole,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    }),
  );
  await new LambdaClient({}).send(
    new UpdateFunctionCodeCommand({
      FunctionName: n0.deliverFunction,
      ZipFile: zipSync({ 'index.mjs': strToU8('export const handler = async () => ({});\n') }),
    }),
  );
  await ok(
    'create',
    main,
    '--ingress-rate',
    '100',
    '--ingress-burst',
    '20',
    '--domain',
    `hooks.${zoneName}`,
    '--certificate-arn',
    cert,
    '--hosted-zone-id',
    zoneId,
  );

  for (const [proxy, o] of [
    [main, { ordered: false, vpc: true }],
    [ordered, { ordered: true, vpc: true }],
  ] as const) {
    const p = await describeProxy(proxy, { ordered: o.ordered });
    roles.push({ proxy, ...o, ingest: p.roles.ingest.policies[0]!, deliver: p.roles.deliver.policies[0]! });
  }

  // Every runbook command. Delivery paused first: moto would try to run deliver on queued messages.
  const n = resourceNames(main);
  await cli('pause', main);
  const { sdk } = await import('../helpers/provision.js');
  const { GetQueueUrlCommand } = await import('@aws-sdk/client-sqs');
  const url = async (q: string) => (await sdk().sqs.send(new GetQueueUrlCommand({ QueueName: q }))).QueueUrl!;
  await fillQueue(await url(n.queue), 3);
  await fillQueue(await url(n.dlq), 2);
  seen.statusAlarms = JSON.parse((await ok('status', main, '--json')).stdout).alarms;
  for (const args of [
    ['status', main],
    ['list'],
    ['peek', main],
    ['peek', main, '--dlq', '--limit', '1'],
    // More than 10: seen messages are hidden for a moment, then made visible again.
    ['peek', main, '--limit', '11'],
    ['logs', main, '--since', '1h'],
    ['logs', main, '--failed', '--json'],
    ['redrive', main],
    ['scale', main, '--concurrency', '5', '--rate', '20'],
    ['drain', main, '--timeout', '1'],
    ['purge', main, '--yes'],
    ['purge', main, '--dlq', '--yes'],
    ['resume', main],
    ['drain', main, '--timeout', '2', '--concurrency', '6'],
    ['pause', ordered],
    ['resume', ordered],
  ])
    await cli(...args);

  // The built binary as a child process records into a file (the preload's recorder).
  const file = join(tmpdir(), `webhook-proxy-iam-${process.pid}.jsonl`);
  const bin = await runBinAsync(['status', main, '--json'], {
    ...motoEnv(),
    WEBHOOK_PROXY_TEST_IAM_LOG: file,
  });
  expect(bin.code, bin.stderr).toBe(0);
  const fromChild = readRecording(file);
  expect(fromChild.map((c) => c.operation)).toContain('GetQueueAttributes');

  // Something in the DLQ, or redrive says "empty" without starting a task (then purged again, so
  // destroy finds the proxy empty: the answered task moves nothing).
  await fillQueue(await url(n.dlq), 1);
  moveTaskAsAws = true;
  await ok('redrive', main);
  moveTaskAsAws = false;
  await ok('purge', main, '--dlq', '--yes');

  // Re-runs that change the alarms, then remove them part by part, then bring them back for destroy:
  // a new address (subscribe, unsubscribe the old one), a new age threshold and a new tag (the alarms
  // and the tool's topic tagged in place); the user's topic dropped; the e-mail dropped (no
  // destination left: alarms and topic deleted); both again.
  await ok('create', main, '--alarm-email', 'night@example.com', '--alarm-age', '30m', '--tag', 'owner=ops');
  await ok('create', main, '--alarm-topic-arn', 'none');
  await ok('create', main, '--alarm-email', 'none');
  await ok('create', main, '--alarm-email', 'ops@example.com', '--alarm-topic-arn', oncall);

  for (const [which, proxy] of Object.entries({ main, ordered }))
    seen.destroyed[which] = JSON.parse((await ok('destroy', proxy, '--yes', '--json')).stdout).deleted;
  mainName = main;
  orderedName = ordered;
  stopRecording();
  calls.push(...recording, ...fromChild);
}, 600_000);

afterAll(() => stopRecording());

const cliPermissions = () => {
  const byMapping = mappingFunctions(calls);
  return calls
    .filter((c) => c.source === 'cli')
    .flatMap((c) => permissionsFor(c, ACCOUNT, TEST_REGION, byMapping));
};
const denied = (j: Judgement[]) => [
  ...new Set(
    j
      .filter((x) => !x.allowed)
      .map(
        (x) =>
          `${x.permission.from} → ${x.permission.action} on ${x.permission.resource}${x.error ? ` (${x.error})` : ''}`,
      ),
  ),
];

/**
 * What the functions and their mapping do with their roles (the code makes these calls; Lambda's own
 * poller and runtime make the rest):
 * ingest: sqs:SendMessage (src/handlers/sqs-port.ts); deliver: sqs:ChangeMessageVisibility, and
 * sqs:SendMessage to its DLQ (it dead-letters a webhook itself, WP_DLQ_URL) and, on a standard queue,
 * to its own queue (a webhook held through an outage is queued again as a delayed copy; an ordered
 * proxy hides it instead). provision-adaptive.test.ts records deliver making these very calls;
 * the mapping's poller: ReceiveMessage, DeleteMessage, GetQueueAttributes ("Lambda execution role
 * permissions" for SQS event sources, https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html);
 * the runtime: logs:CreateLogStream and PutLogEvents on the function's log group; in a VPC, the ENI
 * actions of AWSLambdaVPCAccessExecutionRole (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
 */
function functionPermissions(proxy: string, o: { ordered: boolean; vpc: boolean }) {
  const n = resourceNames(proxy, o);
  const queue = `arn:aws:sqs:${TEST_REGION}:${ACCOUNT}:${n.queue}`;
  const dlq = `arn:aws:sqs:${TEST_REGION}:${ACCOUNT}:${n.dlq}`;
  const logs = (g: string) =>
    `arn:aws:logs:${TEST_REGION}:${ACCOUNT}:log-group:${g}:log-stream:2026/12/03/[$LATEST]abc`;
  const p = (from: string, action: string, resource: string): Permission => ({ from, action, resource });
  const ingest = [
    p('ingest', 'sqs:SendMessage', queue),
    p('runtime', 'logs:CreateLogStream', logs(n.ingestLogGroup)),
    p('runtime', 'logs:PutLogEvents', logs(n.ingestLogGroup)),
  ];
  const deliver = [
    p('deliver', 'sqs:ChangeMessageVisibility', queue),
    ...['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map((a) => p('mapping', `sqs:${a}`, queue)),
    p('runtime', 'logs:CreateLogStream', logs(n.deliverLogGroup)),
    p('runtime', 'logs:PutLogEvents', logs(n.deliverLogGroup)),
    p('deliver', 'sqs:SendMessage', dlq),
    ...(o.ordered ? [] : [p('deliver', 'sqs:SendMessage', queue)]),
    ...(o.vpc
      ? [
          'CreateNetworkInterface',
          'DescribeNetworkInterfaces',
          'DescribeSubnets',
          'DeleteNetworkInterface',
          'AssignPrivateIpAddresses',
          'UnassignPrivateIpAddresses',
        ].map((a) => p('vpc', `ec2:${a}`, '*'))
      : []),
  ];
  return { ingest, deliver };
}

describe('IAM, as AWS would judge it', () => {
  it('templates/operator-policy.json allows every call the CLI made (create, runbook, destroy)', async () => {
    const ops = new Set(calls.filter((c) => c.source === 'cli').map((c) => `${c.client}.${c.operation}`));
    // The scenario reached every part it claims to cover.
    for (const op of [
      'SQSClient.CreateQueue',
      'LambdaClient.CreateEventSourceMapping',
      'LambdaClient.UpdateEventSourceMapping',
      'ApiGatewayV2Client.CreateDomainName',
      'Route53Client.ChangeResourceRecordSets',
      'SQSClient.PurgeQueue',
      'SQSClient.ReceiveMessage',
      'IAMClient.DeleteRole',
      'LambdaClient.DeleteFunction',
      'LambdaClient.UpdateFunctionCode',
      'IAMClient.UpdateAssumeRolePolicy',
      'ApiGatewayV2Client.UpdateStage',
      'Route53Client.GetHostedZone',
      'EC2Client.DescribeRouteTables',
      'SQSClient.ChangeMessageVisibilityBatch',
      'CloudWatchLogsClient.FilterLogEvents',
      'SQSClient.ListMessageMoveTasks',
      // Alarms: made, read by status, changed, tagged, removed, made again and destroyed.
      'CloudWatchClient.PutMetricAlarm',
      'CloudWatchClient.DescribeAlarms',
      'CloudWatchClient.ListTagsForResource',
      'CloudWatchClient.TagResource',
      'CloudWatchClient.DeleteAlarms',
      'SNSClient.CreateTopic',
      'SNSClient.GetTopicAttributes',
      'SNSClient.ListTagsForResource',
      'SNSClient.TagResource',
      'SNSClient.ListSubscriptionsByTopic',
      'SNSClient.Subscribe',
      'SNSClient.Unsubscribe',
      'SNSClient.DeleteTopic',
    ])
      expect(ops, op).toContain(op);
    expect(seen.statusAlarms?.map((a) => a.kind)).toEqual(['dlq', 'age', 'errors', 'throttles']);
    for (const [proxy, which] of [
      [mainName, 'main'],
      [orderedName, 'ordered'],
    ] as const)
      expect(seen.destroyed[which]).toEqual(
        expect.arrayContaining(Object.values(alarmNames(proxy)).map((a) => `alarm ${a}`)),
      );
    expect(seen.destroyed.main).toContain(`SNS topic webhook-proxy-${mainName}-alarms`);
    const policy = operatorPolicy();
    const judged = await judge(policy, OPERATOR, ACCOUNT, cliPermissions());
    const unused = unusedGrants(policy, judged);
    const report = {
      calls: calls.length,
      operations: [...ops].sort(),
      permissionsChecked: new Set(judged.map((j) => `${j.permission.action} ${j.permission.resource}`)).size,
      judgedByArnMatching: [
        ...new Set(
          judged
            .filter((j) => j.error === 'judged by ARN matching')
            .map(
              (j) => j.permission.action + ' ' + j.permission.resource.replace(/\/apis\/[^/]+/, '/apis/{id}'),
            ),
        ),
      ],
      denied: denied(judged),
      unusedGrants: unused,
    };
    const out = join(tmpdir(), 'webhook-proxy-iam-report.json');
    writeFileSync(out, JSON.stringify(report, null, 2));
    console.log(
      `IAM least-privilege report (${out}): grants no call used:\n  ${unused.join('\n  ') || '(none)'}`,
    );
    expect(report.denied).toEqual([]);
  });

  it("each function's role allows what the function and its mapping do, and the ENI actions only in a VPC", async () => {
    for (const r of roles) {
      const fp = functionPermissions(r.proxy, r);
      const principal = (role: string) => `arn:aws:iam::${ACCOUNT}:role/${role}`;
      const n = resourceNames(r.proxy, r);
      const ingest = await judge(r.ingest, principal(n.ingestRole), ACCOUNT, fp.ingest);
      const deliver = await judge(r.deliver, principal(n.deliverRole), ACCOUNT, fp.deliver);
      expect(denied(ingest), `${r.proxy} ingest`).toEqual([]);
      expect(denied(deliver), `${r.proxy} deliver`).toEqual([]);
      expect(unusedGrants(r.ingest, ingest), `${r.proxy} ingest grants unused`).toEqual([]);
      expect(unusedGrants(r.deliver, deliver), `${r.proxy} deliver grants unused`).toEqual([]);
      // Least privilege the other way: ingest may not consume nor reach the DLQ; deliver may send
      // only to its DLQ and (unordered) its own queue, never to ingest's log group.
      const dlq = `arn:aws:sqs:${TEST_REGION}:${ACCOUNT}:${n.dlq}`;
      const cross = await judge(r.ingest, principal(n.ingestRole), ACCOUNT, [
        ...fp.deliver.slice(0, 2),
        { from: 'deliver', action: 'sqs:SendMessage', resource: dlq },
      ]);
      expect(cross.every((j) => !j.allowed)).toBe(true);
      const queue = `arn:aws:sqs:${TEST_REGION}:${ACCOUNT}:${n.queue}`;
      const [requeue] = await judge(r.deliver, principal(n.deliverRole), ACCOUNT, [
        { from: 'deliver', action: 'sqs:SendMessage', resource: queue },
      ]);
      expect(requeue!.allowed, `${r.proxy} deliver may re-queue`).toBe(!r.ordered);
    }
  });

  it('can fail: a policy missing a grant the calls need is caught', async () => {
    const policy = operatorPolicy();
    for (const s of policy.Statement)
      s.Action = [s.Action]
        .flat()
        .filter(
          (a) => !['sqs:PurgeQueue', 'iam:PassRole', 'sns:Subscribe', 'cloudwatch:TagResource'].includes(a),
        );
    const judged = await judge(policy, OPERATOR, ACCOUNT, cliPermissions());
    const d = denied(judged).join('\n');
    expect(d).toMatch(
      /SQS\.PurgeQueue → sqs:PurgeQueue on arn:aws:sqs:us-east-1:123456789012:webhook-proxy-iam-/,
    );
    expect(d).toMatch(/Lambda\.CreateFunction → iam:PassRole/);
    // Alarms: an e-mail subscription, and tags on an alarm as PutMetricAlarm creates it.
    expect(d).toMatch(
      /SNS\.Subscribe → sns:Subscribe on arn:aws:sns:us-east-1:123456789012:webhook-proxy-iam-.*-alarms/,
    );
    expect(d).toMatch(
      /CloudWatch\.PutMetricAlarm → cloudwatch:TagResource on arn:aws:cloudwatch:.*:alarm:webhook-proxy-/,
    );
    // A role policy without ChangeMessageVisibility: deliver's retries would be denied; without its
    // DLQ statement, its own dead-lettering would be.
    const r = roles[0]!;
    const weak = JSON.parse(JSON.stringify(r.deliver)) as PolicyDoc;
    for (const s of weak.Statement)
      s.Action = [s.Action].flat().filter((a) => a !== 'sqs:ChangeMessageVisibility');
    weak.Statement = weak.Statement.filter((s) => s.Sid !== 'DeadLetterItself');
    const n = resourceNames(r.proxy, r);
    const j = await judge(
      weak,
      `arn:aws:iam::${ACCOUNT}:role/${n.deliverRole}`,
      ACCOUNT,
      functionPermissions(r.proxy, r).deliver,
    );
    expect(denied(j)).toEqual([
      expect.stringContaining('deliver → sqs:ChangeMessageVisibility'),
      expect.stringMatching(/^deliver → sqs:SendMessage on arn:aws:sqs:.*-dlq$/),
    ]);
  });
});
