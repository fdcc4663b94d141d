/**
 * Find an existing proxy in AWS by its deterministic names (src/proxy/names.ts).
 *
 * One round of independent calls, all started at once:
 *
 *   GetFunctionConfiguration(deliver) · ListEventSourceMappings(deliver) · GetApis (paged, by name) ·
 *   GetDomainNames (the custom domain, by tags) · the queues
 *
 * A queue is addressed by a URL that holds the account id. When the account is known without a call
 * (the credentials carry it, or the account cache: src/aws/account.ts), the queues are read in that
 * same round: GetQueueAttributes on the URLs of both kinds (standard and .fifo, for the queue and the
 * DLQ; the two of the other kind answer "does not exist"). Otherwise ListQueues (prefix
 * webhook-proxy-NAME, one call for both kinds) goes in the round, and the two GetQueueAttributes follow
 * it: a second round, once per set of credentials, as the queue's ARN then fills the cache.
 */
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import { accountOfArn } from '../aws/account.js';
import type { Aws } from '../aws/clients.js';
import { isNotFound } from '../aws/errors.js';
import { CliError, ProxyNotFoundError } from '../errors.js';
import { ENV } from '../handlers/ports.js';
import { findProxyDomain } from './domain-lookup.js';
import { findApi } from './provision/api.js';
import { findMapping } from './provision/mapping.js';
import { PREFIX, resourceNames } from './names.js';
import { suggest } from './suggest.js';

export interface QueueRef {
  url: string;
  name: string;
  arn: string;
  attributes: Record<string, string>;
}

export interface MappingRef {
  uuid: string;
  /** Creating | Enabling | Enabled | Disabling | Disabled | Updating | Deleting */
  state: string;
  maximumConcurrency?: number;
  batchSize: number;
}

export interface DeliverRef {
  name: string;
  arn: string;
  env: Record<string, string>;
  timeout: number;
}

export interface Proxy {
  name: string;
  region: string;
  ordered: boolean;
  queue?: QueueRef;
  dlq?: QueueRef;
  deliver?: DeliverRef;
  mapping?: MappingRef;
  endpoint?: string;
  /** With `create --domain`: the proxy's own hostname. */
  customUrl?: string;
}

/** Queue attributes the commands need: counts for status/drain, ARN and settings for the rest. */
const QUEUE_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'VisibilityTimeout',
  'RedrivePolicy',
  'MessageRetentionPeriod',
] as const;

const COUNT_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

export async function getQueueAttributes(aws: Aws, url: string): Promise<Record<string, string>> {
  const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  const out = await (
    await aws.sqs()
  ).send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...QUEUE_ATTRIBUTES] }));
  return out.Attributes ?? {};
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** Only the three counts: what drain and purge read. */
export async function readCounts(aws: Aws, url: string): Promise<QueueCounts> {
  const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  const out = await (
    await aws.sqs()
  ).send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...COUNT_ATTRIBUTES] }));
  return queueCounts(out.Attributes ?? {});
}

export const totalOf = (c: QueueCounts): number => c.visible + c.inFlight + c.delayed;

/** ListQueues' largest page. */
export const LIST_QUEUES_MAX = 1000;

/**
 * The queue URLs whose name starts with `prefix` (ListQueues, paginated).
 * MaxResults is what makes it page at all. AWS: SQS Developer Guide, "Amazon SQS list queue
 * pagination": "If you do not set MaxResults, the response includes a maximum of 1,000 results and the
 * NextToken value in the response is null." (moto ignores MaxResults and NextToken and returns the
 * first 1,000.) A prefix such as webhook-proxy-prod also matches every webhook-proxy-prod-* proxy.
 */
async function listQueueUrls(aws: Aws, prefix: string): Promise<string[]> {
  const { paginateListQueues } = await import('@aws-sdk/client-sqs');
  const urls: string[] = [];
  for await (const page of paginateListQueues(
    { client: await aws.sqs() },
    { QueueNamePrefix: prefix, MaxResults: LIST_QUEUES_MAX },
  )) {
    urls.push(...(page.QueueUrls ?? []));
  }
  return urls;
}

const queueNameOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

