/**
 * Status and list data. One parallel round: every call starts at once; only the queue attribute reads
 * wait for the URL that ListQueues gives (critical path depth 2, see locate.ts). For one named proxy:
 *
 *   depth 1: GetFunctionConfiguration · ListEventSourceMappings · GetApis · ListQueues · GetMetricData ·
 *            GetDomainNames · DescribeAlarms
 *   depth 2: GetQueueAttributes(queue) · GetQueueAttributes(dlq)
 *
 * = 9 calls (an adaptive proxy: one FilterLogEvents more, at depth 3, found.ts). GetMetricData asks for both possible queue names (plain and .fifo) in one request so it
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
import { readFound, type DeliveryFound } from './found.js';
import { resourceNames } from './names.js';
import {
  quietFromMetrics,
  STALL_AFTER_SECONDS,
  stallNextCommand,
  type DeletedPoint,
  type Stall,
} from './stall.js';
import { concurrencyOf } from './limits.js';
import { formatDuration } from './trend.js';

/** `stopped`: a local proxy (`--local`) with no server running on its data directory. */
export type DeliveryState = 'enabled' | 'paused' | 'transitioning' | 'missing' | 'stopped';

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
    /** --concurrency: the ceiling, read back from the function's environment and the mapping. */
    concurrency: number | null;
    /**
     * Containers Lambda may run at once: the mapping's MaximumConcurrency, the pacing plan's count
     * (below `concurrency` when a rate does not divide evenly: 3 × 10/s at --rate 30 --concurrency 4).
     */
    containers: number | null;
    rate: number | null;
    /** `--adaptive` (WP_ADAPTIVE): concurrency and rate are ceilings; deliver finds what the upstream takes. */
    adaptive: boolean;
    /**
     * Adaptive proxies, `status NAME`: what deliver's containers have found in the last minutes
     * (found.ts); null when none logged it. Absent for a fixed proxy and in `list`.
     */
    found?: DeliveryFound | null;
  };
  queue: { visible: number; inFlight: number; delayed: number; oldestAgeSeconds: number | null };
  dlq: { visible: number };
  /**
   * Webhooks waiting and nothing delivered for a while (src/proxy/stall.ts), with the command to run
   * next; null when delivery flows, is paused, or there is no evidence either way.
   */
  stall: StallReport | null;
  /** Parts that do not exist (an incomplete proxy). */
  missing: string[];
  /** Its CloudWatch alarms (create --alarm-email/--alarm-topic-arn): [] none, null unreadable. */
  alarms?: AlarmState[] | null;
  /** A local proxy (`status --local`): its data directory and the server running on it, if any. */
  local?: { dataDir: string; server: { pid: number; url: string; startedAt: string } | null };
}

export interface StallReport extends Stall {
  /** The stall in words. */
  message: string;
  /** The command to run next, with the proxy's name and region. */
  next: string;
}

/** A stall verdict as status reports it: in words, with the next command. */
export function stallReport(name: string, region: string, depth: number, stall: Stall): StallReport {
  const waiting = `${depth} webhook${depth === 1 ? '' : 's'} waiting`;
  const message =
    stall.basis === 'cloudwatch'
      ? `STALLED: ${waiting} and CloudWatch shows none delivered in the last ${formatDuration(stall.seconds)}, though delivery is enabled.`
      : `STALLED: ${waiting} and none has left the queue in ${formatDuration(stall.seconds)} of readings, though delivery is enabled.`;
  return { ...stall, seconds: Math.round(stall.seconds), message, next: stallNextCommand(name, region) };
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

export interface QueueMetrics {
  /** AWS/SQS ApproximateAgeOfOldestMessage, the latest point; null without data. */
  oldestAgeSeconds: number | null;
  /** AWS/SQS NumberOfMessagesDeleted per minute (what the mapping deleted: delivered), oldest first. */
  deleted: DeletedPoint[];
}

/**
 * The queue's CloudWatch metrics, in the one GetMetricData call status already made for the age of the
 * oldest message: that age (1-minute points, the latest one) and the deletions per minute over the
 * last 15 minutes (the stall detector's evidence, src/proxy/stall.ts). Empty when CloudWatch has no
 * data (new queue, emulators) or fails: status must never fail for want of a metric.
 */
export async function queueMetrics(aws: Aws, queueNames: string[], now = Date.now()): Promise<QueueMetrics> {
  try {
    const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
    const end = new Date(now);
    const metric = (q: string, MetricName: string, Stat: string) => ({
      MetricStat: {
        Metric: { Namespace: 'AWS/SQS', MetricName, Dimensions: [{ Name: 'QueueName', Value: q }] },
        Period: 60,
        Stat,
      },
    });
    const out = await (
      await aws.cloudwatch()
    ).send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - 15 * 60_000),
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: queueNames.flatMap((q, i) => [
          { Id: `q${i}`, ...metric(q, 'ApproximateAgeOfOldestMessage', 'Maximum') },
          { Id: `d${i}`, ...metric(q, 'NumberOfMessagesDeleted', 'Sum') },
        ]),
      }),
    );
    let best: { t: number; v: number } | undefined;
    const deleted = new Map<number, number>();
    for (const r of out.MetricDataResults ?? []) {
      (r.Timestamps ?? []).forEach((ts, i) => {
        const v = r.Values?.[i];
        if (v === undefined) return;
        const t = ts.getTime();
        if (r.Id?.startsWith('d')) deleted.set(t, (deleted.get(t) ?? 0) + v);
        else if (!best || t > best.t) best = { t, v };
      });
    }
    return {
      oldestAgeSeconds: best ? Math.round(best.v) : null,
      deleted: [...deleted].sort((a, b) => a[0] - b[0]).map(([t, n]) => ({ t, deleted: n })),
    };
  } catch {
    return { oldestAgeSeconds: null, deleted: [] };
  }
}

