/**
 * Typed errors. Commands throw; only the entry point (src/cli.ts) turns them into exit codes,
 * so every failure path prints one clear message and nothing exits half-way through a step.
 */

export const EXIT = { ok: 0, failure: 1, usage: 2, timeout: 3 } as const;

/** A runtime failure: AWS refused, the proxy does not exist, the upstream is unreachable. Exit 1. */
export class CliError extends Error {
  readonly exitCode: number;
  /** What `--json` reports as `error.code`: a snake_case word a script can switch on. */
  readonly code: string;
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; exitCode?: number; code?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? EXIT.failure;
    this.code =
      options?.code ??
      (this.exitCode === EXIT.usage
        ? 'usage'
        : this.exitCode === EXIT.timeout
          ? 'timeout'
          : this.exitCode >= 128 // 128 + a signal's number: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP
            ? 'interrupted'
            : 'failed');
  }
}

/**
 * Something the user can fix in the command line: bad flag, bad name, bad URL. Exit 2. A CliError
 * too, so every "our own error, pass it on" check needs one instanceof.
 */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, hint, { exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

/**
 * An AWS endpoint that did not answer in time or refused the connection: the message names the
 * endpoint and where it came from (src/aws/timeouts.ts). Exit 1.
 */
export class EndpointUnreachableError extends CliError {
  constructor(
    message: string,
    hint: string,
    readonly endpoint: string,
    cause: unknown,
  ) {
    super(message, hint, { cause, code: 'endpoint_unreachable' });
    this.name = 'EndpointUnreachable';
  }
}

/** The first EndpointUnreachableError in an error's cause chain (a step may wrap it in its own CliError). */
export function unreachableIn(err: unknown): EndpointUnreachableError | undefined {
  for (let e = err, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof EndpointUnreachableError) return e;
  }
  return undefined;
}

/** The proxy named on the command line does not exist in the region. */
export class ProxyNotFoundError extends CliError {
  constructor(name: string, region: string) {
    super(
      `No webhook proxy named "${name}" in ${region}.`,
      `Run "webhook-proxy list --region ${region}" to see the proxies there, or "webhook-proxy create ${name} --upstream URL" to make it.`,
      { code: 'proxy_not_found' },
    );
    this.name = 'ProxyNotFoundError';
  }
}

/** The name and message of an AWS SDK error, without the SDK's noise. */
export function describeAwsError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: string; message?: string; Code?: string };
    const name = e.name ?? e.Code ?? 'Error';
    return e.message ? `${name}: ${e.message}` : name;
  }
  return String(err);
}
