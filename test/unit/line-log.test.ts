/**
 * The JSON log writer (src/ui/line-log.ts) in front of a reader that stalls, as a log collector on a
 * pipe can: nothing waits on it, the backlog stays bounded by dropping (and counting) only the
 * droppable lines, close() resolves only once the stream has taken the last byte, a dead reader does
 * not hang close(), and a crash's flushSync writes the backlog to the file descriptor.
 */
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { droppableEvent } from '../../src/ui/dev-output.js';
import { lineLog } from '../../src/ui/line-log.js';

const droppedLine = (count: number) => JSON.stringify({ event: 'log-dropped', count });
const tick = () => new Promise((r) => setImmediate(r));
/** More than the writer hands a stream before waiting for it (16 KiB): what fills a stalled one. */
const BIG = JSON.stringify({ event: 'warning', n: -1, pad: 'x'.repeat(70_000) });

/** A stream whose reader takes nothing until `release()`, then everything as it comes. */
function stalledReader(fd?: number) {
  let received = '';
  let held: (() => void)[] = [];
  let flowing = false;
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        received += chunk.toString();
        if (flowing) cb();
        else held.push(() => cb());
      },
    }),
    fd === undefined ? {} : { fd },
  );
  return {
    stream,
    received: () => received,
    writes: () => held.length,
    release() {
      flowing = true;
      const h = held;
      held = [];
      for (const cb of h) cb();
    },
  };
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; n?: number; count?: number; pad?: string });

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('lineLog', () => {
  it('gives a slow stream at most 16 KiB, and drops only droppable lines past the bound, counted once', async () => {
    const reader = stalledReader();
    const log = lineLog(reader.stream, { maxPendingBytes: 2_000, droppedLine });
    for (let n = 0; n < 5_000; n++) {
      log.write(JSON.stringify({ event: 'delivered', n }), { droppable: true });
      if (n % 1_000 === 999) log.write(JSON.stringify({ event: 'dead-lettered', n }));
    }
    log.write(JSON.stringify({ event: 'stopped' }));
    await tick();
    // About 16 KiB went to the stream, unread; the rest waits here, not in the stream's own buffer.
    expect(reader.writes()).toBe(1);
    expect(reader.stream.writableLength).toBeGreaterThan(15_000);
    expect(reader.stream.writableLength).toBeLessThan(16 * 1024 + 100);
    expect(log.dropped).toBeGreaterThan(2_000);

    let closed = false;
    const closing = log.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    reader.release();
    await closing;

    const out = lines(reader.received());
    expect(out.at(-1)!.event).toBe('stopped');
    expect(out.filter((l) => l.event === 'dead-lettered').map((l) => l.n)).toEqual([
      999, 1999, 2999, 3999, 4999,
    ]);
    const delivered = out.filter((l) => l.event === 'delivered').map((l) => l.n!);
    const drops = out.filter((l) => l.event === 'log-dropped');
    // One drop run, one line; every delivery either logged (in order) or counted.
    expect(drops).toHaveLength(1);
    expect(drops[0]!.count).toBe(log.dropped);
    expect(delivered.length + drops[0]!.count!).toBe(5_000);
    expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
  });

  it('drops a flood of rejected lines past the bound too, counted, never the stop, dead letters or warnings', async () => {
    expect(['delivered', 'retry', 'rejected'].filter(droppableEvent)).toHaveLength(3);
    const kept = ['stopped', 'dead-lettered', 'warning', 'outage', 'recovered', 'settings', 'listening'];
    expect(kept.filter(droppableEvent)).toEqual([]);
    const reader = stalledReader();
    const max = 2_000;
    const log = lineLog(reader.stream, { maxPendingBytes: max, droppedLine });
    // Forged requests at the sender's pace: the way dev-output.ts writes them (droppableEvent).
    const write = (e: { event: string; n: number }) =>
      log.write(JSON.stringify(e), { droppable: droppableEvent(e.event) });
    for (let n = 0; n < 10_000; n++) {
      write({ event: 'rejected', n });
      if (n % 2_500 === 2_499) {
        write({ event: 'warning', n });
        write({ event: 'dead-lettered', n });
      }
    }
    write({ event: 'stopped', n: -1 });
    await tick();
    expect(log.dropped).toBeGreaterThan(8_000);
    reader.release();
    await log.close();

    const out = lines(reader.received());
    // The backlog stayed bounded: what was kept is the 16 KiB handed over, the bound, and the lines never dropped.
    expect(reader.received().length).toBeLessThan(16 * 1024 + max + 1_000);
    expect(out.at(-1)!.event).toBe('stopped');
    expect(out.filter((l) => l.event === 'warning').map((l) => l.n)).toEqual([2499, 4999, 7499, 9999]);
    expect(out.filter((l) => l.event === 'dead-lettered').map((l) => l.n)).toEqual([2499, 4999, 7499, 9999]);
    const rejected = out.filter((l) => l.event === 'rejected').length;
    const counted = out.filter((l) => l.event === 'log-dropped').reduce((sum, l) => sum + l.count!, 0);
    expect(counted).toBe(log.dropped);
    expect(rejected + counted).toBe(10_000);
  });

  it('keeps every line while under the bound, and close() resolves only once the stream took the last one', async () => {
    const reader = stalledReader();
    const log = lineLog(reader.stream, { droppedLine });
    for (let n = 0; n < 2_000; n++) log.write(JSON.stringify({ event: 'delivered', n }), { droppable: true });
    log.write(JSON.stringify({ event: 'stopped' }));
    let closed = false;
    const closing = log.close().then(() => (closed = true));
    for (let i = 0; i < 5; i++) await tick();
    expect(closed).toBe(false);
    reader.release();
    await closing;
    const out = lines(reader.received());
    expect(out.map((l) => l.n ?? l.event)).toEqual([
      ...Array.from({ length: 2_000 }, (_, n) => n),
      'stopped',
    ]);
    expect(log.dropped).toBe(0);
    // Later calls resolve at once, and a close with nothing pending does not wait.
    await log.close();
    await lineLog(stalledReader().stream, { droppedLine }).close();
  });

  it('starts a new log-dropped line for each run of drops, after the lines kept between them', async () => {
    const reader = stalledReader();
    const log = lineLog(reader.stream, { maxPendingBytes: 1, droppedLine });
    log.write(BIG); // handed to the stream, which is now full
    log.write('{"event":"delivered","n":1}', { droppable: true }); // queued: the queue is now at the bound
    log.write('{"event":"delivered","n":2}', { droppable: true }); // dropped
    log.write('{"event":"warning"}');
    log.write('{"event":"delivered","n":3}', { droppable: true }); // dropped, counted in the same line
    reader.release();
    await tick();
    log.write('{"event":"delivered","n":4}', { droppable: true });
    await log.close();
    expect(lines(reader.received()).map(({ pad: _, ...l }) => l)).toEqual([
      { event: 'warning', n: -1 },
      { event: 'delivered', n: 1 },
      { event: 'log-dropped', count: 2 },
      { event: 'warning' },
      { event: 'delivered', n: 4 },
    ]);
  });

  it('does not hang close() when the reader is gone (EPIPE)', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const failures: string[] = [];
    const log = lineLog(stream, { droppedLine, onFailed: (e) => failures.push(e.message) });
    log.write('{"event":"delivered"}');
    log.write('{"event":"stopped"}');
    await log.close();
    expect(stream.destroyed).toBe(true);
    // Said once, however many lines were lost.
    log.write('{"event":"after"}');
    expect(failures).toEqual(['write EPIPE']);
  });

  it('flushSync (a crash) writes what is queued straight to the file descriptor', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wp-line-log-'));
    const file = join(dir, 'log');
    const fd = openSync(file, 'w');
    const reader = stalledReader(fd);
    const log = lineLog(reader.stream, { droppedLine });
    log.write(BIG);
    for (let n = 1; n < 100; n++) log.write(JSON.stringify({ event: 'delivered', n }));
    log.flushSync();
    closeSync(fd);
    // The big line is the stream's (in flight, never acknowledged); every line after it reached the file,
    // after a newline that ends whatever part of the stream's chunk got out.
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('\n{"event":"delivered","n":1}\n')).toBe(true);
    expect(lines(text).map((l) => l.n)).toEqual(Array.from({ length: 99 }, (_, n) => n + 1));
  });

  it("a crash (uncaught exception) still writes serve's queued lines to stdout", () => {
    const COUNT = 5_000;
    const r = spawnSync('node_modules/.bin/vite-node', ['test/helpers/log-crash-child.ts'], {
      encoding: 'utf8',
      env: { ...process.env, COUNT: String(COUNT) },
      timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('crash on purpose');
    const ids: number[] = [];
    for (const line of r.stdout.split('\n')) {
      try {
        ids.push(Number((JSON.parse(line) as { id: string }).id.slice(3)));
      } catch {
        // A line the crash cut short (or the newline flushSync puts after it): best effort.
      }
    }
    // The most a crash loses is what the stream held (16 KiB, some 150 lines); without the crash
    // flush, only what the pipe took before (64 KiB, some 600 lines) would get out at all.
    expect(ids.length).toBeGreaterThan(COUNT - 200);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
