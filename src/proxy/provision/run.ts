/**
 * What the `create` and `destroy` commands do once their flags are checked: pick the renderer, run the
 * engine, print the result (JSON on --json, else a summary ending with what to do next).
 */
import { awsFor } from '../../aws/clients.js';
import { CliError } from '../../errors.js';
import type { GlobalOptions } from '../../options.js';
import { confirmOrThrow } from '../../ui/confirm.js';
import { printResult } from '../../ui/output.js';
import { createStepRenderer } from '../../ui/step-renderer.js';
import { createProxy } from './create.js';
import { anyPartLeft, destroyProxy, queueState } from './destroy.js';
import type { ProvisionSpec } from './types.js';

export async function runCreate(
  global: GlobalOptions,
  spec: ProvisionSpec,
  dryRun: boolean,
): Promise<number> {
  const aws = await awsFor(global);
  const renderer = await createStepRenderer(global, dryRun ? 'Planning…' : `Creating ${spec.name}…`);
  let result;
  try {
    // In a dry run every step reports what it would do: say so on each progress line too.
    const events = dryRun
      ? {
          start: renderer.start,
          done: (id: string, action: string) =>
            renderer.done(id, action === 'unchanged' ? action : `would be ${action}`),
        }
      : renderer;
    result = await createProxy(aws, spec, events, { dryRun });
  } finally {
    await renderer.close();
  }
  const counts = result.changes.reduce<Record<string, number>>(
    (acc, c) => ((acc[c.action] = (acc[c.action] ?? 0) + 1), acc),
    {},
  );
  const summary = Object.entries(counts)
    .map(([action, n]) => `${n} ${dryRun ? `to be ${action}` : action}`)
    .join(', ');
  const human = dryRun
    ? `Dry run for proxy "${result.name}" in ${result.region}: ${summary}. Nothing was changed.\n` +
      result.changes
        .filter((c) => c.action !== 'unchanged')
        .map((c) => `  would be ${c.action}: ${c.resource}`)
        .join('\n')
    : `Proxy "${result.name}" is ready in ${result.region} (${summary}).\n\n` +
      `  Give this URL to the webhook sender:  ${result.customUrl ?? result.endpoint}\n` +
      (result.customUrl ? `  Default endpoint (also works):        ${result.endpoint}\n` : '') +
      `  Webhooks are delivered to:            ${result.upstream}\n` +
      (result.hostedZone
        ? `  DNS: alias record in ${result.hostedZone.name.replace(/\.$/, '')} (${result.hostedZone.id}` +
          (result.hostedZone.found === 'matched' ? ', found by name' : '') +
          ')\n'
        : '') +
      (result.dnsTarget
        ? `  DNS: no Route 53 zone here holds that domain. Point a CNAME at ${result.dnsTarget}\n`
        : '') +
      '\n' +
      `Watch it with: webhook-proxy status ${result.name} --region ${result.region}`;
  printResult(global, result, human);
  return 0;
}

export async function runDestroy(global: GlobalOptions, name: string, force: boolean): Promise<number> {
  const aws = await awsFor(global);
  const state = await queueState(aws, name);
  if (state.queued + state.dlq > 0 && !force) {
    throw new CliError(
      `Proxy "${name}" still holds ${state.queued} queued webhook(s) and ${state.dlq} in its dead-letter queue; ` +
        'destroying it would lose them.',
      `Deliver them first ("webhook-proxy drain ${name}", and "webhook-proxy redrive ${name}" for the DLQ), ` +
        'or pass --force to delete them with the proxy.',
    );
  }
  const nothingThere = (r: { name: string; region: string }) =>
    `Nothing to delete: there is no proxy "${r.name}" in ${r.region}.`;
  if (!state.urls.queue && !state.urls.dlq && !(await anyPartLeft(aws, state.names, name))) {
    // Nothing to confirm: a mistyped name or region should not be met with "Delete …?".
    printResult(
      global,
      { name, region: aws.settings.region, deleted: [] },
      nothingThere({ name, region: aws.settings.region }),
    );
    return 0;
  }
  await confirmOrThrow(
    global,
    `Delete proxy "${name}" in ${aws.settings.region}` +
      (state.queued + state.dlq ? `, with the ${state.queued + state.dlq} webhook(s) it still holds` : '') +
      '?',
    {
      noTty: { message: 'destroy needs confirmation: pass --yes (there is no terminal to ask on).' },
      declined: 'Nothing was deleted.',
    },
  );
  const renderer = await createStepRenderer(global, `Destroying ${name}…`);
  let result;
  try {
    result = await destroyProxy(aws, name, renderer, state, force);
  } finally {
    await renderer.close();
  }
  printResult(
    global,
    result,
    result.deleted.length
      ? `Proxy "${name}" is gone from ${result.region} (${result.deleted.length} resources deleted).`
      : nothingThere(result),
  );
  return 0;
}
