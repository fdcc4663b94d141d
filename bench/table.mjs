// The results as one Markdown block (printed, and kept in bench/README.md between two markers).
import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- bench:table:start -->';
const END = '<!-- bench:table:end -->';

const fmt = (v) =>
  v === null || v === undefined || Number.isNaN(v)
    ? '—'
    : typeof v === 'number'
      ? v.toLocaleString('en-US', { maximumFractionDigits: 4 })
      : String(v);
const cell = (s) => String(s).replaceAll('|', '\\|');

export function markdownTable(results) {
  const { machine: m } = results;
  const lines = [
    `Measured ${m.date.slice(0, 10)} on ${m.nproc} × ${m.cpu}, Node ${m.node}, ${m.platform}` +
      `${results.config.quick ? ' (--quick: small counts)' : ''}; load average ${m.loadAverage1m} at the start;` +
      ` the whole run took ${results.seconds} s.`,
    '',
    '| section | figure | value | baseline (same run) | ratio | notes |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results.rows) {
    const value = `${fmt(r.value)} ${r.unit}`;
    const baseline =
      r.baseline === null || r.baseline === undefined || Number.isNaN(r.baseline)
        ? `— (${r.baselineLabel})`
        : `${fmt(r.baseline)} ${r.unit} (${r.baselineLabel})`;
    lines.push(
      `| ${cell(r.section)} | ${cell(r.metric)} | ${cell(value)} | ${cell(baseline)} | ${fmt(r.ratio)} | ${cell(r.note ?? '')} |`,
    );
  }
  if (results.assumptions.length)
    lines.push('', 'Cost model assumptions:', '', ...results.assumptions.map((a) => `- ${a}`));
  if (results.skipped.length)
    lines.push('', 'Not measured in this run:', '', ...results.skipped.map((s) => `- ${s}`));
  if (results.errors.length)
    lines.push('', 'Failed in this run:', '', ...results.errors.map((s) => `- ${s}`));
  return lines.join('\n');
}

/** Replace the block between the markers (or append one) in the README. */
export function updateReadme(path, table) {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    /* first run */
  }
  const block = `${START}\n${table}\n${END}`;
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  text = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + END.length) : `${text}\n${block}\n`;
  writeFileSync(path, text);
}
