/**
 * A proxy's settings as an operator sets them, and the one merge a re-run of `create` makes:
 *
 *   what the proxy has now (current.ts reads it from AWS)  +  what the flags say  →  the spec
 *
 * A flag left out keeps the current value; a default applies only to what does not exist yet; `none`
 * (or `--no-…`) removes a setting. In both the flags and the current values, `undefined` means "not
 * given / not there" and `null` means "none". Every cross-setting check runs on the merged values,
 * before anything is changed. Pure: no AWS, so it is tested on its own.
 */
import { CliError, UsageError } from '../../errors.js';
import { EDGE_ENV_MAX_BYTES } from '../../handlers/edge/flags.js';
import { DEFAULT_METHODS } from '../../handlers/edge/methods.js';
import { DEFAULTS, ENV } from '../../handlers/ports.js';
import { checkDeliveryOptions } from '../../commands/delivery-options.js';
import {
  backoffScheduleSeconds,
  deliverFunctionTimeout,
  maxAttemptsWithin,
  worstRetrySeconds,
} from '../limits.js';
import type { DomainSpec } from './domain.js';
import type { ProvisionSpec } from './types.js';
import { suggest } from '../suggest.js';

/** A command a refusal suggests, with the proxy's region when known (suggest.ts says why). */
const cmd = (current: Pick<CurrentProxy, 'name' | 'region'>, verb: string, rest = '') =>
  current.region
    ? suggest(verb, { name: current.name, region: current.region }, rest)
    : `webhook-proxy ${verb} ${current.name}${rest ? ` ${rest}` : ''}`;

export interface Ingress {
  rate: number;
  burst: number;
}
export interface Vpc {
  subnets: string[];
  securityGroups: string[];
}

/** Every setting of a proxy, resolved. `null`: none (unpaced, no ingress limit, no VPC, no domain). */
export interface Settings {
  upstream: string;
  concurrency: number;
  rate: number | null;
  batchSize: number;
  timeout: number;
  maxAttempts: number;
  backoffBase: number;
  backoffMax: number;
  retentionDays: number;
  responseStatus: number;
  preservePath: boolean;
  /** `--adaptive`: deliver finds the concurrency the upstream can take (WP_ADAPTIVE). */
  adaptive: boolean;
  /** `--retry-window`, seconds: a webhook older than this goes to the DLQ (WP_RETRY_WINDOW). */
  retryWindow: number;
  ingress: Ingress | null;
  vpc: Vpc | null;
  memory: number;
  accessLogs: boolean;
  /** The custom domain's host name. */
  domain: string | null;
  /** The ingest function's handshake and signature variables (they hold secrets: never shown). */
  edgeEnv: Record<string, string>;
}

/** What the flags of `create` ask for. Absent: keep; null: remove. */
export interface SettingsRequest extends Partial<Omit<Settings, 'domain' | 'edgeEnv'>> {
  ordered?: boolean;
  /** A domain to serve (converged), or null for `--domain none`. */
  domain?: DomainSpec | null;
  /** The variables `--verify` makes (edgeEnv of those flags alone), or null for `--verify none`. */
  verify?: Record<string, string> | null;
  /** The same for `--handshake`. */
  handshakes?: Record<string, string> | null;
  /** The variable `--methods` makes (edgeEnv of that flag alone). */
  methods?: Record<string, string>;
  tags: Record<string, string>;
}

/** What AWS holds of a proxy now, as current.ts reads it in one round before anything changes. */
export interface CurrentProxy {
  name: string;
  /** Where it was read (for the commands a refusal suggests); unit tests may leave it out. */
  region?: string;
  /** Any part of the proxy exists. */
  exists: boolean;
  /** The kind its queues (or its ingest function) are; undefined when neither exists. */
  ordered?: boolean;
  settings: Partial<Settings>;
  /** The main queue's retention (seconds) and how many webhooks it holds (visible, in flight, delayed). */
  queue?: { retentionSeconds: number; held: number };
  /** Webhooks in the dead-letter queue. */
  dlqHeld: number;
  /** The stage has a default route throttle (which API Gateway cannot unset, see ACCOUNT_INGRESS). */
  stageThrottled: boolean;
  /** Same-named resources that are not this proxy's (no managed-by/name tags): never touched. */
  foreign: string[];
}

