/**
 * A yes/no question on the terminal. Resolves undefined when there is no terminal to ask on, so
 * the caller can refuse instead of guessing. Only "y" or "yes" is a yes; anything else, or the end
 * of input, is a no.
 */
import { createInterface } from 'node:readline/promises';

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
