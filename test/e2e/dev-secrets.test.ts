/**
 * Secrets off the command line, through the built `webhook-proxy dev`:
 * - with every verifier's and handshake's secret from the environment or a file, no secret appears in
 *   the running process's command line (/proc/PID/cmdline, what `ps` shows), in its output, or in the
 *   errors of a misconfigured start; and the secrets are the ones in use (a signed webhook passes);
 * - a literal secret warns on stderr and is gone from /proc/PID/cmdline once dev is listening;
 * - `--verify github` on a terminal asks for it without echo; without a terminal it is a usage error.
 */
import { sign as githubSign } from '@octokit/webhooks-methods';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordKeys, sendgridKeys } from '../helpers/senders.js';
import { withDataDir } from '../helpers/data-dir.js';
import { startUpstream } from '../helpers/upstream.js';
import { ensureBuilt, post, startDev, type DevProcess } from './dev-harness.js';

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
/** Every secret a flag takes, by the flag value's NAME (the env var or file is derived from it). */
const SECRETS: Record<string, string> = {
  github: secret('gh'),
  stripe: `whsec_${randomBytes(12).toString('hex')}`,
  slack: secret('slack'),
  zoom: secret('zoom'),
  'hmac-sha256': secret('dbx'),
  'standard-webhooks': `whsec_${randomBytes(24).toString('base64')}`,
  shopify: secret('shpss'),
  linear: secret('lin'),
  paddle: secret('pdl'),
  intercom: secret('ic'),
  gitlab: secret('glwht'),
  twilio: randomBytes(16).toString('hex'),
  square: secret('sq'),
  sendgrid: sendgridKeys().publicKey,
  discord: discordKeys().publicKeyHex,
  'handshake-meta': secret('meta'),
  'handshake-x': secret('x'),
};

const procCmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
const expectNoSecretIn = (text: string, what: string) => {
  for (const [name, value] of Object.entries(SECRETS))
    expect(text, `${name} in ${what}`).not.toContain(value);
};

let dir: string;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wp-secrets-'));
  upstream = await startUpstream((_r, res) => res.end('ok'));
  await ensureBuilt();
});

