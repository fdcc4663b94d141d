/**
 * A yes/no question on the terminal. Resolves undefined when there is no terminal to ask on, so
 * the caller can refuse instead of guessing. Only "y" or "yes" is a yes; anything else, or the end
 * of input, is a no. `confirmOrThrow` is the whole "--yes, or ask, or refuse" step of a destructive
 * command.
 */
import { createInterface } from 'node:readline/promises';
import { CliError, UsageError } from '../errors.js';
import type { GlobalOptions } from '../options.js';

export interface PromptIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function confirm(
  question: string,
  io: PromptIo = { input: process.stdin, output: process.stderr },
): Promise<boolean | undefined> {
  if (!io.input.isTTY || !io.output.isTTY) return undefined;
  const rl = createInterface({ input: io.input, output: io.output });
  try {
    // Ctrl-C or Ctrl-D answers no (readline would otherwise just pause and wait forever).
    rl.once('SIGINT', () => rl.close());
    const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    const answer = await Promise.race([rl.question(`${question} [y/N] `), closed]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export interface ConfirmRefusals {
  /** The usage error when there is no --yes and no terminal to ask on (exit 2). */
  noTty: { message: string; hint?: string };
  /** The error when the answer is no (exit 1). */
  declined: string;
}

/**
 * Go on with --yes; else ask `question`, and throw when there is no terminal to ask on or the answer
 * is no. Resolves only when the caller may go ahead.
 */
export async function confirmOrThrow(
  global: GlobalOptions,
  question: string,
  refusals: ConfirmRefusals,
  io?: PromptIo,
): Promise<void> {
  if (global.yes) return;
  const ok = await confirm(question, io);
  if (ok === undefined) throw new UsageError(refusals.noTty.message, refusals.noTty.hint);
  if (!ok) throw new CliError(refusals.declined);
}
