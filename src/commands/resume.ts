/**
 * `webhook-proxy resume [name]`: restart delivery (enable the event source mapping) and wait until
 * it holds. The buffered webhooks then drain at the proxy's limits.
 */
import type { Command } from 'commander';
import type { LocalFlags } from '../local/ops/open.js';
import { addLocalOptions } from '../options.js';
import type { CommandContext, CommandSpec } from './types.js';

export const resume: CommandSpec<LocalFlags> = {
  name: 'resume',
  summary: 'Restart delivery after pause; the buffered webhooks drain at the configured limits',
  configure(cmd: Command) {
    return addLocalOptions(cmd.argument('[name]', 'proxy name', 'default'));
  },
  async run(ctx: CommandContext<LocalFlags>) {
    const { toggle } = await import('./pause.js');
    return toggle(ctx, true);
  },
};
