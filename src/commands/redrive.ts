/**
 * `webhook-proxy redrive [name] [--rate R] [--limit N]`: move dead-lettered webhooks back to the
 * queue. The engine is src/proxy/ops/redrive.ts; it says which path ran (move task or copy).
 */
import type { Command } from 'commander';
import { intInRange, numberInRange } from '../options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface RedriveOptions {
  rate?: number;
  limit?: number;
}

export const redrive: CommandSpec<RedriveOptions> = {
  name: 'redrive',
  summary: 'Move failed webhooks from the dead-letter queue back to the queue (ids kept)',
  configure(cmd: Command) {
    return cmd
      .argument('[name]', 'proxy name', 'default')
      .option(
        '--rate <r>',
        'at most R messages per second moved (≤ 500 with the AWS move task)',
        numberInRange('--rate', 0.01, 10_000),
      )
      .option('--limit <n>', 'move at most N messages', intInRange('--limit', 1, 10_000_000));
  },
  async run(ctx: CommandContext<RedriveOptions>) {
    const { opts } = ctx;
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
