/**
 * A yes/no question on the terminal. Resolves undefined when there is no terminal to ask on, so
 * the caller can refuse instead of guessing. Only "y" or "yes" is a yes; anything else, or the end
 * of input, is a no. `confirmOrThrow` is the whole "--yes, or ask, or refuse" step of a destructive
 * command.
 */
import { createInterface } from 'node:readline/promises';
import { CliError, UsageError } from '../errors.js';
import { SIGNAL_EXIT_CODES } from '../interrupts.js';
import type { GlobalOptions } from '../options.js';

export interface PromptIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function confirm(
  question: string,
  io: PromptIo = { input: process.stdin, output: process.stderr },
): Promise<boolean | undefined | 'interrupted'> {
  if (!io.input.isTTY || !io.output.isTTY) return undefined;
  const rl = createInterface({ input: io.input, output: io.output });
  let interrupted = false;
  try {
    // Ctrl-D answers no; Ctrl-C (read as a key: readline holds the terminal in raw mode, so no SIGINT
    // reaches the process) is an interruption, exit 130 as everywhere else. Either way readline
    // would otherwise just pause and wait forever.
    rl.once('SIGINT', () => {
      interrupted = true;
      rl.close();
    });
    const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    const answer = await Promise.race([rl.question(`${question} [y/N] `), closed]);
    if (interrupted) return 'interrupted';
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export interface ConfirmRefusals {
  /** The usage error when there is no --yes and no terminal to ask on (exit 2). */
  noTty: { message: string; hint?: string };
  /** The error when the answer is no (exit 1; Ctrl-C at the question: 130). */
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
  if (ok === 'interrupted') {
    throw new CliError(`Interrupted. ${refusals.declined}`, undefined, {
      exitCode: SIGNAL_EXIT_CODES.SIGINT,
      code: 'interrupted',
    });
  }
  if (!ok) throw new CliError(refusals.declined, undefined, { code: 'declined' });
}
