/**
 * Where the package's own files are, whether this code runs from src/ (tests) or from the
 * bundled dist/cli/ (users): walk up from this module to the folder holding package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'webhook-proxy') {
      return (root = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('webhook-proxy: cannot find its own package.json');
    dir = parent;
  }
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
}

/** The built bundle of one Lambda handler (see scripts/build.mjs). */
export function handlerBundlePath(name: 'ingest' | 'deliver'): string {
  return join(packageRoot(), 'dist', 'handlers', name, 'index.mjs');
}

export function templatePath(file: string): string {
  return join(packageRoot(), 'templates', file);
}
