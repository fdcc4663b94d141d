/**
 * Secrets off the command line: `env:`, `file:`, `prompt` (and a bare NAME on a terminal), `literal:`;
 * a literal secret warns and is taken out of what `ps` shows; every error names the flag, the variable
 * or the file, never the secret; and the ingest function's environment is the same whatever the source.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { edgeEnv, edgeSettingsFromOptions, type EdgeOptions } from '../../src/handlers/edge/flags.js';
import { quietIo } from '../helpers/edge.js';

const SECRET = 'gh-S3cret_value-9f8e7d';
const TOKEN = 'meta-T0ken-41c2';

function failure(opts: EdgeOptions, io = quietIo().io): UsageError {
  try {
    edgeSettingsFromOptions(opts, io);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(`${e.message}\n${e.hint ?? ''}`).not.toContain(SECRET);
    return e;
  }
  throw new Error(`no UsageError for ${JSON.stringify(opts)}`);
}

describe('where a secret comes from', () => {
  it('env:, file:, prompt and literal: all give the variables the literal secret gives', () => {
    const literal = edgeEnv(
      { verify: [`github=${SECRET}`, `hmac-sha256=${SECRET}:x-sig`], handshake: [`meta=${TOKEN}`] },
      quietIo().io,
    );
    const file = resolve('secrets/github.secret');
    const sources = quietIo({
      env: { GITHUB_WEBHOOK_SECRET: SECRET },
      files: { [file]: `${SECRET}\n`, [resolve('meta.token')]: `${TOKEN}\r\n` },
      typed: [SECRET],
    });
    const indirect = edgeEnv(
      {
        verify: [
          'github=env:GITHUB_WEBHOOK_SECRET',
          'hmac-sha256=prompt:x-sig',
          'github=file:secrets/github.secret',
        ],
        handshake: ['meta=file:./meta.token'],
      },
      sources.io,
    );
    expect(indirect).toEqual(literal);
    expect(sources.questions).toEqual(['--verify hmac-sha256: ']);
    expect(sources.warnings).toEqual([]); // nothing on the command line, nothing to warn about
    expect(edgeEnv({ verify: [`github=literal:${SECRET}`] }, quietIo().io)).toEqual(
      edgeEnv({ verify: [`github=${SECRET}`] }, quietIo().io),
    );
  });

  it('literal: keeps a value that really begins with env:, file: or is "prompt"', () => {
    const { io } = quietIo();
    expect(
      edgeSettingsFromOptions({ verify: ['github=literal:env:HOME', 'slack=literal:prompt'] }, io).verify,
    ).toEqual([
      { name: 'github', secret: 'env:HOME' },
      { name: 'slack', secret: 'prompt' },
    ]);
  });

  it('a bare NAME asks on the terminal (verify and handshake alike)', () => {
    const t = quietIo({ typed: [TOKEN, SECRET] }); // handshakes are read first
    const s = edgeSettingsFromOptions({ verify: ['github'], handshake: ['meta'] }, t.io);
    expect(s.verify).toEqual([{ name: 'github', secret: SECRET }]);
    expect(s.handshakes).toEqual([{ name: 'meta', secret: TOKEN }]);
    expect(t.questions).toEqual(['--handshake meta: ', '--verify github: ']);
  });

  it('~/ in a file: path is the home directory', () => {
    const { io } = quietIo({ files: { [`${homedir()}/.wp/stripe`]: 'whsec_abc\n' } });
    expect(edgeSettingsFromOptions({ verify: ['stripe=file:~/.wp/stripe'] }, io).verify).toEqual([
      { name: 'stripe', secret: 'whsec_abc' },
    ]);
  });
});

describe('errors say which variable or file, never the secret', () => {
  const file = resolve('stripe.secret');
  it.each<[EdgeOptions, Parameters<typeof quietIo>[0], RegExp, RegExp]>([
    [
      { verify: ['github=env:GH_SECRET'] },
      {},
      /github=env:GH_SECRET: the environment variable GH_SECRET is not set/,
      /file:PATH/,
    ],
    [{ verify: ['github=env:GH_SECRET'] }, { env: { GH_SECRET: '' } }, /GH_SECRET is empty/, /^$/],
    [
      { verify: [`github=env:${SECRET}-x`] },
      {},
      /env:…: that is not an environment variable name/,
      /not the secret itself/,
    ],
    [
      { verify: ['stripe=file:stripe.secret'] },
      {},
      /stripe=file:stripe.secret: cannot read .*stripe.secret: there is no such file/,
      /^$/,
    ],
    [{ verify: ['stripe=file:stripe.secret'] }, { files: { [file]: '\n' } }, /stripe.secret is empty/, /^$/],
    [
      { verify: ['stripe=file:stripe.secret'] },
      { files: { [file]: Buffer.alloc(70_000, 65) } },
      /is 70000 bytes; a secret file holds only the secret/,
      /Check the path/,
    ],
    [{ verify: ['stripe=file:'] }, {}, /file:… needs a path/, /^$/],
    // Only one newline comes off: anything more is refused, naming the file, not the secret.
    [
      { verify: ['github=file:stripe.secret'] },
      { files: { [file]: `${SECRET}\n\n` } },
      /github: file:stripe.secret begins or ends with whitespace/,
      /one trailing newline/,
    ],
    [
      { verify: ['github=env:GH'] },
      { env: { GH: ` ${SECRET}` } },
      /github: env:GH begins or ends with whitespace/,
      /surrounding spaces/,
    ],
    [{ verify: ['stripe=env:K'] }, { env: { K: `sk_live_${SECRET}` } }, /that is a Stripe API key/, /whsec_/],
    [
      { verify: ['github=prompt'] },
      {},
      /github=prompt asks for the secret on a terminal, and there is none/,
      /env:VARIABLE or --verify github=file:PATH/,
    ],
    [{ verify: ['github=prompt'] }, { typed: [''] }, /nothing was typed at the prompt/, /^$/],
    [{ handshake: ['meta'] }, {}, /--handshake meta needs its VERIFY_TOKEN/, /meta=env:VARIABLE/],
    [
      { verify: ['sendgrid=env:SG'] },
      { env: { SG: SECRET } },
      /sendgrid: env:SG is not an ECDSA P-256 public key/,
      /^$/,
    ],
  ])('%j', (opts, world, message, hint) => {
    const e = failure(opts, quietIo(world).io);
    expect(e.message).toMatch(message);
    expect(e.hint ?? '').toMatch(hint);
    expect(e.exitCode).toBe(2);
  });
});

describe('a secret on the command line', () => {
  it('warns once, naming the flags, and hides it from ps', () => {
    const argv = [
      'node',
      '/usr/bin/webhook-proxy',
      'dev',
      '--verify',
      `github=${SECRET}`,
      `--handshake=meta=${TOKEN}`,
    ];
    const t = quietIo({ argv });
    edgeSettingsFromOptions({ verify: [`github=${SECRET}`], handshake: [`meta=${TOKEN}`] }, t.io);
    expect(t.warnings).toHaveLength(1);
    expect(t.warnings[0]).toMatch(
      /--handshake meta, --verify github: a secret given on the command line can be read by other users/,
    );
    expect(t.warnings[0]).toMatch(/NAME=env:VARIABLE, NAME=file:PATH or NAME=prompt/);
    expect(t.titles).toEqual(['webhook-proxy dev --verify github=[hidden] --handshake=meta=[hidden]']);
    expect(t.warnings.join() + t.titles.join()).not.toContain(SECRET);
  });

  it('public keys are not secrets: no warning for sendgrid= and discord=', () => {
    const t = quietIo();
    edgeSettingsFromOptions({ verify: [`discord=${'ab'.repeat(32)}`] }, t.io);
    expect(t.warnings).toEqual([]);
  });

  it('literal: is on the command line too, so it warns; a title is set only when argv holds the secret', () => {
    const t = quietIo();
    edgeSettingsFromOptions({ verify: [`github=literal:${SECRET}`] }, t.io);
    expect(t.warnings).toHaveLength(1);
    expect(t.titles).toEqual([]); // in-process callers (tests, runCli) have nothing in process.argv to hide
  });
});

describe('parsed more than once in one process (create checks the flags together, then each alone)', () => {
  it('asks once, warns once per flag, and keeps every literal hidden', () => {
    const argv = [
      'node',
      'webhook-proxy',
      'create',
      '--verify',
      'github',
      '--verify',
      `slack=${SECRET}`,
      '--handshake',
      `meta=${TOKEN}`,
    ];
    const t = quietIo({ typed: ['typed-once-0001'], argv });
    const all = { verify: ['github', `slack=${SECRET}`], handshake: [`meta=${TOKEN}`] };
    const together = edgeEnv(all, t.io);
    const verify = edgeEnv({ verify: all.verify }, t.io);
    const handshake = edgeEnv({ handshake: all.handshake }, t.io);
    expect({ ...verify, ...handshake }).toEqual(together);
    expect(t.questions).toEqual(['--verify github: ']);
    expect(t.warnings).toHaveLength(1);
    expect(t.titles.at(-1)).toBe(
      'webhook-proxy create --verify github --verify slack=[hidden] --handshake meta=[hidden]',
    );
  });
});
