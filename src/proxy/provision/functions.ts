/**
 * The two Lambda functions. Create → wait Active; otherwise compare code (CodeSha256) and
 * configuration and update each only when it differs, waiting for LastUpdateStatus Successful before
 * the next change (Lambda refuses an update while another is in progress).
 */
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { includesAll, isNotFound, sameJson } from './compare.js';
import { plannedArn } from './arns.js';
import type { HandlerZip } from './bundle.js';
import type { ChangeAction, StepContext } from './types.js';
import { isOurs, notOursError, proxyTags } from '../names.js';
import { retryWhileBusy } from '../../aws/retry.js';
import { CliError, describeAwsError } from '../../errors.js';

/**
 * The current Lambda LTS runtime (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html;
 * nodejs22.x reaches end of support in 2027). A re-run moves an older proxy's functions to it. Node 24
 * drops callback-style handlers; ours are async. The bundles target it (scripts/build.mjs).
 */
export const RUNTIME = 'nodejs24.x';
/** Graviton: cheaper per GB-second; the bundles are plain JavaScript, so nothing depends on the CPU. */
export const ARCHITECTURE = 'arm64';
export const HANDLER = 'index.handler';
/** Waiters give up after this long (a function usually turns Active in seconds; VPC ones take longer). */
const MAX_WAIT_SECONDS = 600;

export interface FunctionWanted {
  name: string;
  roleArn: string;
  code: HandlerZip;
  memory: number;
  timeout: number;
  env: Record<string, string>;
  vpc?: { SubnetIds: string[]; SecurityGroupIds: string[] };
  description: string;
}

/** How long to keep retrying while a new role is not yet usable by Lambda (IAM is eventually consistent). */
export const propagation = { attempts: 8, firstDelayMs: 2000, maxDelayMs: 10_000 };

/** IAM propagation: a role or policy made seconds ago that Lambda cannot use yet. */
export function isPropagationError(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (
    e?.name === 'InvalidParameterValueException' &&
    /cannot be assumed|does not have permissions|execution role/i.test(e.message ?? '')
  );
}

export function retryPropagation<T>(fn: () => Promise<T>): Promise<T> {
  return retryWhileBusy(fn, { isBusy: isPropagationError, maxWaitMs: Infinity, ...propagation });
}

async function waitUpdated(lambda: LambdaClient, name: string) {
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: MAX_WAIT_SECONDS }, { FunctionName: name });
}

/**
 * Lambda refuses every update while a function is `Pending` (being created, or re-provisioned after it
 * went `Inactive`), and a `Failed` one can only be deleted and created again
 * (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html). So before an update: wait for
 * `Active` when it is Pending; stop with what to do when it Failed. An `Inactive` function (idle long
 * enough for Lambda to reclaim its VPC resources) is updated as it is: the update provisions it again,
 * and waiting for it to turn Active on its own would wait for an invocation that may never come.
 */
async function waitActive(lambda: LambdaClient, config: FunctionConfiguration): Promise<void> {
  const name = config.FunctionName!;
  if (config.State === 'Failed') {
    throw new CliError(
      `Function ${name} is in state Failed${config.StateReason ? ` (${config.StateReason})` : ''}: Lambda ` +
        'cannot update it.',
      `Delete the function ("aws lambda delete-function --function-name ${name}") and run the same create ` +
        'again: it makes the function anew around the queues, and the webhooks they hold are kept.',
    );
  }
  if (config.State !== 'Pending') return;
  try {
    await waitUntilFunctionActiveV2(
      { client: lambda, maxWaitTime: MAX_WAIT_SECONDS },
      { FunctionName: name },
    );
  } catch (err) {
    throw new CliError(
      `Function ${name} did not become Active within ${MAX_WAIT_SECONDS} s (${describeAwsError(err)}).`,
      `Check it with "aws lambda get-function --function-name ${name} --query Configuration.[State,StateReason]", ` +
        'then run the same create again.',
      { cause: err },
    );
  }
}

