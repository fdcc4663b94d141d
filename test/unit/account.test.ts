/**
 * The account id known without a call (src/aws/account.ts): from the credentials, else from the
 * cache an earlier run filled, keyed by endpoint and access key; never a wrong or malformed id.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountOfArn, knownAccountId, rememberAccountId } from '../../src/aws/account.js';

const saved = process.env.WEBHOOK_PROXY_CACHE_DIR;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wp-account-'));
  process.env.WEBHOOK_PROXY_CACHE_DIR = dir;
});
afterEach(() => {
  process.env.WEBHOOK_PROXY_CACHE_DIR = saved;
});

/** The one thing the module asks of an SDK client: its credentials provider. */
const client = (accessKeyId: string, accountId?: string) => ({
  config: {
    credentials: async () => ({ accessKeyId, secretAccessKey: 's', ...(accountId ? { accountId } : {}) }),
  },
});
const aws = { region: 'eu-west-1' };

describe('knownAccountId', () => {
  it('takes the account the credentials carry, without touching the cache', async () => {
    expect(await knownAccountId(aws, client('AKIA1', '111122223333'))).toBe('111122223333');
    await rememberAccountId(aws, client('AKIA1', '111122223333'), '111122223333');
    expect(() => readFileSync(join(dir, 'accounts.json'))).toThrow(/ENOENT/);
  });

  it('remembers an account per access key and endpoint', async () => {
    expect(await knownAccountId(aws, client('AKIA1'))).toBeUndefined();
    await rememberAccountId(aws, client('AKIA1'), '111122223333');
    expect(await knownAccountId(aws, client('AKIA1'))).toBe('111122223333');
    expect(await knownAccountId(aws, client('AKIA2'))).toBeUndefined();
    // A trailing slash is the same endpoint; another endpoint (an emulator) is not.
    const local = { ...aws, endpoint: 'http://127.0.0.1:5000' };
    expect(await knownAccountId(local, client('AKIA1'))).toBeUndefined();
    await rememberAccountId(local, client('AKIA1'), '123456789012');
    expect(await knownAccountId({ ...local, endpoint: 'http://127.0.0.1:5000/' }, client('AKIA1'))).toBe(
      '123456789012',
    );
    expect(await knownAccountId(aws, client('AKIA1'))).toBe('111122223333');
    // The key is hashed: the file never holds an access key id.
    expect(readFileSync(join(dir, 'accounts.json'), 'utf8')).not.toContain('AKIA1');
  });

  it('ignores a malformed id, a corrupt cache file, and an empty cache dir (off)', async () => {
    await rememberAccountId(aws, client('AKIA1'), 'not-an-account');
    expect(await knownAccountId(aws, client('AKIA1'))).toBeUndefined();
    writeFileSync(join(dir, 'accounts.json'), '{not json');
    expect(await knownAccountId(aws, client('AKIA1'))).toBeUndefined();
    await rememberAccountId(aws, client('AKIA1'), '111122223333'); // rewrites the corrupt file
    expect(await knownAccountId(aws, client('AKIA1'))).toBe('111122223333');
    process.env.WEBHOOK_PROXY_CACHE_DIR = '';
    expect(await knownAccountId(aws, client('AKIA1'))).toBeUndefined();
  });

  it('says nothing when the credentials cannot be resolved (the real call reports that)', async () => {
    const broken = {
      config: {
        credentials: async (): Promise<{ accessKeyId: string }> => {
          throw new Error('Could not load credentials from any providers');
        },
      },
    };
    expect(await knownAccountId(aws, broken)).toBeUndefined();
  });
});

describe('accountOfArn', () => {
  it('reads the account field of an ARN, and only a 12-digit one', () => {
    expect(accountOfArn('arn:aws:sqs:eu-west-1:111122223333:webhook-proxy-shop')).toBe('111122223333');
    expect(accountOfArn('arn:aws:iam::111122223333:role/x')).toBe('111122223333');
    expect(accountOfArn('arn:aws:s3:::bucket')).toBeUndefined();
    expect(accountOfArn(undefined)).toBeUndefined();
  });
});
