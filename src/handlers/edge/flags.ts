/**
 * The `--handshake NAME[=SECRET]`, `--verify NAME=SECRET` and `--methods LIST` flags of `create` and
 * `dev`: declared by `addEdgeOptions(cmd)`, checked by `edgeSettingsFromOptions(opts)`, and turned into
 * the ingest function's environment by `edgeEnv(opts)`. CLI-side only (the ingest bundle never imports
 * this file). A SECRET can be `env:VARIABLE`, `file:PATH` or `prompt` (secrets.ts), so it need not be
 * on the command line; one that is gets a warning.
 *
 * Error messages name the flag and the provider, and say what to type; they never repeat a secret
 * (what follows `=` is not echoed, and a provider name is echoed only when it looks like one).
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { collect, type GlobalOptions } from '../../options.js';
import { warn } from '../../ui/output.js';
import { DEFAULT_METHODS, parseMethods } from './methods.js';
import { promptHidden } from './prompt.js';
import {
  describeSource,
  NoTerminalError,
  PROMPT,
  resolveSecret,
  sourcesHint,
  type SecretIo,
  type SecretSource,
} from './secrets.js';
import {
  edgeSettingsToEnv,
  HANDSHAKE_NAMES,
  HANDSHAKE_SECRETS,
  HEADER_NAME,
  isHandshakeName,
  isVerifierName,
  normaliseEdgeSettings,
  PUBLIC_KEY_VALUES,
  valueProblem,
  VERIFIER_NAMES,
  VERIFY_SECRETS,
} from './settings.js';
import type { EdgeSettings, HandshakeSpec, VerifySpec } from './types.js';

export interface EdgeOptions {
  handshake?: string[];
  verify?: string[];
  methods?: string;
}

/** The outside world flag parsing touches: secrets' sources, the warning channel, our own `ps` line. */
export interface EdgeIo extends SecretIo {
  warn(message: string): void;
  argv: string[];
  /** Replace what `ps` shows for this process (Node's process.title overwrites argv on Linux). */
  setTitle(title: string): void;
}

export const defaultEdgeIo: EdgeIo = {
  env: process.env,
  readFile: (path) => readFileSync(path),
  prompt: promptHidden,
  warn: (message) => void process.stderr.write(`warning: ${message}\n`),
  argv: process.argv,
  setTitle: (title) => {
    process.title = title;
  },
};

/**
 * The io of one command run (create, dev, serve): defaultEdgeIo, whose warning is written by the one
 * `warn` of src/ui/output.ts (a JSON line with --json). Made once per run and passed to every parse
 * of that run, which then asks for a prompted secret once and warns once per flag.
 */
export function edgeIoFor(global: Pick<GlobalOptions, 'json'>): EdgeIo {
  return { ...defaultEdgeIo, warn: (message) => warn(global, 'secret_on_command_line', message) };
}

/** Lambda allows 4 KB of environment variables per function; leave room for the others. */
export const EDGE_ENV_MAX_BYTES = 2048;

const HANDSHAKE_USAGE = HANDSHAKE_NAMES.map((n) =>
  HANDSHAKE_SECRETS[n] ? `${n}=${HANDSHAKE_SECRETS[n]}` : n,
).join(', ');
const VERIFY_USAGE = VERIFIER_NAMES.map((n) => `${n}=${VERIFY_SECRETS[n]}`).join(', ');

const SECRET_FORMS = 'SECRET is env:VARIABLE, file:PATH, prompt, or the value itself (visible in ps)';

/** Declare the flags on a command (`create`, `dev`). */
export function addEdgeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--handshake <name[=secret]>',
      `answer a provider's registration handshake at the proxy, never queued (repeatable): ${HANDSHAKE_USAGE}. ${SECRET_FORMS}`,
      collect,
    )
    .option(
      '--verify <name=secret>',
      `refuse (401, nothing queued) webhooks whose signature does not verify (repeatable): ${VERIFY_USAGE}. ${SECRET_FORMS}`,
      collect,
    )
    .option(
      '--methods <list>',
      `request methods stored as webhooks, comma-separated, or * for all; the rest get 405 (default: ${DEFAULT_METHODS.join(',')})`,
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
  discord:
    "The public key is on the Discord app's General Information page. Add --verify discord=PUBLIC_KEY_HEX as well, for the events.",
};

