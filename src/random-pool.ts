/**
 * Random bytes for ids, drawn from one pooled buffer refilled 4 KiB at a time.
 *
 * `randomBytes(n)` per id costs a call into the CSPRNG and a new Buffer each time (about 5 µs; `dev`
 * made three per webhook). The pool is filled by the same CSPRNG (`randomFillSync`), so the ids are
 * exactly as unpredictable; each byte is handed out once. Node's own `randomUUID` pools the same way.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function take(bytes: number): [Buffer, number] {
  if (bytes > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at once`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  return [pool, start];
}

/** `bytes` random bytes as lower-case hex (2 × bytes characters). */
export function randomHex(bytes: number): string {
  const [buf, start] = take(bytes);
  return buf.toString('hex', start, start + bytes);
}

/** `bytes` random bytes as standard base64 (with padding). */
export function randomBase64(bytes: number): string {
  const [buf, start] = take(bytes);
  return buf.toString('base64', start, start + bytes);
}
