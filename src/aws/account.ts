/**
 * The AWS account id without asking AWS, when it can be known: SQS addresses queues by a URL that
 * holds the account id, so knowing it lets `status` read its queues in the same parallel round as
 * everything else instead of waiting for ListQueues.
 *
 * Two sources, both exact:
 * - the credentials themselves: the SDK sets `accountId` for SSO, `aws_account_id` in a profile,
 *   `AWS_ACCOUNT_ID` in the environment, and credentials from STS;
 * - a small cache, keyed by a hash of the endpoint and the access key id. An access key belongs to one
 *   account for its whole life, so an entry can never go stale. It is filled from any ARN the CLI
 *   reads anyway (a queue's), so it costs no call. Set WEBHOOK_PROXY_CACHE_DIR to move it, or to an
 *   empty string to turn it off.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AwsSettings } from './clients.js';

interface CredentialSource {
  config: { credentials: () => Promise<{ accessKeyId: string; accountId?: string }> };
}

const ACCOUNT_RE = /^\d{12}$/;

function cacheFile(): string | undefined {
  const dir =
    process.env.WEBHOOK_PROXY_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'webhook-proxy');
  return dir ? join(dir, 'accounts.json') : undefined;
}

const keyOf = (settings: AwsSettings, accessKeyId: string) =>
  createHash('sha256')
    .update(`${(settings.endpoint ?? '').replace(/\/+$/, '')}\n${accessKeyId}`)
    .digest('hex')
    .slice(0, 32);

async function readCache(file: string): Promise<Record<string, string>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {}; // missing or unreadable: the cache is only a shortcut
  }
}

/** The account id, when the credentials or the cache say it; undefined otherwise (never a network call of its own). */
export async function knownAccountId(
  settings: AwsSettings,
  client: CredentialSource,
): Promise<string | undefined> {
  let creds;
  try {
    creds = await client.config.credentials();
  } catch {
    return undefined; // the first real call will report the credentials problem properly
  }
  if (creds.accountId && ACCOUNT_RE.test(creds.accountId)) return creds.accountId;
  const file = cacheFile();
  if (!file) return undefined;
  const hit = (await readCache(file))[keyOf(settings, creds.accessKeyId)];
  return hit && ACCOUNT_RE.test(hit) ? hit : undefined;
}

/** Remember the account of these credentials (best effort: a read-only home only loses the shortcut). */
export async function rememberAccountId(
  settings: AwsSettings,
  client: CredentialSource,
  accountId: string,
): Promise<void> {
  const file = cacheFile();
  if (!file || !ACCOUNT_RE.test(accountId)) return;
  try {
    const creds = await client.config.credentials();
    if (creds.accountId) return; // the credentials carry it already
    const cache = await readCache(file);
    const key = keyOf(settings, creds.accessKeyId);
    if (cache[key] === accountId) return;
    cache[key] = accountId;
    await mkdir(join(file, '..'), { recursive: true });
    // Write and rename, so a concurrent reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(cache), { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // best effort
  }
}

/** The account id in an ARN (arn:partition:service:region:ACCOUNT:…). */
export function accountOfArn(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account && ACCOUNT_RE.test(account) ? account : undefined;
}
