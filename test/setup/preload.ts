/**
 * vitest global setup: bundle test/helpers/aws-rules-preload.ts once per run, for
 * NODE_OPTIONS=--import in the Node children the tests start (test/setup/aws-rules.ts). Its output sits
 * under node_modules/.cache, so its bare imports (the SDK clients) resolve from this repository's
 * node_modules, as they do in-process.
 */
import { build } from 'esbuild';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    awsRulesPreload: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const outfile = resolve('node_modules/.cache/webhook-proxy-tests/aws-rules-preload.mjs');
  await build({
    entryPoints: ['test/helpers/aws-rules-preload.ts'],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  project.provide('awsRulesPreload', outfile);
}
