/**
 * Which request methods are webhooks (`--methods`, `WP_METHODS`). Webhooks arrive as POST, now and
 * then as PUT, PATCH or DELETE; a GET, HEAD, OPTIONS or TRACE is a scanner, an uptime probe or a
 * browser. Stored, those would be forwarded to an application that does not expect them, retried and
 * dead-lettered, so they are answered `405` at once (with `Allow`, RFC 9110 §15.5.6) and never stored.
 * A configured handshake is recognised before this check, so Meta's or Dropbox's GET still gets its
 * answer. Shared by the CLI (parses the flag) and the ingest handler (reads the variable).
 */
import type { EdgeResponse } from './types.js';
import { json } from './util.js';

export const DEFAULT_METHODS: readonly string[] = ['DELETE', 'PATCH', 'POST', 'PUT'];

/** An HTTP method is a token (RFC 9110 §9.1); every registered one is upper-case letters. */
const METHOD = /^[A-Z][A-Z-]{0,19}$/;

export type Methods = string[] | '*';

/** `"post, put"` → `['POST', 'PUT']`; `"*"` → every method. Undefined when a name is not a method. */
export function parseMethods(raw: string): Methods | undefined {
  if (raw.trim() === '*') return '*';
  const names = raw
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter(Boolean);
  if (names.length === 0 || !names.every((m) => METHOD.test(m))) return undefined;
  return [...new Set(names)].sort();
}

/** The value of `WP_METHODS`. */
export function methodsToEnv(methods: Methods): string {
  return methods === '*' ? '*' : methods.join(',');
}

export function accepts(methods: Methods | undefined, method: string): boolean {
  const allowed = methods ?? DEFAULT_METHODS;
  return allowed === '*' || allowed.includes(method.toUpperCase());
}

/** The answer to a method that is not a webhook: nothing was stored, and `Allow` says what is. */
export function methodNotAllowed(methods: Methods | undefined, method: string): EdgeResponse {
  const allow = (methods === '*' ? [] : (methods ?? DEFAULT_METHODS)).join(', ');
  return json(
    405,
    {
      error: 'method_not_allowed',
      message: `This endpoint receives webhooks sent with ${allow}; a ${method} request is not stored.`,
    },
    { allow },
  );
}
