/**
 * `create`: converge one proxy to its spec, step by step, each an ensure that reports
 * created | updated | unchanged. Independent steps run together (roles and log groups; the two
 * functions; the mapping and the API), which is what makes a first `create` on AWS take seconds, not
 * minutes. A failure names the step and the AWS error; nothing is rolled back, because a re-run of the
 * same command continues from where it stopped.
 */
import { accountOfArn } from '../../aws/account.js';
import type { Aws } from '../../aws/clients.js';
import { CliError, describeAwsError } from '../../errors.js';
import { DEFAULTS, ENV } from '../../handlers/ports.js';
import { deliverFunctionTimeout } from '../limits.js';
import { resourceNames } from '../names.js';
import { ensureAlarms } from './alarms.js';
import { ensureApi, ensureIntegration, ensureInvokePermission, ensureRoute } from './api.js';
import {
  checkDomain,
  destroyDomain,
  ensureAliasRecord,
  ensureApiMapping,
  ensureDomainName,
  type DomainPlan,
} from './domain.js';
import { ensureStage } from './stage.js';
import { handlerZip } from './bundle.js';
import { ensureFunction } from './functions.js';
import { ensureLogGroup } from './logs.js';
import { ensureMapping } from './mapping.js';
import { settleAll, stepHint } from './settle.js';
import { ensureDlq, ensureMainQueue, plannedUrlBeside, setQueueAttributes } from './queues.js';
import { deliverPolicy, ensureRole, ingestPolicy, logGroupArn } from './roles.js';
import type { Change, ProvisionSpec, StepAction, StepContext, StepEvents } from './types.js';

export interface CreateResult {
  name: string;
  region: string;
  endpoint: string;
  upstream: string;
  queueUrl: string;
  dlqUrl: string;
  dryRun: boolean;
  changes: Change[];
  /** With --domain: the stable URL to give senders. */
  customUrl?: string;
  /** With --domain but no hosted zone for it: the name to point a CNAME at. */
  dnsTarget?: string;
  /** With --domain: which hosted zone holds the alias record, and how it was chosen. */
  hostedZone?: { id: string; name: string; found: 'given' | 'matched' };
  /** With alarms: the e-mail address whose subscription waits for its confirmation. */
  alarmEmailPending?: string;
}

/** The ingest function answers in milliseconds; 10 s leaves room for SQS retries, under API Gateway's 30 s. */
export const INGEST_TIMEOUT = 10;

/** An ordered proxy delivers one at a time whatever the mapping's cap, so it paces at the full rate. */
export function pacingConcurrency(spec: ProvisionSpec): number {
  return spec.ordered ? 1 : spec.concurrency;
}

/**
 * `dlqUrl`: deliver dead-letters a webhook itself when it decides (its own attempt count, the "never"
 * answers, --retry-window: src/handlers/deliver.ts), because the queue's receive count cannot tell
 * the receives an outage held it from the attempts it made.
 */
export function deliverEnv(spec: ProvisionSpec, queueUrl: string, dlqUrl: string): Record<string, string> {
  return {
    [ENV.proxyName]: spec.name,
    [ENV.queueUrl]: queueUrl,
    [ENV.dlqUrl]: dlqUrl,
    [ENV.upstream]: spec.upstream,
    [ENV.preservePath]: spec.preservePath ? '1' : '0',
    [ENV.timeout]: String(spec.timeout),
    [ENV.concurrency]: String(pacingConcurrency(spec)),
    [ENV.backoffBase]: String(spec.backoffBase),
    [ENV.backoffMax]: String(spec.backoffMax),
    [ENV.maxAttempts]: String(spec.maxAttempts),
    [ENV.retryWindow]: String(spec.retryWindow ?? DEFAULTS.retryWindow),
    ...(spec.rate ? { [ENV.rate]: String(spec.rate) } : {}),
    // Absent when off, as deliver reads it (only '1' turns it on).
    ...(spec.adaptive ? { [ENV.adaptive]: '1' } : {}),
  };
}

