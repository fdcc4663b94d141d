/**
 * `webhook-proxy redrive [name] [--rate R] [--limit N]`: move dead-lettered webhooks back to the
 * queue. The engine is src/proxy/ops/redrive.ts; it says which path ran (move task or copy).
 */
import type { Command } from 'commander';
import type { LocalFlags } from '../local/ops/open.js';
import { addLocalOptions, intInRange, numberInRange } from '../options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface RedriveOptions extends LocalFlags {
  rate?: number;
  limit?: number;
}

export const redrive: CommandSpec<RedriveOptions> = {
  name: 'redrive',
  summary: 'Move failed webhooks from the dead-letter queue back to the queue (ids kept)',
  configure(cmd: Command) {
    return addLocalOptions(
      cmd
        .argument('[name]', 'proxy name', 'default')
        .option(
          '--rate <r>',
          'at most R messages per second moved (≤ 500 with the AWS move task)',
          numberInRange('--rate', 0.01, 10_000),
        )
        .option('--limit <n>', 'move at most N messages', intInRange('--limit', 1, 10_000_000)),
    );
  },
  async run(ctx: CommandContext<RedriveOptions>) {
    const { opts } = ctx;
    const { isLocal } = await import('../local/ops/open.js');
    if (isLocal(opts)) return redriveLocalCommand(ctx);
    const { openProxy } = await import('../proxy/ops/open.js');
    const { redriveProxy } = await import('../proxy/ops/redrive.js');
    const { printResult, progress } = await import('../ui/output.js');
    const { plural } = await import('../proxy/suggest.js');
    const { aws, proxy } = await openProxy(ctx.global, ctx.args[0]);
    let lastLine = 0;
    const r = await redriveProxy(aws, proxy, {
      rate: opts.rate,
      limit: opts.limit,
      onNote: (m) => progress(ctx.global, m),
      onProgress: (p) => {
        if (Date.now() - lastLine < 2000) return;
        lastLine = Date.now();
        progress(
          ctx.global,
          `redrive ${proxy.name}: ${p.moved}${p.toMove === null ? '' : ` of ~${p.toMove}`} moved (${p.path})`,
        );
      },
    });
    const how = r.path === 'move-task' ? 'with an SQS message move task' : `by copying (${r.reason})`;
    printResult(
      ctx.global,
      { name: r.name, moved: r.moved, path: r.path },
      r.path === 'none'
        ? `${r.name}: the dead-letter queue is empty; nothing to redrive.`
        : `${r.name}: moved ${plural(r.moved, 'message')} from the DLQ back to the queue ${how}.`,
    );
  },
};

/** redrive --local: rows move from the DLQ to the queue in the store, body and id unchanged. */
async function redriveLocalCommand(ctx: CommandContext<RedriveOptions>): Promise<void> {
  const { opts } = ctx;
  const { withLocalProxy } = await import('../local/ops/open.js');
  const { redriveLocal } = await import('../local/ops/move.js');
  const { printResult, progress } = await import('../ui/output.js');
  const { plural } = await import('../proxy/suggest.js');
  await withLocalProxy(ctx.args[0], opts, async (p) => {
    let lastLine = Date.now();
    const r = await redriveLocal(p, {
      rate: opts.rate,
      limit: opts.limit,
      onProgress: (m) => {
        if (Date.now() - lastLine < 2000) return;
        lastLine = Date.now();
        progress(ctx.global, `redrive ${p.name}: ${m.moved} of ${m.toMove} moved`);
      },
    });
    const next =
      r.moved === 0
        ? 'the DLQ was empty'
        : p.server
          ? `the running server (pid ${p.server.pid}) delivers them at its limits`
          : `no server is running on ${p.dataDir}: they are delivered once dev or serve starts there`;
    printResult(
      ctx.global,
      { name: r.name, moved: r.moved, path: r.path },
      `${r.name}: moved ${plural(r.moved, 'message')} from the DLQ back to the queue in ${p.dataDir}; ${next}.`,
    );
  });
}