async function findQueue(aws: Aws, urls: Promise<string[]>, names: string[]): Promise<QueueRef | undefined> {
  const url = (await urls).find((u) => names.includes(queueNameOf(u)));
  return url ? readQueue(aws, url) : undefined;
}

/** A queue's attributes, or undefined when it does not exist (or, for a guessed URL, is not ours to read). */
async function readQueue(aws: Aws, url: string, guessed = false): Promise<QueueRef | undefined> {
  try {
    const attributes = await getQueueAttributes(aws, url);
    return { url, name: queueNameOf(url), arn: attributes.QueueArn ?? '', attributes };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    // A URL under another account's id: the fallback below asks ListQueues, which says what is ours.
    if (guessed && /AccessDenied/.test((err as { name?: string }).name ?? '')) return undefined;
    throw err;
  }
}

/**
 * The URL AWS gives a queue: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (amazonaws.com.cn in China).
 * With --endpoint-url (an emulator), that endpoint in place of AWS's.
 */
export function queueUrlOf(aws: Aws, account: string, queueName: string): string {
  const { region, endpoint } = aws.settings;
  const base = endpoint
    ? endpoint.replace(/\/+$/, '')
    : `https://sqs.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  return `${base}/${account}/${queueName}`;
}

/** Both queues of a proxy, of whichever kind exists; see the module comment for the one or two rounds. */
export async function findQueues(
  aws: Aws,
  name: string,
): Promise<[QueueRef | undefined, QueueRef | undefined]> {
  const plain = resourceNames(name);
  const fifo = resourceNames(name, { ordered: true });
  const account = await aws.knownAccountId();
  if (account) {
    const [q, d, fq, fd] = await Promise.all(
      [plain.queue, plain.dlq, fifo.queue, fifo.dlq].map((n) =>
        readQueue(aws, queueUrlOf(aws, account, n), true),
      ),
    );
    // None found: a proxy without queues, or an account id that is not these queues' (a stale
    // AWS_ACCOUNT_ID, say). ListQueues settles it, in a second round only in this case.
    if (q || d || fq || fd) return [q ?? fq, d ?? fd];
  }
  const urls = listQueueUrls(aws, plain.queue);
  const found = await Promise.all([
    findQueue(aws, urls, [plain.queue, fifo.queue]),
    findQueue(aws, urls, [plain.dlq, fifo.dlq]),
  ]);
  await aws.rememberAccountId(accountOfArn(found[0]?.arn ?? found[1]?.arn));
  return found;
}

export function deliverRefOf(config: FunctionConfiguration): DeliverRef {
  return {
    name: config.FunctionName ?? '',
    arn: config.FunctionArn ?? '',
    env: { ...(config.Environment?.Variables ?? {}) },
    timeout: config.Timeout ?? 3,
  };
}

async function getDeliver(aws: Aws, functionName: string): Promise<DeliverRef | undefined> {
  const { GetFunctionConfigurationCommand } = await import('@aws-sdk/client-lambda');
  try {
    const config = await (
      await aws.lambda()
    ).send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return deliverRefOf(config);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function getMapping(aws: Aws, functionName: string): Promise<MappingRef | undefined> {
  // A proxy's deliver function has one mapping: from its queue. (AWS answers ResourceNotFoundException
  // for a function that does not exist, moto an empty list: both mean "no mapping".)
  const m = await findMapping(await aws.lambda(), functionName);
  return m ? mappingRefOf(m) : undefined;
}

export function mappingRefOf(m: {
  UUID?: string;
  State?: string;
  BatchSize?: number;
  ScalingConfig?: { MaximumConcurrency?: number };
}): MappingRef {
  return {
    uuid: m.UUID ?? '',
    state: m.State ?? 'Unknown',
    maximumConcurrency: m.ScalingConfig?.MaximumConcurrency,
    batchSize: m.BatchSize ?? 10,
  };
}

/** The endpoint of the proxy's HTTP API (found by name and tags, as create and destroy find it). */
async function getEndpoint(aws: Aws, apiName: string, proxy: string): Promise<string | undefined> {
  return (await findApi(await aws.apigw(), apiName, proxy))?.ApiEndpoint;
}

export interface LocateOptions {
  /** Already known from a ListFunctions page (list, status of several): saves one call. */
  deliver?: DeliverRef;
}

/** Describe one proxy; throws ProxyNotFoundError when none of its parts exist. */
export async function locateProxy(aws: Aws, name: string, options: LocateOptions = {}): Promise<Proxy> {
  const plain = resourceNames(name);
  // Build the clients (and resolve the credentials) first so every call below really starts at once.
  await Promise.all([aws.sqs(), aws.lambda(), aws.apigw(), aws.knownAccountId()]);
  const [deliver, mapping, endpoint, [queue, dlq], domain] = await Promise.all([
    options.deliver ?? getDeliver(aws, plain.deliverFunction),
    getMapping(aws, plain.deliverFunction),
    getEndpoint(aws, plain.api, name),
    findQueues(aws, name),
    findProxyDomain(aws, name),
  ]);
  if (!deliver && !queue && !mapping && !endpoint) {
    throw new ProxyNotFoundError(name, aws.settings.region);
  }
  const ordered = queue ? queue.name.endsWith('.fifo') : false;
  const customUrl = domain?.DomainName ? `https://${domain.DomainName}` : undefined;
  return { name, region: aws.settings.region, ordered, queue, dlq, deliver, mapping, endpoint, customUrl };
}

