/**
 * `webhook-proxy create [name] --upstream URL`: provision or converge one proxy (src/proxy/provision/).
 * Each flag is checked on its own before the first AWS call; what depends on the proxy's current
 * settings (a flag left out keeps its value) is checked once they are read, before anything changes.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import {
  addEdgeOptions,
  defaultEdgeIo,
  edgeEnv,
  edgeIoFor,
  type EdgeIo,
  type EdgeOptions,
} from '../handlers/edge/flags.js';
import { DEFAULTS } from '../handlers/ports.js';
import { collect, durationInRange, intInRange, NONE, noneToNull, numberInRange, orNone } from '../options.js';
import { parseTags, validateName } from '../proxy/names.js';
import { validateDomainFlags } from '../proxy/provision/domain-flags.js';
import type { SettingsRequest } from '../proxy/provision/settings.js';
import type { AlarmRequest } from '../proxy/provision/alarms.js';
import {
  DEFAULT_ALARM_AGE_SECONDS,
  formatAge,
  MAX_ALARM_AGE_SECONDS,
  MIN_ALARM_AGE_SECONDS,
} from '../proxy/alarm-states.js';
import { addDeliveryOptions, type DeliveryOptions } from './delivery-options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface CreateOptions extends EdgeOptions, DeliveryOptions {
  retention?: number;
  ordered?: boolean;
  ingressRate?: number | typeof NONE;
  ingressBurst?: number;
  vpcSubnets?: string;
  vpcSecurityGroups?: string;
  memory?: number;
  tag?: string[];
  dryRun?: boolean;
  force?: boolean;
  domain?: string;
  certificateArn?: string;
  hostedZoneId?: string;
  accessLogs?: boolean;
  alarmEmail?: string;
  alarmTopicArn?: string;
  alarmAge?: number;
  skipVpcCheck?: boolean;
}

const list = (raw?: string) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const isNone = (raw: string | undefined) => raw?.trim().toLowerCase() === 'none';

function ingressFrom(o: CreateOptions): SettingsRequest['ingress'] {
  if (o.ingressRate === NONE) {
    if (o.ingressBurst !== undefined) {
      throw new UsageError('--ingress-rate none takes no --ingress-burst: it removes the limit.');
    }
    return null;
  }
  if ((o.ingressRate === undefined) !== (o.ingressBurst === undefined)) {
    throw new UsageError(
      '--ingress-rate and --ingress-burst go together: give both, or neither (or --ingress-rate none).',
    );
  }
  return o.ingressRate === undefined ? undefined : { rate: o.ingressRate, burst: o.ingressBurst! };
}

function vpcFrom(o: CreateOptions): SettingsRequest['vpc'] {
  if (isNone(o.vpcSubnets)) {
    if (o.vpcSecurityGroups !== undefined) {
      throw new UsageError(
        '--vpc-subnets none takes no --vpc-security-groups: it takes deliver out of the VPC.',
      );
    }
    return null;
  }
  const subnets = list(o.vpcSubnets);
  const groups = list(o.vpcSecurityGroups);
  if (groups.length && !subnets.length) throw new UsageError('--vpc-security-groups needs --vpc-subnets.');
  if (subnets.length && !groups.length) throw new UsageError('--vpc-subnets needs --vpc-security-groups.');
  for (const s of subnets)
    if (!/^subnet-[0-9a-f]+$/.test(s)) throw new UsageError(`"${s}" is not a subnet id (subnet-…).`);
  for (const g of groups)
    if (!/^sg-[0-9a-f]+$/.test(g)) throw new UsageError(`"${g}" is not a security group id (sg-…).`);
  return subnets.length ? { subnets, securityGroups: groups } : undefined;
}

/**
 * `--verify`/`--handshake`: absent keeps what the proxy has, `none` removes them all, anything else
 * replaces them with exactly these (edgeEnv of that flag alone: the edge flags' own checks and form).
 */
function edgePart(flag: '--verify' | '--handshake', values: string[] | undefined, io: EdgeIo) {
  if (values === undefined) return undefined;
  if (values.some(isNone)) {
    if (values.length > 1) {
      throw new UsageError(
        `${flag} none removes every one; it does not go with other ${flag} values.`,
        `Give ${flag} none alone, or only the ${flag} values the proxy should have.`,
      );
    }
    return null;
  }
  return edgeEnv(flag === '--verify' ? { verify: values } : { handshake: values }, io);
}

