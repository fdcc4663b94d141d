/**
 * What the `create` and `destroy` commands do once their flags are checked: pick the renderer, run the
 * engine, print the result (JSON on --json, else a summary ending with what to do next).
 */
import { awsFor, type Aws } from '../../aws/clients.js';
import { CliError, describeAwsError } from '../../errors.js';
import { isLocalHost, type GlobalOptions } from '../../options.js';
import { confirmOrThrow } from '../../ui/confirm.js';
import { printResult, warn } from '../../ui/output.js';
import { createStepRenderer } from '../../ui/step-renderer.js';
import { notOursError } from '../names.js';
import { alarmChanges, planAlarms, readAlarms, type AlarmRequest } from './alarms.js';
import { createProxy } from './create.js';
import { readCurrent } from './current.js';
import { destroyProxy } from './destroy.js';
import { mergeSettings, settingChanges, type SettingChange, type SettingsRequest } from './settings.js';
import { plural, suggest } from '../suggest.js';

async function checkVpc(aws: Aws, subnets: string[], groups: string[]) {
  const { checkVpcReachesSqs } = await import('./vpc.js');
  try {
    await checkVpcReachesSqs(aws, subnets, groups);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `create stopped before changing anything, checking that the subnets' VPC reaches SQS: ${describeAwsError(err)}`,
      'templates/operator-policy.json lists the EC2 reads it needs (ec2:DescribeSubnets, ' +
        'ec2:DescribeVpcEndpoints, ec2:DescribeRouteTables); or pass --skip-vpc-check to create without it.',
      { cause: err },
    );
  }
}

/**
 * What is worth saying about the upstream before the proxy is made: a host that means "this machine"
 * is, to the deliver function, the Lambda execution environment itself, never the operator's laptop,
 * so every delivery would fail and end in the DLQ. A warning, not a refusal: an emulator that runs
 * the functions on this machine can reach it, and nothing is lost meanwhile (redrive moves them back).
 */
export function upstreamWarnings(upstream: string): string[] {
  let host: string;
  try {
    host = new URL(upstream).hostname;
  } catch {
    return [];
  }
  if (!isLocalHost(host)) return [];
  return [
    `the upstream ${upstream} is on "${host}", which the deliver function in AWS Lambda cannot reach: ` +
      'it runs in AWS, not on this machine, so every delivery would fail and end in the dead-letter queue. ' +
      'Give a URL the internet (or, with --vpc-subnets, your VPC) can reach, or try it locally with ' +
      `"webhook-proxy dev --upstream ${upstream}".`,
  ];
}

/** The settings a run changes, one per line; `!` marks a security change (a check or limit removed). */
export function formatSettingChanges(changes: SettingChange[], dryRun: boolean): string {
  if (!changes.length) return '';
  const width = Math.max(...changes.map((c) => c.setting.length));
  const lines = changes.map(
    (c) =>
      `${c.security ? '  ! ' : '    '}${c.setting.padEnd(width)}  ${c.before ?? '(not set)'} → ${c.after}` +
      (c.security ? `   SECURITY: ${c.why}` : ''),
  );
  return `${dryRun ? 'Settings that would change' : 'Settings changed'} (before → after):\n${lines.join('\n')}\n`;
}

/**
 * What an ordered proxy cannot promise, said on every create of one (README, "An outage is not
 * counted"). deliver holds a standard queue's webhook through an outage by queueing a copy that
 * carries its count; a FIFO copy would go behind everything queued since (and is refused as a
 * duplicate within SQS's 5-minute deduplication interval), so it holds by hiding, every receive counts
 * in ApproximateReceiveCount, which deliver cannot tell apart from an attempt, and the redrive policy
 * moves the webhook at --max-attempts receives. A larger maxReceiveCount would not help: deliver still
 * could not say which receives were attempts.
 */
export function orderedOutageWarning(maxAttempts: number): string {
  return (
    `an ordered proxy counts every receive during an outage of your application as an attempt: ` +
    `after ${maxAttempts} (--max-attempts) the webhook at the head of the queue goes to the DLQ, and ` +
    '"redrive" puts it back behind the others, out of order. A standard queue holds webhooks through an ' +
    'outage uncounted; an ordered one cannot (see the README, "An outage is not counted"). Raise ' +
    '--max-attempts for an application that may be down longer than a few minutes.'
  );
}

