/**
 * vitest setupFiles: in every test file, the AWS rules moto skips (test/helpers/aws-rules.ts) go on
 * every SDK client the package builds in this process, and (NODE_OPTIONS=--import of the preload that
 * test/setup/preload.ts bundled) in every Node child process it starts, the built CLI included. A test
 * in which any request broke a rule fails, even when the code under test swallowed the refusal.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, inject } from 'vitest';
import { clientHooks } from '../../src/aws/client-hooks.js';
import { installAwsRules, takeViolations } from '../helpers/aws-rules.js';
import { installIamRecorder } from '../helpers/iam-record.js';

const INSTALLED = Symbol.for('webhook-proxy.testAwsRulesInstalled');
const g = globalThis as { [INSTALLED]?: boolean };
if (!g[INSTALLED]) {
  g[INSTALLED] = true;
  clientHooks().push((client, settings) => installAwsRules(client, settings));
  installIamRecorder();
}

// Children write their refusals here (one file per test worker).
const childLog = join(tmpdir(), `webhook-proxy-aws-rules-${process.pid}.log`);
process.env.WEBHOOK_PROXY_TEST_AWS_RULES_LOG = childLog;
const preload = inject('awsRulesPreload');
const importFlag = `--import=${pathToFileURL(preload).href}`;
if (!(process.env.NODE_OPTIONS ?? '').includes(importFlag)) {
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, importFlag].filter(Boolean).join(' ');
}

afterEach(() => {
  const broken = takeViolations().map((x) => `${x.operation}: ${x.violation.message} (${x.violation.doc})`);
  let fromChildren = '';
  try {
    fromChildren = readFileSync(childLog, 'utf8');
    rmSync(childLog, { force: true });
  } catch {
    /* no child broke a rule */
  }
  broken.push(...fromChildren.split('\n').filter(Boolean));
  if (broken.length) {
    throw new Error(`Requests AWS would refuse (moto accepted or was never asked):\n${broken.join('\n')}`);
  }
});
