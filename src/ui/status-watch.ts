/**
 * The `status --watch` loop: refresh every interval until Ctrl-C (exit 130, or 143 on SIGTERM). On a terminal an ink dashboard
 * (stdout, since the dashboard is the command's output); otherwise one plain line per proxy and refresh, or one
 * JSON object per line with --json, so it can be piped into a log or a graph. It follows one proxy or
 * several (`status --watch` with no name and several proxies in the region: all of them).
 *
 * Each refresh feeds the stall detector (src/proxy/stall.ts) with the reading and CloudWatch's
 * deletions. A refresh that fails after a good one is shown with the time of the last good reading,
 * whose numbers stay on screen; the first one failing (not found, no credentials) ends the watch.
 */
import { abortableSleep } from '../abortable-sleep.js';
import type { Aws } from '../aws/clients.js';
import { trapInterrupts } from '../interrupts.js';
import type { GlobalOptions } from '../options.js';
import { inspectRound, stallReport, type ProxyStatus } from '../proxy/inspect.js';
import { StallTracker } from '../proxy/stall.js';
import { suggest } from '../proxy/suggest.js';
import { formatDuration, type DepthSample } from '../proxy/trend.js';
import { outputMode } from './output.js';
import { depthOf, watchLine } from './status-text.js';

export interface WatchOptions {
  /** Stop after this many refreshes (tests); default: until Ctrl-C. */
  maxRefreshes?: number;
  signal?: AbortSignal;
  /** Seconds without delivery before a stall is reported (tests shorten it); default STALL_AFTER_SECONDS. */
  stallAfterSeconds?: number;
  /** Called (and awaited) after each refresh with what it showed (tests). */
  onRefresh?: (views: WatchedProxy[]) => void | Promise<void>;
  /** Read one proxy (default: inspectRound on AWS; `status --watch --local` reads the local store). */
  read?: (name: string) => Promise<Round>;
}

type Round = Pick<Awaited<ReturnType<typeof inspectRound>>, 'status' | 'metrics' | 'at'>;

/** What the watch knows of one proxy. */
export interface WatchedProxy {
  name: string;
  /** The last good reading (kept on screen when a refresh fails). */
  status: ProxyStatus | undefined;
  samples: DepthSample[];
  /** When the last good reading was taken (ms). */
  lastGoodAt: number | undefined;
  /** The last refresh failed: what went wrong and when. */
  error?: { message: string; at: number };
  tracker: StallTracker;
}

const MAX_SAMPLES = 120;

/** ink, react and the dashboard: loaded only on a terminal, so plain and --json watches never load them. */
async function loadDashboard() {
  const [{ render }, { createElement }, { StatusDashboard, StatusBoard }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./status-dashboard.js'),
  ]);
  return { render, createElement, StatusDashboard, StatusBoard };
}

/** "refresh failed at 06:40:12: … (showing the reading of 06:39:02, 1m 10s old)". */
export function refreshFailedText(w: WatchedProxy, now = Date.now()): string {
  if (!w.error) return '';
  const clock = (t: number) => new Date(t).toISOString().slice(11, 19);
  const good =
    w.lastGoodAt === undefined
      ? 'no good reading yet'
      : `showing the last good reading, from ${clock(w.lastGoodAt)} UTC (${formatDuration((now - w.lastGoodAt) / 1000)} ago)`;
  return `refresh failed at ${clock(w.error.at)} UTC: ${w.error.message} (${good})`;
}

