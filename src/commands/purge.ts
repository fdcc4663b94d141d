/**
 * `webhook-proxy purge [name] [--dlq] --yes`: delete every queued (or dead-lettered) webhook. Asks on
 * a terminal; without one, refuses unless --yes is given.
 */
import type { Command } from 'commander';
import type { LocalFlags } from '../local/ops/open.js';
import { addLocalOptions } from '../options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface PurgeOptions extends LocalFlags {
  dlq?: boolean;
}

export const purge: CommandSpec<PurgeOptions> = {
  name: 'purge',
  summary: 'Delete every queued webhook (or, with --dlq, every failed one); asks first unless --yes',
  configure(cmd: Command) {
    return addLocalOptions(
      cmd
        .argument('[name]', 'proxy name', 'default')
        .option('--dlq', 'purge the dead-letter queue instead of the queue'),
    );
  },
  async run(ctx: CommandContext<PurgeOptions>) {
    const { opts } = ctx;
    const { isLocal } = await import('../local/ops/open.js');
    if (isLocal(opts)) return purgeLocalCommand(ctx);
    const { openProxy } = await import('../proxy/ops/open.js');
    const { need, queueCounts, totalOf } = await import('../proxy/locate.js');
    const { purgeQueue } = await import('../proxy/ops/purge.js');
    const { printResult } = await import('../ui/output.js');
    const { plural, suggest } = await import('../proxy/suggest.js');
    const { aws, proxy } = await openProxy(ctx.global, ctx.args[0]);
    const queue = need(proxy, opts.dlq ? 'dlq' : 'queue');
    const label = opts.dlq ? 'dead-letter queue' : 'queue';
    // openProxy has just read the queue's attributes, counts included: no second GetQueueAttributes.
    const count = totalOf(queueCounts(queue.attributes));
    if (count === 0) {
      // Nothing to confirm, and no PurgeQueue: it would start SQS's one-purge-a-minute clock for nothing.
      printResult(
        ctx.global,
        { name: proxy.name, queue: opts.dlq ? 'dlq' : 'queue', purged: 0 },
        `${proxy.name}: the ${label} (${queue.name}) is empty; nothing to purge.`,
      );
      return;
    }
    const { confirmOrThrow } = await import('../ui/confirm.js');
    await confirmOrThrow(
      ctx.global,
      `Delete all ${plural(count, 'message')} in the ${label} of "${proxy.name}" (${queue.name})? They cannot be recovered.`,
      {
        noTty: {
          message: `purge deletes ${plural(count, 'message')} and there is no terminal to confirm on.`,
          hint: 'Pass --yes to confirm.',
        },
        declined: 'Nothing purged.',
      },
    );
    await purgeQueue(aws, queue.url, label, suggest('status', proxy));
    printResult(
      ctx.global,
      { name: proxy.name, queue: opts.dlq ? 'dlq' : 'queue', purged: count },
      `${proxy.name}: purged ${plural(count, 'message')} from the ${label} (${queue.name}). SQS may take up to 60 seconds to finish deleting them.`,
    );
  },
};

/** purge --local: the same confirmation, then the rows are deleted (in flight ones too, as PurgeQueue). */
async function purgeLocalCommand(ctx: CommandContext<PurgeOptions>): Promise<void> {
  const { opts } = ctx;
  const { withLocalProxy } = await import('../local/ops/open.js');
  const { localDepth, purgeLocal } = await import('../local/ops/move.js');
  const { printResult } = await import('../ui/output.js');
  const { plural } = await import('../proxy/suggest.js');
  const label = opts.dlq ? 'dead-letter queue' : 'queue';
  const which = opts.dlq ? 'dlq' : 'queue';
  await withLocalProxy(ctx.args[0], opts, async (p) => {
    const count = localDepth(p, Boolean(opts.dlq));
    if (count === 0) {
      printResult(
        ctx.global,
        { name: p.name, queue: which, purged: 0 },
        `${p.name}: the ${label} (${p.dataDir}) is empty; nothing to purge.`,
      );
      return;
    }
    const { confirmOrThrow } = await import('../ui/confirm.js');
    await confirmOrThrow(
      ctx.global,
      `Delete all ${plural(count, 'message')} in the ${label} of the local proxy "${p.name}" (${p.dataDir})? They cannot be recovered.`,
      {
        noTty: {
          message: `purge deletes ${plural(count, 'message')} and there is no terminal to confirm on.`,
          hint: 'Pass --yes to confirm.',
        },
        declined: 'Nothing purged.',
      },
    );
    const purged = purgeLocal(p, Boolean(opts.dlq));
    printResult(
      ctx.global,
      { name: p.name, queue: which, purged },
      `${p.name}: purged ${plural(purged, 'message')} from the ${label} (${p.dataDir}).`,
    );
  });
}
