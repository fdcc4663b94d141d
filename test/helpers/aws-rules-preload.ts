/**
 * Loaded with NODE_OPTIONS=--import into every Node child a test starts (test/setup/aws-rules.ts sets it;
 * test/setup/preload.ts bundles this file): puts the AWS rules on every client the built CLI (or a
 * handler bundle) builds, through the test seam src/aws/client-hooks.ts, and appends each refusal to
 * the file WEBHOOK_PROXY_TEST_AWS_RULES_LOG names, where the test's afterEach finds it.
 */
import { appendFileSync } from 'node:fs';
import { clientHooks } from '../../src/aws/client-hooks.js';
import { installAwsRules } from './aws-rules.js';
import { installIamRecorder } from './iam-record.js';

const log = process.env.WEBHOOK_PROXY_TEST_AWS_RULES_LOG;
clientHooks().push((client, settings) =>
  installAwsRules(client, settings, {
    onViolation: (line) => {
      if (log) appendFileSync(log, `${process.argv.slice(1).join(' ')}: ${line}\n`);
    },
  }),
);
installIamRecorder();