type Part = 'queue' | 'dlq' | 'deliver' | 'mapping';
const PART_LABEL: Record<Part, string> = {
  queue: 'SQS queue',
  dlq: 'dead-letter queue',
  deliver: 'deliver function',
  mapping: 'event source mapping (queue → deliver)',
};

/** The part a command needs, or a clear error saying the proxy is incomplete and how to repair it. */
export function need<P extends Part>(proxy: Proxy, part: P): NonNullable<Proxy[P]> {
  const value = proxy[part];
  if (!value) {
    throw new CliError(
      `Proxy "${proxy.name}" in ${proxy.region} is incomplete: it has no ${PART_LABEL[part]}.`,
      `Run "${suggest('create', proxy, '--upstream URL')}" again to complete it, or "${suggest('destroy', proxy, '--yes')}" to remove what is left.`,
    );
  }
  return value as NonNullable<Proxy[P]>;
}

const DELIVER_RE = new RegExp(`^${PREFIX}([a-z](?:[a-z0-9-]*[a-z0-9])?)-deliver$`);

/**
 * Every proxy in the region. We list Lambda functions (ListFunctions, with the SDK paginator) and keep
 * `webhook-proxy-*-deliver`: one paged call region-wide that already carries each function's
 * environment (upstream, limits), so the per-proxy round needs no GetFunctionConfiguration. Listing
 * queues by prefix would return queues and DLQs alike (and other tools' look-alikes), and the tagging
 * API would be one more client and permission for no extra information. A function is ours when its
 * WP_PROXY_NAME (written by `create`) names the same proxy. The price: a proxy whose `create` failed
 * before its deliver function existed is not listed (`status NAME` still finds its queues).
 */
export async function listProxies(aws: Aws): Promise<DeliverRef[]> {
  const { paginateListFunctions } = await import('@aws-sdk/client-lambda');
  const found: DeliverRef[] = [];
  for await (const page of paginateListFunctions({ client: await aws.lambda() }, {})) {
    for (const f of page.Functions ?? []) {
      const m = DELIVER_RE.exec(f.FunctionName ?? '');
      if (!m) continue;
      const ref = deliverRefOf(f);
      const owner = ref.env[ENV.proxyName];
      if (owner !== undefined ? owner !== m[1] : !ref.env[ENV.upstream]) continue;
      found.push(ref);
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The proxy name of a deliver function name. */
export function proxyNameOf(deliverFunctionName: string): string {
  return DELIVER_RE.exec(deliverFunctionName)?.[1] ?? deliverFunctionName;
}

/** Queue counts as exact integers (SQS returns strings). */
export function queueCounts(attributes: Record<string, string>): QueueCounts {
  const n = (k: string) => Number.parseInt(attributes[k] ?? '0', 10) || 0;
  return {
    visible: n('ApproximateNumberOfMessages'),
    inFlight: n('ApproximateNumberOfMessagesNotVisible'),
    delayed: n('ApproximateNumberOfMessagesDelayed'),
  };
}
