/**
 * `webhook-proxy create [name] --upstream URL`: provision or converge one proxy (src/proxy/provision/).
 * Every flag is checked before the first AWS call, so bad input creates nothing.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { addEdgeOptions, edgeEnv, type EdgeOptions } from '../handlers/edge/flags.js';
import { DEFAULTS } from '../handlers/ports.js';
import { collect, intInRange, numberInRange } from '../options.js';
import { parseTags, validateName } from '../proxy/names.js';
import { validateDomainFlags } from '../proxy/provision/domain-flags.js';
import type { ProvisionSpec } from '../proxy/provision/types.js';
import { addDeliveryOptions, checkDeliveryOptions, type DeliveryOptions } from './delivery-options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface CreateOptions extends EdgeOptions, DeliveryOptions {
  retention: number;
  ordered?: boolean;
  ingressRate?: number;
  ingressBurst?: number;
  vpcSubnets?: string;
  vpcSecurityGroups?: string;
  memory: number;
  tag?: string[];
  dryRun?: boolean;
  domain?: string;
  certificateArn?: string;
  hostedZoneId?: string;
  accessLogs?: boolean;
}

const list = (raw?: string) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Options → the spec of the proxy, or a UsageError that says what to change. */
export function specFromOptions(name: string, o: CreateOptions): ProvisionSpec {
  validateName(name);
  if ((o.ingressRate === undefined) !== (o.ingressBurst === undefined)) {
    throw new UsageError('--ingress-rate and --ingress-burst go together: give both, or neither.');
  }
  const subnets = list(o.vpcSubnets);
  const groups = list(o.vpcSecurityGroups);
  if (groups.length && !subnets.length) throw new UsageError('--vpc-security-groups needs --vpc-subnets.');
  if (subnets.length && !groups.length) throw new UsageError('--vpc-subnets needs --vpc-security-groups.');
  for (const s of subnets)
    if (!/^subnet-[0-9a-f]+$/.test(s)) throw new UsageError(`"${s}" is not a subnet id (subnet-…).`);
  for (const g of groups)
    if (!/^sg-[0-9a-f]+$/.test(g)) throw new UsageError(`"${g}" is not a security group id (sg-…).`);
  // Ordered: one webhook per batch. An explicit --batch-size other than 1 is refused, never changed.
  if (o.ordered && o.batchSize !== undefined && o.batchSize !== 1) {
    throw new UsageError(
      `--batch-size ${o.batchSize} does not go with --ordered: an ordered proxy delivers one webhook per batch.`,
      'Drop --batch-size. In a batch, the webhooks behind a failed one would have to be handed back untried, ' +
        'and every hand-back counts as an attempt, so they could reach the DLQ without ever being delivered.',
    );
  }
  const batchSize = o.ordered ? 1 : (o.batchSize ?? DEFAULTS.batchSize);
  const concurrency = o.ordered ? Math.max(2, o.concurrency) : o.concurrency;
  if (concurrency < 2) {
    throw new UsageError(
      '--concurrency must be at least 2: that is the lowest cap AWS allows on an SQS event source mapping.',
      'For strictly one delivery at a time, in order, create the proxy with --ordered (a FIFO queue with one message group).',
    );
  }
  const upstream = checkDeliveryOptions({ ...o, batchSize }, 'create', o.ordered ? 1 : concurrency);
  const domain = validateDomainFlags(o);
  return {
    name,
    upstream,
    concurrency,
    ...(o.rate !== undefined ? { rate: o.rate } : {}),
    batchSize,
    timeout: o.timeout,
    maxAttempts: o.maxAttempts,
    backoffBase: o.backoffBase,
    backoffMax: o.backoffMax,
    retentionDays: o.retention,
    responseStatus: o.responseStatus,
    preservePath: Boolean(o.preservePath),
    ordered: Boolean(o.ordered),
    ...(o.ingressRate !== undefined ? { ingressRate: o.ingressRate, ingressBurst: o.ingressBurst } : {}),
    vpcSubnets: subnets,
    vpcSecurityGroups: groups,
    memory: o.memory,
    tags: parseTags(o.tag),
    ingestEnv: edgeEnv(o),
    accessLogs: o.accessLogs !== false,
    ...(domain ? { domain } : {}),
  };
}

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
        'days SQS keeps undelivered webhooks (1–14)',
        intInRange('--retention', 1, 14),
        DEFAULTS.retention,
      )
      .option(
        '--ordered',
        'strictly one delivery at a time, in order (FIFO queue, one message group, one webhook per batch)',
      )
      .option(
        '--ingress-rate <r>',
        'API Gateway throttle: requests per second (with --ingress-burst)',
        numberInRange('--ingress-rate', 1, 100_000),
      )
      .option(
        '--ingress-burst <b>',
        'API Gateway throttle: burst size (with --ingress-rate)',
        intInRange('--ingress-burst', 1, 100_000),
      )
      .option(
        '--vpc-subnets <ids>',
        'comma-separated subnet ids: deliver runs in your VPC (to reach a private upstream)',
      )
      .option('--vpc-security-groups <ids>', 'comma-separated security group ids (with --vpc-subnets)')
      .option('--memory <mb>', 'memory of each function, MB', intInRange('--memory', 128, 10_240), 256)
      .option('--tag <key=value>', 'extra tag on every resource (repeatable)', collect)
      .option('--domain <host>', 'serve the proxy on your own host name too (with --certificate-arn)')
      .option('--certificate-arn <arn>', 'ACM certificate for --domain, in the same region as the proxy')
      .option(
        '--hosted-zone-id <id>',
        'Route 53 zone for the alias record (default: the zone that matches --domain)',
      )
      .option('--no-access-logs', 'do not write API Gateway access logs to CloudWatch')
      .option('--dry-run', 'print what would change, and change nothing');
    return addEdgeOptions(cmd);
  },
  async run(ctx: CommandContext<CreateOptions>) {
    const name = ctx.args[0] ?? 'default';
    const spec = specFromOptions(name, ctx.opts);
    const { runCreate } = await import('../proxy/provision/run.js');
    return runCreate(ctx.global, spec, Boolean(ctx.opts.dryRun));
  },
};
