/**
 * `webhook-proxy logs [name]`: the ingest and deliver functions' log lines, one readable line per
 * event (time, what happened, id, attempt, status, ms, error), from CloudWatch Logs or, with
 * `--local`, from the event log a local proxy (dev/serve) keeps in its data directory (or the FILE
 * of `--event-log FILE`). `--id wh_…` tells that webhook's whole story instead. The engine is
 * src/proxy/logs/; the local file's whereabouts src/local/ops/logs.ts.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { addLocalOptions, durationInRange, intervalOption } from '../options.js';
import { validateName } from '../proxy/names.js';
import type { CommandContext, CommandSpec } from './types.js';

interface LogsOptions {
  since?: number;
  follow?: boolean;
  failed?: boolean;
  id?: string;
  local?: boolean;
  dataDir?: string;
  eventLog?: string;
  interval: number;
}

const ID_RE = /^wh_[0-9a-f]{32}$/;
/** CloudWatch keeps the functions' logs 14 days (src/proxy/provision/logs.ts). */
const FOURTEEN_DAYS = 14 * 86_400;

export const logs: CommandSpec<LogsOptions> = {
  name: 'logs',
  summary: "Show the proxy's deliveries and failures, or one webhook's whole story (--id)",
  configure(cmd: Command) {
    cmd
      .argument('[name]', 'proxy name', 'default')
      .option(
        '--since <duration>',
        'how far back: 90s, 15m, 1h, 2d (default: 1h; with --id, 14d)',
        durationInRange('--since', 1, FOURTEEN_DAYS),
      )
      .option('-f, --follow', 'keep printing new lines as they arrive (Ctrl-C stops)')
      .option('--failed', 'only failed attempts, dead letters and webhooks that could not be stored')
      .option('--id <wh_id>', "one webhook's history: received, each attempt, where it is now")
      .option(
        '--event-log <file>',
        'read this event log, written by "dev --event-log FILE" (implies --local)',
      )
      .option(...intervalOption('seconds between polls with --follow', 2));
    // --local reads the event log dev and serve keep in the proxy's data directory (by name).
    addLocalOptions(cmd);
    return cmd;
  },
  async run(ctx: CommandContext<LogsOptions>) {
    const { opts, global } = ctx;
    // --data-dir and --event-log imply --local. The local module is loaded only then (it brings the store's).
    const local = Boolean(opts.local || opts.dataDir || opts.eventLog);
    if (opts.local) (await import('../local/ops/logs.js')).refuseFileAsName(ctx.args[0]);
    const name = validateName(ctx.args[0] ?? 'default');
    if (opts.id !== undefined && !ID_RE.test(opts.id)) {
      throw new UsageError(
        `--id "${opts.id}" is not a webhook id.`,
        'Webhook ids look like wh_ followed by 32 hex digits: ingest answers the sender with it, and ' +
          'the upstream gets it as x-webhook-proxy-id.',
      );
    }
    const since = Date.now() - 1000 * (opts.since ?? (opts.id ? FOURTEEN_DAYS : 3600));
    const query = { since, ...(opts.id ? { id: opts.id } : {}) };
    const { formatEntry, formatHistory } = await import('../proxy/logs/render.js');
    const { isFailure } = await import('../proxy/logs/parse.js');
    const { buildHistory } = await import('../proxy/logs/history.js');
    const { printResult } = await import('../ui/output.js');
    type Entry = import('../proxy/logs/parse.js').LogEntry;

    let region: string | undefined;
    let read: (first: boolean) => Promise<Entry[]>;
    if (local) {
      const { localLogFile, localLogReader } = await import('../local/ops/logs.js');
      read = localLogReader(localLogFile(ctx.args[0], opts), query);
    } else {
      const { awsFor } = await import('../aws/clients.js');
      const { readProxyLogs } = await import('../proxy/logs/fetch.js');
      const aws = await awsFor(global);
      region = aws.settings.region;
      const seen = new Set<string>();
      let from = since;
      read = async () => {
        const got = await readProxyLogs(aws, name, { ...query, since: from }, seen);
        // The next poll starts at the last event seen (events of that same millisecond are deduplicated).
        if (got.length) from = got.at(-1)!.time;
        return got;
      };
    }
    const keep = (entries: Entry[]) => (opts.failed ? entries.filter(isFailure) : entries);
    // What the story's next step says to run: on a local proxy, the same flags that found it.
    const ops = opts.dataDir ? `--data-dir ${opts.dataDir}` : '--local';
    const localFlags = local
      ? { local: { ops, logs: opts.eventLog ? `--event-log ${opts.eventLog}` : ops } }
      : {};
    const story = (entries: Entry[]) =>
      buildHistory(opts.id!, entries, {
        name,
        ...(region ? { region } : {}),
        ...localFlags,
        searchedSince: since,
      });

    const first = keep(await read(true));
    if (!opts.follow) {
      if (opts.id) {
        const h = story(first);
        printResult(global, h, formatHistory(h));
      } else if (global.json) {
        // NDJSON: one entry per line, so it can be piped to jq line by line.
        process.stdout.write(first.map((e) => `${JSON.stringify(e)}\n`).join(''));
      } else {
        printResult(
          global,
          first,
          first.length
            ? first.map(formatEntry).join('\n')
            : `No ${opts.failed ? 'failures' : 'log lines'} for proxy "${name}" since ${new Date(since).toISOString()}.`,
        );
      }
      return 0;
    }

    // --follow: every line as it comes (NDJSON with --json); Ctrl-C ends it with 130.
    const { trapInterrupts } = await import('../interrupts.js');
    const stop = trapInterrupts();
    const show = (entries: Entry[]) => {
      for (const e of entries) process.stdout.write(`${global.json ? JSON.stringify(e) : formatEntry(e)}\n`);
    };
    try {
      show(first);
      while (!stop.signal.aborted) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, opts.interval * 1000);
          stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
        if (stop.signal.aborted) break;
        show(keep(await read(false)));
      }
      return stop.exitCode() ?? 0;
    } finally {
      stop.dispose();
    }
  },
};
