/**
 * `webhook-proxy peek [name] [--dlq] [--limit N]`: show queued (or dead-lettered) webhooks without
 * consuming them. The engine is src/proxy/ops/peek.ts.
 */
import type { Command } from 'commander';
import type { LocalFlags } from '../local/ops/open.js';
import { addLocalOptions, intInRange } from '../options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface PeekOptions extends LocalFlags {
  dlq?: boolean;
  limit: number;
}

export const peek: CommandSpec<PeekOptions> = {
  name: 'peek',
  summary: 'Show queued or failed webhooks without consuming them',
  configure(cmd: Command) {
    return addLocalOptions(
      cmd
        .argument('[name]', 'proxy name', 'default')
        .option('--dlq', 'look at the dead-letter queue (webhooks that failed every attempt)')
        .option('--limit <n>', 'at most N messages', intInRange('--limit', 1, 1000), 10),
    );
  },
  async run(ctx: CommandContext<PeekOptions>) {
    const { opts } = ctx;
    const { isLocal } = await import('../local/ops/open.js');
    if (isLocal(opts)) return peekLocalCommand(ctx);
    const { openProxy } = await import('../proxy/ops/open.js');
    const { need } = await import('../proxy/locate.js');
    const { peekQueue } = await import('../proxy/ops/peek.js');
    const { formatPeeked } = await import('../proxy/preview.js');
    const { printResult, warn } = await import('../ui/output.js');
    const { plural, suggest } = await import('../proxy/suggest.js');
    const { aws, proxy } = await openProxy(ctx.global, ctx.args[0]);
    const queue = need(proxy, opts.dlq ? 'dlq' : 'queue');
    const label = opts.dlq ? 'dead-letter queue' : 'queue';
    const { messages, givenBack, atLimit } = await peekQueue(aws, queue.url, opts.limit);
    // Said only when something was received: an empty queue has no receive to warn about. Warnings,
    // so --json says them too (as JSON lines on stderr): each is a change to the queue.
    if (!opts.dlq && messages.length) {
      warn(
        ctx.global,
        'peek_counts_as_receive',
        'Peeking counts as a receive: each one raises the attempts shown (and nears the DLQ limit).',
      );
    }
    if (givenBack) {
      warn(
        ctx.global,
        'peek_queued_again',
        `${plural(givenBack, 'webhook')} waiting for ${givenBack === 1 ? 'its' : 'their'} last attempt ` +
          `${givenBack === 1 ? 'was' : 'were'} queued again with ${givenBack === 1 ? 'its' : 'their'} ` +
          "attempt count, so this peek's receive does not send them to the DLQ untried.",
      );
    }
    if (atLimit) {
      warn(
        ctx.global,
        'peek_at_last_receive',
        `${plural(atLimit, 'webhook')} of this ordered queue ${atLimit === 1 ? 'was' : 'were'} at ` +
          'the last receive; an ordered queue cannot take a copy without losing its place, so the next ' +
          `receive moves ${atLimit === 1 ? 'it' : 'them'} to the DLQ ("${suggest('redrive', { name: proxy.name, region: aws.settings.region })}" brings ` +
          `${atLimit === 1 ? 'it' : 'them'} back).`,
      );
    }
    printResult(
      ctx.global,
      // The JSON leaves out the SQS MessageId: `id` is the one that stays stable across retries.
      messages.map(({ messageId: _messageId, ...m }) => m),
      formatPeeked(messages, label),
    );
  },
};

/** peek --local: the rows themselves, oldest first; nothing is received, so nothing changes. */
async function peekLocalCommand(ctx: CommandContext<PeekOptions>): Promise<void> {
  const { opts } = ctx;
  const { withLocalProxy } = await import('../local/ops/open.js');
  const { peekLocal } = await import('../local/ops/peek.js');
  const { formatPeeked } = await import('../proxy/preview.js');
  const { printResult } = await import('../ui/output.js');
  const messages = await withLocalProxy(ctx.args[0], opts, (p) => peekLocal(p, opts));
  printResult(
    ctx.global,
    messages.map(({ messageId: _messageId, ...m }) => m),
    formatPeeked(messages, opts.dlq ? 'dead-letter queue' : 'queue'),
  );
}
