/**
 * `webhook-proxy pause [name]`: stop delivery (disable the event source mapping) and wait until it
 * holds. Ingest keeps accepting webhooks; they wait in the queue until `resume`.
 */
import type { Command } from 'commander';
import type { CommandContext, CommandSpec } from './types.js';

export const pause: CommandSpec = {
  name: 'pause',
  summary: 'Stop delivering to the upstream; webhooks keep being accepted and buffered',
  configure(cmd: Command) {
    return cmd.argument('[name]', 'proxy name', 'default');
  },
  run: (ctx: CommandContext) => toggle(ctx, false),
};

export async function toggle(ctx: CommandContext, enabled: boolean): Promise<void> {
  const { openProxy } = await import('../proxy/ops/open.js');
  const { need } = await import('../proxy/locate.js');
  const { setDelivery } = await import('../proxy/ops/mapping.js');
  const { deliveryState } = await import('../proxy/inspect.js');
  const { printResult, progress } = await import('../ui/output.js');
  const { aws, proxy } = await openProxy(ctx.global, ctx.args[0]);
  const mapping = need(proxy, 'mapping');
  const verb = enabled ? 'Resuming' : 'Pausing';
  progress(ctx.global, `${verb} delivery for "${proxy.name}"…`);
  const { changed, mapping: after } = await setDelivery(aws, mapping, enabled, {
    onProgress: (s) => progress(ctx.global, `  mapping is ${s}…`),
  });
  const state = deliveryState(after.state);
  const human = enabled
    ? `${proxy.name}: delivery enabled${changed ? '' : ' (it already was)'}.`
    : `${proxy.name}: delivery paused${changed ? '' : ' (it already was)'}. Webhooks are still accepted and wait in the queue; "webhook-proxy resume ${proxy.name}" restarts delivery.`;
  printResult(ctx.global, { name: proxy.name, delivery: { state }, changed }, human);
}