/** The flags as a request: each setting given, `null` where it is removed, absent where it is kept. */
export function requestFromOptions(o: CreateOptions, io: EdgeIo = defaultEdgeIo): SettingsRequest {
  // The two edge flags together, once, for their combined checks (sizes, duplicates).
  edgeEnv(
    {
      verify: (o.verify ?? []).filter((v) => !isNone(v)),
      handshake: (o.handshake ?? []).filter((v) => !isNone(v)),
    },
    io,
  );
  const domain = isNone(o.domain) ? null : validateDomainFlags(o);
  if (domain === null && (o.certificateArn || o.hostedZoneId)) {
    throw new UsageError(
      '--domain none takes no --certificate-arn or --hosted-zone-id: it removes the domain.',
    );
  }
  const given = {
    upstream: o.upstream,
    concurrency: o.concurrency,
    rate: noneToNull(o.rate),
    batchSize: o.batchSize,
    timeout: o.timeout,
    maxAttempts: o.maxAttempts,
    backoffBase: o.backoffBase,
    backoffMax: o.backoffMax,
    retentionDays: o.retention,
    responseStatus: o.responseStatus,
    preservePath: o.preservePath,
    adaptive: o.adaptive,
    retryWindow: o.retryWindow,
    ordered: o.ordered,
    ingress: ingressFrom(o),
    vpc: vpcFrom(o),
    memory: o.memory,
    accessLogs: o.accessLogs,
    domain,
    verify: edgePart('--verify', o.verify, io),
    handshakes: edgePart('--handshake', o.handshake, io),
    // `--methods`: absent keeps the proxy's; given, it replaces them (the default list sets it back).
    methods: o.methods === undefined ? undefined : edgeEnv({ methods: o.methods }, io),
  };
  return {
    ...(Object.fromEntries(
      Object.entries(given).filter(([, v]) => v !== undefined),
    ) as Partial<SettingsRequest>),
    tags: parseTags(o.tag),
  };
}

// Checked here, before any AWS call; SNS itself accepts any string and mails nothing on a typo.
const EMAIL_RE = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;
const TOPIC_ARN_RE = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** The alarm flags as a request: absent keeps, `none` removes. */
export function alarmRequestFromOptions(o: CreateOptions): AlarmRequest {
  const req: AlarmRequest = {};
  if (o.alarmEmail !== undefined) {
    if (isNone(o.alarmEmail)) req.email = null;
    else if (EMAIL_RE.test(o.alarmEmail.trim())) req.email = o.alarmEmail.trim();
    else {
      throw new UsageError(
        `--alarm-email "${o.alarmEmail}" is not an e-mail address.`,
        'Give one address, such as --alarm-email ops@example.com (or none to stop the alarm e-mails).',
      );
    }
  }
  if (o.alarmTopicArn !== undefined) {
    if (isNone(o.alarmTopicArn)) req.topicArn = null;
    else if (TOPIC_ARN_RE.test(o.alarmTopicArn.trim())) req.topicArn = o.alarmTopicArn.trim();
    else {
      throw new UsageError(
        `--alarm-topic-arn "${o.alarmTopicArn}" is not an SNS topic ARN.`,
        'It looks like arn:aws:sns:eu-west-1:123456789012:ops-alerts (or none to stop notifying it).',
      );
    }
  }
  if (o.alarmAge !== undefined) req.ageSeconds = o.alarmAge;
  return req;
}

const REMOVALS = `
On an existing proxy, a flag left out keeps the proxy's current value (defaults apply to a new one),
and each setting is removed explicitly:
  --rate none               deliver unpaced
  --verify none             stop checking signatures (shown as a security change)
  --handshake none          stop answering handshakes (shown as a security change)
  --ingress-rate none       lift the API Gateway limit (to the account's own: 10000/s, burst 5000)
  --vpc-subnets none        take deliver out of the VPC
  --no-preserve-path        deliver to the upstream URL as given
  --no-adaptive             deliver at the fixed --concurrency again (--adaptive turns it on)
  --no-access-logs          stop writing API Gateway access logs (--access-logs turns them on)
  --domain none             remove the custom domain (its DNS record, API mapping and domain name)
  --alarm-email none        stop the alarm e-mails (deletes webhook-proxy's SNS topic)
  --alarm-topic-arn none    stop notifying your topic (the topic itself is never changed)
                            with neither left, the alarms are deleted
Every changed setting is listed as before → after, with --dry-run too.`;

