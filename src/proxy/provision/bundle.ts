/**
 * The deployment package of a handler: its built bundle in a zip, made deterministic (fixed time
 * stamp) so that the same code always has the same CodeSha256 and `create` can tell "unchanged".
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { CliError } from '../../errors.js';
import { handlerBundlePath } from '../../paths.js';

export interface HandlerZip {
  zip: Uint8Array;
  /** What Lambda reports as CodeSha256: base64 of the SHA-256 of the zip. */
  sha256: string;
}

/**
 * Zip stores local wall-clock fields, which fflate reads with getFullYear()/getHours(): a Date built
 * from local components encodes the same bytes in every time zone, so two operators in different
 * zones get the same CodeSha256 (an instant such as '2020-01-01T00:00:00Z' would not).
 */
const FIXED_MTIME = () => new Date(2020, 0, 1, 0, 0, 0);

export function handlerZip(name: 'ingest' | 'deliver'): HandlerZip {
  const path = handlerBundlePath(name);
  if (!existsSync(path)) {
    throw new CliError(`The ${name} handler bundle is missing (${path}).`, 'Run "npm run build" first.');
  }
  const zip = zipSync({ 'index.mjs': [readFileSync(path), { mtime: FIXED_MTIME(), level: 9 }] });
  return { zip, sha256: createHash('sha256').update(zip).digest('base64') };
}
