/**
 * Credential errors that say where the credentials came from. The SDK's own words ("Could not load
 * credentials from any providers", "The security token included in the request is invalid") do not
 * say which of the places it looks was used, and the fix depends on exactly that: log in again to a
 * profile, refresh the variables of a shell, or stop pointing at an emulator.
 *
 * The SDK's default chain (@aws-sdk/credential-provider-node): with a profile (--profile, which the
 * CLI passes, or AWS_PROFILE) the profile alone, even when AWS_ACCESS_KEY_ID is set too; else
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); else the "default" profile of the
 * shared files, then a container or instance role.
 */
import { join } from 'node:path';
import { homedir } from 'node:os';
import { CliError } from '../errors.js';
import type { AwsSettings } from './clients.js';

export type CredentialErrorCode = 'no_credentials' | 'expired_credentials' | 'rejected_credentials';

/** A credential problem, naming the credentials' source (and the endpoint, when one is set). Exit 1. */
export class CredentialError extends CliError {
  constructor(message: string, hint: string, code: CredentialErrorCode, cause: unknown) {
    super(message, hint, { cause, code });
    this.name = 'CredentialError';
  }
}

/** The first CredentialError in an error's cause chain (a step may wrap it in its own CliError). */
export function credentialErrorIn(err: unknown): CredentialError | undefined {
  for (let e = err, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof CredentialError) return e;
  }
  return undefined;
}

// The names the SDK gives these errors (query protocol codes, JSON protocol __type, the provider's).
const KIND: Record<string, CredentialErrorCode> = {
  CredentialsProviderError: 'no_credentials',
  ExpiredToken: 'expired_credentials',
  ExpiredTokenException: 'expired_credentials',
  RequestExpired: 'expired_credentials',
  InvalidClientTokenId: 'rejected_credentials',
  UnrecognizedClientException: 'rejected_credentials',
  InvalidAccessKeyId: 'rejected_credentials',
  SignatureDoesNotMatch: 'rejected_credentials',
  AuthFailure: 'rejected_credentials', // EC2
};

export interface CredentialSource {
  /** In a sentence: `the profile "ops" (from --profile)`. */
  what: string;
  kind: 'profile' | 'env' | 'chain';
  profile?: string;
}

/** Where the SDK takes this command's credentials from, by the chain's own order. */
export function credentialSource(
  settings: Pick<AwsSettings, 'profile'>,
  env: NodeJS.ProcessEnv = process.env,
): CredentialSource {
  const profile = settings.profile || env.AWS_PROFILE || undefined;
  if (profile) {
    const from = settings.profile ? '--profile' : 'AWS_PROFILE';
    return { kind: 'profile', profile, what: `the profile "${profile}" (from ${from})` };
  }
  const key = env.AWS_ACCESS_KEY_ID;
  if (key && env.AWS_SECRET_ACCESS_KEY) {
    // The key id's last four characters, as the AWS console shows them: enough to tell two keys apart.
    const tail = key.length > 8 ? `, key …${key.slice(-4)}` : '';
    const session = env.AWS_SESSION_TOKEN ? ' with AWS_SESSION_TOKEN' : '';
    return {
      kind: 'env',
      what: `AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment${session}${tail}`,
    };
  }
  return {
    kind: 'chain',
    what: `the default profile (${sharedFiles(env)}) or from this machine's container or instance role`,
  };
}

/** What the environment has of a key pair: nothing, or half of one (a common slip in a CI config). */
function halfEnv(env: NodeJS.ProcessEnv): string {
  if (env.AWS_ACCESS_KEY_ID && !env.AWS_SECRET_ACCESS_KEY)
    return 'AWS_ACCESS_KEY_ID is set, AWS_SECRET_ACCESS_KEY is not';
  if (!env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
    return 'AWS_SECRET_ACCESS_KEY is set, AWS_ACCESS_KEY_ID is not';
  return 'no AWS_ACCESS_KEY_ID';
}

function sharedFiles(env: NodeJS.ProcessEnv): string {
  const config = env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config');
  const credentials = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials');
  return `${credentials}, ${config}`;
}

/** The SDK's error as a CredentialError naming its source, or undefined for any other error. */
export function credentialError(
  err: unknown,
  settings: Pick<AwsSettings, 'profile' | 'endpoint' | 'endpointSource'>,
  env: NodeJS.ProcessEnv = process.env,
): CredentialError | undefined {
  const e = err as { name?: string; message?: string } | undefined;
  const code = KIND[e?.name ?? ''];
  if (!code) return undefined;
  const source = credentialSource(settings, env);
  // An emulator answering for AWS: its own idea of valid credentials, not AWS's.
  const at = settings.endpoint
    ? ` by ${settings.endpoint} (set by ${settings.endpointSource ?? '--endpoint-url'})`
    : '';
  const sdk = e?.message ? ` (${e.name}: ${e.message})` : ` (${e?.name})`;
  const login =
    source.kind === 'profile'
      ? `"aws sso login --profile ${source.profile}" (an SSO profile), or renew the keys of the profile`
      : source.kind === 'env'
        ? 'new AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in this shell (they are temporary credentials)'
        : '"aws sso login" or "aws configure"';
  switch (code) {
    case 'no_credentials':
      return new CredentialError(
        source.kind === 'chain'
          ? `No AWS credentials found: none in the environment (${halfEnv(env)}), in ${source.what.replace(/^the default/, 'the "default"')}${sdk}.`
          : `No AWS credentials found in ${source.what}${sdk}.`,
        source.kind === 'profile'
          ? `The profile exists but gives no credentials: run "aws configure --profile ${source.profile}" (keys) or "aws sso login --profile ${source.profile}" (SSO), or check its role_arn and source_profile.`
          : 'Run "aws configure" or "aws sso login", pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
        code,
        err,
      );
    case 'expired_credentials':
      return new CredentialError(
        `The AWS credentials from ${source.what} have expired${at}${sdk}.`,
        `Get fresh ones: ${login}; then run the command again (it is safe to repeat).`,
        code,
        err,
      );
    case 'rejected_credentials':
      return new CredentialError(
        `The AWS credentials from ${source.what} were not accepted${at}${sdk}.`,
        settings.endpoint
          ? `The endpoint comes from ${settings.endpointSource ?? '--endpoint-url'}: check that it is the emulator you meant and the credentials it expects, or leave it out to use AWS itself.`
          : source.kind === 'env'
            ? 'Check the access key and secret in the environment (a deleted or mistyped key), or unset them to use your profile.'
            : `Check the access key and secret of ${source.what}, or pass another --profile.`,
        code,
        err,
      );
  }
}

type Handler = (args: unknown) => Promise<unknown>;
interface Stack {
  add(mw: (next: Handler) => Handler, o: object): void;
}

/**
 * Around each whole call (initialize step: the credentials are resolved in the serialize step, by
 * the auth-scheme middleware, before the build step): a credential error names its source.
 */
export function installCredentialErrors(
  client: { middlewareStack: unknown },
  settings: Pick<AwsSettings, 'profile' | 'endpoint' | 'endpointSource'>,
): void {
  (client.middlewareStack as Stack).add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        throw credentialError(err, settings) ?? err;
      }
    },
    { step: 'initialize', priority: 'high', name: 'webhookProxyCredentialErrors', override: true },
  );
}
