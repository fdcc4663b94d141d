/**
 * The local-store flags `dev` and `serve` share (LOCAL contract, issue 13), declared and checked in
 * one place so both commands say the same: which proxy (--name), where its data lives (--data-dir),
 * or no disk at all (--memory), how hard a commit is (--sync) and how much it may hold
 * (--max-queue-bytes). No native code is loaded here: `--help` must never pay for better-sqlite3.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { dataDirFor, DEFAULT_NAME } from '../local/store/data-dir.js';
import type { SyncMode } from '../local/store/schema.js';
import { validateName } from '../proxy/names.js';

export interface LocalStoreOptions {
  name?: string;
  dataDir?: string;
  memory?: boolean;
  sync?: SyncMode;
  maxQueueBytes?: number;
}

/** What the runtime keeps its queue in: a data directory, or memory (`--memory`). */
export type LocalStore =
  | { kind: 'disk'; name: string; dataDir: string; sync: SyncMode; maxQueueBytes: number }
  | { kind: 'memory'; name: string };

export const DEFAULT_MAX_QUEUE_BYTES = 1024 ** 3;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `1073741824`, `512MiB`, `1GiB`, `1.5GB`: KiB/MiB/GiB (and bare K/M/G) are powers of 1024, KB/MB/GB of 1000. */
export function parseBytes(flag: string) {
  return (raw: string): number => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    const n = m && unit ? Math.floor(Number(m[1]) * unit) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(
        `${flag} must be a size in bytes, optionally with a unit (for example 536870912, 512MiB or 1GiB; got "${raw}").`,
      );
    }
    return n;
  };
}

function syncMode(raw: string): SyncMode {
  const v = raw.trim().toLowerCase();
  if (v !== 'normal' && v !== 'full') {
    throw new UsageError(`--sync must be normal or full (got "${raw}").`);
  }
  return v;
}

export function addLocalStoreOptions(cmd: Command): Command {
  return cmd
    .option(
      '--name <name>',
      `which local proxy: its data directory is named after it (default: ${DEFAULT_NAME})`,
    )
    .option(
      '--data-dir <dir>',
      'keep the queue and DLQ in DIR (default: $WEBHOOK_PROXY_DATA_DIR/NAME, else $XDG_DATA_HOME/webhook-proxy/NAME, else ~/.local/share/webhook-proxy/NAME)',
    )
    .option('--memory', 'keep the queue in memory only: a stop or a crash loses every webhook still queued')
    .option(
      '--sync <mode>',
      'normal: a commit survives a crash of this process, the last ones may roll back on power loss; full: an fsync per group commit survives power loss too (default: normal)',
      syncMode,
    )
    .option(
      '--max-queue-bytes <size>',
      'refuse webhooks (503 with Retry-After) once the queue and DLQ hold this many bytes (default: 1GiB)',
      parseBytes('--max-queue-bytes'),
    );
}

/** The resolved store; `queueUrl` (dev --queue-url) uses neither disk nor memory, so the flags conflict. */
export function localStoreFromOptions(
  opts: LocalStoreOptions,
  other: { queueUrl?: string } = {},
): LocalStore {
  const name = validateName(opts.name ?? DEFAULT_NAME);
  const diskFlags = (['dataDir', 'sync', 'maxQueueBytes'] as const).filter((k) => opts[k] !== undefined);
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (opts.memory && diskFlags.length) {
    throw new UsageError(
      `--memory keeps nothing on disk, so ${diskFlags.map(flag).join(' and ')} cannot apply.`,
      'Drop --memory to keep the queue on disk, or drop the disk flags.',
    );
  }
  if (other.queueUrl && (opts.memory || diskFlags.length)) {
    const used = [...(opts.memory ? ['--memory'] : []), ...diskFlags.map(flag)];
    throw new UsageError(
      `--queue-url keeps the queue in SQS, so ${used.join(' and ')} cannot apply.`,
      'Use either --queue-url or the local store flags.',
    );
  }
  if (opts.memory) return { kind: 'memory', name };
  return {
    kind: 'disk',
    name,
    dataDir: dataDirFor(name, opts.dataDir),
    sync: opts.sync ?? 'normal',
    maxQueueBytes: opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES,
  };
}
