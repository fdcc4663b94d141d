/** Every handshake the ingest handler can answer, by the name used in `--handshake NAME[=SECRET]`. */
import type { Handshake, HandshakeName } from '../types.js';
import { discord } from './discord.js';
import { dropbox } from './dropbox.js';
import { graph } from './graph.js';
import { meta } from './meta.js';
import { slack } from './slack.js';
import { x } from './x.js';
import { zoom } from './zoom.js';

export const HANDSHAKES: Record<HandshakeName, Handshake> = {
  slack,
  meta,
  zoom,
  graph,
  dropbox,
  x,
  discord,
};
