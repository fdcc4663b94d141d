/**
 * The command registry: adding a command is one file in this folder and one line here.
 */
import { dev } from './dev.js';
import type { CommandSpec } from './types.js';

export const commands: CommandSpec[] = [dev];
