/**
 * The commander program: global options (once, for every subcommand), the command registry, and the
 * one place where errors become exit codes. Nothing heavy is imported here: each command's `run`
 * imports its engine, SDK clients and ink when it is actually invoked, so `--help` stays fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { commands } from './commands/index.js';
import { CliError, describeAwsError, EXIT, unreachableIn } from './errors.js';
import type { GlobalOptions } from './options.js';
import { packageVersion } from './paths.js';

export function buildProgram(onExit: (code: number) => void): Command {
  const program = new Command('webhook-proxy')
    .description(
      'A throttling, loss-free buffer in front of an application that receives webhooks.\n' +
        'Provisions API Gateway → Lambda → SQS → Lambda in your AWS account and operates it.',
    )
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--region <region>', 'AWS region (default: AWS_REGION or your profile)'))
    .addOption(new Option('--profile <profile>', 'AWS shared-config profile'))
    .addOption(
      new Option('--endpoint-url <url>', 'AWS endpoint override, for emulators such as moto').env(
        'AWS_ENDPOINT_URL',
      ),
    )
    .addOption(new Option('--json', 'machine-readable output on stdout'))
    .addOption(new Option('--verbose', 'more detail, and stack traces on errors'))
    .addOption(new Option('-y, --yes', 'do not ask before destructive actions'))
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  for (const spec of commands) {
    const cmd = program.command(spec.name).summary(spec.summary).description(spec.summary).exitOverride();
    for (const alias of spec.aliases ?? []) cmd.alias(alias);
    spec.configure(cmd);
    cmd.action(async (...actionArgs: unknown[]) => {
      // commander passes: ...positionals, options, command
      const command = actionArgs[actionArgs.length - 1] as Command;
      const args = actionArgs.slice(0, -2) as (string | undefined)[];
      const code = await spec.run({
        args,
        opts: command.opts(),
        global: {
          ...command.optsWithGlobals(),
          endpointUrlSource: command.getOptionValueSourceWithGlobals('endpointUrl'),
        } as GlobalOptions,
      });
      onExit(code ?? EXIT.ok);
    });
  }
  return program;
}

/** Run the CLI with argv (as process.argv) and resolve to the exit code. Never exits itself. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => (exitCode = code));
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return reportError(err, verbose);
  }
}

function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    if (err.code === 'commander.help') return EXIT.ok;
    // commander already printed its message; an unknown flag or a missing argument is a usage error.
    return EXIT.usage;
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`${err.hint}\n`);
    // A step that wrapped an unreachable endpoint in its own error: say where that endpoint came from.
    const unreachable = unreachableIn(err.cause);
    if (unreachable && unreachable.hint !== err.hint) process.stderr.write(`${unreachable.hint}\n`);
    if (verbose && err.cause) process.stderr.write(`cause: ${formatCause(err.cause)}\n`);
    if (verbose) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  const hint = awsHint(e);
  if (hint) {
    process.stderr.write(`error: ${describeAwsError(e)}\n${hint}\n`);
    if (verbose) process.stderr.write(`${e?.stack ?? ''}\n`);
    return EXIT.failure;
  }
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  if (verbose) process.stderr.write(`${e?.stack ?? ''}\n`);
  else process.stderr.write('(run again with --verbose for details)\n');
  return EXIT.failure;
}

/** What to do about the AWS errors an operator meets first: no credentials, expired or denied ones. */
function awsHint(err: Error | undefined): string | undefined {
  switch (err?.name) {
    case 'CredentialsProviderError':
      return 'No AWS credentials found. Run "aws configure" or "aws sso login", pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.';
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'RequestExpired':
      return 'Your AWS session has expired: log in again (for example "aws sso login") and retry.';
    case 'InvalidClientTokenId':
    case 'UnrecognizedClientException':
    case 'SignatureDoesNotMatch':
      return 'AWS did not accept these credentials: check the access key, secret and --profile.';
    case 'AccessDenied':
    case 'AccessDeniedException':
      return 'Your AWS identity lacks a permission this command needs: see templates/operator-policy.json.';
    default:
      return undefined;
  }
}

function formatCause(cause: unknown): string {
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}
