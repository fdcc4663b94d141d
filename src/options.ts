/**
 * The global options every command takes (DESIGN.md, "CLI contract"), and the parsers that turn
 * flag strings into checked numbers. One file, so every command agrees on their names and types.
 */
import type { Command } from 'commander';
import { UsageError } from './errors.js';

export interface GlobalOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  /** commander's source of endpointUrl: 'cli' (--endpoint-url) or 'env' (AWS_ENDPOINT_URL). */
  endpointUrlSource?: string;
  json?: boolean;
  verbose?: boolean;
  yes?: boolean;
}

/**
 * `--local` and `--data-dir DIR` of the runbook commands (status, peek, redrive, purge, pause, resume,
 * scale, drain): act on a local proxy (dev/serve) through its store on this machine instead of AWS.
 */
export function addLocalOptions(cmd: Command): Command {
  return cmd
    .option('--local', 'act on the local proxy (dev/serve) of this name, through its store on this machine')
    .option(
      '--data-dir <dir>',
      "the local proxy's data directory (implies --local; default: $WEBHOOK_PROXY_DATA_DIR/NAME, else $XDG_DATA_HOME/webhook-proxy/NAME, else ~/.local/share/webhook-proxy/NAME)",
    );
}

/** Parse an integer flag within [min, max], or throw a UsageError naming the flag. */
export function intInRange(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${raw}").`);
    }
    return n;
  };
}

/** Parse a decimal flag within [min, max] (rates, seconds), or throw a UsageError naming the flag. */
export function numberInRange(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(`${flag} must be a number from ${min} to ${max} (got "${raw}").`);
    }
    return n;
  };
}

/** Seconds between readings: the one range every command's --interval takes (status --watch, drain). */
export const INTERVAL = { min: 0.2, max: 3600, default: 5 } as const;

/**
 * The --interval option, for `cmd.option(...intervalOption('what it spaces'))`: one range for every
 * command; the default may differ (logs --follow polls more often than a dashboard refreshes).
 */
export function intervalOption(description: string, defaultSeconds: number = INTERVAL.default) {
  return [
    '--interval <s>',
    `${description} (${INTERVAL.min}–${INTERVAL.max})`,
    numberInRange('--interval', INTERVAL.min, INTERVAL.max),
    defaultSeconds,
  ] as const;
}

/** What `orNone` parses `none` to (commander would turn a parser's null into ''). */
export const NONE = 'none' as const;

/** A flag value, or `null` for `none`. */
export function noneToNull<T>(value: T | typeof NONE | undefined): T | null | undefined {
  return value === NONE ? null : value;
}

/**
 * A flag that also takes `none`, the explicit removal of its setting (`--rate none`): NONE for
 * `none`, else what `parse` makes of the value. A bad value's message says `none` is allowed too.
 */
export function orNone<T>(parse: (raw: string) => T, removes: string) {
  return (raw: string): T | typeof NONE => {
    if (raw.trim().toLowerCase() === NONE) return NONE;
    try {
      return parse(raw);
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`${err.message} Or "none" ${removes}.`, err.hint);
      throw err;
    }
  };
}

/** Collect a repeatable flag (`--tag a=b --tag c=d`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * `localhost:3000/x` or `app.example.com/hooks` with the scheme left out, as the URL it was meant to
 * be: http for this machine (a local app rarely has TLS), https for anything else. Undefined when
 * the value has a scheme or would not be a URL even with one. WHATWG URL parses `localhost:3000/x`
 * as the scheme "localhost:", so "must use http or https" alone would name the wrong fix.
 */
function withScheme(raw: string): string | undefined {
  // A scheme given (right or wrong) or a mistyped one (`https//x`, `http:/x`): not "left out".
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim()) || /^https?[:/]/i.test(raw.trim())) return undefined;
  for (const scheme of ['http', 'https'] as const) {
    try {
      const url = new URL(`${scheme}://${raw.trim()}`);
      const local = isLocalHost(url.hostname);
      if (local === (scheme === 'http')) return url.toString();
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * A URL host name (URL.hostname: IPv6 in brackets) that means "this machine": localhost and its
 * subdomains (RFC 6761), the IPv4 loopback 127.0.0.0/8, ::1, and the unspecified 0.0.0.0 / ::.
 */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(h) ||
    h === '0.0.0.0' ||
    h === '[::1]' ||
    h === '[::]'
  );
}

/** Parse an absolute http(s) URL flag. */
export function httpUrl(flag: string, example = 'https://app.example.com/webhooks') {
  // A flag is written `--flag value`, an environment variable (AWS_ENDPOINT_URL) `NAME=value`.
  const written = (value: string) => (flag.startsWith('-') ? `${flag} ${value}` : `${flag}=${value}`);
  return (raw: string): string => {
    const meant = withScheme(raw);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(
        `${flag} must be an absolute http(s) URL (got "${raw}").`,
        meant ? `Add the scheme: ${written(meant)}` : `For example: ${example}`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      if (meant) {
        throw new UsageError(
          `${flag} must start with http:// or https:// (got "${raw}").`,
          `Add the scheme: ${written(meant)}`,
        );
      }
      throw new UsageError(`${flag} must use http or https (got "${url.protocol}").`);
    }
    if (url.username || url.password) {
      throw new UsageError(
        `${flag} must not carry credentials in the URL; they would be stored in plain text.`,
      );
    }
    if (url.hash) throw new UsageError(`${flag} must not have a #fragment (got "${raw}").`);
    return url.toString();
  };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86_400 };

/** A duration such as `90s`, `15m`, `1.5h` or `2d` (a bare number is seconds), in seconds. */
export function parseDuration(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$/i.exec(raw);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_SECONDS[(m[2] ?? 's').toLowerCase()]!;
}

/** A commander parser for a duration flag, in seconds, within [min, max]. */
export function durationInRange(flag: string, min: number, max: number) {
  const show = (s: number) =>
    s % 86_400 === 0
      ? `${s / 86_400}d`
      : s % 3600 === 0
        ? `${s / 3600}h`
        : s % 60 === 0
          ? `${s / 60}m`
          : `${s}s`;
  return (raw: string): number => {
    const s = parseDuration(raw);
    if (s === undefined || s < min || s > max) {
      throw new UsageError(
        `${flag} must be a duration from ${show(min)} to ${show(max)}, such as 90s, 15m, 2h or 1d (got "${raw}").`,
      );
    }
    return s;
  };
}
