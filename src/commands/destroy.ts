/**
 * `webhook-proxy destroy [name] --yes`: delete everything the proxy is made of. Refuses while webhooks
 * are still queued or dead-lettered, unless --force.
 */
import type { Command } from 'commander';
import { validateName } from '../proxy/names.js';
import type { CommandContext, CommandSpec } from './types.js';

interface DestroyOptions {
  force?: boolean;
}

export const destroy: CommandSpec<DestroyOptions> = {
  name: 'destroy',
  summary: 'Delete a proxy and everything it is made of (asks first; refuses while webhooks are queued)',
  configure(cmd: Command) {
    return cmd
      .argument('[name]', 'proxy name', 'default')
      .option(
        '--force',
        'delete even though webhooks are still queued or in the dead-letter queue (they are lost)',
      );
  },
  async run(ctx: CommandContext<DestroyOptions>) {
    const name = validateName(ctx.args[0] ?? 'default');
    const { runDestroy } = await import('../proxy/provision/run.js');
    return runDestroy(ctx.global, name, Boolean(ctx.opts.force));
  },
};