export const create: CommandSpec<CreateOptions> = {
  name: 'create',
  summary: 'Provision a proxy in your AWS account, or converge an existing one to these flags',
  configure(cmd: Command) {
    addDeliveryOptions(
      cmd.argument('[name]', 'proxy name (lower-case letters, digits, hyphens)', 'default'),
      'aws',
    )
      .option(
        '--retention <days>',
        `days SQS keeps undelivered webhooks (1–14; default: ${DEFAULTS.retention})`,
        intInRange('--retention', 1, 14),
      )
      .option(
        '--force',
        'lower --retention even while webhooks are held (SQS deletes those older than the new period)',
      )
      .option(
        '--ordered',
        'strictly one delivery at a time, in order (FIFO queue, one message group, one webhook per batch)',
      )
      .option(
        '--ingress-rate <r|none>',
        'API Gateway throttle: requests per second (with --ingress-burst); none: lift it',
        orNone(numberInRange('--ingress-rate', 1, 100_000), 'to lift the limit'),
      )
      .option(
        '--ingress-burst <b>',
        'API Gateway throttle: burst size (with --ingress-rate)',
        intInRange('--ingress-burst', 1, 100_000),
      )
      .option(
        '--vpc-subnets <ids|none>',
        'comma-separated subnet ids: deliver runs in your VPC (to reach a private upstream); none: out of it',
      )
      .option('--vpc-security-groups <ids>', 'comma-separated security group ids (with --vpc-subnets)')
      .option(
        '--skip-vpc-check',
        'with --vpc-subnets: do not check that the subnets reach SQS (an endpoint or a NAT), for routes the check cannot see',
      )
      .option(
        '--memory <mb>',
        'memory of each function, MB (default: 256)',
        intInRange('--memory', 128, 10_240),
      )
      .option('--tag <key=value>', 'extra tag on every resource (repeatable)', collect)
      .option(
        '--domain <host|none>',
        'serve the proxy on your own host name too (with --certificate-arn); none: remove it',
      )
      .option('--certificate-arn <arn>', 'ACM certificate for --domain, in the same region as the proxy')
      .option(
        '--hosted-zone-id <id>',
        'Route 53 zone for the alias record (default: the zone that matches --domain)',
      )
      .option('--access-logs', 'write API Gateway access logs to CloudWatch (default: on)')
      .option('--no-access-logs', 'do not write API Gateway access logs to CloudWatch')
      .option(
        '--alarm-email <addr|none>',
        'alarms (DLQ not empty, oldest webhook too old, deliver errors/throttles) e-mailed via an SNS topic made for it',
      )
      .option('--alarm-topic-arn <arn|none>', 'your own SNS topic for the alarms (never changed or deleted)')
      .option(
        '--alarm-age <duration>',
        `alarm when the oldest queued webhook is older than this (default: ${formatAge(DEFAULT_ALARM_AGE_SECONDS)})`,
        durationInRange('--alarm-age', MIN_ALARM_AGE_SECONDS, MAX_ALARM_AGE_SECONDS),
      )
      .option('--dry-run', 'print what would change, and change nothing')
      .addHelpText('after', REMOVALS);
    return addEdgeOptions(cmd);
  },
  async run(ctx: CommandContext<CreateOptions>) {
    const name = validateName(ctx.args[0] ?? 'default');
    const request = requestFromOptions(ctx.opts, edgeIoFor(ctx.global));
    const alarms = alarmRequestFromOptions(ctx.opts);
    const { runCreate } = await import('../proxy/provision/run.js');
    return runCreate(ctx.global, name, request, {
      dryRun: Boolean(ctx.opts.dryRun),
      force: Boolean(ctx.opts.force),
      alarms,
      skipVpcCheck: Boolean(ctx.opts.skipVpcCheck),
    });
  },
};
