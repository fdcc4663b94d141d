/** One readable line per log entry, and one webhook's story (history.ts) in words. */
import type { LogEntry } from './parse.js';
import type { History } from './history.js';

const seconds = (s: number) => (s >= 120 ? `${Math.round(s / 60)} min` : `${Math.round(s * 10) / 10} s`);

export function formatEntry(e: LogEntry): string {
  const time = new Date(e.time).toISOString();
  const parts = [time, e.kind.padEnd(13), (e.id ?? '-').padEnd(30)];
  parts.push(
    e.attempt !== undefined ? `attempt ${e.attempt}` : e.source === 'ingest' ? 'ingest   ' : '         ',
  );
  parts.push(e.status !== undefined ? String(e.status) : '---');
  parts.push(e.ms !== undefined ? `${e.ms} ms` : '');
  const notes: string[] = [];
  if (e.kind === 'received') {
    if (e.bytes !== undefined) notes.push(`${e.bytes} bytes`);
    if (e.sourceIp) notes.push(`from ${e.sourceIp}`);
    if (e.verifiedBy) notes.push(`verified by ${e.verifiedBy}`);
  }
  if (e.kind === 'failed' && e.retryInSeconds !== undefined)
    notes.push(`retry in ${seconds(e.retryInSeconds)}`);
  if (e.kind === 'dead-lettered') notes.push('last attempt: to the dead-letter queue');
  if (e.error) notes.push(e.error);
  return [...parts, notes.join(', ')].join('  ').trimEnd();
}

export function formatHistory(h: History): string {
  const lines = [`webhook ${h.id}`];
  if (h.received) {
    const r = h.received;
    lines.push(
      `  received   ${new Date(r.time).toISOString()}  ${r.method ?? ''} ${r.path ?? ''}`.trimEnd() +
        `, ${r.bytes ?? '?'} bytes from ${r.sourceIp ?? 'unknown'}` +
        `, ${r.verifiedBy ? `signature verified by ${r.verifiedBy}` : 'no signature check'}, answered ${r.status ?? '?'}`,
    );
  } else {
    lines.push('  received   (no ingest line in the time searched)');
  }
  for (const a of h.attempts) {
    const what =
      a.kind === 'delivered' ? 'delivered' : a.kind === 'dead-lettered' ? 'failed (last)' : 'failed';
    lines.push(
      `  attempt ${String(a.attempt ?? '?').padEnd(2)} ${new Date(a.time).toISOString()}  ${what}` +
        (a.status !== undefined ? `, HTTP ${a.status}` : '') +
        (a.ms !== undefined ? `, ${a.ms} ms` : '') +
        (a.error ? `, ${a.error}` : ''),
    );
  }
  lines.push(`  now        ${h.now.summary}`);
  if (h.now.next) lines.push(`  next       ${h.now.next}`);
  return lines.join('\n');
}
