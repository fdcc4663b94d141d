/**
 * A hidden prompt on the controlling terminal (`/dev/tty`, as `ssh` and `sudo` use), read
 * synchronously so flag parsing stays synchronous (`edgeEnv(opts)`). Nothing is echoed; Backspace
 * deletes, Enter ends, Ctrl-C or Ctrl-D cancels. No terminal (CI, a service, Windows), or a standard
 * input that is not one (a pipe, `< /dev/null`, a test runner): undefined, so nothing ever waits on a
 * terminal nobody is watching.
 *
 * Two descriptors of the terminal: raw mode is set through a tty.ReadStream on one (libuv makes that
 * one non-blocking) and bytes are read, blocking, from the other. Raw mode belongs to the terminal,
 * so it applies to both.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { UsageError } from '../../errors.js';

const ENTER = new Set([0x0a, 0x0d]);
const CANCEL = new Set([0x03, 0x04]);
const BACKSPACE = new Set([0x08, 0x7f]);

/** Drop the last UTF-8 character (its continuation bytes 10xxxxxx, then its lead byte). */
function dropLastChar(bytes: number[]): void {
  while (bytes.length && (bytes[bytes.length - 1]! & 0xc0) === 0x80) bytes.pop();
  bytes.pop();
}

export function promptHidden(question: string): string | undefined {
  if (!process.stdin.isTTY) return undefined;
  let fd: number;
  let control: number;
  try {
    fd = openSync('/dev/tty', 'r+');
    control = openSync('/dev/tty', 'r');
  } catch {
    return undefined;
  }
  const stream = new ReadStream(control);
  const bytes: number[] = [];
  let cancelled = false;
  try {
    stream.setRawMode(true);
    writeSync(fd, `${question}(input hidden) `);
    const one = Buffer.alloc(1);
    for (;;) {
      if (readSync(fd, one, 0, 1, null) === 0) break;
      const b = one[0]!;
      if (ENTER.has(b)) break;
      if (CANCEL.has(b)) {
        cancelled = true;
        break;
      }
      if (BACKSPACE.has(b)) dropLastChar(bytes);
      else bytes.push(b);
    }
  } finally {
    stream.setRawMode(false);
    writeSync(fd, '\n');
    stream.destroy();
    closeSync(fd);
  }
  if (cancelled) throw new UsageError(`Cancelled at the prompt for ${question.replace(/:\s*$/, '')}.`);
  return Buffer.from(bytes).toString('utf8');
}
