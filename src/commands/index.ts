/**
 * The command registry: adding a command is one file in this folder and one line here.
 */
import { create } from './create.js';
import { destroy } from './destroy.js';
import { dev } from './dev.js';
import { drain } from './drain.js';
import { list } from './list.js';
import { logs } from './logs.js';
import { pause } from './pause.js';
import { peek } from './peek.js';
import { purge } from './purge.js';
import { redrive } from './redrive.js';
import { resume } from './resume.js';
import { scale } from './scale.js';
import { serve } from './serve.js';
import { status } from './status.js';
import type { CommandSpec } from './types.js';

// Each command declares its own options type; the registry holds them side by side, and cli.ts passes
// each one the options its own `configure` declared.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandSpec<any>[] = [
  create,
  destroy,
  dev,
  serve,
  list,
  status,
  logs,
  scale,
  pause,
  resume,
  drain,
  redrive,
  peek,
  purge,
];