/** The defaults of a new proxy (DESIGN.md, "CLI contract"). */
export const NEW_PROXY: Omit<Settings, 'upstream'> = {
  concurrency: DEFAULTS.concurrency,
  rate: null,
  batchSize: DEFAULTS.batchSize,
  timeout: DEFAULTS.timeout,
  maxAttempts: DEFAULTS.maxAttempts,
  backoffBase: DEFAULTS.backoffBase,
  backoffMax: DEFAULTS.backoffMax,
  retentionDays: DEFAULTS.retention,
  responseStatus: DEFAULTS.responseStatus,
  preservePath: false,
  adaptive: false,
  retryWindow: DEFAULTS.retryWindow,
  ingress: null,
  vpc: null,
  memory: 256,
  accessLogs: true,
  domain: null,
  edgeEnv: {},
};

/**
 * `--ingress-rate none` on a stage that has a limit. API Gateway v2 has no call that unsets a stage's
 * default route throttle (DeleteRouteSettings removes per-route settings only), and an UpdateStage
 * without the two values sets them to 0, which refuses every request (terraform-aws-modules/
 * terraform-aws-apigateway-v2 issue 45, pulumi-aws issue 2363). The closest correct thing is the
 * account's own default limit, above which a stage limit has no effect (AWS: "Throttling requests to
 * your HTTP API": route limits "can't exceed account-level rate limits"; API Gateway quotas: 10,000
 * requests per second, burst 5,000, per account and Region). A stage at exactly these values reads
 * back as "none".
 */
export const ACCOUNT_INGRESS: Ingress = { rate: 10_000, burst: 5_000 };

/**
 * A new ordered proxy's ingress limit. Its queue is FIFO with one message group, and a FIFO queue takes
 * about 300 SendMessage calls per second (per partition; one group is one partition): above that, SQS
 * answers ThrottlingException (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-fifo-throttling-issues.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
 * ingest sends one message per webhook, so throttled sends would make senders retry (ingest answers
 * 503) instead of being held at the door. API Gateway's token bucket lets through at most burst + rate
 * requests in any one second: 250/s with a burst of 50 keeps that at 300. Only a default: a rate the
 * user gives (or `none`) stands, and an existing proxy keeps its own.
 */
export const ORDERED_INGRESS: Ingress = { rate: 250, burst: 50 };

export function isAccountIngress(i: Ingress | null | undefined): boolean {
  return i?.rate === ACCOUNT_INGRESS.rate && i?.burst === ACCOUNT_INGRESS.burst;
}

const DAY = 86_400;

/** The edge variables that `--verify`, `--handshake` and `--methods` own. */
const EDGE_KEYS = { verify: ENV.verify, handshakes: ENV.handshakes, methods: ENV.methods } as const;

function mergeEdge(current: Record<string, string>, req: SettingsRequest): Record<string, string> {
  const edge = { ...current };
  for (const part of ['verify', 'handshakes', 'methods'] as const) {
    const given = req[part];
    if (given === undefined) continue;
    delete edge[EDGE_KEYS[part]];
    Object.assign(edge, given ?? {});
  }
  return edge;
}

