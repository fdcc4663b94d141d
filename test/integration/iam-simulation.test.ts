/**
 * IAM as AWS would judge it (test/helpers/iam-policy.ts): every AWS call the CLI makes while it creates
 * proxies (with a custom domain, in a VPC, ordered), runs every runbook command and destroys them is
 * recorded on its own clients (in-process, and in a child process for the built binary) and evaluated
 * with @cloud-copilot/iam-simulate against templates/operator-policy.json; the functions' own calls and
 * their event source mapping's against the role policies create put on their roles. No deny passes;
 * the grants no call used are printed and written to a report (least privilege).
 */
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { resourceNames } from '../../src/proxy/names.js';
import { runBinAsync } from '../helpers/bin.js';
import { vpcWithSqsEndpoint } from '../helpers/vpc.js';
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
const roles: { proxy: string; ordered: boolean; vpc: boolean; ingest: PolicyDoc; deliver: PolicyDoc }[] = [];

/** Run a CLI command in-process; its exit code does not matter here, only the calls it made. */
async function cli(...args: string[]) {
  const res = await runCli(...args);
  return res;
}

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

  const recording = startRecording();
  const main = uniqueName('iam');
  const ordered = uniqueName('iam-fifo');
  const zoneName = `${main}.example`;
  await new Route53Client({}).send(new CreateHostedZoneCommand({ Name: zoneName, CallerReference: main }));
  // ISSUED (imported): create refuses a certificate still pending validation before anything is made.
  const cert = await issuedCertificate(`*.${zoneName}`);
  // A VPC that reaches SQS through an endpoint: create's VPC check (EC2 reads) is part of the calls judged.
  const v = await vpcWithSqsEndpoint();
  const vpc = ['--vpc-subnets', v.subnets.join(','), '--vpc-security-groups', v.sg];
  const created = await cli(
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
  );
  expect(created.code, created.stderr).toBe(0);
  expect((await cli('create', ordered, '--upstream', U, '--ordered')).code).toBe(0);
  // A re-run converges (reads, then nothing to change) and a changed flag updates in place.
  await cli('create', main, '--upstream', U, '--concurrency', '4');

  for (const [proxy, o] of [
    [main, { ordered: false, vpc: true }],
    [ordered, { ordered: true, vpc: false }],
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
  for (const args of [
    ['status', main],
    ['status', main, '--json'],
    ['list'],
    ['peek', main],
    ['peek', main, '--dlq', '--limit', '1'],
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

  for (const proxy of [main, ordered]) expect((await cli('destroy', proxy, '--yes')).code).toBe(0);
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
    ])
      expect(ops, op).toContain(op);
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
    console.log(`IAM least-privilege report (${out}): grants no call used:\n  ${unused.join('\n  ')}`);
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
      s.Action = [s.Action].flat().filter((a) => a !== 'sqs:PurgeQueue' && a !== 'iam:PassRole');
    const judged = await judge(policy, OPERATOR, ACCOUNT, cliPermissions());
    const d = denied(judged).join('\n');
    expect(d).toMatch(
      /SQS\.PurgeQueue → sqs:PurgeQueue on arn:aws:sqs:us-east-1:123456789012:webhook-proxy-iam-/,
    );
    expect(d).toMatch(/Lambda\.CreateFunction → iam:PassRole/);
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
