/**
 * `webhook-proxy list`: every proxy in the region, found from AWS names (no local state file).
 * `list --local`: every local proxy (dev/serve) under the default data root, from its store.
 */
import type { Command } from 'commander';
import type { CommandContext, CommandSpec } from './types.js';

interface ListOptions {
  local?: boolean;
}

export const list: CommandSpec<ListOptions> = {
  name: 'list',
  summary: 'List every proxy in the region: name, endpoint, upstream, queued, DLQ, delivery state',
  configure(cmd: Command) {
    return cmd.option(
      '--local',
      'list the local proxies (dev/serve) under $WEBHOOK_PROXY_DATA_DIR, else $XDG_DATA_HOME/webhook-proxy, else ~/.local/share/webhook-proxy',
    );
  },
  async run(ctx: CommandContext<ListOptions>) {
    if (ctx.opts.local) return listLocal(ctx);
    const { awsFor } = await import('../aws/clients.js');
    const { inspectAll, listEntry } = await import('../proxy/inspect.js');
    const { printResult } = await import('../ui/output.js');
    const { formatList } = await import('../ui/status-text.js');
    const aws = await awsFor(ctx.global);
    const rows = (await inspectAll(aws)).map(listEntry);
    printResult(ctx.global, rows, formatList(rows, aws.settings.region));
  },
};

/** A row per local proxy, as list shows a region's; its data directory too (JSON). */
async function listLocal(ctx: CommandContext<ListOptions>): Promise<void> {
  const { listLocalProxies, withLocalProxy } = await import('../local/ops/open.js');
  const { localStatus } = await import('../local/ops/status.js');
  const { listEntry } = await import('../proxy/inspect.js');
  const { printResult } = await import('../ui/output.js');
  const { formatList } = await import('../ui/status-text.js');
  const { root, names } = listLocalProxies();
  const rows = [];
  for (const name of names) {
    const s = await withLocalProxy(name, {}, localStatus);
    rows.push({ ...listEntry(s), dataDir: s.local!.dataDir });
  }
  printResult(ctx.global, rows, formatList(rows, `the local data root ${root}`));
}