/** The resolved settings and the spec `createProxy` converges to. Throws what the operator must change. */
export function mergeSettings(
  current: CurrentProxy,
  req: SettingsRequest,
  options: { force?: boolean } = {},
): { settings: Settings; spec: ProvisionSpec } {
  const name = current.name;
  if (req.ordered && current.ordered === false) {
    throw new CliError(
      `Proxy "${name}" already exists as an unordered proxy.`,
      `A proxy cannot switch between ordered and unordered in place. Drain and destroy it first ` +
        `("${cmd(current, 'drain')}", then "${cmd(current, 'destroy', '--yes')}"), or use another name.`,
    );
  }
  const ordered = current.ordered ?? Boolean(req.ordered);
  const pick = <K extends keyof Omit<Settings, 'upstream' | 'domain' | 'edgeEnv'>>(key: K): Settings[K] => {
    const given = req[key];
    if (given !== undefined) return given as unknown as Settings[K];
    const now = current.settings[key];
    return (now !== undefined ? now : NEW_PROXY[key]) as Settings[K];
  };

  // Ordered: one webhook per batch. An explicit --batch-size other than 1 is refused, never changed.
  if (ordered && req.batchSize !== undefined && req.batchSize !== 1) {
    throw new UsageError(
      `--batch-size ${req.batchSize} does not go with --ordered: an ordered proxy delivers one webhook per batch.`,
      'Drop --batch-size. In a batch, the webhooks behind a failed one would have to be handed back untried, ' +
        'and every hand-back counts as an attempt, so they could reach the DLQ without ever being delivered.',
    );
  }
  // Ordered: one delivery at a time, whatever the mapping's cap (AWS's minimum of 2 is what it keeps).
  // A --concurrency above 1 would promise parallel deliveries a single message group never makes, so
  // it is refused as --batch-size is, never silently kept.
  if (ordered && req.concurrency !== undefined && req.concurrency !== 1) {
    throw new UsageError(
      `--concurrency ${req.concurrency} does not go with --ordered: an ordered proxy delivers one webhook at a time.`,
      'Drop --concurrency (or give 1). Its queue is FIFO with one message group, which SQS hands out one ' +
        'message at a time, in order; "webhook-proxy scale NAME --rate R" still sets how fast.',
    );
  }
  const requested = pick('concurrency');
  const concurrency = ordered ? Math.max(2, requested) : requested;
  if (concurrency < 2) {
    throw new UsageError(
      '--concurrency must be at least 2: that is the lowest cap AWS allows on an SQS event source mapping.',
      'For strictly one delivery at a time, in order, create the proxy with --ordered (a FIFO queue with one message group).',
    );
  }
  const currentDomain = current.settings.domain ?? null;
  if (req.domain && currentDomain && req.domain.domain !== currentDomain) {
    throw new UsageError(
      `Proxy "${name}" already serves ${currentDomain}; it cannot take ${req.domain.domain} as well.`,
      `Remove the current one first ("${cmd(current, 'create', '--domain none')}"), then add the new one.`,
    );
  }
  const settings: Settings = {
    upstream: req.upstream ?? current.settings.upstream ?? '',
    concurrency,
    rate: pick('rate'),
    batchSize: ordered ? 1 : pick('batchSize'),
    timeout: pick('timeout'),
    maxAttempts: pick('maxAttempts'),
    backoffBase: pick('backoffBase'),
    backoffMax: pick('backoffMax'),
    retentionDays: pick('retentionDays'),
    responseStatus: pick('responseStatus'),
    preservePath: pick('preservePath'),
    adaptive: pick('adaptive'),
    retryWindow: pick('retryWindow'),
    ingress:
      // A new ordered proxy (no stage yet to read a limit from) is held under its FIFO queue's limit.
      ordered && req.ingress === undefined && current.settings.ingress === undefined
        ? ORDERED_INGRESS
        : pick('ingress'),
    vpc: pick('vpc'),
    memory: pick('memory'),
    accessLogs: pick('accessLogs'),
    domain: req.domain === undefined ? currentDomain : (req.domain?.domain ?? null),
    edgeEnv: mergeEdge(current.settings.edgeEnv ?? {}, req),
  };
  const edgeBytes = Object.entries(settings.edgeEnv).reduce(
    (n, [k, v]) => n + k.length + Buffer.byteLength(v),
    0,
  );
  if (edgeBytes > EDGE_ENV_MAX_BYTES) {
    throw new UsageError(
      `--handshake and --verify, with those the proxy keeps, take ${edgeBytes} bytes of the ingest function's environment, over ${EDGE_ENV_MAX_BYTES}.`,
      'Lambda allows 4 KB of environment variables per function: give both flags (or "none") to replace them all.',
    );
  }
  const pacing = ordered ? 1 : concurrency;
  checkDeliveryOptions({ ...settings, rate: settings.rate ?? undefined }, 'create', pacing);
  const functionTimeout = deliverFunctionTimeout({
    ...settings,
    concurrency: pacing,
    rate: settings.rate ?? undefined,
  });
  checkRetentionCoversRetries(current, settings, functionTimeout);
  checkRetentionLowering(current, settings, Boolean(options.force));

  // `none` on a stage that has a limit: the account's own limit (see ACCOUNT_INGRESS).
  const ingress = settings.ingress ?? (current.stageThrottled ? ACCOUNT_INGRESS : undefined);
  const spec: ProvisionSpec = {
    name,
    upstream: settings.upstream,
    concurrency,
    ...(settings.rate !== null ? { rate: settings.rate } : {}),
    batchSize: settings.batchSize,
    timeout: settings.timeout,
    maxAttempts: settings.maxAttempts,
    backoffBase: settings.backoffBase,
    backoffMax: settings.backoffMax,
    retentionDays: settings.retentionDays,
    responseStatus: settings.responseStatus,
    preservePath: settings.preservePath,
    adaptive: settings.adaptive,
    retryWindow: settings.retryWindow,
    ordered,
    ...(ingress ? { ingressRate: ingress.rate, ingressBurst: ingress.burst } : {}),
    vpcSubnets: settings.vpc?.subnets ?? [],
    vpcSecurityGroups: settings.vpc?.securityGroups ?? [],
    memory: settings.memory,
    tags: req.tags,
    accessLogs: settings.accessLogs,
    ...(req.domain ? { domain: req.domain } : {}),
    ...(req.domain === null && currentDomain ? { removeDomain: currentDomain } : {}),
    ingestEnv: settings.edgeEnv,
  };
  return { settings, spec };
}

