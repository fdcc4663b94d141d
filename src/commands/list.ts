/**
 * `webhook-proxy list`: every proxy in the region, found from AWS names (no local state file).
 */
import type { Command } from 'commander';
import type { CommandContext, CommandSpec } from './types.js';

export const list: CommandSpec = {
  name: 'list',
  summary: 'List every proxy in the region: name, endpoint, upstream, queued, DLQ, delivery state',
  configure(cmd: Command) {
    return cmd;
  },
  async run(ctx: CommandContext) {
    const { awsFor } = await import('../aws/clients.js');
    const { inspectAll, listEntry } = await import('../proxy/inspect.js');
    const { printResult } = await import('../ui/output.js');
    const { formatList } = await import('../ui/status-text.js');
    const aws = await awsFor(ctx.global);
    const rows = (await inspectAll(aws)).map(listEntry);
    printResult(ctx.global, rows, formatList(rows, aws.settings.region));
  },
};
