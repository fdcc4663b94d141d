import { describe, expect, it } from 'vitest';
import {
  packBatches,
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_BATCH_ENTRIES,
  sqsMessageSize,
} from '../../src/proxy/ops/sqs-batches.js';

describe('sqsMessageSize (as SQS counts a message against 1 MiB)', () => {
  it('counts the body in UTF-8 bytes and every part of each attribute', () => {
    expect(sqsMessageSize('abc')).toBe(3);
    expect(sqsMessageSize('é€')).toBe(5);
    expect(
      sqsMessageSize('ab', {
        kind: { DataType: 'String', StringValue: 'ü' }, // 4 + 6 + 2
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array(10) }, // 4 + 6 + 10
      }),
    ).toBe(2 + 12 + 20);
  });
});

describe('packBatches', () => {
  const sizes = (groups: number[][]) => groups.map((g) => g.reduce((a, b) => a + b, 0));

  it('keeps each group within 10 entries and 1 MiB, in order, and loses nothing', () => {
    const KB = 1000;
    const items = [700 * KB, 700 * KB, 300 * KB, 40 * KB, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1_048_576];
    const groups = packBatches(items, (n) => n);
    expect(groups.flat()).toEqual(items);
    for (const g of groups) expect(g.length).toBeLessThanOrEqual(SQS_MAX_BATCH_ENTRIES);
    for (const s of sizes(groups)) expect(s).toBeLessThanOrEqual(SQS_MAX_BATCH_BYTES);
    // 700 K alone; 700 K + 300 K + 40 K + seven 5s (ten entries); four 5s; the full 1 MiB alone.
    expect(groups.map((g) => g.length)).toEqual([1, 10, 4, 1]);
  });

  it('exactly 1 MiB fits one group; one byte more starts the next', () => {
    expect(packBatches([524_288, 524_288], (n) => n)).toHaveLength(1);
    expect(packBatches([524_288, 524_289], (n) => n)).toHaveLength(2);
  });
});
