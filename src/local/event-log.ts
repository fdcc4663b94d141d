/**
 * A local proxy's event log: the lines the Lambda functions would write to CloudWatch Logs, one JSON
 * object per line, `{"timestamp": ms, "message": "<handler line>"}`, for `logs --local`.
 *
 * dev and serve on the disk store keep one by default in the data directory (events.log), so
 * `logs --local NAME` needs nothing passed at start. It is bounded: past EVENT_LOG_MAX_BYTES the
 * file becomes events.log.1 (the one before is dropped) and a new one starts, so a proxy that runs
 * for months keeps at most twice that, the newest lines. `--event-log FILE` writes FILE instead, all
 * of it (a file named by the user is theirs to rotate). `--memory` and `--queue-url` keep no data
 * directory, so no log unless --event-log says where.
 */
import { appendFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const EVENT_LOG_FILE = 'events.log';
/** 8 MiB: about 30 000 deliveries' lines, and two files of it are nothing to a disk. */
export const EVENT_LOG_MAX_BYTES = 8 * 1024 * 1024;

export const defaultEventLog = (dataDir: string): string => join(dataDir, EVENT_LOG_FILE);
export const previousEventLog = (file: string): string => `${file}.1`;

export interface EventLog {
  readonly file: string;
  record(line: Record<string, unknown>): void;
}

/**
 * Appended synchronously: a line is whole on disk before the next event, even at a crash. With
 * `maxBytes`, rotated before a line that would take the file past it.
 */
export function openEventLog(file: string, o: { maxBytes?: number; now?: () => number } = {}): EventLog {
  const now = o.now ?? Date.now;
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // not there yet: the first line creates it
  }
  return {
    file,
    record(line) {
      const text = `${JSON.stringify({ timestamp: now(), message: JSON.stringify(line) })}\n`;
      const bytes = Buffer.byteLength(text);
      if (o.maxBytes !== undefined && size > 0 && size + bytes > o.maxBytes) {
        renameSync(file, previousEventLog(file));
        size = 0;
      }
      // Owner-only, like the store: the lines carry ids, paths and the upstream's errors.
      appendFileSync(file, text, { mode: 0o600 });
      size += bytes;
    },
  };
}
