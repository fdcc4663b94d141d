/**
 * `create --handshake/--verify` against moto: the settings reach the deployed ingest function's
 * environment (GetFunctionConfiguration), re-running converges, changing the flags changes them, and
 * no secret is ever printed by `create` (plain, --json, --dry-run, --verbose). The built CLI is run as a user runs it (`npm test` builds first).
 */
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { edgeEnv } from '../../src/handlers/edge/flags.js';
import { ingestConfigFromEnv } from '../../src/handlers/ingest.js';
import { resourceNames } from '../../src/proxy/names.js';
import { runBin } from '../helpers/bin.js';
import { motoEnv, uniqueName, useMoto } from '../helpers/moto.js';

useMoto();

const name = uniqueName('edge');
const secret = (label: string) => `${label}-${randomBytes(9).toString('hex')}`;
const SECRETS = {
  meta: secret('meta'),
  github: secret('gh'),
  github2: secret('gh2'),
  dropbox: secret('dbx'),
};

function cli(...args: string[]) {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]) {
  const r = runBin(args, { ...motoEnv(), ...env });
  for (const s of Object.values(SECRETS)) {
    expect(r.stdout, 'stdout leaks a secret').not.toContain(s);
    expect(r.stderr, 'stderr leaks a secret').not.toContain(s);
  }
  return r;
}

async function ingestVariables(): Promise<Record<string, string>> {
  const lambda = new LambdaClient({});
  const fn = await lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: resourceNames(name).ingestFunction }),
  );
  return fn.Environment?.Variables ?? {};
}

async function deliverVariables(): Promise<Record<string, string>> {
  const lambda = new LambdaClient({});
  const fn = await lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: resourceNames(name).deliverFunction }),
  );
  return fn.Environment?.Variables ?? {};
}

const UPSTREAM = 'https://app.example.com/webhooks';
const flags = [
  '--handshake',
  `meta=${SECRETS.meta}`,
  '--handshake',
  'slack',
  '--verify',
  `github=${SECRETS.github}`,
  '--verify',
  `hmac-sha256=${SECRETS.dropbox}:x-dropbox-signature`,
];

afterAll(() => {
  cli('destroy', name, '--force', '--yes');
});

