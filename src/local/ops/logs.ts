/**
 * `logs --local [NAME]`: where a local proxy's event log is, and a reader for it that follows its
 * rotation (src/local/event-log.ts). By name (or --data-dir) the data directory's events.log, with
 * events.log.1 before it; with `--event-log FILE` that file alone.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, UsageError } from '../../errors.js';
import type { LogEntry } from '../../proxy/logs/parse.js';
import { readLocalLog, type LogQuery } from '../../proxy/logs/fetch.js';
import { validateName } from '../../proxy/names.js';
import { defaultEventLog, previousEventLog } from '../event-log.js';
import { dataDirFor } from '../store/data-dir.js';
import { STORE_FILE } from '../store/open.js';

export interface LocalLogFlags {
  local?: boolean;
  dataDir?: string;
  eventLog?: string;
}

/**
 * `logs --local FILE` was this command's old form. commander now reads FILE as the proxy's name:
 * say what to write instead of "not a valid proxy name".
 */
export function refuseFileAsName(name: string | undefined): void {
  if (name && (/[/\\]/.test(name) || (/\.\w+$/.test(name) && existsSync(name)))) {
    throw new UsageError(
      `--local takes the proxy's name, not a file (got "${name}").`,
      `"webhook-proxy logs --local NAME" reads the event log a dev or serve keeps in its data directory; ` +
        `for a file written by "dev --event-log FILE", run "webhook-proxy logs --event-log ${name}".`,
    );
  }
}

/** The file to read, checked: a missing one is said with what to do about it. */
export function localLogFile(
  name: string | undefined,
  flags: LocalLogFlags,
): { file: string; rotated: boolean } {
  if (flags.eventLog) return { file: flags.eventLog, rotated: false };
  const checked = validateName(name ?? 'default');
  const dataDir = dataDirFor(checked, flags.dataDir);
  const file = defaultEventLog(dataDir);
  if (existsSync(file) || existsSync(previousEventLog(file))) return { file, rotated: true };
  if (!existsSync(join(dataDir, STORE_FILE))) {
    const named = flags.dataDir
      ? ` --data-dir ${dataDir}`
      : checked === 'default'
        ? ''
        : ` --name ${checked}`;
    throw new CliError(
      `No local proxy "${checked}": there is no ${STORE_FILE} in ${dataDir}.`,
      `Start one with "webhook-proxy dev${named} --upstream URL" (it keeps its event log there), or ` +
        'point at the directory a running one uses with --data-dir DIR.',
    );
  }
  throw new CliError(
    `The local proxy "${checked}" has no event log in ${dataDir} yet.`,
    'dev and serve write one there from their first webhook on (--memory and --queue-url keep none). ' +
      'A proxy started with --event-log FILE writes to FILE instead: read it with ' +
      '"webhook-proxy logs --event-log FILE".',
  );
}

/**
 * A reader for --follow too: each call returns the entries added since the last. When the file was
 * rotated in between (it is another file than the one read before: its inode), the rest of the old
 * one, now events.log.1, comes first.
 */
export function localLogReader(
  target: { file: string; rotated: boolean },
  query: LogQuery,
): () => Promise<LogEntry[]> {
  const read = (file: string, skip: number) => readLocalLog(file, query, skip, { missingOk: target.rotated });
  const inode = async (file: string) => (await stat(file).catch(() => undefined))?.ino;
  const previous = previousEventLog(target.file);
  let skip = 0;
  let first = true;
  let readInode: number | undefined;
  return async () => {
    const now = await inode(target.file);
    const rotated = target.rotated && !first && readInode !== undefined && now !== readInode;
    const before =
      target.rotated && (first || rotated) ? (await read(previous, first ? 0 : skip)).entries : [];
    const current = await read(target.file, rotated ? 0 : skip);
    first = false;
    readInode = now;
    skip = current.lines;
    return [...before, ...current.entries];
  };
}