export async function runCreate(
  global: GlobalOptions,
  name: string,
  request: SettingsRequest,
  options: { dryRun: boolean; force: boolean; alarms?: AlarmRequest; skipVpcCheck?: boolean },
): Promise<number> {
  const { dryRun } = options;
  const aws = await awsFor(global);
  // One read of what exists before anything changes: what is not ours stops create here, and a flag
  // left out keeps the value read.
  const [current, currentAlarms] = await Promise.all([
    readCurrent(aws, name, request.domain ? { domain: request.domain.domain } : {}),
    readAlarms(aws, name),
  ]);
  const foreign = [...current.foreign, ...currentAlarms.foreign];
  if (foreign.length) {
    throw notOursError(foreign, name, 'create stopped before changing anything');
  }
  const { settings, spec } = mergeSettings(current, request, { force: options.force });
  // Said before the first change, so it can be stopped, and kept in the result (--json's `warnings`).
  const said = [
    ...upstreamWarnings(spec.upstream).map((w) => ['upstream_on_this_machine', w] as const),
    ...(spec.ordered ? [['ordered_outage_counts', orderedOutageWarning(settings.maxAttempts)] as const] : []),
  ];
  for (const [code, w] of said) warn(global, code, w);
  const warnings = said.map(([, w]) => w);
  spec.alarms = await planAlarms(aws, name, currentAlarms, options.alarms ?? {});
  const changedSettings = [
    ...settingChanges(current, settings),
    ...alarmChanges(spec.alarms, current.exists),
  ];
  // Subnets given on this run (new or kept ones are not checked again) must reach SQS.
  if (request.vpc && spec.vpcSubnets.length && !options.skipVpcCheck) {
    await checkVpc(aws, spec.vpcSubnets, spec.vpcSecurityGroups);
  }
  const renderer = await createStepRenderer(global, dryRun ? 'Planning…' : `Creating ${spec.name}…`);
  let result;
  try {
    // In a dry run every step reports what it would do: say so on each progress line too.
    const events = dryRun
      ? {
          start: renderer.start,
          done: (id: string, action: string) =>
            renderer.done(id, action === 'unchanged' ? action : `would be ${action}`),
        }
      : renderer;
    result = { ...(await createProxy(aws, spec, events, { dryRun })), settings: changedSettings, warnings };
  } finally {
    await renderer.close();
  }
  const settingLines = formatSettingChanges(changedSettings, dryRun);
  const counts = result.changes.reduce<Record<string, number>>(
    (acc, c) => ((acc[c.action] = (acc[c.action] ?? 0) + 1), acc),
    {},
  );
  const summary = Object.entries(counts)
    .map(([action, n]) => `${n} ${dryRun ? `to be ${action}` : action}`)
    .join(', ');
  const human = dryRun
    ? `Dry run for proxy "${result.name}" in ${result.region}: ${summary}. Nothing was changed.\n` +
      result.changes
        .filter((c) => c.action !== 'unchanged')
        .map((c) => `  would be ${c.action}: ${c.resource}`)
        .join('\n') +
      (settingLines ? `\n${settingLines}` : '')
    : `Proxy "${result.name}" is ready in ${result.region} (${summary}).\n\n` +
      (settingLines ? `${settingLines}\n` : '') +
      `  Give this URL to the webhook sender:  ${result.customUrl ?? result.endpoint}\n` +
      (result.customUrl ? `  Default endpoint (also works):        ${result.endpoint}\n` : '') +
      `  Webhooks are delivered to:            ${result.upstream}\n` +
      (result.alarmEmailPending
        ? `  Alarm e-mails to ${result.alarmEmailPending}: PENDING CONFIRMATION. Nothing is sent until the ` +
          'link in the message from AWS Notifications is clicked.\n'
        : '') +
      (result.hostedZone
        ? `  DNS: alias record in ${result.hostedZone.name.replace(/\.$/, '')} (${result.hostedZone.id}` +
          (result.hostedZone.found === 'matched' ? ', found by name' : '') +
          ')\n'
        : '') +
      (result.dnsTarget
        ? `  DNS: no Route 53 zone here holds that domain. Point a CNAME at ${result.dnsTarget}\n`
        : '') +
      '\n' +
      `Watch it with: webhook-proxy status ${result.name} --region ${result.region}`;
  printResult(global, result, human);
  return 0;
}

/** What destroy left alone, and why (plain output). */
function leftAloneLine(name: string, leftAlone: string[]): string {
  return leftAlone.length
    ? `\nLeft alone, not made by webhook-proxy for "${name}" (no managed-by/name tags): ${leftAlone.join(', ')}.`
    : '';
}

export async function runDestroy(global: GlobalOptions, name: string, force: boolean): Promise<number> {
  const aws = await awsFor(global);
  // Which parts are this proxy's (only those are deleted) and what its queues hold, read at once.
  const current = await readCurrent(aws, name);
  const queued = current.queue?.held ?? 0;
  const dlq = current.dlqHeld;
  const where = { name, region: aws.settings.region };
  if (queued + dlq > 0 && !force) {
    throw new CliError(
      `Proxy "${name}" still holds ${plural(queued, 'queued webhook')} and ${dlq} in its dead-letter queue; ` +
        'destroying it would lose them.',
      `Deliver them first ("${suggest('drain', where)}", and "${suggest('redrive', where)}" for the DLQ), ` +
        'or pass --force to delete them with the proxy.',
    );
  }
  const nothingThere = (r: { name: string; region: string }) =>
    `Nothing to delete: there is no proxy "${r.name}" in ${r.region}.`;
  if (!current.exists) {
    // Nothing to confirm: a mistyped name or region should not be met with "Delete …?".
    printResult(
      global,
      { name, region: aws.settings.region, deleted: [], leftAlone: current.foreign },
      nothingThere({ name, region: aws.settings.region }) + leftAloneLine(name, current.foreign),
    );
    return 0;
  }
  await confirmOrThrow(
    global,
    `Delete proxy "${name}" in ${aws.settings.region}` +
      (queued + dlq ? `, with the ${plural(queued + dlq, 'webhook')} it still holds` : '') +
      '?',
    {
      noTty: { message: 'destroy needs confirmation: pass --yes (there is no terminal to ask on).' },
      declined: 'Nothing was deleted.',
    },
  );
  const renderer = await createStepRenderer(global, `Destroying ${name}…`);
  let result;
  try {
    result = await destroyProxy(aws, name, renderer, current, force);
  } finally {
    await renderer.close();
  }
  printResult(
    global,
    result,
    (result.deleted.length
      ? `Proxy "${name}" is gone from ${result.region} (${result.deleted.length} resources deleted).`
      : nothingThere(result)) + leftAloneLine(name, result.leftAlone),
  );
  return 0;
}