/** One parse: the settings, and the literal secrets found (for the warning and for `ps`). */
interface Parsed {
  literals: { flag: string; value: string }[];
  /** How many `prompt` secrets each flag has had in this parse (the key of a remembered answer). */
  prompts: Map<string, number>;
}

/**
 * What one process remembers across parses with the same io: `create` checks the edge flags together
 * and then each flag alone, and must ask once, warn once per flag, and keep every literal hidden.
 */
interface IoState {
  answers: Map<string, string>;
  warned: Set<string>;
  hidden: Set<string>;
}
const ioStates = new WeakMap<EdgeIo, IoState>();
function stateOf(io: EdgeIo): IoState {
  let state = ioStates.get(io);
  if (!state) ioStates.set(io, (state = { answers: new Map(), warned: new Set(), hidden: new Set() }));
  return state;
}

/**
 * Resolve a secret given as NAME=RAW, checking it as the provider needs. `bare`: the flag had no
 * `=SECRET` at all, so RAW is `prompt`, and without a terminal the error is `missing` instead.
 */
function secretOf(
  flag: string,
  name: Parameters<typeof valueProblem>[0],
  raw: string,
  io: EdgeIo,
  parsed: Parsed,
  missing?: UsageError,
): string {
  let resolved: { value: string; source: SecretSource };
  const n = raw === PROMPT ? (parsed.prompts.get(flag) ?? 0) + 1 : 0;
  if (n) parsed.prompts.set(flag, n);
  const answers = stateOf(io).answers;
  const answer = answers.get(`${flag}#${n}`);
  if (n && answer !== undefined) resolved = { value: answer, source: 'prompt' };
  else {
    try {
      resolved = resolveSecret(flag, raw, io);
    } catch (err) {
      throw err instanceof NoTerminalError && missing ? missing : err;
    }
    if (n) answers.set(`${flag}#${n}`, resolved.value);
  }
  const { value, source } = resolved;
  checkSecret(flag, value, raw, source);
  const problem = valueProblem(name, value);
  if (problem) throw new UsageError(`${flag}: ${describeSource(raw, source)} ${problem}.`);
  if (source === 'literal' && !PUBLIC_KEY_VALUES.has(name)) parsed.literals.push({ flag, value });
  return value;
}

function checkSecret(flag: string, secret: string, raw: string, source: SecretSource): void {
  if (secret.trim() !== secret) {
    throw new UsageError(
      `${flag}: ${describeSource(raw, source)} begins or ends with whitespace, which is almost always a copy-and-paste slip.`,
      source === 'file'
        ? 'Only one trailing newline is taken off a secret file: remove the rest.'
        : 'Give the value without the surrounding spaces.',
    );
  }
}

function parseHandshake(raw: string, io: EdgeIo, parsed: Parsed): HandshakeSpec {
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
  const flag = `--handshake ${name}`;
  if (!needs && secret !== undefined) {
    throw new UsageError(`${flag} takes no secret: write --handshake ${name}.`, HANDSHAKE_HINTS[name]);
  }
  if (!needs) return { name };
  const missing = new UsageError(
    `${flag} needs its ${needs}: --handshake ${name}=${needs}.`,
    `${HANDSHAKE_HINTS[name] ?? ''} ${sourcesHint(flag)}`.trim(),
  );
  if (secret === '') throw missing;
  // A bare `--handshake meta` asks on the terminal when there is one.
  return { name, secret: secretOf(flag, name, secret ?? PROMPT, io, parsed, missing) };
}

