/**
 * One cached SDK client factory. Every client gets the same region, credentials (the default chain,
 * or --profile), endpoint override (emulators), adaptive retries, timeouts (src/aws/timeouts.ts) and
 * user agent. Client packages are imported on first use, so a command loads only the services it
 * talks to.
 * Engine modules take an `Aws` and call narrow functions; commands never build raw clients.
 */
import type { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';
import type { ACMClient } from '@aws-sdk/client-acm';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { UsageError } from '../errors.js';
import { httpUrl, type GlobalOptions } from '../options.js';
import { packageVersion } from '../paths.js';
import { runClientHooks } from './client-hooks.js';
import { installCredentialErrors } from './credential-errors.js';
import {
  callTimeouts,
  installTimeoutHandling,
  requestHandlerOptions,
  type EndpointSource,
} from './timeouts.js';

export interface AwsSettings {
  region: string;
  profile?: string;
  endpoint?: string;
  /** Where `endpoint` came from, for errors that name it. Not part of the cache key. */
  endpointSource?: EndpointSource;
}

export interface Aws {
  settings: AwsSettings;
  sqs(): Promise<SQSClient>;
  lambda(): Promise<LambdaClient>;
  iam(): Promise<IAMClient>;
  apigw(): Promise<ApiGatewayV2Client>;
  logs(): Promise<CloudWatchLogsClient>;
  cloudwatch(): Promise<CloudWatchClient>;
  /** The alarms' notification topic (create --alarm-email). */
  sns(): Promise<SNSClient>;
  sts(): Promise<STSClient>;
  acm(): Promise<ACMClient>;
  route53(): Promise<Route53Client>;
  /** Only with --vpc-subnets: whether the subnets' VPC can reach SQS (provision/vpc.ts). */
  ec2(): Promise<EC2Client>;
  /** The account id (cached), for ARNs the APIs do not return. */
  accountId(): Promise<string>;
  /** The account id when known without a call (src/aws/account.ts), else undefined. */
  knownAccountId(): Promise<string | undefined>;
  /** Remember the account id read from an ARN, for the next run with these credentials. */
  rememberAccountId(accountId: string | undefined): Promise<void>;
}

// AWS region names: two letters, a direction, a number (us-east-1, ap-southeast-2, us-gov-west-1, eu-isoe-west-1).
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The region from --region, then AWS_REGION / AWS_DEFAULT_REGION, then the profile's config. */
export async function resolveRegion(global: GlobalOptions): Promise<string> {
  let region = global.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    // The SDK's own resolution reads the region of the profile in ~/.aws/config.
    const { STSClient } = await import('@aws-sdk/client-sts');
    const probe = new STSClient(global.profile ? { profile: global.profile } : {});
    region = await probe.config.region().catch(() => undefined);
    probe.destroy();
  }
  if (!region) {
    throw new UsageError(
      'No AWS region given.',
      'Pass --region (for example --region eu-west-1), set AWS_REGION, or set a region in your AWS profile.',
    );
  }
  if (!REGION_RE.test(region)) {
    throw new UsageError(
      `"${region}" is not an AWS region name.`,
      'Region names look like us-east-1 or eu-west-2.',
    );
  }
  return region;
}

const cache = new Map<string, Aws>();
let warnedBothSources = false;

/** The SDK's logger for the credential chain: its one warning is said by awsFor, as ours. */
const quietSdkLogger = { debug() {}, info() {}, warn() {}, error() {} };

export async function awsFor(global: GlobalOptions): Promise<Aws> {
  // Checked before any call: a bad URL or an unknown profile is the command line's fault (exit 2).
  // An empty value (AWS_ENDPOINT_URL= in a script) means none, as it does to the SDK.
  const fromFlag = !!global.endpointUrl && global.endpointUrlSource !== 'env';
  const endpoint = global.endpointUrl || process.env.AWS_ENDPOINT_URL || undefined;
  const endpointSource: EndpointSource = fromFlag ? '--endpoint-url' : 'AWS_ENDPOINT_URL';
  if (endpoint !== undefined) {
    httpUrl(endpointSource, 'http://127.0.0.1:5000 (an emulator); leave it out to use AWS')(endpoint);
  }
  const profile = global.profile ?? process.env.AWS_PROFILE;
  if (profile) {
    const { checkProfileExists } = await import('./profile.js');
    await checkProfileExists(profile, global.profile ? '--profile' : 'AWS_PROFILE');
  }
  if (profile && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY && !warnedBothSources) {
    // The SDK's chain takes the profile and says so with a console.warn that names AWS_PROFILE even
    // for --profile (and breaks --json's stderr): said here instead, once, in our words.
    warnedBothSources = true;
    const { warn } = await import('../ui/output.js');
    const from = global.profile ? '--profile' : 'AWS_PROFILE';
    warn(
      global,
      'profile_over_environment_keys',
      `the AWS profile "${profile}" (from ${from}) is used: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment are ignored while a profile is given (${from === '--profile' ? 'leave out --profile' : 'unset AWS_PROFILE'} to use them).`,
    );
  }
  callTimeouts(); // a bad WEBHOOK_PROXY_AWS_TIMEOUT is a usage error here, not inside the first call
  const settings: AwsSettings = {
    region: await resolveRegion(global),
    profile: global.profile,
    endpoint,
    ...(endpoint !== undefined ? { endpointSource } : {}),
  };
  return createAws(settings);
}

