/**
 * The IAM documents in templates/: the function roles are least-privilege (checked as documents, for
 * every combination of flags), and templates/operator-policy.json grants every AWS call the CLI makes,
 * found by reading the SDK imports of src/ (so a new call without its permission fails this test).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourceNames } from '../../src/proxy/names.js';
import { deliverPolicy, ingestPolicy, renderTemplate } from '../../src/proxy/provision/roles.js';
import type { StepContext } from '../../src/proxy/provision/types.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}
interface Doc {
  Statement: Statement[];
}
const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
const grants = (doc: Doc) =>
  doc.Statement.flatMap((s) =>
    list(s.Action).flatMap((action) => list(s.Resource).map((resource) => ({ action, resource, s }))),
  );

const ACCOUNT = '123456789012';
const ctx = (vpcSubnets: string[] = [], ordered = false) =>
  ({
    aws: { settings: { region: 'eu-west-1' } },
    names: resourceNames('shop', { ordered }),
    spec: { vpcSubnets, ordered },
  }) as unknown as StepContext;
const QUEUE = `arn:aws:sqs:eu-west-1:${ACCOUNT}:webhook-proxy-shop`;
const DLQ = `arn:aws:sqs:eu-west-1:${ACCOUNT}:webhook-proxy-shop-dlq`;

describe('function roles', () => {
  it('trust Lambda alone', () => {
    expect(renderTemplate('lambda-trust-policy.json')).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
  });

  it.each([
    ['no VPC', []],
    ['VPC', ['subnet-0abc']],
  ])('ingest may only send to its queue and write its own log group (%s)', (_label, subnets) => {
    const doc = ingestPolicy(ctx(subnets), QUEUE, ACCOUNT) as Doc;
    expect(grants(doc).map(({ action, resource }) => `${action} ${resource}`)).toEqual([
      `sqs:SendMessage ${QUEUE}`,
      `logs:CreateLogStream arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/webhook-proxy-shop-ingest:*`,
      `logs:PutLogEvents arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/webhook-proxy-shop-ingest:*`,
    ]);
  });

  it('deliver may consume its queue, send to its DLQ and (unordered) re-queue held webhooks; EC2 only with --vpc-subnets', () => {
    const plain = deliverPolicy(ctx(), QUEUE, DLQ, ACCOUNT) as Doc;
    const sqs = grants(plain).filter((g) => g.action.startsWith('sqs:'));
    expect(sqs.map((g) => `${g.action} ${g.resource}`).sort()).toEqual(
      [
        `sqs:ChangeMessageVisibility ${QUEUE}`,
        `sqs:DeleteMessage ${QUEUE}`,
        `sqs:GetQueueAttributes ${QUEUE}`,
        `sqs:ReceiveMessage ${QUEUE}`,
        // A webhook held through an outage is queued again as a delayed copy (deliver.ts, hold).
        `sqs:SendMessage ${QUEUE}`,
        // deliver dead-letters a webhook itself (WP_DLQ_URL); nothing else on the DLQ.
        `sqs:SendMessage ${DLQ}`,
      ].sort(),
    );
    // An ordered proxy hides held webhooks instead of copying them: no send on its queue.
    const fifoQueue = `${QUEUE}.fifo`;
    const fifoDlq = `arn:aws:sqs:eu-west-1:${ACCOUNT}:webhook-proxy-shop-dlq.fifo`;
    const ordered = deliverPolicy(ctx([], true), fifoQueue, fifoDlq, ACCOUNT) as Doc;
    expect(
      grants(ordered)
        .filter((g) => g.action === 'sqs:SendMessage')
        .map((g) => g.resource),
    ).toEqual([fifoDlq]);
    expect(grants(plain).some((g) => g.action.startsWith('ec2:'))).toBe(false);
    expect(grants(plain).some((g) => g.resource === '*')).toBe(false);

    const vpc = deliverPolicy(ctx(['subnet-0abc']), QUEUE, DLQ, ACCOUNT) as Doc;
    const ec2 = grants(vpc).filter((g) => g.action.startsWith('ec2:'));
    expect(ec2.map((g) => g.action)).toEqual(
      expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']),
    );
    // Only the EC2 network-interface actions (which AWS cannot scope) are on "*"; never a queue action.
    expect(
      grants(vpc)
        .filter((g) => g.resource === '*')
        .every((g) => g.action.startsWith('ec2:')),
    ).toBe(true);
  });

  it('no template grants a wildcard action, and every placeholder is filled', () => {
    for (const doc of [
      ingestPolicy(ctx(), QUEUE, ACCOUNT),
      deliverPolicy(ctx(['subnet-1']), QUEUE, DLQ, ACCOUNT),
    ]) {
      expect(JSON.stringify(doc)).not.toContain('${');
      for (const g of grants(doc as Doc)) expect(g.action).not.toMatch(/\*/);
    }
    expect(() => renderTemplate('ingest-policy.json', {})).toThrow(/needs a value for \$\{QueueArn\}/);
  });
});

// ---------------------------------------------------------------------------------------------------

/** Files under src/ that run with the operator's credentials (the handlers run with the function roles). */
function operatorSources(dir = 'src'): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return path === join('src', 'handlers') ? [] : operatorSources(path);
    return /\.tsx?$/.test(entry) ? [path] : [];
  });
}

