/**
 * Bad input to `create`/`destroy` is refused before the first AWS call: exit 2 with a message that
 * says what to fix (exit 1 for missing credentials), and nothing exists afterwards. Also the built
 * binary, run as a user runs it, creating and destroying a proxy against moto.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { handlerZip } from '../../src/proxy/provision/bundle.js';
import { runCli } from '../helpers/proxy-fixture.js';
import { motoEnv, uniqueName, useMoto } from '../helpers/moto.js';
import {
  describeProxy,
  leftovers,
  recordCalls,
  undoAll,
  writes,
  type Restore,
} from '../helpers/provision.js';

useMoto();
const U = 'https://app.example.com/hooks';

const restore: Restore = [];
afterEach(() => undoAll(restore));

// [what is wrong, the arguments after `create NAME`, what the message says, and whether it depends on
// the proxy's current settings: a flag left out keeps its value, so such a check runs once they are
// read (read calls only, before anything is changed); a flag that is wrong on its own calls nothing.]
const READS = true;
const BAD: [string, string[], RegExp, boolean?][] = [
  ['no --upstream (for a new proxy)', [], /create needs --upstream/, READS],
  ['upstream not a URL', ['--upstream', 'app.example.com'], /absolute http\(s\) URL/],
  ['upstream not http(s)', ['--upstream', 'ftp://app.example.com/'], /must use http or https/],
  ['upstream with credentials', ['--upstream', 'https://u:p@app.example.com/'], /credentials/],
  ['concurrency 1', ['--upstream', U, '--concurrency', '1'], /at least 2[\s\S]*--ordered/, READS],
  ['concurrency 1001', ['--upstream', U, '--concurrency', '1001'], /--concurrency must be a whole number/],
  ['concurrency not a number', ['--upstream', U, '--concurrency', 'lots'], /--concurrency must be/],
  ['batch size 0', ['--upstream', U, '--batch-size', '0'], /--batch-size must be/],
  [
    'ordered batch over 1',
    ['--upstream', U, '--ordered', '--batch-size', '5'],
    /one webhook per batch/,
    READS,
  ],
  [
    'ordered with a concurrency',
    ['--upstream', U, '--ordered', '--concurrency', '4'],
    /--concurrency 4 does not go with --ordered[\s\S]*one webhook at a time/,
    READS,
  ],
  [
    'ordered, explicit batch of 10',
    ['--upstream', U, '--ordered', '--batch-size', '10'],
    /one webhook per batch/,
    READS,
  ],
  [
    'batch beyond 15 minutes',
    ['--upstream', U, '--batch-size', '200', '--timeout', '30'],
    /15-minute/,
    READS,
  ],
  [
    'max attempts 1',
    ['--upstream', U, '--max-attempts', '1'],
    /--max-attempts must be a whole number from 2/,
  ],
  ['retention 15 days', ['--upstream', U, '--retention', '15'], /--retention must be/],
  ['rate 0', ['--upstream', U, '--rate', '0'], /--rate must be/],
  ['timeout 0', ['--upstream', U, '--timeout', '0'], /--timeout must be/],
  [
    'backoff max < base',
    ['--upstream', U, '--backoff-base', '60', '--backoff-max', '10'],
    /must not be below/,
    READS,
  ],
  [
    'backoff max over 12 hours',
    ['--upstream', U, '--backoff-max', '43201'],
    /--backoff-max cannot exceed 43200 seconds \(12 hours[\s\S]*at most 12 hours after it was received/,
  ],
  [
    'rate neither a number nor none',
    ['--upstream', U, '--rate', 'fast'],
    /--rate must be a number[\s\S]*Or "none"/,
  ],
  [
    'verify none with a verifier',
    ['--upstream', U, '--verify', 'none', '--verify', 'github=s3cret'],
    /--verify none/,
  ],
  [
    'ingress none with a burst',
    ['--upstream', U, '--ingress-rate', 'none', '--ingress-burst', '5'],
    /takes no --ingress-burst/,
  ],
  [
    'vpc none with security groups',
    ['--upstream', U, '--vpc-subnets', 'none', '--vpc-security-groups', 'sg-0abc'],
    /takes no --vpc-security-groups/,
  ],
  [
    'retention shorter than the retry schedule',
    ['--upstream', U, '--retention', '1'],
    /--retention 1 day is shorter[\s\S]*Retry-After[\s\S]*--retention 5 or more, or --max-attempts 2 or fewer/,
    READS,
  ],
  ['status 500', ['--upstream', U, '--response-status', '500'], /--response-status must be/],
  ['memory 64', ['--upstream', U, '--memory', '64'], /--memory must be/],
  ['ingress rate alone', ['--upstream', U, '--ingress-rate', '100'], /go together/],
  ['ingress burst alone', ['--upstream', U, '--ingress-burst', '100'], /go together/],
  ['security groups alone', ['--upstream', U, '--vpc-security-groups', 'sg-0abc'], /needs --vpc-subnets/],
  [
    'bad subnet id',
    ['--upstream', U, '--vpc-subnets', 'net-1', '--vpc-security-groups', 'sg-0abc'],
    /not a subnet id/,
  ],
  ['tag without =', ['--upstream', U, '--tag', 'team'], /--tag must be key=value/],
  ['reserved tag', ['--upstream', U, '--tag', 'managed-by=me'], /reserved/],
  ['unknown flag', ['--upstream', U, '--concurency', '5'], /unknown option/],
];

describe('bad input', () => {
  it.each(BAD)(
    '%s: exit 2, says what to fix, changes nothing in AWS, creates nothing',
    async (_what, args, says, reads) => {
      const name = uniqueName('bad');
      const sent = await recordCalls(restore);
      const res = await runCli('create', name, ...args);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toMatch(says);
      expect(res.stdout).toBe('');
      if (reads) expect(writes(sent)).toEqual([]);
      else expect(sent).toEqual([]);
      expect(await leftovers(name)).toEqual([]);
    },
  );

  it.each([
    ['upper case and underscore', 'Bad_Name'],
    ['a double hyphen', 'a--b'],
    ['a leading digit', '1abc'],
    ['too long for the derived AWS names', `a${'b'.repeat(40)}`],
  ])('a name with %s is refused by create and destroy', async (_what, name) => {
    for (const argv of [
      ['create', name, '--upstream', U],
      ['destroy', name, '--yes'],
    ]) {
      const res = await runCli(...argv);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.stderr).toContain(`"${name}" is not a valid proxy name`);
    }
  });
});

describe('an upstream on this machine', () => {
  it('create warns (stderr, a JSON line with --json, and --json warnings) that Lambda cannot reach localhost; a public upstream is not warned', async () => {
    for (const local of ['http://localhost:3000/x', 'http://127.0.0.1:8080/', 'http://[::1]:3000/']) {
      const name = uniqueName('local');
      const json = await runCli('create', name, '--upstream', local, '--dry-run', '--json');
      expect(json.code, json.stderr).toBe(0);
      // With --json every stderr line is JSON: the warning too, with a code a script can switch on.
      const said = json.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { warning?: { code: string; message: string } });
      expect(said.map((l) => l.warning?.code)).toEqual(['upstream_on_this_machine']);
      expect(said[0]!.warning!.message).toMatch(/^the upstream .* cannot reach/);
      expect(said[0]!.warning!.message).toContain(`webhook-proxy dev --upstream ${local}`);
      const out = JSON.parse(json.stdout) as { warnings: string[] };
      expect(out.warnings).toHaveLength(1);
      expect(out.warnings[0]).toMatch(/AWS Lambda cannot reach/);
      const plain = await runCli('create', name, '--upstream', local, '--dry-run');
      expect(plain.stderr).toMatch(/^warning: .*AWS Lambda cannot reach/m);
    }
    const name = uniqueName('public');
    const ok = await runCli('create', name, '--upstream', U, '--dry-run', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).not.toMatch(/warning/);
    expect(JSON.parse(ok.stdout)).toMatchObject({ warnings: [] });
  });
});

/** The built CLI, as a user runs it (`npm test` builds it first); stdin is a pipe, not a terminal. */
function bin(args: string[], env: Record<string, string | undefined>) {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: '1', ...env })) if (v !== undefined) clean[k] = v;
  return spawnSync(process.execPath, ['bin/webhook-proxy.js', ...args], {
    encoding: 'utf8',
    env: clean,
    input: '',
  });
}

