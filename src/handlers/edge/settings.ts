/**
 * The edge settings as data: which handshakes to answer and which signatures to check, the rules each
 * provider's secret must follow, and their form in the ingest function's environment
 * (`WP_HANDSHAKES`, `WP_VERIFY`: JSON arrays). Shared by the CLI (which writes them) and the ingest
 * handler (which reads them), so this file imports nothing from either side.
 *
 * The secrets live in these variables. Nothing here ever puts a secret into a message or a description.
 */
import { ENV } from '../ports.js';
import { methodsToEnv, parseMethods } from './methods.js';
import type { EdgeSettings, HandshakeName, HandshakeSpec, VerifierName, VerifySpec } from './types.js';
import { discordPublicKey } from './verifiers/discord.js';
import { sendgridPublicKey } from './verifiers/sendgrid.js';
import { standardWebhooksKey } from './verifiers/standard-webhooks.js';

/** Each handshake, and the secret it takes (undefined: none). */
export const HANDSHAKE_SECRETS: Record<HandshakeName, string | undefined> = {
  slack: undefined,
  meta: 'VERIFY_TOKEN',
  zoom: 'SECRET_TOKEN',
  graph: undefined,
  dropbox: undefined,
  x: 'CONSUMER_SECRET',
  discord: 'PUBLIC_KEY_HEX',
};

/** Each verifier, and the form of its `--verify` value after `NAME=`. */
export const VERIFY_SECRETS: Record<VerifierName, string> = {
  github: 'WEBHOOK_SECRET',
  stripe: 'SIGNING_SECRET',
  slack: 'SIGNING_SECRET',
  zoom: 'SECRET_TOKEN',
  'hmac-sha256': 'SECRET:HEADER',
  sendgrid: 'PUBLIC_KEY',
  'standard-webhooks': 'whsec_…',
  shopify: 'CLIENT_SECRET',
  linear: 'SIGNING_SECRET',
  paddle: 'SECRET_KEY',
  intercom: 'CLIENT_SECRET',
  gitlab: 'SECRET_TOKEN',
  discord: 'PUBLIC_KEY_HEX',
  twilio: 'AUTH_TOKEN',
  square: 'SIGNATURE_KEY',
};

/**
 * The values that are public keys, not secrets (SendGrid's verification key, Discord's application
 * key): nothing to hide on a command line, so no warning when they are given literally.
 */
export const PUBLIC_KEY_VALUES = new Set<string>(['sendgrid', 'discord']);

/**
 * What is wrong with a value for this provider, or undefined: the keys that must parse are checked
 * when the flag is given (a usage error) and again when the ingest function starts (it fails closed).
 * The answer never contains the value.
 */
export function valueProblem(name: VerifierName | HandshakeName, value: string): string | undefined {
  try {
    if (name === 'sendgrid') sendgridPublicKey(value);
    if (name === 'discord') discordPublicKey(value);
  } catch {
    return name === 'sendgrid'
      ? "is not an ECDSA P-256 public key in base64 (copy the Verification Key from SendGrid's Event Webhook settings)"
      : "is not an Ed25519 public key of 64 hex digits (copy the Public Key from the Discord app's General Information page)";
  }
  if (name === 'standard-webhooks' && !standardWebhooksKey(value)) {
    return 'is not a whsec_ secret (whsec_ followed by base64)';
  }
  return undefined;
}

export const HANDSHAKE_NAMES = Object.keys(HANDSHAKE_SECRETS) as HandshakeName[];
export const VERIFIER_NAMES = Object.keys(VERIFY_SECRETS) as VerifierName[];

/** An HTTP header name (RFC 9110 token), lower-case as API Gateway delivers it. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]{1,100}$/;

export function isHandshakeName(name: string): name is HandshakeName {
  return Object.hasOwn(HANDSHAKE_SECRETS, name);
}

export function isVerifierName(name: string): name is VerifierName {
  return Object.hasOwn(VERIFY_SECRETS, name);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One canonical form: sorted, exact duplicates dropped. The same flags in any order then serialise to
 * the same bytes, so re-running `create` with them reports the function unchanged.
 */