/** AWS operations each source imports from an SDK client, as `service:Operation`. */
function operationsUsed(): Set<string> {
  const ops = new Set<string>();
  const importRe =
    /(?:import\s*\{([^{}]*)\}\s*from\s*|\{([^{}]*)\}\s*=\s*await\s+import\(\s*)'@aws-sdk\/client-([a-z0-9-]+)'/g;
  for (const file of operatorSources()) {
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      const service = m[3]!;
      for (const raw of (m[1] ?? m[2] ?? '').split(',')) {
        const id = raw.trim().replace(/\s+as\s+\w+$/, '');
        if (!id || id.startsWith('type ')) continue;
        const op =
          /^(\w+)Command$/.exec(id)?.[1] ??
          /^paginate(\w+)$/.exec(id)?.[1] ??
          (/^waitUntilFunction/.test(id) ? 'GetFunction' : undefined);
        if (op) ops.add(`${service}:${op}`);
      }
    }
  }
  return ops;
}

/** The IAM actions an SDK operation needs (with what creating with tags or a role implies). */
function iamActions(serviceOp: string): string[] {
  const [service, op] = serviceOp.split(':') as [string, string];
  switch (service) {
    case 'sqs':
      return [`sqs:${op.replace(/Batch$/, '')}`, ...(op === 'CreateQueue' ? ['sqs:TagQueue'] : [])];
    case 'lambda':
      return [
        `lambda:${op}`,
        ...(op === 'CreateFunction' ? ['iam:PassRole', 'lambda:TagResource'] : []),
        ...(op === 'UpdateFunctionConfiguration' ? ['iam:PassRole'] : []),
        ...(op === 'CreateEventSourceMapping' ? ['lambda:TagResource'] : []),
        // GetFunction returns a function's tags only to a caller allowed lambda:ListTags.
        ...(op === 'GetFunction' ? ['lambda:ListTags'] : []),
      ];
    case 'iam':
      return [`iam:${op}`, ...(op === 'CreateRole' ? ['iam:TagRole'] : [])];
    case 'cloudwatch-logs':
      return [`logs:${op}`, ...(op === 'CreateLogGroup' ? ['logs:TagResource'] : [])];
    case 'cloudwatch':
      return [`cloudwatch:${op}`, ...(op === 'PutMetricAlarm' ? ['cloudwatch:TagResource'] : [])];
    case 'sns':
      // Subscribe is authorised on the topic; paginateListSubscriptionsByTopic scans as its operation.
      return [`sns:${op}`, ...(op === 'CreateTopic' ? ['sns:TagResource'] : [])];
    case 'acm':
      return [`acm:${op}`];
    case 'ec2':
      return [`ec2:${op}`];
    case 'route-53':
      return [`route53:${op}`];
    case 'apigatewayv2': {
      // API Gateway authorises by HTTP verb on the resource path.
      const verb = /^(Get)/.test(op)
        ? 'GET'
        : /^(Create|TagResource)/.test(op)
          ? 'POST'
          : /^(Update)/.test(op)
            ? 'PATCH'
            : /^(Delete|UntagResource)/.test(op)
              ? 'DELETE'
              : 'PUT';
      return [`apigateway:${verb}`];
    }
    case 'sts':
      return []; // GetCallerIdentity needs no permission.
    default:
      throw new Error(`unknown SDK client "${service}": teach this test its IAM prefix`);
  }
}

const operator = JSON.parse(readFileSync('templates/operator-policy.json', 'utf8')) as Doc;
const allows = (action: string) =>
  grants(operator).some(
    (g) => g.s.Effect === 'Allow' && new RegExp(`^${g.action.replace(/\*/g, '.*')}$`, 'i').test(action),
  );

describe('templates/operator-policy.json', () => {
  const used = operationsUsed();

  it('finds the calls the provisioning engine makes (the scan works)', () => {
    for (const op of [
      'sqs:CreateQueue',
      'lambda:CreateFunction',
      'iam:PutRolePolicy',
      'apigatewayv2:CreateApi',
    ]) {
      expect(used).toContain(op);
    }
  });

  it('understands every command the sources send (no other import style slips past the scan)', () => {
    // Any `new XCommand(` whatever its spelling (`new sqs.XCommand(`, a namespace import, a dynamic
    // import): each must be one the import scan above found, or this test cannot vouch for the policy.
    const scanned = new Set([...used].map((op) => op.split(':')[1]));
    const sent = new Set<string>();
    for (const file of operatorSources()) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new\s+(?:[\w$]+\.)*(\w+)Command\s*\(/g)) {
        sent.add(m[1]!);
      }
    }
    expect(sent.size).toBeGreaterThan(20);
    expect([...sent].filter((op) => !scanned.has(op))).toEqual([]);
  });

  it('allows every AWS action the CLI needs', () => {
    const needed = [...used].flatMap(iamActions);
    expect(needed.filter((a) => !allows(a))).toEqual([]);
  });

  it('scopes queue, function, role and log actions to webhook-proxy-* resources', () => {
    for (const g of grants(operator)) {
      if (/^(sqs|iam|logs):/.test(g.action) && g.resource === '*') {
        // Only listing/describing (which AWS cannot scope) and log delivery may be on "*".
        expect(g.action, g.s.Sid).toMatch(
          /^(sqs:ListQueues|logs:(Describe\w+|\w*LogDeliver\w*|PutResourcePolicy|DescribeResourcePolicies))$/,
        );
      }
      if (/^sqs:|^iam:|^logs:(Create|Delete|Put|Tag)/.test(g.action) && g.resource !== '*') {
        expect(g.resource, `${g.action} in ${g.s.Sid}`).toMatch(/webhook-proxy-\*/);
      }
      if (g.action === 'iam:PassRole')
        expect(JSON.stringify(g.s.Condition)).toContain('lambda.amazonaws.com');
      if (/^lambda:\w+EventSourceMapping$/.test(g.action) && g.resource === '*') {
        expect(JSON.stringify(g.s.Condition), g.action).toContain('function:webhook-proxy-*');
      }
    }
  });
});
