/**
 * Deterministic AWS names and tags for one proxy. There is no local state file: a proxy is found
 * in AWS again by these names (and checked by its tags), from any machine.
 */
import { CliError, UsageError } from '../errors.js';

export const TOOL_TAG = 'managed-by';
export const TOOL_TAG_VALUE = 'webhook-proxy';
export const NAME_TAG = 'webhook-proxy:name';

/** Made by this tool for this proxy (its tags), so a same-named resource of someone else is never touched. */
export function isOurs(tags: Record<string, string> | undefined, proxy: string): boolean {
  return tags?.[TOOL_TAG] === TOOL_TAG_VALUE && tags?.[NAME_TAG] === proxy;
}

/**
 * Same-named resources that are not this proxy's (labels as the steps name them). `when`: what
 * stopped, for the message ("create stopped before changing anything").
 */
export function notOursError(labels: string[], proxy: string, when: string): CliError {
  const them = labels.length === 1 ? 'it' : 'them';
  return new CliError(
    `${when}: ${labels.join(', ')} ${labels.length === 1 ? 'exists' : 'exist'} with this proxy's ` +
      `${labels.length === 1 ? 'name' : 'names'} but ${labels.length === 1 ? 'was' : 'were'} not made by ` +
      `webhook-proxy for proxy "${proxy}" (no tags ${TOOL_TAG}=${TOOL_TAG_VALUE} and ${NAME_TAG}=${proxy}).`,
    `webhook-proxy never adopts, changes or deletes what it did not make. Use another proxy name; or, if ` +
      `${them} belonged to this proxy and lost ${labels.length === 1 ? 'its' : 'their'} tags, tag ${them} ` +
      `${TOOL_TAG}=${TOOL_TAG_VALUE} and ${NAME_TAG}=${proxy}; otherwise delete or rename ${them} first.`,
  );
}

export const PREFIX = 'webhook-proxy-';

/**
 * The longest derived name is `webhook-proxy-<name>-deliver` (a Lambda function and an IAM role,
 * both limited to 64 characters), so a name may have at most 64 − 22 = 42 characters; we keep 40.
 */
export const MAX_NAME_LENGTH = 40;
const NAME_RE = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

export function validateName(name: string): string {
  if (name.length > MAX_NAME_LENGTH || !NAME_RE.test(name) || name.includes('--')) {
    throw new UsageError(
      `"${name}" is not a valid proxy name.`,
      `Use 1–${MAX_NAME_LENGTH} lower-case letters, digits and single hyphens, starting with a letter ` +
        `(for example "stripe" or "sendgrid-events"): the name becomes part of AWS resource names.`,
    );
  }
  return name;
}

export interface ResourceNames {
  name: string;
  queue: string;
  dlq: string;
  ingestFunction: string;
  deliverFunction: string;
  ingestRole: string;
  deliverRole: string;
  api: string;
  ingestLogGroup: string;
  deliverLogGroup: string;
  accessLogGroup: string;
  /** Where access logs went before they moved under /aws/vendedlogs/ (kept until destroy). */
  legacyAccessLogGroup: string;
}

export function resourceNames(name: string, options: { ordered?: boolean } = {}): ResourceNames {
  const base = `${PREFIX}${name}`;
  const fifo = options.ordered ? '.fifo' : '';
  return {
    name,
    queue: `${base}${fifo}`,
    dlq: `${base}-dlq${fifo}`,
    ingestFunction: `${base}-ingest`,
    deliverFunction: `${base}-deliver`,
    ingestRole: `${base}-ingest`,
    deliverRole: `${base}-deliver`,
    api: base,
    ingestLogGroup: `/aws/lambda/${base}-ingest`,
    deliverLogGroup: `/aws/lambda/${base}-deliver`,
    // Under /aws/vendedlogs/: API Gateway adds every other access-log group to the account's one
    // CloudWatch Logs resource policy, limited to 5,120 characters, and past a few dozen APIs CreateStage
    // fails ("Insufficient permissions to enable logging"); groups under this prefix are exempt
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html,
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).
    accessLogGroup: `/aws/vendedlogs/apigateway/${base}`,
    legacyAccessLogGroup: `/aws/apigateway/${base}`,
  };
}

/** Tags on every resource: which tool made it and which proxy it belongs to, plus the user's `--tag`s. */
export function proxyTags(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [TOOL_TAG]: TOOL_TAG_VALUE, [NAME_TAG]: name };
}

/** Parse `--tag k=v` flags. */
export function parseTags(raw: string[] = []): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const item of raw) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag must be key=value (got "${item}").`);
    const key = item.slice(0, eq);
    if (key === TOOL_TAG || key === NAME_TAG)
      throw new UsageError(`--tag ${key} is reserved by webhook-proxy.`);
    const value = item.slice(eq + 1);
    // AWS's tag limits, the same in SQS, Lambda, IAM, Logs and API Gateway (Tagging AWS resources:
    // keys 1–128 characters, values up to 256, the prefix aws: reserved, at most 50 tags a resource).
    if (key.length > 128)
      throw new UsageError(`--tag key "${key.slice(0, 40)}…" has ${key.length} characters; AWS allows 128.`);
    if (value.length > 256)
      throw new UsageError(`--tag ${key} has a value of ${value.length} characters; AWS allows 256.`);
    if (/^aws:/i.test(key)) throw new UsageError(`--tag ${key}: the prefix aws: is reserved by AWS.`);
    tags[key] = value;
  }
  // Two of a resource's 50 tags are webhook-proxy's own (proxyTags).
  if (Object.keys(tags).length > 48)
    throw new UsageError(
      `${Object.keys(tags).length} --tag flags; AWS allows 50 tags a resource and webhook-proxy uses 2 of them.`,
    );
  return tags;
}