export function statusOf(
  proxy: Proxy,
  oldestAgeSeconds: number | null,
  stall: Stall | undefined = undefined,
): ProxyStatus {
  const q = proxy.queue ? queueCounts(proxy.queue.attributes) : { visible: 0, inFlight: 0, delayed: 0 };
  const d = proxy.dlq ? queueCounts(proxy.dlq.attributes) : { visible: 0 };
  const missing: string[] = [];
  if (!proxy.queue) missing.push('queue');
  if (!proxy.dlq) missing.push('dlq');
  if (!proxy.deliver) missing.push('deliver');
  if (!proxy.mapping) missing.push('mapping');
  if (!proxy.endpoint) missing.push('api');
  // An ordered proxy's single FIFO group delivers one at a time whatever MaximumConcurrency says.
  const rate = rateOf(proxy.deliver?.env);
  const mapped = proxy.mapping?.maximumConcurrency;
  const concurrency = proxy.ordered
    ? 1
    : (concurrencyOf(proxy.deliver?.env, mapped, rate !== null ? { rate } : {}) ?? null);
  const containers = proxy.ordered ? 1 : (mapped ?? null);
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
      containers,
      rate,
      adaptive: proxy.deliver?.env[ENV.adaptive] === '1',
    },
    queue: { ...q, oldestAgeSeconds },
    dlq: { visible: d.visible },
    stall:
      stall && proxy.mapping?.state === 'Enabled' && totalOf(q) > 0
        ? stallReport(proxy.name, proxy.region, totalOf(q), stall)
        : null,
    missing,
  };
}

/** Status of one proxy in one parallel round (9 calls, depth 2). */
export async function inspectProxy(aws: Aws, name: string, deliver?: DeliverRef): Promise<ProxyStatus> {
  return (await inspectRound(aws, name, deliver)).status;
}

/** The status, with the stall judged from CloudWatch alone, and the metrics (status --watch adds its readings). */
export async function inspectRound(
  aws: Aws,
  name: string,
  deliver?: DeliverRef,
): Promise<{ status: ProxyStatus; proxy: Proxy; metrics: QueueMetrics; at: number }> {
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
  const [proxy, metrics, alarms] = await Promise.all([
    locateProxy(aws, name, { deliver }),
    queueMetrics(aws, [plain, fifo]),
    alarmStates(aws, name),
  ]);
  const at = Date.now();
  const quiet = quietFromMetrics(metrics.deleted, at, metrics.oldestAgeSeconds);
  const stall: Stall | undefined =
    quiet !== undefined && quiet >= STALL_AFTER_SECONDS ? { seconds: quiet, basis: 'cloudwatch' } : undefined;
  const status = { ...statusOf(proxy, metrics.oldestAgeSeconds, stall), alarms };
  // One more call, after the round (it needs to know the proxy is adaptive): fixed proxies skip it.
  if (status.delivery.adaptive) status.delivery.found = await readFound(aws, name, at);
  return { status, proxy, metrics, at };
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