export function ingestEnv(spec: ProvisionSpec, queueUrl: string): Record<string, string> {
  return {
    [ENV.proxyName]: spec.name,
    [ENV.queueUrl]: queueUrl,
    [ENV.responseStatus]: String(spec.responseStatus),
    ...(spec.ordered ? { [ENV.fifo]: '1' } : {}),
    ...spec.ingestEnv,
  };
}

/**
 * A function's Description: what it is, never the upstream URL. Lambda caps it at 256 characters
 * (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-Description),
 * so a long URL would fail create after the queues and roles exist, and a token in its query string
 * would show in the console and in every ListFunctions. The URL lives in deliver's environment only.
 */
export function functionDescription(name: string, which: 'ingest' | 'deliver'): string {
  return which === 'ingest'
    ? `webhook-proxy ${name}: stores each webhook in SQS`
    : `webhook-proxy ${name}: delivers queued webhooks to its upstream (${ENV.upstream})`;
}

export async function createProxy(
  aws: Aws,
  spec: ProvisionSpec,
  events: StepEvents,
  options: { dryRun?: boolean } = {},
): Promise<CreateResult> {
  const names = resourceNames(spec.name, { ordered: spec.ordered });
  const ctx: StepContext = { aws, spec, names, dryRun: Boolean(options.dryRun) };
  const changes: Change[] = [];

  async function step<T extends { action: StepAction }>(label: string, run: () => Promise<T>): Promise<T> {
    events.start(label, label);
    try {
      const result = await run();
      events.done(label, result.action);
      changes.push({ resource: label, action: result.action });
      return result;
    } catch (err) {
      events.done(label, 'failed');
      if (err instanceof CliError) throw err;
      throw new CliError(`create stopped at "${label}": ${describeAwsError(err)}`, stepHint(err, 'create'), {
        cause: err,
      });
    }
  }

  // Checked before anything is made: a wrong certificate or zone must not leave half a proxy behind.
  const domainPlan: DomainPlan | undefined = spec.domain ? await checkDomain(aws, spec.domain) : undefined;
  const dlq = await step(`dead-letter queue ${names.dlq}`, () => ensureDlq(ctx));
  const queue = await step(`queue ${names.queue}`, () => ensureMainQueue(ctx, dlq.ref));
  const queueUrl = plannedUrlBeside(queue.ref, dlq.ref, names.queue);
  const dlqUrl = plannedUrlBeside(dlq.ref, queue.ref, names.dlq);
  const account = accountOfArn(queue.ref.arn)!;
  // So that status, right after, reads the queues in its one round (src/aws/account.ts).
  if (!ctx.dryRun) await aws.rememberAccountId(account);

  const accessLogArn = spec.accessLogs ? logGroupArn(ctx, account, names.accessLogGroup) : undefined;
  const [, , ingestRole, deliverRole] = await settleAll([
    step(`log group ${names.ingestLogGroup}`, () => ensureLogGroup(ctx, names.ingestLogGroup)),
    step(`log group ${names.deliverLogGroup}`, () => ensureLogGroup(ctx, names.deliverLogGroup)),
    step(`role ${names.ingestRole}`, () =>
      ensureRole(ctx, names.ingestRole, ingestPolicy(ctx, queue.ref.arn, account)),
    ),
    step(`role ${names.deliverRole}`, () =>
      ensureRole(ctx, names.deliverRole, deliverPolicy(ctx, queue.ref.arn, dlq.ref.arn, account)),
    ),
    spec.accessLogs
      ? step(`log group ${names.accessLogGroup}`, () => ensureLogGroup(ctx, names.accessLogGroup))
      : undefined,
  ]);

  const [ingestFn] = await settleAll([
    step(`function ${names.ingestFunction}`, () =>
      ensureFunction(ctx, {
        name: names.ingestFunction,
        roleArn: ingestRole.arn,
        code: handlerZip('ingest'),
        memory: spec.memory,
        timeout: INGEST_TIMEOUT,
        env: ingestEnv(spec, queueUrl),
        description: functionDescription(spec.name, 'ingest'),
      }),
    ),
    step(`function ${names.deliverFunction}`, () =>
      ensureFunction(ctx, {
        name: names.deliverFunction,
        roleArn: deliverRole.arn,
        code: handlerZip('deliver'),
        memory: spec.memory,
        timeout: deliverFunctionTimeout({ ...spec, concurrency: pacingConcurrency(spec) }),
        env: deliverEnv(spec, queueUrl, dlqUrl),
        ...(spec.vpcSubnets.length
          ? { vpc: { SubnetIds: spec.vpcSubnets, SecurityGroupIds: spec.vpcSecurityGroups } }
          : {}),
        description: functionDescription(spec.name, 'deliver'),
      }),
    ),
  ]);

  // A visibility timeout that goes down does so only now, after deliver's timeout went down with it.
  if (queue.deferred) {
    await step(`queue ${names.queue} visibility timeout`, () =>
      setQueueAttributes(ctx, queue.ref.url, queue.deferred!),
    );
  }

  const [, api] = await settleAll([
    step('event source mapping (queue → deliver)', () => ensureMapping(ctx, queue.ref.arn)),
    (async () => {
      const apiStep = await step(`HTTP API ${names.api}`, () => ensureApi(ctx));
      const apiId = apiStep.api?.ApiId;
      const integration = await step('integration (→ ingest, payload 2.0)', () =>
        ensureIntegration(ctx, apiId, ingestFn.arn),
      );
      await step('route $default', () => ensureRoute(ctx, apiId, integration.integrationId));
      await step('stage $default', () => ensureStage(ctx, apiId, accessLogArn));
      await step('invoke permission (API Gateway → ingest)', () =>
        ensureInvokePermission(ctx, apiId, ingestFn.arn),
      );
      return apiStep.api;
    })(),
  ]);

  let dnsTarget: string | undefined;
  if (domainPlan) {
    const d = await step(`domain name ${domainPlan.domain}`, () => ensureDomainName(ctx, domainPlan));
    await step(`API mapping ${domainPlan.domain} → $default`, () =>
      ensureApiMapping(ctx, domainPlan, api?.ApiId),
    );
    if (domainPlan.zone) {
      await step(`DNS alias ${domainPlan.domain} (zone ${domainPlan.zone.name.replace(/\.$/, '')})`, () =>
        ensureAliasRecord(ctx, domainPlan, d.domain),
      );
    } else {
      dnsTarget = (await ensureAliasRecord(ctx, domainPlan, d.domain)).target;
    }
  }

  if (spec.removeDomain) {
    // --domain none: the alias record, the API mapping and the domain name, as destroy removes them.
    await step(`custom domain ${spec.removeDomain}`, async () => {
      if (!ctx.dryRun) await destroyDomain(aws, spec.name);
      return { action: 'deleted' as const };
    });
  }

  // Last: the alarms watch the queues and the deliver function, which all exist by now.
  const alarms = spec.alarms ? await ensureAlarms(ctx, spec.alarms, step) : {};

  return {
    name: spec.name,
    region: aws.settings.region,
    endpoint: api?.ApiEndpoint ?? '(known once created)',
    upstream: spec.upstream,
    queueUrl: queue.ref.url,
    dlqUrl: dlq.ref.url,
    dryRun: ctx.dryRun,
    changes,
    ...(domainPlan ? { customUrl: `https://${domainPlan.domain}` } : {}),
    ...(domainPlan?.zone ? { hostedZone: domainPlan.zone } : {}),
    ...(domainPlan && !domainPlan.zone ? { dnsTarget: dnsTarget ?? '(known once created)' } : {}),
    ...(alarms.pendingEmail ? { alarmEmailPending: alarms.pendingEmail } : {}),
  };
}
