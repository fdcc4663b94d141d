/**
 * What every runbook command does first: check the name, get the SDK clients, find the proxy.
 */
import { awsFor, type Aws } from '../../aws/clients.js';
import type { GlobalOptions } from '../../options.js';
import { locateProxy, type Proxy } from '../locate.js';
import { validateName } from '../names.js';

export const DEFAULT_NAME = 'default';

export async function openProxy(
  global: GlobalOptions,
  name: string | undefined,
): Promise<{ aws: Aws; proxy: Proxy }> {
  const checked = validateName(name ?? DEFAULT_NAME);
  const aws = await awsFor(global);
  return { aws, proxy: await locateProxy(aws, checked) };
}