afterAll(async () => {
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('every secret from the environment or a file', () => {
  let dev: DevProcess;
  const env: Record<string, string> = {};
  const args: string[] = [];

  beforeAll(async () => {
    // Alternate: even ones from the environment, odd ones from files.
    Object.entries(SECRETS).forEach(([name, value], i) => {
      const flag = name.startsWith('handshake-') ? '--handshake' : '--verify';
      const provider = name.replace('handshake-', '');
      let ref: string;
      if (i % 2 === 0) {
        const variable = `WP_TEST_${provider.toUpperCase().replace(/-/g, '_')}`;
        env[variable] = value;
        ref = `env:${variable}`;
      } else {
        const path = join(dir, provider);
        writeFileSync(path, `${value}\n`, { mode: 0o600 });
        ref = `file:${path}`;
      }
      args.push(
        flag,
        provider === 'hmac-sha256' ? `${provider}=${ref}:x-dropbox-signature` : `${provider}=${ref}`,
      );
    });
    dev = await startDev(['--upstream', upstream.url, ...args], env);
  });

  afterAll(async () => {
    await dev?.stop();
  });

  it('no secret is on the running process command line (what ps shows)', () => {
    const cmdline = procCmdline(dev.child.pid!);
    expect(cmdline).toContain('--verify github=env:WP_TEST_GITHUB'); // the references are, the values not
    expectNoSecretIn(cmdline, '/proc/PID/cmdline');
    const ps = spawnSync('ps', ['-ww', '-o', 'args=', '-p', String(dev.child.pid)], { encoding: 'utf8' });
    if (ps.status === 0) expectNoSecretIn(ps.stdout, 'ps');
  });

  it('the secrets read are the ones in use, and no output or refusal repeats one', async () => {
    const body = '{"zen":"Design for failure."}';
    const good = await post(`${dev.url}/gh`, body, {
      'content-type': 'application/json',
      'x-hub-signature-256': await githubSign(SECRETS.github!, body),
    });
    expect(good.status).toBe(200);
    const forged = await post(`${dev.url}/gh`, body, {
      'x-hub-signature-256': await githubSign('guess', body),
    });
    expect(forged.status).toBe(401);
    await dev.waitFor((e) => e.event === 'delivered' && e.id === good.id);
    expect(dev.stderr()).not.toMatch(/warning/); // nothing literal, nothing to warn about
    expectNoSecretIn(JSON.stringify(dev.events) + dev.stderr() + good.body + forged.body, 'output');
  });

  it('a misconfigured start names the variable or file, and never the secret', () => {
    const bad = join(dir, 'trailing-space');
    writeFileSync(bad, `${SECRETS.github} \n`);
    const attempts: [string[], Record<string, string>, RegExp][] = [
      [['--verify', 'github=env:WP_TEST_UNSET'], {}, /environment variable WP_TEST_UNSET is not set/],
      [['--verify', `stripe=file:${join(dir, 'nope')}`], {}, /cannot read .*nope: there is no such file/],
      [
        ['--verify', `github=file:${bad}`],
        {},
        /github: file:.*trailing-space begins or ends with whitespace/,
      ],
      [
        ['--verify', 'sendgrid=env:WP_TEST_SG'],
        { WP_TEST_SG: SECRETS.github! },
        /not an ECDSA P-256 public key/,
      ],
      [
        ['--verify', 'stripe=env:WP_TEST_SK'],
        { WP_TEST_SK: `sk_live_${SECRETS.github}` },
        /a Stripe API key/,
      ],
    ];
    for (const [flags, extraEnv, message] of attempts) {
      const r = spawnSync(
        process.execPath,
        ['bin/webhook-proxy.js', 'dev', '--upstream', upstream.url, ...flags],
        {
          encoding: 'utf8',
          env: { ...process.env, CI: '1', ...withDataDir(extraEnv) },
        },
      );
      expect(r.status, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expectNoSecretIn(r.stdout + r.stderr, `the error for ${flags.join(' ')}`);
    }
  });
});

describe('a secret given literally', () => {
  it('warns on stderr, and is gone from /proc/PID/cmdline once dev has started', async () => {
    const literal = secret('literal');
    const dev = await startDev(['--upstream', upstream.url, '--verify', `github=${literal}`]);
    try {
      // The harness runs `dev --json`: the warning is a JSON line on stderr, like every warning there.
      expect(dev.stderr()).toMatch(
        /^\{"warning":\{"code":"secret_on_command_line","message":"--verify github: a secret given on the command line can be read by other users/m,
      );
      expect(dev.stderr()).not.toContain(literal);
      const cmdline = procCmdline(dev.child.pid!);
      expect(cmdline).toContain('--verify github=[hidden]');
      expect(cmdline).not.toContain(literal);
      const body = '{"n":1}';
      const res = await post(`${dev.url}/`, body, { 'x-hub-signature-256': await githubSign(literal, body) });
      expect(res.status).toBe(200); // hidden from ps, still the secret in use
    } finally {
      await dev.stop();
    }
  });
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe('--verify github with no secret', () => {
  it.skipIf(!hasScript)('asks on the terminal without echo, and uses what was typed', async () => {
    const typed = secret('typed');
    // util-linux `script` runs dev on a pseudo-terminal and forwards what we write to it.
    const command = [process.execPath, 'bin/webhook-proxy.js', 'dev', '--json', '--port', '0']
      .concat(['--upstream', upstream.url, '--verify', 'github'])
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, CI: '1', ...withDataDir() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const until = async (re: RegExp) => {
      const end = Date.now() + 20_000;
      while (!re.test(out)) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${re} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return re.exec(out)!;
    };
    try {
      await until(/--verify github: \(input hidden\)/);
      child.stdin.write(`${typed}\r`);
      const url = (await until(/"event":"listening","url":"([^"]+)"/))[1]!;
      expect(out).not.toContain(typed); // not echoed
      const body = '{"typed":true}';
      const res = await post(`${url}/`, body, { 'x-hub-signature-256': await githubSign(typed, body) });
      expect(res.status).toBe(200);
      const forged = await post(`${url}/`, body, { 'x-hub-signature-256': await githubSign('other', body) });
      expect(forged.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('without a terminal: exit 2, saying how to give it', async () => {
    // detached: a new session, so there is no controlling terminal even when the tests run in one.
    const child = spawn(
      process.execPath,
      ['bin/webhook-proxy.js', 'dev', '--upstream', upstream.url, '--verify', 'github'],
      {
        env: { ...process.env, CI: '1', ...withDataDir() },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--verify github needs a secret: --verify github=WEBHOOK_SECRET/);
    expect(stderr).toMatch(
      /--verify github=env:VARIABLE, --verify github=file:PATH or --verify github=prompt/,
    );
  });
});
