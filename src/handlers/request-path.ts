/**
 * The request path: what `ingest` stores and `deliver` sends with `--preserve-path`.
 *
 * API Gateway HTTP APIs hand the function `rawPath` URL-decoded, despite its name (payload 1.0's
 * `path` too; REST APIs and function URLs keep the encoding). Live captures (hotsock/voker PR 8,
 * vokerhttp/testdata/ingress-paths.json; used by middleapi/standard-server PR 93, and Worklytics/psoxy
 * PR 827 for the same bug) show `%20` arriving as a space, `%2F` as `/`, `%23` as `#`, UTF-8 escapes as
 * the characters, `%3F` cutting the path short, and some escapes decoded twice (`%253F` → `?`,
 * `%252F` → `/`). So the sender's own encoding is gone before the proxy sees the request: `ingest`
 * re-encodes what cannot appear literally in a path, which gives the path API Gateway decoded, sendable
 * and unambiguous (a decoded `?` would otherwise start a query, a space makes node:http throw
 * ERR_UNESCAPED_CHARACTERS, and the webhook would never be sent).
 *
 * Everything here is a plain scan over char codes with a lookup table: the common path (letters,
 * digits, `/`, `-`, `_`, `.`) costs one pass and no allocation.
 */

/** RFC 3986 §3.3: pchar = unreserved / sub-delims / ":" / "@", plus "/" between segments. */
const LITERAL = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/") {
  LITERAL[c.charCodeAt(0)] = 1;
}

const PERCENT = 0x25;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** The `%XX` escape at i (a `%` there, two hex digits after it), as its lower-cased hex pair. */
function escapeAt(path: string, i: number): string | undefined {
  if (i + 2 >= path.length) return undefined;
  return isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2))
    ? path.slice(i + 1, i + 3).toLowerCase()
    : undefined;
}

/** One character (or surrogate pair) as UTF-8 percent escapes; a lone surrogate becomes U+FFFD. */
function escapeChar(path: string, i: number): [string, number] {
  const code = path.codePointAt(i)!;
  const width = code > 0xffff ? 2 : 1;
  try {
    return [encodeURIComponent(path.slice(i, i + width)), width];
  } catch {
    return ['%EF%BF%BD', 1]; // a lone surrogate: what a UTF-8 encoder writes for it
  }
}

function encode(path: string, keepEscapes: boolean): string {
  let i = 0;
  // Fast path: nothing to change.
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 128 && LITERAL[c]) continue;
    if (keepEscapes && c === PERCENT && escapeAt(path, i)) {
      i += 2;
      continue;
    }
    break;
  }
  if (i === path.length) return path;
  let out = path.slice(0, i);
  while (i < path.length) {
    const c = path.charCodeAt(i);
    if (c < 128 && LITERAL[c]) {
      out += path[i];
      i++;
    } else if (keepEscapes && c === PERCENT && escapeAt(path, i)) {
      out += path.slice(i, i + 3);
      i += 3;
    } else {
      const [escaped, width] = escapeChar(path, i);
      out += escaped;
      i += width;
    }
  }
  return out;
}

/**
 * `ingest`: a path API Gateway already decoded → percent-encoded. Every `%` is a literal percent sign
 * here (the sender's `%25`), so it becomes `%25` too: the upstream, decoding once, sees exactly the
 * path API Gateway handed over.
 */
export function encodeDecodedPath(decoded: string): string {
  return encode(decoded, false);
}

/**
 * `deliver`: any stored path → one node:http can send. A path stored by this version is already
 * encoded and comes back unchanged; an envelope queued by an older `ingest` holds the decoded path,
 * and gets what cannot appear literally encoded (a valid `%XX` is left alone, since it cannot be told
 * from an escape), so it is still sent instead of failing every attempt into the DLQ.
 */
export function sendablePath(path: string): string {
  return encode(path, true);
}

/**
 * Why a path must not be stored or forwarded, or undefined when it is fine. With `--preserve-path` the
 * path is appended to the upstream URL; a dot segment (`/a/../../admin`, also as `%2e`), an encoded
 * separator (`%2F`, `%5C`), a backslash (which WHATWG URL parsers and some servers read as `/`) or a
 * NUL byte lets a sender reach another path on the application's host as soon as anything between the
 * proxy and the application normalises or decodes it again. No webhook sender uses such a path.
 * Works on a decoded path (what `ingest` receives) and on a stored one (what `deliver` reads).
 */
export function unsafePathReason(path: string): string | undefined {
  let dots = 0;
  let onlyDots = true;
  for (let i = 0; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      if (onlyDots && (dots === 1 || dots === 2)) {
        return 'a dot segment ("." or "..", also written %2E)';
      }
      dots = 0;
      onlyDots = true;
      continue;
    }
    if (c === 0) return 'a NUL byte (%00)';
    if (c === BACKSLASH) return 'a backslash (\\ or %5C), which some servers read as "/"';
    if (c === DOT) {
      dots++;
      continue;
    }
    if (c === PERCENT) {
      const hex = escapeAt(path, i);
      if (hex === '2e') {
        dots++;
        i += 2;
        continue;
      }
      if (hex === '2f') return 'an encoded slash (%2F)';
      if (hex === '5c') return 'a backslash (\\ or %5C), which some servers read as "/"';
      if (hex === '00') return 'a NUL byte (%00)';
    }
    onlyDots = false;
  }
  return undefined;
}
