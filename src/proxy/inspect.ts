/**
 * Status and list data. One parallel round: every call starts at once; only the queue attribute reads
 * wait for the URL that ListQueues gives (critical path depth 2, see locate.ts). For one named proxy:
 *
 *   depth 1: GetFunctionConfiguration · ListEventSourceMappings · GetApis · ListQueues · GetMetricData ·
 *            GetDomainNames · DescribeAlarms
 *   depth 2: GetQueueAttributes(queue) · GetQueueAttributes(dlq)
 *
 * = 9 calls. GetMetricData asks for both possible queue names (plain and .fifo) in one request so it
 * does not wait for ListQueues to tell which one exists.
 */
import type { Aws } from '../aws/clients.js';
import { ENV } from '../handlers/ports.js';
import {
  locateProxy,
  listProxies,
  proxyNameOf,
  queueCounts,
  totalOf,
  type DeliverRef,
  type Proxy,
} from './locate.js';
import { alarmStates, type AlarmState } from './alarm-states.js';
import { resourceNames } from './names.js';

export type DeliveryState = 'enabled' | 'paused' | 'transitioning' | 'missing';

export interface ProxyStatus {
  name: string;
  region: string;
  ordered: boolean;
  endpoint: string | null;
  /** With `create --domain`: the proxy's own hostname, beside the default endpoint. */
  customUrl: string | null;
  upstream: string | null;
  delivery: {
    state: DeliveryState;
    mappingState: string | null;
    concurrency: number | null;
    rate: number | null;
  };
  queue: { visible: number; inFlight: number; delayed: number; oldestAgeSeconds: number | null };
  dlq: { visible: number };
  /** Parts that do not exist (an incomplete proxy). */
  missing: string[];
  /** Its CloudWatch alarms (create --alarm-email/--alarm-topic-arn): [] none, null unreadable. */
  alarms?: AlarmState[] | null;
}

export function deliveryState(mappingState: string | undefined): DeliveryState {
  if (!mappingState) return 'missing';
  if (mappingState === 'Enabled') return 'enabled';
  if (mappingState === 'Disabled') return 'paused';
  return 'transitioning';
}

/** The rate the deliver function paces at (WP_RATE), or null when it is unpaced. */
export function rateOf(env: Record<string, string> | undefined): number | null {
  const raw = env?.[ENV.rate];
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * The age of the oldest message from CloudWatch (AWS/SQS ApproximateAgeOfOldestMessage, 1-minute
 * points, the latest one). Null when CloudWatch has no data (new queue, emulators) or fails: status
 * must never fail for want of a metric.
 */
export async function oldestMessageAge(aws: Aws, queueNames: string[]): Promise<number | null> {
  try {
    const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
    const end = new Date();
    const out = await (
      await aws.cloudwatch()
    ).send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - 15 * 60_000),
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: queueNames.map((q, i) => ({
          Id: `q${i}`,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: q }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        })),
      }),
    );
    let best: { t: number; v: number } | undefined;
    for (const r of out.MetricDataResults ?? []) {
      (r.Timestamps ?? []).forEach((ts, i) => {
        const v = r.Values?.[i];
        if (v !== undefined && (!best || ts.getTime() > best.t)) best = { t: ts.getTime(), v };
      });
    }
    return best ? Math.round(best.v) : null;
  } catch {
    return null;
  }
}

export function statusOf(proxy: Proxy, oldestAgeSeconds: number | null): ProxyStatus {
  const q = proxy.queue ? queueCounts(proxy.queue.attributes) : { visible: 0, inFlight: 0, delayed: 0 };
  const d = proxy.dlq ? queueCounts(proxy.dlq.attributes) : { visible: 0 };
  const missing: string[] = [];
  if (!proxy.queue) missing.push('queue');
  if (!proxy.dlq) missing.push('dlq');
  if (!proxy.deliver) missing.push('deliver');
  if (!proxy.mapping) missing.push('mapping');
  if (!proxy.endpoint) missing.push('api');
  // An ordered proxy's single FIFO group delivers one at a time whatever MaximumConcurrency says.
  const concurrency = proxy.ordered ? 1 : (proxy.mapping?.maximumConcurrency ?? null);
  return {
    name: proxy.name,
    region: proxy.region,
    ordered: proxy.ordered,
    endpoint: proxy.endpoint ?? null,
    customUrl: proxy.customUrl ?? null,
    upstream: proxy.deliver?.env[ENV.upstream] ?? null,
    delivery: {
      state: deliveryState(proxy.mapping?.state),
      mappingState: proxy.mapping?.state ?? null,
      concurrency,
      rate: rateOf(proxy.deliver?.env),
    },
    queue: { ...q, oldestAgeSeconds },
    dlq: { visible: d.visible },
    missing,
  };
}

/** Status of one proxy in one parallel round (9 calls, depth 2). */
export async function inspectProxy(aws: Aws, name: string, deliver?: DeliverRef): Promise<ProxyStatus> {
  const plain = resourceNames(name).queue;
  const fifo = resourceNames(name, { ordered: true }).queue;
  // Load the SDK modules and build the clients first, so every call of the round really starts at once.
  await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-apigatewayv2'),
    import('@aws-sdk/client-cloudwatch'),
    aws.sqs(),
    aws.lambda(),
    aws.apigw(),
    aws.cloudwatch(),
    aws.knownAccountId(), // resolves the credentials, and says whether the queues can be read at once
  ]);
  const [proxy, age, alarms] = await Promise.all([
    locateProxy(aws, name, { deliver }),
    oldestMessageAge(aws, [plain, fifo]),
    alarmStates(aws, name),
  ]);
  return { ...statusOf(proxy, age), alarms };
}

/** Run `fn` over items with at most `limit` at once (a region may hold many proxies). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Status of every proxy in the region: ListFunctions, then each proxy's round (at most 8 at once). */
export async function inspectAll(aws: Aws): Promise<ProxyStatus[]> {
  const delivers = await listProxies(aws);
  return mapLimit(delivers, 8, (d) => inspectProxy(aws, proxyNameOf(d.name), d));
}

/** One line of `list`: the contract's `{name, endpoint, upstream, queued, dlq, state}`. */
export function listEntry(s: ProxyStatus) {
  return {
    name: s.name,
    endpoint: s.endpoint,
    customUrl: s.customUrl,
    upstream: s.upstream,
    queued: totalOf(s.queue),
    dlq: s.dlq.visible,
    state: s.delivery.state,
  };
}
