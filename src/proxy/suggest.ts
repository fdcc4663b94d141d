/**
 * The commands that messages suggest, spelled out with the proxy's name and region, so that pasting
 * one acts on the proxy the message is about (a bare `webhook-proxy resume` acts on "default", in
 * whatever region the shell happens to point at). A local proxy is named by `--local`, or by
 * `--data-dir DIR` when it lives somewhere other than its name's default directory.
 */
import { dataDirFor } from '../local/store/data-dir.js';

export interface Where {
  name: string;
  region: string;
  /** A local proxy (`--local`): where its store is. */
  local?: { dataDir: string };
}

/** `webhook-proxy VERB NAME --region R [rest]`, or `… NAME --local [rest]` for a local proxy. */
export function suggest(verb: string, where: Where, rest = ''): string {
  return `webhook-proxy ${verb} ${where.name} ${targetFlag(where)}${rest ? ` ${rest}` : ''}`;
}

function targetFlag(where: Where): string {
  if (!where.local) return `--region ${where.region}`;
  const dir = where.local.dataDir;
  if (dir === dataDirFor(where.name)) return '--local';
  return `--data-dir ${/^[\w@%+=:,./-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, `'\\''`)}'`}`;
}

/** "1 message", "3 messages". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
