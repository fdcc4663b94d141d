/**
 * `webhook-proxy status [name] [--watch] [--interval S]`: one parallel round of API calls (see
 * src/proxy/inspect.ts). Without a name and with several proxies in the region, it shows them all.
 */
import type { Command } from 'commander';
import { ProxyNotFoundError, UsageError } from '../errors.js';
import { numberInRange } from '../options.js';
import { validateName } from '../proxy/names.js';
import type { CommandContext, CommandSpec } from './types.js';

interface StatusOptions {
  watch?: boolean;
  interval: number;
}

export const status: CommandSpec<StatusOptions> = {
  name: 'status',
  summary: 'Show a proxy: endpoint, upstream, delivery state and limits, queue depth, DLQ, oldest message',
  configure(cmd: Command) {
    return cmd
      .argument('[name]', 'proxy name (default: every proxy when there are several, else "default")')
      .option('-w, --watch', 'keep refreshing: depth over time, drain rate, time until empty')
      .option(
        '--interval <s>',
        'seconds between refreshes with --watch',
        numberInRange('--interval', 0.2, 3600),
        5,
      );
  },
  async run(ctx: CommandContext<StatusOptions>) {
    const { opts } = ctx;
    const given = ctx.args[0];
    if (given !== undefined) validateName(given);
    const { awsFor } = await import('../aws/clients.js');
    const { inspectAll, inspectProxy } = await import('../proxy/inspect.js');
    const { printResult } = await import('../ui/output.js');
    const { formatStatus } = await import('../ui/status-text.js');
    const aws = await awsFor(ctx.global);

    if (opts.watch) {
      const { watchStatus } = await import('../ui/status-watch.js');
      return watchStatus(aws, ctx.global, given ?? (await soleName(aws)), opts.interval);
    }
    if (given !== undefined) {
      const s = await inspectProxy(aws, given);
      printResult(ctx.global, s, formatStatus(s));
      return;
    }
    // No name: every proxy in the region (ListFunctions first, then each proxy's round).
    const all = await inspectAll(aws);
    if (all.length === 0) throw new ProxyNotFoundError('default', aws.settings.region);
    if (all.length === 1) {
      printResult(ctx.global, all[0], formatStatus(all[0]!));
      return;
    }
    printResult(ctx.global, all, all.map(formatStatus).join('\n\n'));
  },
};

/** --watch without a name: the only proxy, or a usage error listing the choices. */
async function soleName(aws: import('../aws/clients.js').Aws): Promise<string> {
  const { listProxies, proxyNameOf } = await import('../proxy/locate.js');
  const names = (await listProxies(aws)).map((d) => proxyNameOf(d.name));
  if (names.length === 1) return names[0]!;
  if (names.length === 0 || names.includes('default')) return 'default';
  throw new UsageError(
    `--watch follows one proxy; there are ${names.length} in ${aws.settings.region}.`,
    `Name one: ${names.map((n) => `webhook-proxy status ${n} --watch`).join(', ')}`,
  );
}
