/**
 * A yes/no question on the terminal. Resolves undefined when there is no terminal to ask on, so
 * the caller can refuse instead of guessing.
 */
import { createInterface } from 'node:readline/promises';

export async function confirm(question: string): Promise<boolean | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