function configDiffers(current: FunctionConfiguration, wanted: FunctionWanted): boolean {
  const vpcNow = {
    SubnetIds: [...(current.VpcConfig?.SubnetIds ?? [])].sort(),
    SecurityGroupIds: [...(current.VpcConfig?.SecurityGroupIds ?? [])].sort(),
  };
  const vpcWanted = {
    SubnetIds: [...(wanted.vpc?.SubnetIds ?? [])].sort(),
    SecurityGroupIds: [...(wanted.vpc?.SecurityGroupIds ?? [])].sort(),
  };
  return (
    current.Role !== wanted.roleArn ||
    current.Runtime !== RUNTIME ||
    current.Handler !== HANDLER ||
    current.MemorySize !== wanted.memory ||
    current.Timeout !== wanted.timeout ||
    current.Description !== wanted.description ||
    !sameJson(current.Environment?.Variables ?? {}, wanted.env) ||
    !sameJson(vpcNow, vpcWanted)
  );
}

/**
 * Lambda refuses a Description over 256 characters (CreateFunction: "Maximum length of 256"), and
 * deliver's names its upstream URL, which may be longer: cut it there, the same way every run.
 */
export function fitDescription(text: string): string {
  return text.length <= 256 ? text : `${text.slice(0, 255)}…`;
}

export async function ensureFunction(
  ctx: StepContext,
  asked: FunctionWanted,
): Promise<{ action: ChangeAction; arn: string }> {
  const wanted = { ...asked, description: fitDescription(asked.description) };
  const lambda = await ctx.aws.lambda();
  const tags = proxyTags(ctx.spec.name, ctx.spec.tags);
  let current;
  try {
    current = await lambda.send(new GetFunctionCommand({ FunctionName: wanted.name }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const settings = {
    Role: wanted.roleArn,
    Runtime: RUNTIME,
    Handler: HANDLER,
    MemorySize: wanted.memory,
    Timeout: wanted.timeout,
    Description: wanted.description,
    Environment: { Variables: wanted.env },
    // An empty VpcConfig takes a function out of a VPC it was in.
    VpcConfig: wanted.vpc ?? { SubnetIds: [], SecurityGroupIds: [] },
  } as const;

  if (!current?.Configuration) {
    if (ctx.dryRun) {
      return { action: 'created', arn: await plannedArn(ctx, 'lambda', `function:${wanted.name}`) };
    }
    const created = await retryPropagation(() =>
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: wanted.name,
          ...settings,
          ...(wanted.vpc ? {} : { VpcConfig: undefined }),
          Code: { ZipFile: wanted.code.zip },
          Architectures: [ARCHITECTURE],
          Tags: tags,
        }),
      ),
    );
    await waitUntilFunctionActiveV2(
      { client: lambda, maxWaitTime: MAX_WAIT_SECONDS },
      { FunctionName: wanted.name },
    );
    return { action: 'created', arn: created.FunctionArn! };
  }

  // Checked up front too (current.ts); here as well, so nothing can adopt a function that is not ours.
  if (!isOurs(current.Tags, ctx.spec.name)) {
    throw notOursError([`function ${wanted.name}`], ctx.spec.name, 'create stopped');
  }
  const config = current.Configuration;
  const arn = config.FunctionArn!;
  // The architecture goes with the code (UpdateFunctionCode takes it, the configuration call does not).
  const codeChanged =
    config.CodeSha256 !== wanted.code.sha256 || !sameJson(config.Architectures ?? [], [ARCHITECTURE]);
  const configChanged = configDiffers(config, wanted);
  const tagsChanged = !includesAll(current.Tags, tags);
  if (!codeChanged && !configChanged && !tagsChanged) return { action: 'unchanged', arn };
  if (ctx.dryRun) return { action: 'updated', arn };

  // A function still being created (or re-provisioned) takes no update; a previous run may also have
  // left an update in progress.
  await waitActive(lambda, config);
  await waitUpdated(lambda, wanted.name);
  if (codeChanged) {
    await lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: wanted.name,
        ZipFile: wanted.code.zip,
        Architectures: [ARCHITECTURE],
      }),
    );
    await waitUpdated(lambda, wanted.name);
  }
  if (configChanged) {
    await retryPropagation(() =>
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: wanted.name, ...settings })),
    );
    await waitUpdated(lambda, wanted.name);
  }
  if (tagsChanged) await lambda.send(new TagResourceCommand({ Resource: arn, Tags: tags }));
  return { action: 'updated', arn };
}