export function createAws(settings: AwsSettings): Aws {
  // The clients depend on these three; the endpoint's source only labels errors.
  const key = JSON.stringify({
    region: settings.region,
    profile: settings.profile,
    endpoint: settings.endpoint,
  });
  const hit = cache.get(key);
  if (hit) return hit;

  const timeouts = callTimeouts();
  const common = async () => {
    // The chain made here (rather than the client's own) for --profile, and for AWS_PROFILE beside
    // keys in the environment, whose SDK warning awsFor replaces.
    const envProfile = process.env.AWS_PROFILE || undefined;
    const bothSources =
      !!envProfile && !!process.env.AWS_ACCESS_KEY_ID && !!process.env.AWS_SECRET_ACCESS_KEY;
    const credentials =
      settings.profile || bothSources
        ? (await import('@aws-sdk/credential-providers')).fromNodeProviderChain({
            profile: settings.profile ?? envProfile,
            logger: quietSdkLogger,
          })
        : undefined;
    return {
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
      // Adaptive retries back off on throttling (a runbook command must survive a busy account).
      retryMode: 'adaptive',
      maxAttempts: 6,
      requestHandler: requestHandlerOptions(timeouts),
      customUserAgent: `webhook-proxy/${packageVersion()}`,
    };
  };
  const once = <T extends { middlewareStack: unknown }>(make: () => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () =>
      (p ??= make().then((client) => {
        installTimeoutHandling(client, settings, timeouts);
        installCredentialErrors(client, settings);
        // Empty in the product: tests add the AWS rules moto skips and a call recorder (client-hooks.ts).
        runClientHooks(client as T & { config: unknown }, { ...settings, source: 'cli' });
        return client;
      }));
  };
  let account: Promise<string> | undefined;
  let known: Promise<string | undefined> | undefined;
  const aws: Aws = {
    settings,
    sqs: once(async () => new (await import('@aws-sdk/client-sqs')).SQSClient(await common())),
    lambda: once(async () => new (await import('@aws-sdk/client-lambda')).LambdaClient(await common())),
    iam: once(async () => new (await import('@aws-sdk/client-iam')).IAMClient(await common())),
    apigw: once(
      async () => new (await import('@aws-sdk/client-apigatewayv2')).ApiGatewayV2Client(await common()),
    ),
    logs: once(
      async () => new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(await common()),
    ),
    cloudwatch: once(
      async () => new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient(await common()),
    ),
    sns: once(async () => new (await import('@aws-sdk/client-sns')).SNSClient(await common())),
    sts: once(async () => new (await import('@aws-sdk/client-sts')).STSClient(await common())),
    acm: once(async () => new (await import('@aws-sdk/client-acm')).ACMClient(await common())),
    // Route 53 is a global service; the SDK routes it wherever the region says.
    route53: once(async () => new (await import('@aws-sdk/client-route-53')).Route53Client(await common())),
    ec2: once(async () => new (await import('@aws-sdk/client-ec2')).EC2Client(await common())),
    accountId: () =>
      (account ??= (async () => {
        const known = await aws.knownAccountId();
        if (known) return known;
        const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
        const out = await (await aws.sts()).send(new GetCallerIdentityCommand({}));
        await aws.rememberAccountId(out.Account);
        return out.Account!;
      })()),
    // Asked once per process (it reads the credentials and a file), so callers in one round agree.
    knownAccountId: () =>
      (known ??= (async () => {
        const { knownAccountId } = await import('./account.js');
        return knownAccountId(settings, await aws.sqs());
      })()),
    rememberAccountId: async (accountId) => {
      if (!accountId) return;
      known = Promise.resolve(accountId);
      const { rememberAccountId } = await import('./account.js');
      await rememberAccountId(settings, await aws.sqs(), accountId);
    },
  };
  cache.set(key, aws);
  return aws;
}