export function normaliseEdgeSettings(settings: Partial<EdgeSettings>): EdgeSettings {
  const { methods } = settings;
  const handshakes = [...(settings.handshakes ?? [])]
    .map((h): HandshakeSpec =>
      h.secret === undefined ? { name: h.name } : { name: h.name, secret: h.secret },
    )
    .sort((a, b) => compare(a.name, b.name));
  const verify = [...(settings.verify ?? [])]
    .map((v): VerifySpec =>
      v.header === undefined
        ? { name: v.name, secret: v.secret }
        : { name: v.name, secret: v.secret, header: v.header },
    )
    .sort(
      (a, b) =>
        compare(a.name, b.name) || compare(a.header ?? '', b.header ?? '') || compare(a.secret, b.secret),
    )
    .filter((v, i, all) => {
      const prev = all[i - 1];
      return !prev || prev.name !== v.name || prev.header !== v.header || prev.secret !== v.secret;
    });
  const sortedMethods = methods === undefined || methods === '*' ? methods : [...new Set(methods)].sort();
  return { handshakes, verify, ...(sortedMethods !== undefined ? { methods: sortedMethods } : {}) };
}

/**
 * The environment variables for the ingest function: only those that are set, so a proxy without
 * edge settings has neither variable (and removing every flag removes them on the next `create`).
 */
export function edgeSettingsToEnv(settings: Partial<EdgeSettings>): Record<string, string> {
  const s = normaliseEdgeSettings(settings);
  const env: Record<string, string> = {};
  if (s.handshakes.length) env[ENV.handshakes] = JSON.stringify(s.handshakes);
  if (s.verify.length) env[ENV.verify] = JSON.stringify(s.verify);
  // Only when --methods is given, so the variables of every other flag set are exactly as before.
  if (s.methods !== undefined) env[ENV.methods] = methodsToEnv(s.methods);
  return env;
}

/** A malformed setting in the environment. Its message names the variable and entry, never a value. */
export class EdgeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EdgeConfigError';
  }
}

function entries(env: NodeJS.ProcessEnv, variable: string): Record<string, unknown>[] {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new EdgeConfigError(`${variable} is not valid JSON.`);
  }
  if (!Array.isArray(value) || !value.every((e) => e && typeof e === 'object' && !Array.isArray(e))) {
    throw new EdgeConfigError(`${variable} must be a JSON array of objects.`);
  }
  return value as Record<string, unknown>[];
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Read and check the settings. A malformed value throws: the ingest function must fail closed rather
 * than accept unverified webhooks because its configuration could not be read.
 */
export function edgeSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EdgeSettings {
  const handshakes = entries(env, ENV.handshakes).map((e, i): HandshakeSpec => {
    const where = `${ENV.handshakes}[${i}]`;
    if (typeof e.name !== 'string' || !isHandshakeName(e.name)) {
      throw new EdgeConfigError(`${where} names no known handshake (known: ${HANDSHAKE_NAMES.join(', ')}).`);
    }
    const needs = HANDSHAKE_SECRETS[e.name] !== undefined;
    if (needs && !nonEmpty(e.secret)) throw new EdgeConfigError(`${where} (${e.name}) has no secret.`);
    const problem = needs ? valueProblem(e.name, e.secret as string) : undefined;
    if (problem) throw new EdgeConfigError(`${where} (${e.name}): the value ${problem}.`);
    return needs ? { name: e.name, secret: e.secret as string } : { name: e.name };
  });
  const verify = entries(env, ENV.verify).map((e, i): VerifySpec => {
    const where = `${ENV.verify}[${i}]`;
    if (typeof e.name !== 'string' || !isVerifierName(e.name)) {
      throw new EdgeConfigError(`${where} names no known verifier (known: ${VERIFIER_NAMES.join(', ')}).`);
    }
    if (!nonEmpty(e.secret)) throw new EdgeConfigError(`${where} (${e.name}) has no secret.`);
    const problem = valueProblem(e.name, e.secret);
    if (problem) throw new EdgeConfigError(`${where} (${e.name}): the value ${problem}.`);
    if (e.name !== 'hmac-sha256') return { name: e.name, secret: e.secret };
    if (typeof e.header !== 'string' || !HEADER_NAME.test(e.header)) {
      throw new EdgeConfigError(`${where} (hmac-sha256) has no valid lower-case header name.`);
    }
    return { name: e.name, secret: e.secret, header: e.header };
  });
  const rawMethods = env[ENV.methods];
  let methods: EdgeSettings['methods'];
  if (rawMethods !== undefined && rawMethods.trim() !== '') {
    methods = parseMethods(rawMethods);
    if (!methods)
      throw new EdgeConfigError(`${ENV.methods} is not a comma-separated list of methods or "*".`);
  }
  return normaliseEdgeSettings({ handshakes, verify, ...(methods ? { methods } : {}) });
}
