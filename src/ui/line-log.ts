/**
 * The JSON log line writer of `serve` and `dev --json`. A service's stdout is a pipe to whatever
 * collects its log, and that reader can be slow or stalled; the proxy must keep delivering meanwhile.
 *
 * - Never blocking: a line goes to the stream at once while the stream holds less than 16 KiB the OS
 *   has not taken; past that, lines are queued here and handed over (joined, up to 16 KiB at a
 *   time) as the stream's write callbacks say it took the earlier ones. So the backlog is this
 *   queue, which can be bounded (a plain process.stdout.write buffers without limit).
 * - Bounded: past `maxPendingBytes` queued, a line marked droppable (one per delivery, `delivered`,
 *   `retry`, and one per refused request, `rejected`: dev-output.ts droppableEvent) is not kept but
 *   counted, and the count is written as one `log-dropped` line where the first of them would have
 *   been. Every other line (the stop, dead letters, warnings) is always kept: those are the ones an
 *   operator acts on, and they are few.
 * - Flushed at exit: `close()` resolves once the stream has taken the last byte (its write callback),
 *   and the commands await it on every way out before they return their exit code; the entry point's
 *   forced exit (bin/webhook-proxy.js) would otherwise cut the backlog off. `flushSync()` is the
 *   best effort of a crash: what is queued is written with writeSync before the process dies.
 */
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

export interface LineLogOptions {
  /** Bytes queued (not yet handed to the stream) past which droppable lines are dropped. */
  maxPendingBytes?: number;
  /** The line that says how many lines were dropped at this point of the log. */
  droppedLine(count: number): string;
  /** Called once when the stream fails (its reader is gone): the lines after it are lost. */
  onFailed?(err: Error): void;
}

export interface LineLog {
  /** Queue one line (without its newline). */
  write(line: string, o?: { droppable?: boolean }): void;
  /** Write everything queued; resolves once the stream took it all (or failed). Idempotent. */
  close(): Promise<void>;
  /** A crash: write what is queued synchronously, best effort. */
  flushSync(): void;
  /** Lines dropped so far (each counted in a `log-dropped` line). */
  readonly dropped: number;
}

/** 4 MiB: about 25,000 `delivered` lines, a minute of a busy proxy held while the reader catches up. */
export const DEFAULT_MAX_PENDING_BYTES = 4 * 1024 * 1024;

type Entry = string | { dropped: number };

/**
 * 16 KiB: what the stream may hold beyond what the OS took (a pipe's own 64 KiB on Linux). Enough to
 * keep a reader that keeps up busy, and the most a crash can lose: flushSync writes the rest.
 */
const CHUNK_BYTES = 16 * 1024;

/** What an entry counts towards the bound (a drop marker, tiny and one per run, counts nothing). */
const entryBytes = (e: Entry) => (typeof e === 'string' ? Buffer.byteLength(e) + 1 : 0);

export function lineLog(stream: Writable & { fd?: number }, options: LineLogOptions): LineLog {
  const max = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  let queue: Entry[] = [];
  let queuedBytes = 0;
  // The marker of the current run of drops, in `queue`: later drops add to it rather than add lines.
  let marker: { dropped: number } | undefined;
  let dropped = 0;
  // Writes handed to the stream whose callback has not come yet.
  let outstanding = 0;
  let failed = false;
  let closing: Promise<void> | undefined;
  let idle: (() => void) | undefined;

  const render = (entries: Entry[]) =>
    entries.map((e) => `${typeof e === 'string' ? e : options.droppedLine(e.dropped)}\n`).join('');

  // A reader gone for good (EPIPE): nothing more can be written, so nothing is waited for either.
  // The listener stays after close(): an EPIPE on stdout with none would crash the process.
  const onError = (err: Error) => {
    if (!failed) options.onFailed?.(err);
    failed = true;
    queue = [];
    queuedBytes = 0;
    idle?.();
  };
  stream.on('error', onError);

  const pump = () => {
    if (failed) return;
    // Straight to the stream while it holds less than CHUNK_BYTES not yet taken by the OS (a reader
    // that keeps up: each line goes out as it comes, as process.stdout.write would send it); past
    // that, lines wait here for a write callback. So the stream never holds much more than
    // CHUNK_BYTES, which is also what a crash can lose: flushSync writes what is queued here.
    while (queue.length && stream.writableLength < CHUNK_BYTES) {
      const room = CHUNK_BYTES - stream.writableLength;
      let taken = 0;
      let bytes = 0;
      while (taken < queue.length && (taken === 0 || bytes < room)) bytes += entryBytes(queue[taken++]!);
      const entries = queue.splice(0, taken);
      queuedBytes -= bytes;
      if (marker && entries.includes(marker)) marker = undefined;
      outstanding++;
      stream.write(render(entries), (err) => {
        outstanding--;
        if (err) onError(err);
        else pump();
      });
      if (failed) return;
    }
    if (!queue.length && outstanding === 0) idle?.();
  };

  return {
    write(line, o = {}) {
      if (failed) return;
      if (o.droppable && queuedBytes >= max) {
        dropped++;
        if (marker) marker.dropped++;
        else queue.push((marker = { dropped: 1 }));
        return;
      }
      queue.push(line);
      queuedBytes += entryBytes(line);
      pump();
    },
    close() {
      return (closing ??= new Promise<void>((resolve) => {
        idle = () => {
          idle = undefined;
          resolve();
        };
        if (failed || (outstanding === 0 && !queue.length)) idle();
        else pump();
      }));
    },
    flushSync() {
      if (failed || !queue.length || stream.fd === undefined) return;
      // The chunk the stream holds, if any, may be cut short by the exit, mid-line: a newline first
      // keeps that one line broken rather than the next one too (an empty line if it had all gone).
      let buf = Buffer.from((outstanding ? '\n' : '') + render(queue));
      queue = [];
      queuedBytes = 0;
      const end = Date.now() + 2000;
      while (buf.length && Date.now() < end) {
        try {
          buf = buf.subarray(writeSync(stream.fd, buf));
        } catch (err) {
          // A non-blocking pipe that is full: wait a little for the reader, then give up.
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        }
      }
    },
    get dropped() {
      return dropped;
    },
  };
}
