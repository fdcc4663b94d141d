/**
 * What a proxy is made of and set to right now, read from AWS before `create` or `destroy` changes
 * anything, in two rounds of parallel calls:
 *
 *   1. the queues (as locate.ts finds them) · GetFunction ×2 · ListEventSourceMappings · GetRole ×2 ·
 *      DescribeLogGroups ×4 (the access-log group's old name too) · GetApis (paged) · GetDomainNames (by tags) · [GetDomainName --domain]
 *   2. ListQueueTags ×2 · ListTagsForResource per log group found · GetStage of the proxy's API
 *
 * From it come the current settings (settings.ts merges the flags over them) and the same-named
 * resources that are not this proxy's: without the tool's two tags (names.ts, isOurs) a resource is
 * never updated, adopted or deleted, so `create` stops before making anything and `destroy` leaves it.
 */
import type { Api } from '@aws-sdk/client-apigatewayv2';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { Aws } from '../../aws/clients.js';
import { isNotFound } from '../../aws/errors.js';
import { DEFAULTS, ENV } from '../../handlers/ports.js';
import { findProxyDomain } from '../domain-lookup.js';
import { rateOf } from '../inspect.js';
import { concurrencyOf } from '../limits.js';
import { findQueues, queueCounts, totalOf, type QueueRef } from '../locate.js';
import { isOurs, resourceNames } from '../names.js';
import { findMapping } from './mapping.js';
import { STAGE } from './stage.js';
import { isAccountIngress, type CurrentProxy, type Ingress, type Settings } from './settings.js';

export interface CurrentRead extends CurrentProxy {
  /** The queues found (of either kind), for destroy's counts and deletes. */
  queues: { queue?: QueueRef; dlq?: QueueRef };
  /**
   * The access-log group of the old name (before /aws/vendedlogs/): `ours` is deleted by destroy,
   * `foreign` is left alone; create never touches it (its logs age out under their retention).
   */
  legacyAccessLogGroup?: 'ours' | 'foreign';
}

type Tags = Record<string, string> | undefined;

/** A describe call whose "not found" means "not there". */
async function orAbsent<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function getFunction(aws: Aws, name: string) {
  const { GetFunctionCommand } = await import('@aws-sdk/client-lambda');
  const out = await orAbsent((await aws.lambda()).send(new GetFunctionCommand({ FunctionName: name })));
  return out?.Configuration ? { config: out.Configuration, tags: out.Tags } : undefined;
}

async function getRoleTags(aws: Aws, name: string): Promise<{ tags: Tags } | undefined> {
  const { GetRoleCommand } = await import('@aws-sdk/client-iam');
  const role = (await orAbsent((await aws.iam()).send(new GetRoleCommand({ RoleName: name }))))?.Role;
  return role
    ? { tags: Object.fromEntries((role.Tags ?? []).map((t) => [t.Key!, t.Value ?? ''])) }
    : undefined;
}

/** A log group by its exact name (a prefix search also finds longer names), with its tags. */
async function getLogGroupTags(aws: Aws, name: string): Promise<{ tags: Tags } | undefined> {
  const { DescribeLogGroupsCommand, ListTagsForResourceCommand } =
    await import('@aws-sdk/client-cloudwatch-logs');
  const logs = await aws.logs();
  const found = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.find(
    (g) => g.logGroupName === name,
  );
  if (!found) return undefined;
  // DescribeLogGroups gives the ARN with a trailing ":*"; the tagging API wants it without.
  const resourceArn = (found.arn ?? '').replace(/:\*$/, '');
  return { tags: (await logs.send(new ListTagsForResourceCommand({ resourceArn }))).tags };
}

