/**
 * `create` while AWS says "busy, not yet": the function mid-update when the API's invoke permission is
 * added, the event source mapping mid-update when its settings change. moto is never busy, so the
 * refusals AWS sends are injected (aws-sdk-client-mock on the CLI's own cached Lambda client) for the
 * first few calls; then the calls go on to moto, and the proxy must come out complete.
 */
import {
  AddPermissionCommand,
  ResourceConflictException,
  ResourceInUseException,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { functionBusy } from '../../src/proxy/provision/api.js';
import { mappingBusy } from '../../src/proxy/provision/mapping.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { cliAws, describeProxy, inject, undoAll, type Restore } from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';

const restore: Restore = [];
afterEach(() => undoAll(restore));

beforeAll(() => {
  // The waits are what is under test, not the wall clock.
  Object.assign(functionBusy, { firstDelayMs: 5, maxDelayMs: 20 });
  Object.assign(mappingBusy, { firstDelayMs: 5, maxDelayMs: 20 });
});

// The texts AWS sends (see isStatementExists in src/proxy/provision/api.ts for the sources).
const updateInProgress = () =>
  new ResourceConflictException({
    message:
      'The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:x',
    $metadata: { httpStatusCode: 409 },
  });
const statementExists = () =>
  new ResourceConflictException({
    message:
      'The statement id (webhook-proxy-apigateway) provided already exists. Please provide a new statement id, or remove the existing statement.',
    $metadata: { httpStatusCode: 409 },
  });

const invokeGrant = async (name: string) =>
  (await describeProxy(name)).invokePolicy?.Statement.find((s) => s.Sid === 'webhook-proxy-apigateway');

describe('AddPermission answering ResourceConflictException', () => {
  it('"an update is in progress": waits, tries again, and the grant is there', async () => {
    const name = uniqueName('pbusy');
    let refused = 0;
    const mock = inject(
      await cliAws().lambda(),
      (cmd) => {
        if (cmd instanceof AddPermissionCommand && refused < 2) {
          refused++;
          throw updateInProgress();
        }
      },
      restore,
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(refused).toBe(2);
    expect(mock.commandCalls(AddPermissionCommand)).toHaveLength(3);
    // Before: this conflict was taken for "already exists", the step reported unchanged, and the API
    // was left without the right to invoke ingest (every webhook answered 500 by API Gateway).
    const grant = await invokeGrant(name);
    expect(grant?.Condition?.ArnLike?.['AWS:SourceArn']).toMatch(/:execute-api:us-east-1:\d+:\w+\/\*\/\*$/);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('still busy past the wait: the step fails with the AWS error instead of claiming success', async () => {
    const name = uniqueName('pbusyx');
    const saved = functionBusy.maxWaitMs;
    functionBusy.maxWaitMs = 50;
    restore.push(() => (functionBusy.maxWaitMs = saved));
    inject(
      await cliAws().lambda(),
      (cmd) => {
        if (cmd instanceof AddPermissionCommand) throw updateInProgress();
      },
      restore,
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('An update is in progress');
    undoAll(restore);
    // The re-run the message asks for completes the proxy.
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    expect(await invokeGrant(name)).toBeDefined();
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('"the statement id already exists" with the same grant (a concurrent run) is unchanged', async () => {
    const name = uniqueName('pexist');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const grant = await invokeGrant(name);
    // The second run reads no statement (as if it read before the other run wrote), then AddPermission
    // finds the one the other run added.
    const { GetPolicyCommand } = await import('@aws-sdk/client-lambda');
    let hidden = false;
    inject(
      await cliAws().lambda(),
      (cmd) => {
        if (cmd instanceof GetPolicyCommand && !hidden) {
          hidden = true;
          return { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) };
        }
        if (cmd instanceof AddPermissionCommand) throw statementExists();
      },
      restore,
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(await invokeGrant(name)).toEqual(grant);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('UpdateEventSourceMapping answering ResourceInUseException', () => {
  it('a re-run that changes the mapping waits out the busy mapping, as the runbook commands do', async () => {
    const name = uniqueName('mbusy');
    expect((await runCli('create', name, '--upstream', UPSTREAM, '--concurrency', '2')).code).toBe(0);
    let refused = 0;
    inject(
      await cliAws().lambda(),
      (cmd) => {
        if (cmd instanceof UpdateEventSourceMappingCommand && refused < 2) {
          refused++;
          throw new ResourceInUseException({
            message: 'Cannot update the event source mapping because it is in use.',
            Type: 'User',
            $metadata: { httpStatusCode: 400 },
          });
        }
      },
      restore,
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--concurrency', '7', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(refused).toBe(2);
    const [mapping] = (await describeProxy(name)).mappings;
    expect(mapping?.ScalingConfig?.MaximumConcurrency).toBe(7);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});