describe('the built binary', () => {
  it('creates a proxy the SDK describes as asked, refuses destroy without --yes, then destroys it', async () => {
    const name = uniqueName('bin');
    const flags = ['--upstream', U, '--batch-size', '1', '--ordered'];
    const created = bin(['create', name, ...flags, '--json'], motoEnv());
    expect(created.status, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(['name', 'region', 'endpoint', 'upstream', 'queueUrl', 'dlqUrl', 'changes']),
    );
    expect(out).toMatchObject({ name, upstream: U });
    expect(out.endpoint).toMatch(/^https?:\/\//);
    const d = await describeProxy(name, { ordered: true });
    expect(d.queue.attributes.FifoQueue).toBe('true');
    expect(d.functions.deliver.config.CodeSha256).toBe(handlerZip('deliver').sha256);
    expect(d.mappings[0]).toMatchObject({ BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } });

    const plain = bin(['create', name, ...flags], motoEnv());
    expect(plain.status, plain.stderr).toBe(0);
    // Not a terminal: one plain line per step on stderr, the summary with the endpoint on stdout.
    expect(plain.stderr).toMatch(/^unchanged +queue webhook-proxy-/m);
    expect(plain.stdout).toContain(`Give this URL to the webhook sender:  ${out.endpoint}`);

    // Without --yes and without a terminal to ask on: exit 2, and not one resource deleted.
    const before = await leftovers(name);
    expect(before.length).toBeGreaterThanOrEqual(10);
    const refused = bin(['destroy', name], motoEnv());
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    expect(await leftovers(name)).toEqual(before);

    const gone = bin(['destroy', name, '--yes'], motoEnv());
    expect(gone.status, gone.stderr).toBe(0);
    expect(gone.stderr).toMatch(/^deleted +queue webhook-proxy-/m);
    expect(gone.stderr.match(/^deleted +/gm)?.length).toBeGreaterThanOrEqual(10);
    expect(await leftovers(name)).toEqual([]);
  });

  it('without credentials: exit 1 with a hint, nothing created', async () => {
    const name = uniqueName('nocred');
    const res = bin(['create', name, '--upstream', U], {
      ...motoEnv(),
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/No AWS credentials found/);
    expect(await leftovers(name)).toEqual([]);
  });

  it('without a region: exit 2 with a hint, nothing created', async () => {
    const name = uniqueName('noreg');
    const res = bin(['create', name, '--upstream', U], {
      ...motoEnv(),
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/No AWS region given[\s\S]*--region/);
    expect(await leftovers(name)).toEqual([]);
  });
});
