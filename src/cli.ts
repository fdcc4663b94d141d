/**
 * The commander program: global options (once, for every subcommand), the command registry, and the
 * one place where errors become exit codes. Nothing heavy is imported here: each command's `run`
 * imports its engine, SDK clients and ink when it is actually invoked, so `--help` stays fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { commands } from './commands/index.js';
import { reportError } from './cli-errors.js';
import { EXIT } from './errors.js';
import type { GlobalOptions } from './options.js';
import { packageVersion } from './paths.js';

export function buildProgram(
  onExit: (code: number) => void,
  writeErrors: (text: string) => void = (text) => process.stderr.write(text),
): Command {
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
    // Set before the subcommands are added, so they inherit it: errors and error-time help go to
    // writeErrors, which main() holds for reportError (text or JSON).
    .configureOutput({ outputError: (text) => writeErrors(text), writeErr: (text) => writeErrors(text) })
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
  addHelpCommand(program, onExit);
  // The top-level command's own suggestion only (the subcommands keep commander's for their flags):
  // src/cli-errors.ts offers a command name at most two edits away, never `destroy` for `deploy`.
  program.showSuggestionAfterError(false);
  return program;
}

/**
 * `help [command]`, as a command of ours: commander's own prints the whole help with exit 2 for a
 * name it does not know (no word on what was wrong) and does not know `help help`. Ours shows the
 * same help as `--help`, on stdout, and an unknown name is an unknown command (exit 2, with a "did
 * you mean" of at most two edits from src/cli-errors.ts).
 */
function addHelpCommand(program: Command, onExit: (code: number) => void): void {
  program.helpCommand(false);
  program
    .command('help')
    .argument('[command]', 'the command to explain')
    .summary('show the help of webhook-proxy, or of one command (the same as --help)')
    .description('Show the help of webhook-proxy, or of one command (the same as --help).')
    .exitOverride()
    .action((name: string | undefined) => {
      const target =
        name === undefined || name === 'help'
          ? program
          : program.commands.find((c) => c.name() === name || c.aliases().includes(name));
      if (!target) {
        throw new CommanderError(EXIT.usage, 'commander.unknownCommand', `error: unknown command '${name}'`);
      }
      target.outputHelp();
      onExit(EXIT.ok);
    });
}

/** Run the CLI with argv (as process.argv) and resolve to the exit code. Never exits itself. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  // commander's error messages (and its help on a bare `webhook-proxy`) are held back: reportError
  // writes them, as text or as JSON with --json, with a "did you mean" that is never a wild guess.
  let commanderOutput = '';
  const program = buildProgram(
    (code) => (exitCode = code),
    (text) => (commanderOutput += text),
  );
  const options = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  const ctx = () => ({
    verbose: options.includes('--verbose'),
    json: options.includes('--json'),
    commanderOutput,
    commandNames: program.commands.flatMap((c) => [c.name(), ...c.aliases()]),
    globalFlags: program.options.flatMap((o) => (o.long ? [o.long] : [])),
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return reportError(err, ctx());
  }
}
