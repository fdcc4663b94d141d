import type { Command } from 'commander';
import type { GlobalOptions } from '../options.js';

/** What a command's `run` receives: its positional arguments, its own options and the global ones. */
export interface CommandContext<O = Record<string, unknown>> {
  args: (string | undefined)[];
  opts: O;
  global: GlobalOptions;
}

/**
 * One command, one file (src/commands/<verb>.ts). `configure` declares arguments and options on the
 * commander object; `run` lazily imports what it needs, so `--help` loads none of it.
 * `run` resolves to an exit code (0 when omitted) and throws typed errors for failures.
 * `O` is the shape of the options `configure` declares (commander's camel-cased names); commander
 * fills it in, so it is the one place that shape is taken on trust.
 */
export interface CommandSpec<O = Record<string, unknown>> {
  name: string;
  aliases?: string[];
  summary: string;
  configure(cmd: Command): Command;
  run(ctx: CommandContext<O>): Promise<number | void>;
}
