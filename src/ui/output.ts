/**
 * Where output goes. Results go to stdout (JSON with --json, text otherwise); progress and
 * diagnostics go to stderr, as ink on a terminal or plain lines in CI and pipes.
 */
import type { GlobalOptions } from '../options.js';

export type OutputMode = 'json' | 'ink' | 'plain';

export function outputMode(global: GlobalOptions, stream: NodeJS.WriteStream = process.stderr): OutputMode {
  if (global.json) return 'json';
  // CI=true means a log, not a person: no spinners, no cursor movement.
  if (stream.isTTY && !process.env.CI && process.env.TERM !== 'dumb') return 'ink';
  return 'plain';
}

/** Write a command's result: JSON on --json, else the human text. Always stdout. */
export function printResult(global: GlobalOptions, json: unknown, human: string): void {
  process.stdout.write(
    global.json ? `${JSON.stringify(json, null, 2)}\n` : human.endsWith('\n') ? human : `${human}\n`,
  );
}

/** A progress or diagnostic line on stderr (never with --json on stdout, so stdout stays parseable). */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** A progress line for people: `note` it, except with --json, where only the result is written. */
export function progress(global: GlobalOptions, message: string): void {
  if (!global.json) note(message);
}

/**
 * A warning: something the user should know that does not stop the command. `warning: …` on stderr;
 * with --json one line of JSON on stderr, `{"warning":{"code","message"}}`, the same shape as the
 * errors (src/cli-errors.ts), so a script reading stderr line by line can parse every line of it.
 * `code` is a stable snake_case word a script can switch on.
 */
export function warn(global: Pick<GlobalOptions, 'json'>, code: string, message: string): void {
  process.stderr.write(
    global.json ? `${JSON.stringify({ warning: { code, message } })}\n` : `warning: ${message}\n`,
  );
}