function parseVerify(raw: string, io: EdgeIo, parsed: Parsed): VerifySpec {
  const eq = raw.indexOf('=');
  const name = (eq < 0 ? raw : raw.slice(0, eq)).trim().toLowerCase();
  if (!isVerifierName(name)) {
    throw new UsageError(
      eq < 0 ? '--verify takes NAME=SECRET.' : `--verify: unknown verifier ${shown(name)}.`,
      `Known verifiers: ${VERIFY_USAGE}.`,
    );
  }
  const flag = `--verify ${name}`;
  // A bare `--verify github` asks on the terminal; without one it is the usage error below.
  const value = eq < 0 ? (name === 'hmac-sha256' ? '' : PROMPT) : raw.slice(eq + 1);
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
        'For example: --verify hmac-sha256=env:DROPBOX_APP_SECRET:x-dropbox-signature',
      );
    }
    return { name, secret: secretOf(flag, name, secret, io, parsed), header };
  }
  const missing = new UsageError(
    `--verify ${name} needs a secret: --verify ${name}=${VERIFY_SECRETS[name]}.`,
    sourcesHint(flag),
  );
  if (!value) throw missing;
  const secret = secretOf(flag, name, value, io, parsed, eq < 0 ? missing : undefined);
  if (name === 'stripe' && /^(sk|rk|pk)_/.test(secret)) {
    throw new UsageError(
      '--verify stripe: that is a Stripe API key, not a webhook signing secret.',
      "Use the endpoint's signing secret (whsec_…) from the Dashboard's Webhooks page or `stripe listen`.",
    );
  }
  return { name, secret };
}

function parseMethodsFlag(raw: string): EdgeSettings['methods'] {
  const methods = parseMethods(raw);
  if (!methods) {
    throw new UsageError(
      `--methods takes request methods separated by commas, or * for every method (got "${raw.slice(0, 40)}").`,
      `For example: --methods ${DEFAULT_METHODS.join(',')} (the default) or --methods POST,GET.`,
    );
  }
  return methods;
}

/**
 * Secrets given literally are on this process's command line: warn, and take them out of what `ps`
 * shows for the rest of its life (a long-running `dev` especially). Before that moment, and in the
 * shell history, they were visible all the same: hence the warning.
 */
function handleLiterals(parsed: Parsed, io: EdgeIo): void {
  if (parsed.literals.length === 0) return;
  const state = stateOf(io);
  const flags = [...new Set(parsed.literals.map((l) => l.flag))].filter((f) => !state.warned.has(f));
  if (flags.length) {
    io.warn(
      `${flags.join(', ')}: a secret given on the command line can be read by other users of this machine (ps) ` +
        'and is kept in your shell history. Give it as NAME=env:VARIABLE, NAME=file:PATH or NAME=prompt instead.',
    );
    for (const f of flags) state.warned.add(f);
  }
  for (const l of parsed.literals) state.hidden.add(l.value);
  const secrets = [...state.hidden];
  if (!io.argv.some((arg) => secrets.some((s) => arg.includes(s)))) return;
  const redacted = io.argv.slice(2).map((arg) => secrets.reduce((a, s) => a.split(s).join('[hidden]'), arg));
  io.setTitle(['webhook-proxy', ...redacted].join(' '));
}

/** Parse and check the flags. Throws UsageError (exit 2) saying what to type instead. */
export function edgeSettingsFromOptions(opts: EdgeOptions, io: EdgeIo = defaultEdgeIo): EdgeSettings {
  const parsed: Parsed = { literals: [], prompts: new Map() };
  const handshakes = (opts.handshake ?? []).map((raw) => parseHandshake(raw, io, parsed));
  const seen = new Set<string>();
  for (const h of handshakes) {
    if (seen.has(h.name)) {
      throw new UsageError(`--handshake ${h.name} is given twice.`, 'Give each provider once.');
    }
    seen.add(h.name);
  }
  // Several --verify of one provider are allowed: that is how a secret is rotated (see edge/index.ts).
  const verify = (opts.verify ?? []).map((raw) => parseVerify(raw, io, parsed));
  const methods = opts.methods === undefined ? undefined : parseMethodsFlag(opts.methods);
  const settings = normaliseEdgeSettings({ handshakes, verify, ...(methods ? { methods } : {}) });
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
  handleLiterals(parsed, io);
  return settings;
}

/**
 * The ingest function's environment variables for these flags (`{}` when none is given). A secret
 * read from a file, the environment or a prompt gives exactly the variables the same secret typed
 * literally would.
 */
export function edgeEnv(opts: EdgeOptions, io: EdgeIo = defaultEdgeIo): Record<string, string> {
  return edgeSettingsToEnv(edgeSettingsFromOptions(opts, io));
}
