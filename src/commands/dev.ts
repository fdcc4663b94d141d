/**
 * `webhook-proxy dev`: the whole proxy on this machine, with the same ingest and deliver handlers the
 * Lambda functions run and an embedded queue with SQS semantics, kept on disk in the proxy's data
 * directory (local-options.ts; --memory: in memory only; --queue-url: a real SQS queue).
 * The interactive one: a dashboard on a terminal, loopback only. Flags and start-up are shared with
 * `serve` (local-run.ts); this file picks dev's renderer.
 */
import type { Command } from 'commander';
import { addLocalProxyOptions, runLocalProxy, type LocalProxyOptions } from './local-run.js';
import type { CommandContext, CommandSpec } from './types.js';

export const dev: CommandSpec<LocalProxyOptions> = {
  name: 'dev',
  summary: 'Run the whole proxy on this machine (same handlers, no AWS) in front of a local upstream',
  configure(cmd: Command) {
    return addLocalProxyOptions(cmd, 'dev');
  },
  async run(ctx: CommandContext<LocalProxyOptions>) {
    const { runDevOutput } = await import('../ui/dev-output.js');
    return runLocalProxy(ctx, 'dev', (limits) => runDevOutput(ctx.global, limits));
  },
};