describe('create --handshake --verify (moto)', () => {
  it('refuses bad flags with exit 2 before touching AWS, without the secret', () => {
    const r = cli(
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--verify',
      `github`,
      '--handshake',
      `meta=${SECRETS.meta}`,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--verify github needs a secret: --verify github=WEBHOOK_SECRET');
  });

  it('puts the settings into the ingest function, and only there', async () => {
    const r = cli('create', name, '--upstream', UPSTREAM, ...flags, '--json');
    expect(r.status, r.stderr).toBe(0);
    const vars = await ingestVariables();
    const expected = edgeEnv({
      handshake: [`meta=${SECRETS.meta}`, 'slack'],
      verify: [`github=${SECRETS.github}`, `hmac-sha256=${SECRETS.dropbox}:x-dropbox-signature`],
    });
    expect(vars.WP_HANDSHAKES).toBe(expected.WP_HANDSHAKES);
    expect(vars.WP_VERIFY).toBe(expected.WP_VERIFY);
    // What the deployed handler will read from them.
    expect(ingestConfigFromEnv(vars)).toMatchObject({
      handshakes: [{ name: 'meta', secret: SECRETS.meta }, { name: 'slack' }],
      verify: [
        { name: 'github', secret: SECRETS.github },
        { name: 'hmac-sha256', secret: SECRETS.dropbox, header: 'x-dropbox-signature' },
      ],
    });
    // The deliver function never needs them.
    const deliver = JSON.stringify(await deliverVariables());
    for (const s of Object.values(SECRETS)) expect(deliver).not.toContain(s);
  });

  it('warns that literal secrets are visible, naming the flags', () => {
    const r = cli('create', name, '--upstream', UPSTREAM, ...flags, '--dry-run');
    expect(r.stderr).toMatch(
      /warning: --handshake meta, --verify github, --verify hmac-sha256: a secret given on the command line can be read by other users/,
    );
  });

  it('with --json the warning is a JSON line on stderr', () => {
    const r = cli('create', name, '--upstream', UPSTREAM, ...flags, '--dry-run', '--json');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      warning: {
        code: 'secret_on_command_line',
        message: expect.stringMatching(/^--handshake meta, --verify github, --verify hmac-sha256: a secret/),
      },
    });
  });

  it('the same secrets from env: and file: give the ingest function exactly the same variables', async () => {
    const before = await ingestVariables();
    const dir = mkdtempSync(join(tmpdir(), 'wp-edge-'));
    writeFileSync(join(dir, 'meta'), `${SECRETS.meta}\n`);
    writeFileSync(join(dir, 'dropbox'), SECRETS.dropbox);
    const r = cliWith(
      { WP_TEST_GITHUB: SECRETS.github },
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--handshake',
      `meta=file:${join(dir, 'meta')}`,
      '--handshake',
      'slack',
      '--verify',
      'github=env:WP_TEST_GITHUB',
      '--verify',
      `hmac-sha256=file:${join(dir, 'dropbox')}:x-dropbox-signature`,
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const changes = (JSON.parse(r.stdout) as { changes: { resource: string; action: string }[] }).changes;
    const ingest = changes.filter((c) => c.resource.includes(resourceNames(name).ingestFunction));
    expect(
      ingest.every((c) => c.action === 'unchanged'),
      JSON.stringify(ingest),
    ).toBe(true);
    const after = await ingestVariables();
    expect(after.WP_VERIFY).toBe(before.WP_VERIFY);
    expect(after.WP_HANDSHAKES).toBe(before.WP_HANDSHAKES);
  });

  it('re-running with the same flags in another order leaves the ingest function unchanged', async () => {
    const reordered = [
      '--verify',
      `hmac-sha256=${SECRETS.dropbox}:x-dropbox-signature`,
      '--handshake',
      'slack',
      '--verify',
      `github=${SECRETS.github}`,
      '--handshake',
      `meta=${SECRETS.meta}`,
    ];
    const r = cli('create', name, '--upstream', UPSTREAM, ...reordered, '--json');
    expect(r.status, r.stderr).toBe(0);
    const changes = (JSON.parse(r.stdout) as { changes: { resource: string; action: string }[] }).changes;
    const ingest = changes.filter((c) => c.resource.includes(resourceNames(name).ingestFunction));
    expect(ingest.length).toBeGreaterThan(0);
    expect(
      ingest.every((c) => c.action === 'unchanged'),
      JSON.stringify(ingest),
    ).toBe(true);
  });

  it('--verify again replaces the verifiers and keeps the handshakes; left out keeps both; none removes', async () => {
    const before = await ingestVariables();
    const r = cli('create', name, '--verify', `github=${SECRETS.github2}`, '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      changes: { resource: string; action: string }[];
      settings: { setting: string; before: string; after: string; security?: true }[];
    };
    expect(
      out.changes.some(
        (c) => c.resource.includes(resourceNames(name).ingestFunction) && c.action === 'updated',
      ),
    ).toBe(true);
    // hmac-sha256 is gone: a security change, by provider name only.
    expect(out.settings).toEqual([
      expect.objectContaining({
        setting: 'verify',
        before: 'github, hmac-sha256',
        after: 'github',
        security: true,
      }),
    ]);
    const vars = await ingestVariables();
    expect(vars.WP_HANDSHAKES).toBe(before.WP_HANDSHAKES);
    expect(JSON.parse(vars.WP_VERIFY!)).toEqual([{ name: 'github', secret: SECRETS.github2 }]);
    expect(vars.WP_QUEUE_URL).toBeTruthy(); // the rest of the environment is intact

    // Neither flag given (nor --upstream): both kept, nothing changed.
    const kept = cli('create', name, '--json');
    expect(kept.status, kept.stderr).toBe(0);
    expect(JSON.parse(kept.stdout).settings).toEqual([]);
    expect(await ingestVariables()).toEqual(vars);

    const none = cli('create', name, '--verify', 'none', '--handshake', 'none', '--json');
    expect(none.status, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout).settings).toEqual([
      expect.objectContaining({ setting: 'verify', before: 'github', after: 'none', security: true }),
      expect.objectContaining({ setting: 'handshake', before: 'meta, slack', after: 'none', security: true }),
    ]);
    const after = await ingestVariables();
    expect(after.WP_VERIFY).toBeUndefined();
    expect(after.WP_HANDSHAKES).toBeUndefined();
  });

  it('--dry-run and the plain output never print a secret', () => {
    // cli() fails the test if a secret appears on stdout or stderr.
    expect(cli('create', name, '--upstream', UPSTREAM, ...flags, '--dry-run', '--json').status).toBe(0);
    expect(cli('create', name, '--upstream', UPSTREAM, ...flags, '--dry-run').status).toBe(0);
    expect(cli('create', name, '--upstream', UPSTREAM, ...flags, '--verbose').status).toBe(0);
    // A secret rotated and a verifier removed: shown by name, with a security marker, never the secret.
    const plain = cli('create', name, '--verify', `github=${SECRETS.github2}`, '--dry-run');
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^ {2}! verify +github, hmac-sha256 → github {3}SECURITY: /m);
  });

  it('--methods becomes WP_METHODS on the ingest function', async () => {
    const r = cli('create', name, '--upstream', UPSTREAM, '--methods', 'post,get', '--json');
    expect(r.status, r.stderr).toBe(0);
    const vars = await ingestVariables();
    expect(vars.WP_METHODS).toBe('GET,POST');
    expect(ingestConfigFromEnv(vars).methods).toEqual(['GET', 'POST']);
  });
});
