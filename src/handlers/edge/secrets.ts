/**
 * Where a `--verify`/`--handshake` secret comes from, so it need never be typed on a command line
 * (where other users of the machine see it in `ps`, and the shell history keeps it):
 *
 *   NAME=env:VARIABLE   the value of an environment variable
 *   NAME=file:PATH      the contents of a file, less one trailing newline (`~/` is the home directory)
 *   NAME=prompt         typed at a hidden prompt on the terminal (so is a bare NAME, on a terminal)
 *   NAME=literal:VALUE  VALUE itself, for a secret that really begins with `env:`, `file:` or is `prompt`
 *   NAME=VALUE          VALUE itself (works, with a warning)
 *
 * CLI-side only. Errors name the flag, the variable or the file, and never contain a secret.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';

export type SecretSource = 'literal' | 'env' | 'file' | 'prompt';

export interface ResolvedSecret {
  value: string;
  source: SecretSource;
}

/** What resolving needs from the outside world (tests pass their own). */
export interface SecretIo {
  env: NodeJS.ProcessEnv;
  readFile(path: string): Buffer;
  /** Ask for a secret on the terminal without echo; undefined when there is no terminal. */
  prompt(question: string): string | undefined;
}

export const PROMPT = 'prompt';

/** A secret file holds one secret: anything bigger is the wrong file. */
export const SECRET_FILE_MAX_BYTES = 64 * 1024;

/** `prompt` without a terminal to ask on. */
export class NoTerminalError extends UsageError {}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const SOURCES_HINT = (flag: string) =>
  `Give the secret as ${flag}=env:VARIABLE, ${flag}=file:PATH or ${flag}=prompt.`;

function fromEnv(flag: string, name: string, io: SecretIo): string {
  if (!ENV_NAME.test(name)) {
    throw new UsageError(
      `${flag}=env:…: that is not an environment variable name.`,
      'After env: comes the name of a variable (letters, digits, _), not the secret itself.',
    );
  }
  const value = io.env[name];
  if (value === undefined) {
    throw new UsageError(
      `${flag}=env:${name}: the environment variable ${name} is not set.`,
      `Export it in this shell first (for example from your secret manager), or use ${flag}=file:PATH.`,
    );
  }
  if (value === '') throw new UsageError(`${flag}=env:${name}: the environment variable ${name} is empty.`);
  return value;
}

function fromFile(flag: string, path: string, io: SecretIo): string {
  if (!path) throw new UsageError(`${flag}=file:… needs a path: ${flag}=file:./secret.txt.`);
  const full = path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : resolve(path);
  let bytes: Buffer;
  try {
    bytes = io.readFile(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (code ?? 'it cannot be read');
    throw new UsageError(`${flag}=file:${path}: cannot read ${full}: ${why}.`);
  }
  if (bytes.length > SECRET_FILE_MAX_BYTES) {
    throw new UsageError(
      `${flag}=file:${path}: ${full} is ${bytes.length} bytes; a secret file holds only the secret.`,
      'Check the path.',
    );
  }
  // `echo "$SECRET" > file` and editors add one newline at the end: that is not part of the secret.
  const value = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`${flag}=file:${path}: ${full} is empty.`);
  return value;
}

function fromPrompt(flag: string, io: SecretIo): string {
  const value = io.prompt(`${flag}: `);
  if (value === undefined) {
    throw new NoTerminalError(
      `${flag}=prompt asks for the secret on a terminal, and there is none.`,
      `Without a terminal (CI, a service), use ${flag}=env:VARIABLE or ${flag}=file:PATH.`,
    );
  }
  if (value === '') throw new UsageError(`${flag}: nothing was typed at the prompt.`);
  return value;
}

/**
 * The secret `raw` (what follows `NAME=`) stands for. `flag` is how errors name it
 * (`--verify github`).
 */
export function resolveSecret(flag: string, raw: string, io: SecretIo): ResolvedSecret {
  if (raw.startsWith('env:')) return { value: fromEnv(flag, raw.slice(4), io), source: 'env' };
  if (raw.startsWith('file:')) return { value: fromFile(flag, raw.slice(5), io), source: 'file' };
  if (raw === PROMPT) return { value: fromPrompt(flag, io), source: 'prompt' };
  if (raw.startsWith('literal:')) return { value: raw.slice(8), source: 'literal' };
  return { value: raw, source: 'literal' };
}

/** The hint for a flag given without any secret. */
export function sourcesHint(flag: string): string {
  return SOURCES_HINT(flag);
}

/** Where a resolved secret came from, for messages ("the secret in file:./x"); never the secret. */
export function describeSource(raw: string, source: SecretSource): string {
  if (source === 'env' || source === 'file') return raw;
  return source === 'prompt' ? 'the value typed at the prompt' : 'the value';
}
