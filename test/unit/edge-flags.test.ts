import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { addEdgeOptions, edgeEnv, edgeSettingsFromOptions } from '../../src/handlers/edge/flags.js';
import { quietIo } from '../helpers/edge.js';
import { EdgeConfigError, edgeSettingsFromEnv } from '../../src/handlers/edge/settings.js';
import { ingestConfigFromEnv } from '../../src/handlers/ingest.js';

const SECRET = 'Sup3r-s3cret_value!';

/** The UsageError a set of flags raises; fails the test when they raise none. */
function usageError(opts: { handshake?: string[]; verify?: string[]; methods?: string }): UsageError {
  try {
    edgeSettingsFromOptions(opts, quietIo().io);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    // Never the secret, in the message or the hint.
    expect(`${e.message}\n${e.hint ?? ''}`).not.toContain(SECRET);
    return e;
  }
  throw new Error(`no UsageError for ${JSON.stringify(opts)}`);
}

describe('--handshake and --verify parsing', () => {
  it('parses every provider into a canonical, sorted form', () => {
    expect(
      edgeSettingsFromOptions({
        handshake: ['x=xs', 'slack', 'Meta=vt', 'zoom=zs', 'graph', 'dropbox'],
        verify: ['stripe=whsec_1', 'github=gh', 'slack=sl', 'hmac-sha256=a:b:c:X-Sig', 'github=gh'],
      }),
    ).toEqual({
      handshakes: [
        { name: 'dropbox' },
        { name: 'graph' },
        { name: 'meta', secret: 'vt' },
        { name: 'slack' },
        { name: 'x', secret: 'xs' },
        { name: 'zoom', secret: 'zs' },
      ],
      verify: [
        { name: 'github', secret: 'gh' }, // the exact duplicate is dropped
        { name: 'hmac-sha256', secret: 'a:b:c', header: 'x-sig' }, // the last ':' separates the header
        { name: 'slack', secret: 'sl' },
        { name: 'stripe', secret: 'whsec_1' },
      ],
    });
  });

  it('the same flags in another order give the same environment (create converges)', () => {
    const a = edgeEnv({ handshake: ['slack', 'graph'], verify: ['github=a', 'stripe=whsec_b'] });
    const b = edgeEnv({ handshake: ['graph', 'slack'], verify: ['stripe=whsec_b', 'github=a'] });
    expect(a).toEqual(b);
    expect(Object.keys(a).sort()).toEqual(['WP_HANDSHAKES', 'WP_VERIFY']);
    expect(edgeEnv({})).toEqual({});
    expect(edgeEnv({ handshake: ['graph'] })).toEqual({ WP_HANDSHAKES: '[{"name":"graph"}]' });
  });

  it.each([
    [{ handshake: ['facebook'] }, /unknown provider "facebook"/, /slack, meta=VERIFY_TOKEN/],
    [{ handshake: ['meta'] }, /meta needs its VERIFY_TOKEN: --handshake meta=VERIFY_TOKEN/, /dashboard/],
    [{ handshake: ['zoom='] }, /zoom needs its SECRET_TOKEN/, /Zoom app/],
    [{ handshake: ['x'] }, /x needs its CONSUMER_SECRET/, /API Key Secret/],
    [{ handshake: [`slack=${SECRET}`] }, /slack takes no secret/, /--verify slack=SIGNING_SECRET/],
    [{ handshake: [`dropbox=${SECRET}`] }, /dropbox takes no secret/, /x-dropbox-signature/],
    [{ handshake: ['meta=a', 'meta=b'] }, /meta is given twice/, /once/],
    [{ handshake: [`${SECRET}=x`] }, /unknown provider that name/, /Known/],
    [{ verify: [SECRET] }, /--verify takes NAME=SECRET/, /github=WEBHOOK_SECRET/],
    // Bare, without a terminal to ask on (quietIo has none): say how to give it.
    [
      { verify: ['github'] },
      /github needs a secret: --verify github=WEBHOOK_SECRET/,
      /env:VARIABLE.*file:PATH.*prompt/,
    ],
    [{ verify: ['github='] }, /github needs a secret/, /github=env:VARIABLE/],
    [{ handshake: ['discord'] }, /discord needs its PUBLIC_KEY_HEX/, /General Information/],
    [{ verify: [`bitbucket=${SECRET}`] }, /unknown verifier "bitbucket"/, /sendgrid=PUBLIC_KEY/],
    [{ verify: [`sendgrid=${SECRET}`] }, /sendgrid: the value is not an ECDSA P-256 public key/, /^$/],
    [{ verify: [`discord=${SECRET}`] }, /discord: the value is not an Ed25519 public key of 64 hex/, /^$/],
    [{ handshake: [`discord=${SECRET}`] }, /discord: the value is not an Ed25519 public key/, /^$/],
    [{ verify: ['standard-webhooks=whsec_!!not-base64'] }, /is not a whsec_ secret/, /^$/],
    [{ methods: 'POST,GET /x' }, /--methods takes request methods/, /--methods DELETE,PATCH,POST,PUT/],
    [{ methods: ' , ' }, /--methods takes request methods/, /POST,GET/],
    [{ verify: [`hmac-sha256=${SECRET}`] }, /SECRET:HEADER/, /x-dropbox-signature/],
    [{ verify: [`hmac-sha256=${SECRET}:bad header`] }, /SECRET:HEADER/, /example/],
    [{ verify: [`hmac-sha256=:x-sig`] }, /SECRET:HEADER/, /example/],
    [{ verify: [`stripe=sk_live_${SECRET}`] }, /Stripe API key, not a webhook signing secret/, /whsec_/],
    [{ verify: [`github= ${SECRET}`] }, /whitespace/, /without the surrounding spaces/],
  ])('%j → UsageError, without the secret', (opts, message, hint) => {
    const e = usageError(opts);
    expect(e.message).toMatch(message);
    expect(e.hint ?? '').toMatch(hint);
    expect(e.exitCode).toBe(2);
  });

  it('refuses settings too large for the Lambda environment', () => {
    const e = usageError({
      verify: Array.from({ length: 40 }, (_, i) => `github=${SECRET}${i}${'x'.repeat(40)}`),
    });
    expect(e.message).toMatch(/bytes of the ingest function's environment, over 2048/);
  });

  it('addEdgeOptions declares repeatable flags on a command', () => {
    const cmd = addEdgeOptions(new Command('create').exitOverride());
    cmd.parse(
      ['--handshake', 'slack', '--verify', 'github=a', '--handshake', 'meta=t', '--verify', 'stripe=whsec_b'],
      {
        from: 'user',
      },
    );
    expect(cmd.opts()).toEqual({ handshake: ['slack', 'meta=t'], verify: ['github=a', 'stripe=whsec_b'] });
    expect(cmd.helpInformation()).toMatch(/--handshake <name\[=secret\]>/);
    expect(cmd.helpInformation()).toMatch(/--verify <name=secret>/);
  });
});

describe('the environment format', () => {
  it('round-trips through the ingest configuration', () => {
    const env = edgeEnv({ handshake: ['meta=vt', 'slack'], verify: ['hmac-sha256=s:x-sig', 'github=g'] });
    expect(ingestConfigFromEnv({ ...env, WP_RESPONSE_STATUS: '202' })).toEqual({
      responseStatus: 202,
      fifo: false,
      handshakes: [{ name: 'meta', secret: 'vt' }, { name: 'slack' }],
      verify: [
        { name: 'github', secret: 'g' },
        { name: 'hmac-sha256', secret: 's', header: 'x-sig' },
      ],
    });
  });

  it.each([
    [{ WP_VERIFY: 'not json' }, /WP_VERIFY is not valid JSON/],
    [{ WP_VERIFY: '{"name":"github"}' }, /WP_VERIFY must be a JSON array/],
    [{ WP_VERIFY: '[{"name":"github"}]' }, /WP_VERIFY\[0\] \(github\) has no secret/],
    [{ WP_VERIFY: `[{"name":"bitbucket","secret":"${SECRET}"}]` }, /WP_VERIFY\[0\] names no known verifier/],
    [
      { WP_VERIFY: `[{"name":"sendgrid","secret":"${SECRET}"}]` },
      /\(sendgrid\): the value is not an ECDSA P-256/,
    ],
    [
      { WP_HANDSHAKES: `[{"name":"discord","secret":"${SECRET}"}]` },
      /\(discord\): the value is not an Ed25519/,
    ],
    [{ WP_METHODS: 'POST;GET' }, /WP_METHODS is not a comma-separated list/],
    [{ WP_VERIFY: `[{"name":"hmac-sha256","secret":"${SECRET}"}]` }, /no valid lower-case header/],
    [{ WP_HANDSHAKES: '[{"name":"meta"}]' }, /WP_HANDSHAKES\[0\] \(meta\) has no secret/],
    [{ WP_HANDSHAKES: '[{"name":"myspace"}]' }, /names no known handshake/],
  ])('a malformed %j fails closed, without echoing a secret', (env, message) => {
    expect(() => edgeSettingsFromEnv(env)).toThrow(EdgeConfigError);
    expect(() => edgeSettingsFromEnv(env)).toThrow(message);
    expect(() => ingestConfigFromEnv(env)).toThrow(message);
    try {
      edgeSettingsFromEnv(env);
    } catch (err) {
      expect((err as Error).message).not.toContain(SECRET);
    }
  });
});
