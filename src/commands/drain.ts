/**
 * `webhook-proxy drain [name] [--timeout S] [--concurrency N]`: wait until the queue is empty.
 * Exit 0 when drained, 3 on timeout, 130 on Ctrl-C (143 on SIGTERM) once a boost is restored.
 * The engine is src/proxy/ops/drain.ts.
 */
import type { Command } from 'commander';
import { CliError, UsageError } from '../errors.js';
import { trapInterrupts } from '../interrupts.js';
import type { LocalFlags } from '../local/ops/open.js';
import { addLocalOptions, intervalOption, intInRange, numberInRange } from '../options.js';
import type { CommandContext, CommandSpec } from './types.js';

interface DrainOptions extends LocalFlags {
  timeout?: number;
  concurrency?: number;
  interval: number;
}

export const drain: CommandSpec<DrainOptions> = {
  name: 'drain',
  summary: 'Wait until the queue is empty (exit 3 on --timeout); optionally boost concurrency meanwhile',
  configure(cmd: Command) {
    return addLocalOptions(
      cmd
        .argument('[name]', 'proxy name', 'default')
        .option('--timeout <s>', 'give up after S seconds (exit 3)', numberInRange('--timeout', 0, 86_400))
        .option(
          '--concurrency <n>',
          'raise the concurrency to N (2–1000) for the drain; the previous value is restored afterwards',
          intInRange('--concurrency', 2, 1000),
        )
        .option(...intervalOption('seconds between queue readings')),
    );
  },
  async run(ctx: CommandContext<DrainOptions>) {
    const { opts } = ctx;
    const { outputMode, printResult, note } = await import('../ui/output.js');
    // The one place the target is picked: a local proxy's store (--local, --data-dir) or AWS.
    const { isLocal } = await import('../local/ops/open.js');
    type Engine = (
      o: import('../proxy/ops/drain.js').DrainOptions,
    ) => Promise<import('../proxy/ops/drain.js').DrainResult>;
    let proxy: import('../proxy/suggest.js').Where;
    let drainIt: Engine;
    let close = () => {};
    if (isLocal(opts)) {
      const { openLocalProxy } = await import('../local/ops/open.js');
      const { drainLocal } = await import('../local/ops/drain.js');
      const local = await openLocalProxy(ctx.args[0], opts);
      proxy = local;
      close = local.close;
      drainIt = (o) => drainLocal(local, o);
    } else {
      const { openProxy } = await import('../proxy/ops/open.js');
      const { drainProxy } = await import('../proxy/ops/drain.js');
      const { aws, proxy: found } = await openProxy(ctx.global, ctx.args[0]);
      if (opts.concurrency !== undefined && found.ordered) {
        throw new UsageError(
          `"${found.name}" is ordered: its single FIFO message group is delivered one at a time, so more concurrency would not drain it faster.`,
          'Drain without --concurrency.',
        );
      }
      proxy = found;
      drainIt = (o) => drainProxy(aws, found, o);
    }
    const mode = outputMode(ctx.global);
    const notes: string[] = [];
    let render: ((p?: import('../proxy/ops/drain.js').DrainProgress) => void) | undefined;
    let unmount = () => {};
    let last: import('../proxy/ops/drain.js').DrainProgress | undefined;
    if (mode === 'ink') {
      // ink and react load only here: the plain and --json paths never need them.
      const [ink, React, { DrainView }] = await Promise.all([
        import('ink'),
        import('react'),
        import('../ui/drain-progress.js'),
      ]);
      const view = () => React.createElement(DrainView, { name: proxy.name, p: last, notes: [...notes] });
      const app = ink.render(view(), { stdout: process.stderr, exitOnCtrlC: false, patchConsole: false });
      render = () => app.rerender(view());
      let mounted = true;
      unmount = () => {
        if (mounted) app.unmount();
        mounted = false;
      };
    }
    const { drainLine } = await import('../ui/drain-lines.js');
    let lastLine = 0;
    const onNote = (m: string) => {
      if (mode === 'ink') {
        notes.push(m);
        render?.();
      } else if (mode === 'plain') note(m);
    };
    // Ctrl-C / SIGTERM / SIGHUP end the drain, and the boost is restored before the process exits
    // (src/interrupts.ts says why the listeners stay on until ink has unmounted).
    const interrupts = trapInterrupts({
      onRepeat: () => {
        if (opts.concurrency !== undefined)
          onNote('Still restoring the concurrency: the drain ends once it is back.');
      },
    });
    try {
      const result = await drainIt({
        timeoutSeconds: opts.timeout,
        boost: opts.concurrency,
        pollMs: opts.interval * 1000,
        signal: interrupts.signal,
        onNote,
        onProgress: (p) => {
          last = p;
          if (mode === 'ink') render?.();
          else if (mode === 'plain' && (Date.now() - lastLine >= 10_000 || p.total === 0)) {
            lastLine = Date.now();
            note(drainLine(proxy.name, p));
          }
        },
      });
      unmount();
      const { name, drained, seconds } = result;
      const r = result.remaining;
      printResult(
        ctx.global,
        { name, drained, seconds, ...(drained ? {} : { remaining: r }) },
        drained
          ? `${name}: drained in ${seconds}s.`
          : `${name}: not drained after ${seconds}s: ${r.visible} waiting, ${r.inFlight} in flight, ${r.delayed} delayed.`,
      );
      if (!drained) {
        const { plural, suggest } = await import('../proxy/suggest.js');
        throw new CliError(
          `Timed out after ${opts.timeout}s with ${plural(r.visible + r.inFlight + r.delayed, 'webhook')} still queued.`,
          `Check delivery with "${suggest('status', proxy)}" (stalled? upstream failing?), or wait longer.`,
          { exitCode: 3 },
        );
      }
    } finally {
      unmount();
      interrupts.dispose();
      close();
    }
  },
};