async function refresh(read: (name: string) => Promise<Round>, w: WatchedProxy): Promise<void> {
  try {
    const round = await read(w.name);
    const s = round.status;
    w.tracker.observe(
      {
        t: round.at,
        enabled: s.delivery.state === 'enabled',
        depth: depthOf(s),
        dlq: s.dlq.visible,
      },
      { points: round.metrics.deleted, oldestAgeSeconds: round.metrics.oldestAgeSeconds },
    );
    const stall = w.tracker.verdict();
    w.status = {
      ...s,
      stall: stall
        ? s.local
          ? // A local proxy has no CloudWatch logs: the failures are in the server's own output.
            {
              ...stallReport(s.name, s.region, depthOf(s), stall),
              next: suggest('peek', s, '--limit 5') + ' (attempts, and the dev/serve output for errors)',
            }
          : stallReport(s.name, s.region, depthOf(s), stall)
        : null,
    };
    w.samples.push({ t: round.at, depth: depthOf(s) });
    if (w.samples.length > MAX_SAMPLES) w.samples.shift();
    w.lastGoodAt = round.at;
    delete w.error;
  } catch (err) {
    // The first failure (not found, no credentials) ends the watch; later ones are shown and retried.
    if (!w.status) throw err;
    w.error = { message: err instanceof Error ? err.message : String(err), at: Date.now() };
  }
}

export async function watchStatus(
  aws: Aws | undefined,
  global: GlobalOptions,
  names: string | string[],
  interval: number,
  options: WatchOptions = {},
): Promise<number> {
  const mode = outputMode(global, process.stdout);
  const watched: WatchedProxy[] = (Array.isArray(names) ? names : [names]).map((name) => ({
    name,
    status: undefined,
    samples: [],
    lastGoodAt: undefined,
    tracker: new StallTracker(options.stallAfterSeconds),
  }));
  const read =
    options.read ??
    ((name: string) => {
      if (!aws) throw new Error('watchStatus needs the AWS clients or a reader');
      return inspectRound(aws, name);
    });
  const ui = mode === 'ink' ? await loadDashboard() : undefined;
  // Ctrl-C ends the watch through the finally below (ink unmounted, the cursor back), then exit 130;
  // the listeners stay on until then (src/interrupts.ts: otherwise ink's signal-exit kills at once).
  const interrupts = trapInterrupts();
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  interrupts.signal.addEventListener('abort', onSignal);
  options.signal?.addEventListener('abort', onSignal);
  let app: import('ink').Instance | undefined;
  try {
    for (let n = 0; !stop.signal.aborted; n++) {
      await Promise.all(watched.map((w) => refresh(read, w)));
      const now = Date.now();
      for (const w of watched) {
        if (mode === 'json') {
          const line = w.error
            ? {
                at: new Date(w.error.at).toISOString(),
                name: w.name,
                error: { code: 'refresh_failed', message: w.error.message },
                lastGoodAt: new Date(w.lastGoodAt!).toISOString(),
              }
            : { at: new Date(w.lastGoodAt!).toISOString(), ...w.status };
          process.stdout.write(`${JSON.stringify(line)}\n`);
        } else if (mode === 'plain') {
          process.stdout.write(
            `${w.error ? `${w.name}: ${refreshFailedText(w, now)}` : watchLine(w.status!, w.samples, new Date(w.lastGoodAt!))}\n`,
          );
        }
      }
      if (ui) {
        const view =
          watched.length === 1
            ? ui.createElement(ui.StatusDashboard, {
                status: watched[0]!.status!,
                samples: [...watched[0]!.samples],
                interval,
                error: refreshFailedText(watched[0]!, now) || undefined,
              })
            : ui.createElement(ui.StatusBoard, {
                rows: watched.map((w) => ({
                  status: w.status!,
                  samples: [...w.samples],
                  error: refreshFailedText(w, now) || undefined,
                })),
                interval,
              });
        if (app) app.rerender(view);
        else app = ui.render(view, { exitOnCtrlC: false, patchConsole: false });
      }
      await options.onRefresh?.(watched);
      if (options.maxRefreshes !== undefined && n + 1 >= options.maxRefreshes) break;
      await abortableSleep(interval * 1000, stop.signal);
    }
  } finally {
    app?.unmount();
    interrupts.dispose();
    options.signal?.removeEventListener('abort', onSignal);
  }
  return interrupts.exitCode() ?? 0;
}
