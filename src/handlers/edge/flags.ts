/**
 * The `--handshake NAME[=SECRET]` and `--verify NAME=SECRET` flags of `create` and `dev`: declared by
 * `addEdgeOptions(cmd)`, checked by `edgeSettingsFromOptions(opts)`, and turned into the ingest
 * function's environment by `edgeEnv(opts)`. CLI-side only (the ingest bundle never imports this file).
 *
 * Error messages name the flag and the provider, and say what to type; they never repeat a secret
 * (what follows `=` is not echoed, and a provider name is echoed only when it looks like one).
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { collect } from '../../options.js';
import {
  edgeSettingsToEnv,
  HANDSHAKE_NAMES,
  HANDSHAKE_SECRETS,
  HEADER_NAME,
  isHandshakeName,
  isVerifierName,
  normaliseEdgeSettings,
  VERIFIER_NAMES,
  VERIFY_SECRETS,
} from './settings.js';
import type { EdgeSettings, HandshakeSpec, VerifySpec } from './types.js';

export interface EdgeOptions {
  handshake?: string[];
  verify?: string[];
}

/** Lambda allows 4 KB of environment variables per function; leave room for the others. */
export const EDGE_ENV_MAX_BYTES = 2048;

const HANDSHAKE_USAGE = HANDSHAKE_NAMES.map((n) =>
  HANDSHAKE_SECRETS[n] ? `${n}=${HANDSHAKE_SECRETS[n]}` : n,
).join(', ');
const VERIFY_USAGE = VERIFIER_NAMES.map((n) => `${n}=${VERIFY_SECRETS[n]}`).join(', ');

/** Declare both flags on a command (`create`, `dev`). */
export function addEdgeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--handshake <name[=secret]>',
      `answer a provider's registration handshake at the proxy, never queued (repeatable): ${HANDSHAKE_USAGE}`,
      collect,
    )
    .option(
      '--verify <name=secret>',
      `refuse (401, nothing queued) webhooks whose signature does not verify (repeatable): ${VERIFY_USAGE}`,
      collect,
    );
}

/** A name typed before `=` is shown back only if it cannot be a pasted secret. */
function shown(name: string): string {
  return /^[a-z][a-z0-9-]{0,19}$/i.test(name) ? `"${name}"` : 'that name';
}

const HANDSHAKE_HINTS: Record<string, string> = {
  slack: "To check Slack's request signatures as well, add --verify slack=SIGNING_SECRET.",
  graph: 'Graph sends no signature; your application checks the clientState of each notification.',
  dropbox: "To check Dropbox's signatures as well, add --verify hmac-sha256=APP_SECRET:x-dropbox-signature.",
  meta: "The verify token is the one you type into the app dashboard's Webhooks callback settings.",
  zoom: "The secret token is on your Zoom app's Features → Access page. To check Zoom's signatures as well, add --verify zoom=SECRET_TOKEN.",
  x: "The consumer secret is your X app's API Key Secret.",
};

function parseHandshake(raw: string): HandshakeSpec {
  const eq = raw.indexOf('=');
  const name = (eq < 0 ? raw : raw.slice(0, eq)).trim().toLowerCase();
  const secret = eq < 0 ? undefined : raw.slice(eq + 1);
  if (!isHandshakeName(name)) {
    throw new UsageError(
      `--handshake: unknown provider ${shown(name)}.`,
      `Known handshakes: ${HANDSHAKE_USAGE}.`,
    );
  }
  const needs = HANDSHAKE_SECRETS[name];
  if (!needs && secret !== undefined) {
    throw new UsageError(
      `--handshake ${name} takes no secret: write --handshake ${name}.`,
      HANDSHAKE_HINTS[name],
    );
  }
  if (needs && !secret) {
    throw new UsageError(
      `--handshake ${name} needs its ${needs}: --handshake ${name}=${needs}.`,
      HANDSHAKE_HINTS[name],
    );
  }
  if (secret !== undefined) checkSecret(`--handshake ${name}`, secret);
  return secret === undefined ? { name } : { name, secret };
}

