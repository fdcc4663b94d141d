/**
 * The event source mapping (queue → deliver): pause, resume and the concurrency cap. Pausing disables
 * the mapping, so Lambda stops polling; ingest keeps accepting and the queue keeps buffering.
 * AWS moves a mapping through Disabling/Enabling (seconds, sometimes minutes): we poll
 * GetEventSourceMapping until the state we asked for holds, with a bounded wait.
 */
import type { Aws } from '../../aws/clients.js';
import { CliError } from '../../errors.js';
import { mappingRefOf, type MappingRef } from '../locate.js';

export interface WaitOptions {
  /** Seconds to wait for the new state (default 180). */
  maxWaitSeconds?: number;
  /** Poll interval in ms (default 2000). */
  pollMs?: number;
  onProgress?: (state: string) => void;
  /** The status command to suggest (with the proxy's name and region) if the state does not hold in time. */
  statusCommand?: string;
}

export async function getMapping(aws: Aws, uuid: string): Promise<MappingRef> {
  const { GetEventSourceMappingCommand } = await import('@aws-sdk/client-lambda');
  const out = await (await aws.lambda()).send(new GetEventSourceMappingCommand({ UUID: uuid }));
  return mappingRefOf(out);
}

export async function waitForMappingState(
  aws: Aws,
  uuid: string,
  want: 'Enabled' | 'Disabled',
  o: WaitOptions = {},
): Promise<MappingRef> {
  const deadline = Date.now() + (o.maxWaitSeconds ?? 180) * 1000;
  let last = '';
  for (;;) {
    const m = await getMapping(aws, uuid);
    if (m.state === want) return m;
    if (m.state !== last) o.onProgress?.(m.state);
    last = m.state;
    if (Date.now() >= deadline) {
      throw new CliError(
        `The event source mapping is still "${m.state}" after ${o.maxWaitSeconds ?? 180}s (asked for ${want}).`,
        `AWS applies the change in the background: run "${o.statusCommand ?? 'webhook-proxy status NAME'}" in a minute to check it.`,
      );
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
  }
}

/**
 * One change to the mapping, the way AWS accepts it: Lambda refuses an update while the mapping is
 * still Creating/Updating/Enabling/Disabling (ResourceInUseException), which it is for a while after
 * every change. So wait for it to settle first, retry while AWS says it is busy, and wait again after,
 * so the next command (drain restoring its boost, a quick resume) finds it ready.
 */
export async function updateMapping(
  aws: Aws,
  uuid: string,
  change: { Enabled?: boolean; ScalingConfig?: { MaximumConcurrency: number } },
  /** false when the caller waits for the new state itself (with progress and its own bound). */
  settleAfter = true,
): Promise<void> {
  const [
    { UpdateEventSourceMappingCommand },
    { waitMappingSettled, retryWhileMappingBusy },
    { retryWhileVisibilityPropagates },
  ] = await Promise.all([
    import('@aws-sdk/client-lambda'),
    import('../provision/mapping.js'),
    import('../provision/visibility.js'),
  ]);
  const lambda = await aws.lambda();
  await waitMappingSettled(lambda, uuid);
  // Busy (ResourceInUse) and, right after scale raised the queue's visibility, Lambda still seeing
  // the old one: both wait and try again, each within its own bound.
  await retryWhileMappingBusy(() =>
    retryWhileVisibilityPropagates(() =>
      lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, ...change })),
    ),
  );
  if (settleAfter) await waitMappingSettled(lambda, uuid);
}

/** Enable or disable delivery and wait until the state holds. */
export async function setDelivery(
  aws: Aws,
  mapping: MappingRef,
  enabled: boolean,
  o: WaitOptions = {},
): Promise<{ changed: boolean; mapping: MappingRef }> {
  const want = enabled ? 'Enabled' : 'Disabled';
  if (mapping.state === want) return { changed: false, mapping };
  // Not updateMapping's silent settle: this wait reports Disabling/Enabling and errors at its bound.
  await updateMapping(aws, mapping.uuid, { Enabled: enabled }, false);
  return { changed: true, mapping: await waitForMappingState(aws, mapping.uuid, want, o) };
}

/** Set the mapping's MaximumConcurrency (2–1000). */
export async function setMappingConcurrency(aws: Aws, uuid: string, concurrency: number): Promise<void> {
  await updateMapping(aws, uuid, { ScalingConfig: { MaximumConcurrency: concurrency } });
}