const days = (n: number) => `${+n.toFixed(2)} day${n === 1 ? '' : 's'}`;
const duration = (seconds: number) =>
  seconds >= DAY
    ? days(seconds / DAY)
    : seconds >= 3600
      ? `${+(seconds / 3600).toFixed(1)} h`
      : `${Math.ceil(seconds / 60)} min`;

/**
 * A retention shorter than the worst-case retry schedule lets SQS delete a failing webhook before its
 * last attempt, so it never reaches the dead-letter queue. Refused (not capped: the operator chooses
 * which of the two to give up), whenever one of its inputs is set or changes; a proxy left as it was
 * is not refused for what an earlier version allowed.
 */
function checkRetentionCoversRetries(current: CurrentProxy, s: Settings, functionTimeout: number) {
  const was = current.settings;
  const touched =
    !current.queue ||
    was.retentionDays !== s.retentionDays ||
    was.maxAttempts !== s.maxAttempts ||
    was.timeout !== s.timeout ||
    was.batchSize !== s.batchSize ||
    was.rate !== s.rate ||
    was.concurrency !== s.concurrency;
  const retention = Math.round(s.retentionDays * DAY);
  const worst = worstRetrySeconds({ maxAttempts: s.maxAttempts, functionTimeout });
  if (!touched || worst <= retention) return;
  const plain = backoffScheduleSeconds({ ...s, functionTimeout });
  const fitsAttempts = maxAttemptsWithin(retention, functionTimeout);
  const needDays = Math.ceil(worst / DAY);
  throw new UsageError(
    `--retention ${days(s.retentionDays)} is shorter than the longest a failing webhook can wait for its ` +
      `${s.maxAttempts} attempts: up to ${duration(worst)} when your application answers 429 or 503 with ` +
      `Retry-After (honoured up to 12 h per retry), about ${duration(plain)} without. SQS would delete it ` +
      'before its last attempt, and it would never reach the dead-letter queue.',
    (needDays <= 14 ? `Use --retention ${needDays} or more, or ` : 'Use ') +
      `--max-attempts ${fitsAttempts} or fewer.`,
  );
}

/**
 * AWS: SetQueueAttributes: changes to MessageRetentionPeriod "will impact existing messages in the
 * queue potentially causing them to be expired and deleted if the MessageRetentionPeriod is reduced
 * below the age of existing messages". SQS cannot tell the age of each message, so any held webhook
 * could be older than the new period: refused while the queue or the DLQ (whose webhooks a redrive
 * puts back under the queue's retention) holds any, unless --force.
 */
function checkRetentionLowering(current: CurrentProxy, s: Settings, force: boolean) {
  const q = current.queue;
  if (!q || force || Math.round(s.retentionDays * DAY) >= q.retentionSeconds) return;
  const held = q.held + current.dlqHeld;
  if (held === 0) return;
  throw new CliError(
    `Lowering --retention from ${days(q.retentionSeconds / DAY)} to ${days(s.retentionDays)} makes SQS delete ` +
      `every webhook older than ${days(s.retentionDays)}, and proxy "${current.name}" holds ${q.held} in its ` +
      `queue and ${current.dlqHeld} in its dead-letter queue: up to ${held} could be deleted (SQS cannot ` +
      'tell how old each one is).',
    `Deliver them first ("${cmd(current, 'drain')}", and "${cmd(current, 'redrive')}" ` +
      'for the dead-letter queue), or pass --force to lower it anyway.',
  );
}

