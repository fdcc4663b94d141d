/**
 * `webhook-proxy status [name] [--watch] [--interval S]`: one parallel round of API calls (see
 * src/proxy/inspect.ts). Without a name and with several proxies in the region, it shows them all.
 */
import type { Command } from 'commander';
import { ProxyNotFoundError } from '../errors.js';
import { addLocalOptions, intervalOption } from '../options.js';
import type { LocalFlags } from '../local/ops/open.js';
import { validateName } from '../proxy/names.js';
import type { CommandContext, CommandSpec } from './types.js';

interface StatusOptions extends LocalFlags {
  watch?: boolean;
  interval: number;
}

export const status: CommandSpec<StatusOptions> = {
  name: 'status',
  summary: 'Show a proxy: endpoint, upstream, delivery state and limits, queue depth, DLQ, oldest message',
  configure(cmd: Command) {
    return addLocalOptions(
      cmd
        .argument('[name]', 'proxy name (default: every proxy when there are several, else "default")')
        .option('-w, --watch', 'keep refreshing: depth over time, drain rate, time until empty')
        .option(...intervalOption('seconds between refreshes with --watch')),
    );
  },
  async run(ctx: CommandContext<StatusOptions>) {
    const { opts } = ctx;
    const given = ctx.args[0];
    if (given !== undefined) validateName(given);
    const { isLocal } = await import('../local/ops/open.js');
    if (isLocal(opts)) return localStatusCommand(ctx);
    const { awsFor } = await import('../aws/clients.js');
    const { inspectAll, inspectProxy } = await import('../proxy/inspect.js');
    const { printResult } = await import('../ui/output.js');
    const { formatStatus } = await import('../ui/status-text.js');
    const aws = await awsFor(ctx.global);

    if (opts.watch) {
      const { watchStatus } = await import('../ui/status-watch.js');
      return watchStatus(aws, ctx.global, given ?? (await watchedNames(aws)), opts.interval);
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

/**
 * --watch without a name: every proxy in the region, as status without --watch shows them ("default"
 * when there is none, so the first refresh says it is not found).
 */
async function watchedNames(aws: import('../aws/clients.js').Aws): Promise<string[]> {
  const { listProxies, proxyNameOf } = await import('../proxy/locate.js');
  const names = (await listProxies(aws)).map((d) => proxyNameOf(d.name));
  return names.length ? names : ['default'];
}

/** `status --local`: the same shape, read from the proxy's store (src/local/ops/status.ts). */
async function localStatusCommand(ctx: CommandContext<StatusOptions>): Promise<number | void> {
  const { opts } = ctx;
  const { withLocalProxy } = await import('../local/ops/open.js');
  const { localStatus } = await import('../local/ops/status.js');
  if (opts.watch) {
    const { watchStatus } = await import('../ui/status-watch.js');
    // No name: the only local proxy under the data root, if there is just one (else "default").
    const { listLocalProxies } = await import('../local/ops/open.js');
    const found = opts.dataDir ? [] : listLocalProxies().names;
    const name = ctx.args[0] ?? (found.length === 1 ? found[0]! : 'default');
    // Each refresh opens and closes the store: a server started or stopped meanwhile is seen.
    return watchStatus(undefined, ctx.global, name, opts.interval, {
      read: async () => {
        const status = await withLocalProxy(name, opts, localStatus);
        return {
          status,
          metrics: { oldestAgeSeconds: status.queue.oldestAgeSeconds, deleted: [] },
          at: Date.now(),
        };
      },
    });
  }
  const { printResult } = await import('../ui/output.js');
  const { formatStatus } = await import('../ui/status-text.js');
  if (ctx.args[0] === undefined && !opts.dataDir) {
    // No name: every local proxy under the data root, as status shows every proxy of a region.
    const { listLocalProxies } = await import('../local/ops/open.js');
    const { names } = listLocalProxies();
    if (names.length > 1) {
      const all = [];
      for (const name of names) all.push(await withLocalProxy(name, opts, localStatus));
      printResult(ctx.global, all, all.map(formatStatus).join('\n\n'));
      return;
    }
    // One (or none: then "default" is not found, with how to start it).
    const s = await withLocalProxy(names[0], opts, localStatus);
    printResult(ctx.global, s, formatStatus(s));
    return;
  }
  const s = await withLocalProxy(ctx.args[0], opts, localStatus);
  printResult(ctx.global, s, formatStatus(s));
}
