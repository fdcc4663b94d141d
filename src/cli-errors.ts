/**
 * How a failed command tells the user: an error, what to do about it, and an exit code. Plain text
 * on stderr, or with --json one line of JSON on stderr, `{"error":{"code","message","hint"}}`, so a
 * script that parses stdout can parse the failure too. src/cli.ts calls it; nothing here exits.
 */
import { CommanderError } from 'commander';
import { credentialErrorIn } from './aws/credential-errors.js';
import { CliError, describeAwsError, EXIT, unreachableIn } from './errors.js';

export interface ReportedError {
  /** A stable snake_case word a script can switch on (`usage`, `proxy_not_found`, `unknown_command` …). */
  code: string;
  message: string;
  /** What to do about it; null when there is nothing to add. */
  hint: string | null;
  exitCode: number;
}

export interface ReportContext {
  verbose: boolean;
  json: boolean;
  /** What commander wrote for this error (its help on a bare `webhook-proxy`), held back by src/cli.ts. */
  commanderOutput: string;
  /** The command names and aliases, for "did you mean". */
  commandNames: string[];
  /** The global long options (`--region` …), for "did you mean" on the top-level command. */
  globalFlags: string[];
}

const USAGE_HINT = '(run with --help for usage)';
const MAX_EDITS = 2;

/** Write the error the way the user asked for it, and return the exit code. */
export function reportError(err: unknown, ctx: ReportContext): number {
  if (err instanceof CommanderError && isHelpOrVersion(err)) return EXIT.ok;
  const r = describeError(err, ctx);
  if (ctx.json) {
    const detail = ctx.verbose ? { detail: verboseDetail(err) } : {};
    process.stderr.write(
      `${JSON.stringify({ error: { code: r.code, message: r.message, hint: r.hint, ...detail } })}\n`,
    );
    return r.exitCode;
  }
  if (err instanceof CommanderError && r.code === 'missing_command') {
    process.stderr.write(ctx.commanderOutput); // the help, as commander wrote it
    return r.exitCode;
  }
  process.stderr.write(`error: ${r.message}\n`);
  if (r.hint) process.stderr.write(`${r.hint}\n`);
  if (ctx.verbose) {
    const d = verboseDetail(err);
    if (d.cause) process.stderr.write(`cause: ${d.cause}\n`);
    if (d.stack) process.stderr.write(`${d.stack}\n`);
  } else if (!(err instanceof CliError) && !(err instanceof CommanderError) && !awsHint(err as Error)) {
    process.stderr.write('(run again with --verbose for details)\n');
  }
  return r.exitCode;
}

function isHelpOrVersion(err: CommanderError): boolean {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return true;
  // `webhook-proxy help` is exit 0; a bare `webhook-proxy` is commander's help({ error: true }), exit 1.
  return err.code === 'commander.help' && err.exitCode === 0;
}

export function describeError(
  err: unknown,
  ctx: Pick<ReportContext, 'commandNames' | 'globalFlags'>,
): ReportedError {
  if (err instanceof CommanderError) return describeCommanderError(err, ctx);
  if (err instanceof CliError) {
    const hints = [err.hint];
    // A step that wrapped an unreachable endpoint in its own error: say where that endpoint came from.
    // The same for credentials that were missing, expired or refused: say whose they were.
    for (const inner of [unreachableIn(err.cause), credentialErrorIn(err.cause)]) {
      if (inner?.hint && inner.hint !== err.hint) hints.push(inner.hint);
    }
    return {
      code: err.code,
      message: err.message,
      hint: hints.filter(Boolean).join('\n') || null,
      exitCode: err.exitCode,
    };
  }
  const e = err as Error | undefined;
  const aws = awsHint(e);
  if (aws) return { code: aws.code, message: describeAwsError(e), hint: aws.hint, exitCode: EXIT.failure };
  const fromAws = !!e && typeof e === 'object' && '$metadata' in e;
  return {
    code: fromAws ? 'aws_error' : 'internal',
    message: fromAws ? describeAwsError(e) : (e?.message ?? String(err)),
    hint: null,
    exitCode: EXIT.failure,
  };
}