/** Every HTTP API of that name (names are not unique in API Gateway), with their tags. */
async function apisNamed(aws: Aws, apiName: string): Promise<Api[]> {
  const { GetApisCommand } = await import('@aws-sdk/client-apigatewayv2');
  const apigw = await aws.apigw();
  const found: Api[] = [];
  let NextToken: string | undefined;
  do {
    const page = await apigw.send(new GetApisCommand({ NextToken, MaxResults: '100' }));
    found.push(...(page.Items ?? []).filter((a) => a.Name === apiName));
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

async function getStage(aws: Aws, apiId: string) {
  const { GetStageCommand } = await import('@aws-sdk/client-apigatewayv2');
  return orAbsent((await aws.apigw()).send(new GetStageCommand({ ApiId: apiId, StageName: STAGE })));
}

async function getDomainTags(aws: Aws, domain: string): Promise<{ tags: Tags } | undefined> {
  const { GetDomainNameCommand } = await import('@aws-sdk/client-apigatewayv2');
  const out = await orAbsent((await aws.apigw()).send(new GetDomainNameCommand({ DomainName: domain })));
  return out ? { tags: out.Tags } : undefined;
}

async function queueTags(aws: Aws, q: QueueRef | undefined): Promise<Tags> {
  if (!q) return undefined;
  const { ListQueueTagsCommand } = await import('@aws-sdk/client-sqs');
  return (await (await aws.sqs()).send(new ListQueueTagsCommand({ QueueUrl: q.url }))).Tags ?? {};
}

const num = (raw: string | undefined): number | undefined => {
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
};

/** The ingest variables that create computes itself; the rest are the edge settings (--verify, --handshake). */
const INGEST_OWN = new Set<string>([ENV.proxyName, ENV.queueUrl, ENV.responseStatus, ENV.fifo]);

function deliverSettings(config: FunctionConfiguration): Partial<Settings> {
  const env = config.Environment?.Variables ?? {};
  const vpc = config.VpcConfig?.SubnetIds?.length
    ? {
        subnets: [...config.VpcConfig.SubnetIds],
        securityGroups: [...(config.VpcConfig.SecurityGroupIds ?? [])],
      }
    : null;
  const s: Partial<Settings> = {
    rate: rateOf(env),
    preservePath: env[ENV.preservePath] === '1',
    // As deliver reads them (deliverConfigFromEnv): unset is off, and the default window.
    adaptive: env[ENV.adaptive] === '1',
    retryWindow: Math.max(0, num(env[ENV.retryWindow]) ?? 0) || DEFAULTS.retryWindow,
    vpc,
    ...(config.MemorySize ? { memory: config.MemorySize } : {}),
  };
  if (env[ENV.upstream]) s.upstream = env[ENV.upstream];
  for (const [key, variable] of [
    ['timeout', ENV.timeout],
    ['backoffBase', ENV.backoffBase],
    ['backoffMax', ENV.backoffMax],
    ['maxAttempts', ENV.maxAttempts],
  ] as const) {
    const v = num(env[variable]);
    if (v !== undefined) s[key] = v;
  }
  return s;
}

/** Read one proxy as it is now; see the module comment for the calls. */
export async function readCurrent(
  aws: Aws,
  name: string,
  options: { domain?: string } = {},
): Promise<CurrentRead> {
  const names = resourceNames(name);
  // Build the clients (and resolve the credentials) first so every call below really starts at once.
  await Promise.all([aws.sqs(), aws.lambda(), aws.iam(), aws.apigw(), aws.logs(), aws.knownAccountId()]);
  const [[queue, dlq], ingest, deliver, mapping, roles, logGroups, apis, domain, givenDomain] =
    await Promise.all([
      findQueues(aws, name),
      getFunction(aws, names.ingestFunction),
      getFunction(aws, names.deliverFunction),
      findMapping(await aws.lambda(), names.deliverFunction),
      Promise.all([names.ingestRole, names.deliverRole].map((r) => getRoleTags(aws, r))),
      Promise.all(
        [names.ingestLogGroup, names.deliverLogGroup, names.accessLogGroup, names.legacyAccessLogGroup].map(
          (g) => getLogGroupTags(aws, g),
        ),
      ),
      apisNamed(aws, names.api),
      findProxyDomain(aws, name),
      options.domain ? getDomainTags(aws, options.domain) : undefined,
    ]);
  const api = apis.find((a) => isOurs(a.Tags, name));
  const [qTags, dTags, stage] = await Promise.all([
    queueTags(aws, queue),
    queueTags(aws, dlq),
    api?.ApiId ? getStage(aws, api.ApiId) : undefined,
  ]);

  // Same-named, not ours: labelled as the create and destroy steps name them.
  const foreign: string[] = [];
  const check = (label: string, found: { tags: Tags } | undefined) => {
    if (found && !isOurs(found.tags, name)) foreign.push(label);
  };
  if (queue) check(`queue ${queue.name}`, { tags: qTags });
  if (dlq) check(`dead-letter queue ${dlq.name}`, { tags: dTags });
  check(`function ${names.ingestFunction}`, ingest);
  check(`function ${names.deliverFunction}`, deliver);
  check(`role ${names.ingestRole}`, roles[0]);
  check(`role ${names.deliverRole}`, roles[1]);
  [names.ingestLogGroup, names.deliverLogGroup, names.accessLogGroup].forEach((g, i) =>
    check(`log group ${g}`, logGroups[i]),
  );
  if (apis.length && !api) foreign.push(`HTTP API ${names.api}`);
  // Not in `foreign`: a same-named group of someone else's does not stop create, which never uses it.
  const legacy = logGroups[3];
  const legacyAccessLogGroup = legacy ? (isOurs(legacy.tags, name) ? 'ours' : 'foreign') : undefined;
  if (options.domain) check(`domain name ${options.domain}`, givenDomain);

  const mine = <T>(label: string, v: T) => (foreign.includes(label) ? undefined : v);
  const ourQueue = queue && mine(`queue ${queue.name}`, queue);
  const ourDlq = dlq && mine(`dead-letter queue ${dlq.name}`, dlq);
  const ourIngest = mine(`function ${names.ingestFunction}`, ingest);
  const ourDeliver = mine(`function ${names.deliverFunction}`, deliver);
  const ourMapping = ourDeliver ? mapping : undefined;

  const settings: Partial<Settings> = ourDeliver ? deliverSettings(ourDeliver.config) : {};
  if (ourIngest) {
    const env = ourIngest.config.Environment?.Variables ?? {};
    const status = num(env[ENV.responseStatus]);
    if (status !== undefined) settings.responseStatus = status;
    settings.edgeEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !INGEST_OWN.has(k)));
    settings.memory ??= ourIngest.config.MemorySize;
  }
  const kind = ourQueue ?? ourDlq;
  // The queues' names say the kind; without them, ingest's WP_FIFO (set only on an ordered proxy).
  const ordered = kind
    ? kind.name.endsWith('.fifo')
    : ourIngest && ourIngest.config.Environment?.Variables?.[ENV.fifo] === '1';
  if (ourMapping) {
    // The mapping holds the pacing plan's containers, the function --concurrency (limits.ts).
    const concurrency = concurrencyOf(
      ourDeliver?.config.Environment?.Variables,
      ourMapping.ScalingConfig?.MaximumConcurrency,
      { ...(settings.rate ? { rate: settings.rate } : {}), ordered: Boolean(ordered) },
    );
    if (concurrency) settings.concurrency = concurrency;
    if (ourMapping.BatchSize) settings.batchSize = ourMapping.BatchSize;
  }
  if (ourQueue) {
    const retention = num(ourQueue.attributes.MessageRetentionPeriod);
    if (retention !== undefined) settings.retentionDays = retention / 86_400;
    try {
      const redrive = JSON.parse(ourQueue.attributes.RedrivePolicy ?? '');
      // The queue's own count decides when a webhook leaves: it wins over deliver's copy of it.
      if (Number(redrive.maxReceiveCount) > 0) settings.maxAttempts = Number(redrive.maxReceiveCount);
    } catch {
      // No redrive policy: the deliver function's value (if any) stands.
    }
  }
  const throttle = stage?.DefaultRouteSettings;
  const stageThrottled = throttle?.ThrottlingRateLimit !== undefined;
  if (stage) {
    const ingress: Ingress | null = stageThrottled
      ? { rate: throttle!.ThrottlingRateLimit!, burst: throttle!.ThrottlingBurstLimit ?? 0 }
      : null;
    settings.ingress = isAccountIngress(ingress) ? null : ingress;
    settings.accessLogs = Boolean(stage.AccessLogSettings?.DestinationArn);
  }
  if (ourDeliver || ourQueue || api) settings.domain = domain?.DomainName ?? null;

  const roleOurs = roles.some(
    (r, i) => r && !foreign.includes(`role ${i ? names.deliverRole : names.ingestRole}`),
  );
  const exists = Boolean(ourQueue || ourDlq || ourIngest || ourDeliver || api || domain || roleOurs);
  return {
    name,
    region: aws.settings.region,
    exists,
    ...(kind || ourIngest ? { ordered: Boolean(ordered) } : {}),
    settings,
    ...(ourQueue
      ? {
          queue: {
            retentionSeconds: num(ourQueue.attributes.MessageRetentionPeriod) ?? 345_600,
            held: totalOf(queueCounts(ourQueue.attributes)),
          },
        }
      : {}),
    dlqHeld: ourDlq ? totalOf(queueCounts(ourDlq.attributes)) : 0,
    stageThrottled,
    foreign,
    queues: { ...(ourQueue ? { queue: ourQueue } : {}), ...(ourDlq ? { dlq: ourDlq } : {}) },
    ...(legacyAccessLogGroup ? { legacyAccessLogGroup } : {}),
  };
}