function checkSecret(flag: string, secret: string): void {
  if (secret.trim() !== secret) {
    throw new UsageError(
      `${flag}: the secret begins or ends with whitespace, which is almost always a copy-and-paste slip.`,
      'Quote the value without the surrounding spaces.',
    );
  }
}

function parseVerify(raw: string): VerifySpec {
  const eq = raw.indexOf('=');
  if (eq < 0) {
    const name = raw.trim().toLowerCase();
    if (isVerifierName(name)) {
      throw new UsageError(`--verify ${name} needs a secret: --verify ${name}=${VERIFY_SECRETS[name]}.`);
    }
    throw new UsageError('--verify takes NAME=SECRET.', `Known verifiers: ${VERIFY_USAGE}.`);
  }
  const name = raw.slice(0, eq).trim().toLowerCase();
  const value = raw.slice(eq + 1);
  if (!isVerifierName(name)) {
    throw new UsageError(`--verify: unknown verifier ${shown(name)}.`, `Known verifiers: ${VERIFY_USAGE}.`);
  }
  if (name === 'hmac-sha256') {
    // Header names cannot contain `:`, so the last one separates them from a secret that may.
    const colon = value.lastIndexOf(':');
    const secret = colon < 0 ? '' : value.slice(0, colon);
    const header =
      colon < 0
        ? ''
        : value
            .slice(colon + 1)
            .trim()
            .toLowerCase();
    if (!secret || !HEADER_NAME.test(header)) {
      throw new UsageError(
        '--verify hmac-sha256 takes SECRET:HEADER, the secret and the name of the header carrying the signature.',
        'For example: --verify "hmac-sha256=$APP_SECRET:x-dropbox-signature"',
      );
    }
    checkSecret('--verify hmac-sha256', secret);
    return { name, secret, header };
  }
  if (!value) {
    throw new UsageError(`--verify ${name} needs a secret: --verify ${name}=${VERIFY_SECRETS[name]}.`);
  }
  checkSecret(`--verify ${name}`, value);
  if (name === 'stripe' && /^(sk|rk|pk)_/.test(value)) {
    throw new UsageError(
      '--verify stripe: that is a Stripe API key, not a webhook signing secret.',
      "Use the endpoint's signing secret (whsec_…) from the Dashboard's Webhooks page or `stripe listen`.",
    );
  }
  return { name, secret: value };
}

/** Parse and check the flags. Throws UsageError (exit 2) saying what to type instead. */
export function edgeSettingsFromOptions(opts: EdgeOptions): EdgeSettings {
  const handshakes = (opts.handshake ?? []).map(parseHandshake);
  const seen = new Set<string>();
  for (const h of handshakes) {
    if (seen.has(h.name)) {
      throw new UsageError(`--handshake ${h.name} is given twice.`, 'Give each provider once.');
    }
    seen.add(h.name);
  }
  // Several --verify of one provider are allowed: that is how a secret is rotated (see edge/index.ts).
  const settings = normaliseEdgeSettings({ handshakes, verify: (opts.verify ?? []).map(parseVerify) });
  const bytes = Object.entries(edgeSettingsToEnv(settings)).reduce(
    (n, [k, v]) => n + k.length + Buffer.byteLength(v),
    0,
  );
  if (bytes > EDGE_ENV_MAX_BYTES) {
    throw new UsageError(
      `--handshake and --verify take ${bytes} bytes of the ingest function's environment, over ${EDGE_ENV_MAX_BYTES}.`,
      'Lambda allows 4 KB of environment variables per function: configure fewer or shorter secrets.',
    );
  }
  return settings;
}

/** The ingest function's environment variables for these flags (`{}` when neither flag is given). */
export function edgeEnv(opts: EdgeOptions): Record<string, string> {
  return edgeSettingsToEnv(edgeSettingsFromOptions(opts));
}
