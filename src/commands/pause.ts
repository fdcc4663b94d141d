/**
 * `webhook-proxy pause [name]`: stop delivery (disable the event source mapping) and wait until it
 * holds. Ingest keeps accepting webhooks; they wait in the queue until `resume`.
 */
import type { Command } from 'commander';
import type { LocalFlags } from '../local/ops/open.js';
import { addLocalOptions } from '../options.js';
import type { CommandContext, CommandSpec } from './types.js';

export const pause: CommandSpec<LocalFlags> = {
  name: 'pause',
  summary: 'Stop delivering to the upstream; webhooks keep being accepted and buffered',
  configure(cmd: Command) {
    return addLocalOptions(cmd.argument('[name]', 'proxy name', 'default'));
  },
  run: (ctx: CommandContext<LocalFlags>) => toggle(ctx, false),
};

export async function toggle(ctx: CommandContext<LocalFlags>, enabled: boolean): Promise<void> {
  const { isLocal } = await import('../local/ops/open.js');
  if (isLocal(ctx.opts)) return toggleLocal(ctx, enabled);
  const { openProxy } = await import('../proxy/ops/open.js');
  const { need } = await import('../proxy/locate.js');
  const { setDelivery } = await import('../proxy/ops/mapping.js');
  const { deliveryState } = await import('../proxy/inspect.js');
  const { printResult, progress } = await import('../ui/output.js');
  const { suggest } = await import('../proxy/suggest.js');
  const { aws, proxy } = await openProxy(ctx.global, ctx.args[0]);
  const mapping = need(proxy, 'mapping');
  const verb = enabled ? 'Resuming' : 'Pausing';
  progress(ctx.global, `${verb} delivery for "${proxy.name}"…`);
  const { changed, mapping: after } = await setDelivery(aws, mapping, enabled, {
    onProgress: (s) => progress(ctx.global, `  mapping is ${s}…`),
    statusCommand: suggest('status', proxy),
  });
  const state = deliveryState(after.state);
  const human = enabled
    ? `${proxy.name}: delivery enabled${changed ? '' : ' (it already was)'}.`
    : `${proxy.name}: delivery paused${changed ? '' : ' (it already was)'}. Webhooks are still accepted and wait in the queue; "${suggest('resume', proxy)}" restarts delivery.`;
  printResult(ctx.global, { name: proxy.name, delivery: { state }, changed }, human);
}

/** pause/resume --local: the `paused` setting, applied by the running server within about a second. */
async function toggleLocal(ctx: CommandContext<LocalFlags>, enabled: boolean): Promise<void> {
  const { withLocalProxy } = await import('../local/ops/open.js');
  const { setLocalDelivery } = await import('../local/ops/delivery.js');
  const { printResult } = await import('../ui/output.js');
  const { suggest } = await import('../proxy/suggest.js');
  await withLocalProxy(ctx.args[0], ctx.opts, async (p) => {
    const r = await setLocalDelivery(p, enabled);
    const already = r.changed ? '' : ' (it already was)';
    const server =
      r.applied === 'applied'
        ? ` The running server (pid ${p.server!.pid}) ${enabled ? 'delivers again' : 'starts no new delivery; the batches in progress have finished'}.`
        : r.applied === 'pending'
          ? ` The running server (pid ${p.server!.pid}) has not confirmed it yet (a batch in progress runs to its end first); check with "${suggest('status', p)}".`
          : ` No server is running on ${p.dataDir}; the next dev or serve there starts ${enabled ? 'delivering' : 'paused'}.`;
    const human = enabled
      ? `${p.name}: delivery enabled${already}.${server}`
      : `${p.name}: delivery paused${already}.${server} Webhooks are still accepted and wait in the queue; "${suggest('resume', p)}" restarts delivery.`;
    printResult(
      ctx.global,
      { name: p.name, delivery: { state: r.state }, changed: r.changed, applied: r.applied },
      human,
    );
  });
}