function describeCommanderError(
  err: CommanderError,
  ctx: Pick<ReportContext, 'commandNames' | 'globalFlags'>,
): ReportedError {
  if (err.code === 'commander.help') {
    return {
      code: 'missing_command',
      message: 'No command given.',
      hint: 'Run "webhook-proxy --help" to see the commands, for example "webhook-proxy create NAME --upstream URL".',
      exitCode: EXIT.usage,
    };
  }
  // commander's message is "error: …", with its own "(Did you mean …?)" on a second line for options.
  const [first = '', ...rest] = err.message.replace(/^error: /, '').split('\n');
  let hint = rest.join('\n');
  const unknownCommand = /^unknown command '(.*)'$/.exec(first)?.[1];
  const unknownOption = /^unknown option '(--[^']*)'$/.exec(first)?.[1];
  if (unknownCommand !== undefined) hint = didYouMean(unknownCommand, ctx.commandNames);
  else if (unknownOption !== undefined && !hint) hint = didYouMean(unknownOption, ctx.globalFlags);
  // A script switches on the README's list of codes: commander's others (excess_arguments,
  // option_missing_argument, …) are bad usage like any other, not words to learn one by one.
  const code = snakeCase(err.code.replace(/^commander\./, ''));
  return {
    code: code === 'unknown_command' || code === 'unknown_option' ? code : 'usage',
    message: first,
    hint: [hint, USAGE_HINT].filter(Boolean).join('\n'),
    exitCode: EXIT.usage,
  };
}

/**
 * "(Did you mean X?)" for the candidates at most two edits away, the nearest only. commander's own
 * suggestion allows three, which offers `destroy` for `deploy`: a guess that would delete a proxy is
 * worse than none.
 */
export function didYouMean(word: string, candidates: string[]): string {
  let best = MAX_EDITS;
  let near: string[] = [];
  for (const c of new Set(candidates)) {
    if (c.length <= 1) continue;
    const d = editDistance(word, c);
    if (d > MAX_EDITS) continue;
    if (d < best) [best, near] = [d, [c]];
    else if (d === best) near.push(c);
  }
  if (near.length === 0) return '';
  near.sort();
  return near.length === 1 ? `(Did you mean ${near[0]}?)` : `(Did you mean one of ${near.join(', ')}?)`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function snakeCase(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function verboseDetail(err: unknown): { cause?: string; stack?: string } {
  const e = err as Error | undefined;
  const cause = (e as { cause?: unknown } | undefined)?.cause;
  return {
    ...(cause ? { cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause) } : {}),
    ...(e?.stack ? { stack: e.stack } : {}),
  };
}

/** What to do about the AWS errors an operator meets first: no credentials, expired or denied ones. */
function awsHint(err: Error | undefined): { code: string; hint: string } | undefined {
  switch (err?.name) {
    case 'CredentialsProviderError':
      return {
        code: 'no_credentials',
        hint: 'No AWS credentials found. Run "aws configure" or "aws sso login", pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
      };
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'RequestExpired':
      return {
        code: 'expired_credentials',
        hint: 'Your AWS session has expired: log in again (for example "aws sso login") and retry.',
      };
    case 'InvalidClientTokenId':
    case 'UnrecognizedClientException':
    case 'SignatureDoesNotMatch':
      return {
        code: 'rejected_credentials',
        hint: 'AWS did not accept these credentials: check the access key, secret and --profile.',
      };
    case 'AccessDenied':
    case 'AccessDeniedException':
      return {
        code: 'access_denied',
        hint: 'Your AWS identity lacks a permission this command needs: see templates/operator-policy.json.',
      };
    default:
      return undefined;
  }
}