/** One setting that a run changes: shown as before → after (provider names only, never a secret). */
export interface SettingChange {
  setting: string;
  /** null: not set before (a part that did not exist). */
  before: string | null;
  after: string;
  /** Removes a signature check, a handshake or an ingress limit. */
  security?: true;
  /** Why it is a security change, for the plain output. */
  why?: string;
}

/** Provider names in a WP_VERIFY/WP_HANDSHAKES value (a JSON array of {name, secret…}), sorted. */
function providerNames(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v)) {
      return v.map((e) => (typeof e?.name === 'string' ? e.name : '?')).sort();
    }
  } catch {
    // Unreadable: say so rather than guess (and never show the value).
  }
  return ['(unreadable)'];
}

function providers(names: string[]): string {
  if (!names.length) return 'none';
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
}

const onOff = (b: boolean) => (b ? 'on' : 'off');
const seconds = (n: number) => `${n} s`;

/** How each setting reads in the output. */
const SHOW: { [K in keyof Omit<Settings, 'edgeEnv'>]: [string, (v: Settings[K]) => string] } = {
  upstream: ['upstream', (v) => v],
  concurrency: ['concurrency', String],
  rate: ['rate', (v) => (v === null ? 'unpaced' : `${v}/s`)],
  batchSize: ['batch-size', String],
  timeout: ['timeout', seconds],
  maxAttempts: ['max-attempts', String],
  backoffBase: ['backoff-base', seconds],
  backoffMax: ['backoff-max', seconds],
  retentionDays: ['retention', days],
  responseStatus: ['response-status', String],
  preservePath: ['preserve-path', onOff],
  adaptive: ['adaptive', onOff],
  retryWindow: ['retry-window', (v) => `${v} s (${duration(v)})`],
  ingress: ['ingress-rate', (v) => (v && !isAccountIngress(v) ? `${v.rate}/s, burst ${v.burst}` : 'none')],
  vpc: ['vpc-subnets', (v) => (v ? `${v.subnets.join(', ')} (${v.securityGroups.join(', ')})` : 'none')],
  memory: ['memory', (v) => `${v} MB`],
  accessLogs: ['access-logs', onOff],
  domain: ['domain', (v) => v ?? 'none'],
};

/** Every setting that differs between what the proxy has and what it will have. */
export function settingChanges(current: CurrentProxy, after: Settings): SettingChange[] {
  if (!current.exists) return [];
  const before = current.settings;
  const out: SettingChange[] = [];
  for (const key of Object.keys(SHOW) as (keyof typeof SHOW)[]) {
    const [label, show] = SHOW[key] as [string, (v: unknown) => string];
    const was = before[key] === undefined ? null : show(before[key]);
    const now = show(after[key]);
    if (was === now) continue;
    const change: SettingChange = { setting: label, before: was, after: now };
    if (key === 'ingress' && was !== null && was !== 'none' && now === 'none') {
      Object.assign(change, {
        security: true,
        why: 'the endpoint takes as many requests as the account allows',
      });
    }
    out.push(change);
  }
  const methods = (raw: string | undefined) => raw ?? `${DEFAULT_METHODS.join(',')} (default)`;
  if (before.edgeEnv?.[ENV.methods] !== after.edgeEnv[ENV.methods]) {
    const was = before.edgeEnv === undefined ? null : methods(before.edgeEnv[ENV.methods]);
    out.push({ setting: 'methods', before: was, after: methods(after.edgeEnv[ENV.methods]) });
  }
  for (const [part, label] of [
    ['verify', 'verify'],
    ['handshakes', 'handshake'],
  ] as const) {
    const key = EDGE_KEYS[part];
    const wasRaw = before.edgeEnv?.[key];
    const nowRaw = after.edgeEnv[key];
    if (wasRaw === nowRaw) continue;
    const was = providerNames(wasRaw);
    const now = providerNames(nowRaw);
    const shownNow = providers(now);
    const change: SettingChange = {
      setting: label,
      before: before.edgeEnv === undefined ? null : providers(was),
      after: providers(was) === shownNow ? `${shownNow} (changed)` : shownNow,
    };
    const removed = [...new Set(was)].filter((n) => !now.includes(n));
    if (removed.length) {
      Object.assign(change, {
        security: true,
        why:
          part === 'verify'
            ? `signatures are no longer checked for ${removed.join(', ')}: forged webhooks are accepted`
            : `the ${removed.join(', ')} handshake is no longer answered at the proxy`,
      });
    }
    out.push(change);
  }
  return out;
}
