/**
 * `webhook-proxy scale [name] [--concurrency N] [--rate R|none] [--adaptive|--no-adaptive]` (alias
 * set-concurrency): change delivery limits live; what it is not told it keeps. The engine is src/proxy/ops/scale.ts.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { LocalFlags } from '../local/ops/open.js';
import { addLocalOptions, intInRange, NONE, noneToNull, numberInRange, orNone } from '../options.js';
import { addAdaptiveOption } from './delivery-options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface ScaleOptions extends LocalFlags {
  concurrency?: number;
  rate?: number | typeof NONE;
  adaptive?: boolean;
}

export const scale: CommandSpec<ScaleOptions> = {
  name: 'scale',
  aliases: ['set-concurrency'],
  summary: 'Change delivery limits live: concurrent deliveries (2–1000) and requests per second',
  configure(cmd: Command) {
    const configured = cmd
      .argument('[name]', 'proxy name', 'default')
      .option(
        '--concurrency <n>',
        'deliveries in flight at once, 2–1000 (1 only for an --ordered proxy or a local one; default: keep the current one)',
        intInRange('--concurrency', 1, 1000),
      )
      .option(
        '--rate <r|none>',
        'at most R requests per second to the upstream; none: unpaced (default: keep the current rate)',
        orNone(numberInRange('--rate', 0.01, 100_000), 'to deliver unpaced'),
      );
    return addLocalOptions(addAdaptiveOption(configured, 'aws'));
  },
  async run(ctx: CommandContext<ScaleOptions>) {
    const { opts } = ctx;
    if (opts.concurrency === undefined && opts.rate === undefined && opts.adaptive === undefined) {
      throw new UsageError(
        'scale needs --concurrency, --rate, --adaptive or --no-adaptive.',
        'For example: webhook-proxy scale NAME --concurrency 8, or --rate 20, or --rate none (unpaced), or --adaptive. What is not given is kept.',
      );
    }
    const { isLocal } = await import('../local/ops/open.js');
    if (isLocal(opts)) {
      return scaleLocalCommand(ctx);
    }
    const { openProxy } = await import('../proxy/ops/open.js');
    const { suggest } = await import('../proxy/suggest.js');
    const { aws, proxy } = await openProxy(ctx.global, ctx.args[0]);
    if (opts.concurrency !== undefined && opts.concurrency < 2 && !proxy.ordered) {
      throw new UsageError(
        `--concurrency 1 is not possible for "${proxy.name}": AWS's minimum for an SQS event source mapping is 2.`,
        'Strict one-at-a-time delivery needs an ordered proxy (a FIFO queue with one message group): ' +
          `create it with "${suggest('create', proxy, '--ordered --upstream URL')}". ` +
          'To go gentler with the current proxy, keep --concurrency 2 and set a low --rate.',
      );
    }
    const { scaleProxy } = await import('../proxy/ops/scale.js');
    const { printResult, progress } = await import('../ui/output.js');
    if (proxy.ordered && opts.concurrency !== undefined && opts.concurrency !== 1) {
      progress(
        ctx.global,
        `"${proxy.name}" is ordered: its single FIFO message group is delivered one at a time whatever the ` +
          "concurrency, so the mapping keeps AWS's minimum of 2.",
      );
    }
    const r = await scaleProxy(aws, proxy, {
      concurrency: opts.concurrency,
      rate: noneToNull(opts.rate),
      ...(opts.adaptive !== undefined ? { adaptive: opts.adaptive } : {}),
    });
    const conc = proxy.ordered
      ? 'one at a time (ordered; mapping MaximumConcurrency stays 2)'
      : r.delivery.mappingConcurrency !== r.delivery.concurrency
        ? `concurrency ${r.delivery.concurrency} (${r.delivery.mappingConcurrency} containers, the pacing plan)`
        : `concurrency ${r.delivery.concurrency}`;
    const human =
      `${proxy.name}: ${conc}, ${r.delivery.rate === null ? 'unpaced' : `at most ${r.delivery.rate}/s`}` +
      (r.delivery.adaptive ? ', adaptive (ceilings; deliver finds what the upstream takes)' : '') +
      (r.changed.length ? '' : ' (unchanged)') +
      (r.functionTimeout !== undefined
        ? `\n  deliver timeout ${r.functionTimeout}s, queue visibility timeout ${r.visibilityTimeout}s`
        : '');
    printResult(ctx.global, { name: r.name, delivery: r.delivery, changed: r.changed }, human);
  },
};

/** scale --local: the concurrency and rate settings, applied live by the running server. */
async function scaleLocalCommand(ctx: CommandContext<ScaleOptions>): Promise<void> {
  const { opts } = ctx;
  const { withLocalProxy } = await import('../local/ops/open.js');
  const { scaleLocal } = await import('../local/ops/delivery.js');
  const { printResult } = await import('../ui/output.js');
  const { suggest } = await import('../proxy/suggest.js');
  await withLocalProxy(ctx.args[0], opts, async (p) => {
    const r = await scaleLocal(p, {
      concurrency: opts.concurrency,
      rate: noneToNull(opts.rate),
      ...(opts.adaptive !== undefined ? { adaptive: opts.adaptive } : {}),
    });
    const server =
      r.applied === 'applied'
        ? `\n  applied by the running server (pid ${p.server!.pid})`
        : r.applied === 'pending'
          ? `\n  the running server (pid ${p.server!.pid}) has not confirmed it yet; check with "${suggest('status', p)}"`
          : `\n  no server is running on ${p.dataDir}: saved; a dev or serve started there with --concurrency/--rate uses those instead` +
            (opts.adaptive !== undefined
              ? `, and ${opts.adaptive ? 'adaptive delivery' : 'fixed delivery unless started with --adaptive'} from its start`
              : '');
    const human =
      `${p.name}: concurrency ${r.delivery.concurrency}, ${r.delivery.rate === null ? 'unpaced' : `at most ${r.delivery.rate}/s`}` +
      (r.delivery.adaptive ? ', adaptive (ceilings; delivery finds what the upstream takes)' : '') +
      (r.changed.length ? '' : ' (unchanged)') +
      server;
    printResult(
      ctx.global,
      { name: r.name, delivery: r.delivery, changed: r.changed, applied: r.applied },
      human,
    );
  });
}
