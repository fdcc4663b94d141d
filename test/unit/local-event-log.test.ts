/**
 * The local event log's bound (src/local/event-log.ts) and `logs --local` reading across a rotation
 * (src/local/ops/logs.ts), on real files.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEventLog, previousEventLog } from '../../src/local/event-log.js';
import { localLogReader } from '../../src/local/ops/logs.js';
import { tempDataDir } from '../helpers/data-dir.js';

const line = (n: number) => ({
  msg: 'deliver',
  event: 'delivered',
  id: `wh_${String(n).padStart(32, '0')}`,
  status: 200,
});

describe('the event log', () => {
  it('rotates past its bound: the newest lines, in at most twice the bound', () => {
    const file = join(tempDataDir(), 'events.log');
    const log = openEventLog(file, { maxBytes: 1000, now: () => 1 });
    for (let n = 0; n < 50; n++) log.record(line(n));
    expect(statSync(file).size).toBeLessThanOrEqual(1000);
    expect(statSync(previousEventLog(file)).size).toBeLessThanOrEqual(1000);
    const last = readFileSync(file, 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(JSON.parse(last).message)).toEqual(line(49));
  });

  it('a reopened log keeps counting from the size on disk', () => {
    const file = join(tempDataDir(), 'events.log');
    openEventLog(file, { maxBytes: 1000 }).record(line(0));
    const size = statSync(file).size;
    const again = openEventLog(file, { maxBytes: size + 10 });
    again.record(line(1)); // would pass the bound: rotated first
    expect(statSync(previousEventLog(file)).size).toBe(size);
  });

  it('is read oldest first across the rotation, and --follow picks up the rest of the old file', async () => {
    const file = join(tempDataDir(), 'events.log');
    const log = openEventLog(file, { maxBytes: 600, now: () => 1 });
    const read = localLogReader({ file, rotated: true }, { since: 0 });
    for (let n = 0; n < 5; n++) log.record(line(n));
    const first = await read();
    for (let n = 5; n < 9; n++) log.record(line(n)); // rotates in between
    const next = await read();
    const ids = [...first, ...next].map((e) => e.id);
    expect(ids).toEqual(Array.from({ length: 9 }, (_, n) => line(n).id));
  });
});
