/** Small helpers for the describe → compare step of every ensure. */

/** Deep equality of JSON-like values, ignoring key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}

/** Policy documents come back from IAM URL-encoded. */
export function parsePolicyDocument(doc: string | undefined): unknown {
  if (!doc) return undefined;
  try {
    return JSON.parse(decodeURIComponent(doc));
  } catch {
    return JSON.parse(doc);
  }
}

/** True when every key of `wanted` has the same value in `actual` (extra keys in `actual` are ignored). */
export function includesAll(
  actual: Record<string, string> | undefined,
  wanted: Record<string, string>,
): boolean {
  return Object.entries(wanted).every(([k, v]) => actual?.[k] === v);
}

export { isNotFound } from '../../aws/errors.js';
