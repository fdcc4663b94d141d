/**
 * Plain-text renderings of status and list (stdout, when not --json). Shared by the one-shot commands,
 * by the plain `status --watch` line and by the watch dashboard's first lines.
 */
import { alarmsLine } from '../proxy/alarm-states.js';
import type { ProxyStatus } from '../proxy/inspect.js';
import { suggest } from '../proxy/suggest.js';
import { drainRate, etaSeconds, formatDuration, rateBasisSeconds, type DepthSample } from '../proxy/trend.js';

/** Everything still in the queue: waiting, in flight and delayed. */
export const depthOf = (s: ProxyStatus) => s.queue.visible + s.queue.inFlight + s.queue.delayed;

export function deliveryLine(s: ProxyStatus): string {
  const d = s.delivery;
  const state =
    d.state === 'paused'
      ? `PAUSED (ingest keeps buffering; "${suggest('resume', s)}" restarts delivery)`
      : d.state === 'transitioning'
        ? `changing (${d.mappingState})`
        : d.state === 'missing'
          ? 'MISSING (no event source mapping)'
          : d.state === 'stopped'
            ? 'STOPPED (no server is running; webhooks wait in the store until dev or serve starts on it)'
            : 'enabled';
  const conc =
    d.concurrency === null
      ? 'concurrency unknown'
      : s.ordered
        ? 'ordered: one at a time'
        : d.containers !== null && d.containers !== d.concurrency
          ? `concurrency ${d.concurrency} (${d.containers} containers, the pacing plan)`
          : `concurrency ${d.concurrency}`;
  const rate = d.rate === null ? 'unpaced' : `at most ${d.rate}/s`;
  // Adaptive: the figures are ceilings; each deliver container finds its own share below them.
  return `${state}, ${conc}, ${rate}${d.adaptive ? ', adaptive (ceilings)' : ''}${foundText(s)}`;
}

/** What the containers have found (status NAME of an adaptive proxy), or nothing. */
function foundText(s: ProxyStatus): string {
  const f = s.delivery.found;
  if (f === undefined) return '';
  if (f === null) return '; found: nothing logged in the last minutes';
  const mins = Math.round(f.windowSeconds / 60);
  return (
    `; found: concurrency ${f.concurrency} over ${f.containers} container${f.containers === 1 ? '' : 's'}` +
    (f.outage ? `, ${f.outage} holding an outage` : '') +
    ` (last ${mins} min)`
  );
}

/** "the oldest 2m 05s", or nothing to say when nothing waits. */
export function oldestText(s: ProxyStatus): string {
  if (depthOf(s) === 0) return 'nothing waiting';
  const age = s.queue.oldestAgeSeconds;
  return `oldest ${age === null ? (s.local ? 'unknown' : 'unknown (no CloudWatch data yet)') : formatDuration(age)}`;
}

/**
 * When the queue will be empty, and what that rests on: "empty in 3m 05s at the last 60 s rate";
 * "now", "never while paused", "not while it grows".
 */
export function etaText(s: ProxyStatus, samples: DepthSample[]): string {
  const depth = depthOf(s);
  if (depth === 0) return 'empty now';
  if (s.delivery.state === 'paused') return 'will not empty while paused';
  if (s.delivery.state === 'stopped') return 'will not empty while no server runs';
  const rate = drainRate(samples);
  if (rate === null) return 'time to empty unknown (measuring the rate)';
  if (rate <= 0)
    return `will not empty at the last ${rateBasisSeconds(samples)} s rate (${rate < 0 ? 'growing' : 'steady'})`;
  return `empty in ${formatDuration(etaSeconds(depth, rate))} at the last ${rateBasisSeconds(samples)} s rate`;
}

/** The plain `status --watch` line for one refresh. */
export function watchLine(s: ProxyStatus, samples: DepthSample[], at = new Date()): string {
  const depth = depthOf(s);
  const rate = drainRate(samples);
  return (
    `${at.toISOString()} ${s.name} ${s.delivery.state} waiting=${s.queue.visible} ` +
    `inFlight=${s.queue.inFlight} delayed=${s.queue.delayed} dlq=${s.dlq.visible} ` +
    `drain=${rate === null ? 'unknown' : `${rate.toFixed(1)}/s`} eta=${formatDuration(etaSeconds(depth, rate))}` +
    (rate === null ? '' : ` (rate over the last ${rateBasisSeconds(samples)} s)`) +
    (s.stall ? ` ${s.stall.message} Next: ${s.stall.next}` : '')
  );
}

export function formatStatus(s: ProxyStatus): string {
  const q = s.queue;
  const lines = [
    `proxy      ${s.name} (${s.region})${s.ordered ? ', ordered' : ''}`,
    `endpoint   ${s.endpoint ?? (s.local ? 'none (no server running)' : 'missing')}`,
    ...(s.local
      ? [
          `data dir   ${s.local.dataDir}`,
          `server     ${s.local.server ? `pid ${s.local.server.pid}, since ${s.local.server.startedAt}` : 'not running'}`,
        ]
      : []),
    ...(s.customUrl ? [`domain     ${s.customUrl}`] : []),
    `upstream   ${s.upstream ?? 'unknown'}`,
    `delivery   ${deliveryLine(s)}`,
    `queue      ${q.visible} waiting, ${q.inFlight} in flight, ${q.delayed} delayed; ${oldestText(s)}`,
    `dlq        ${s.dlq.visible}` +
      (s.dlq.visible > 0
        ? ` (inspect with "${suggest('peek', s, '--dlq')}", retry with "${suggest('redrive', s)}")`
        : ''),
    ...(s.alarms !== undefined ? [`alarms     ${alarmsLine(s.alarms)}`] : []),
  ];
  if (s.stall)
    lines.push(`STALLED    ${s.stall.message.replace(/^STALLED: /, '')}`, `next       ${s.stall.next}`);
  if (s.missing.length) {
    lines.push(
      `INCOMPLETE missing: ${s.missing.join(', ')} (run "${suggest('create', s, '--upstream URL')}" to repair)`,
    );
  }
  return lines.join('\n');
}

export interface ListRow {
  name: string;
  endpoint: string | null;
  customUrl?: string | null;
  upstream: string | null;
  queued: number;
  dlq: number;
  state: string;
}

export function formatList(rows: ListRow[], region: string): string {
  if (rows.length === 0) return `No webhook proxies in ${region}.`;
  // The DOMAIN column only when some proxy has a custom domain.
  const domains = rows.some((r) => r.customUrl);
  const header = ['NAME', 'STATE', 'QUEUED', 'DLQ', 'ENDPOINT', ...(domains ? ['DOMAIN'] : []), 'UPSTREAM'];
  const table = rows.map((r) => [
    r.name,
    r.state,
    String(r.queued),
    String(r.dlq),
    r.endpoint ?? '-',
    ...(domains ? [r.customUrl ?? '-'] : []),
    r.upstream ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...table.map(line)].join('\n');
}
