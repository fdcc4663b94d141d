/**
 * A proxy's custom domain (made by `create --domain`), found by its tags, so status, list and destroy
 * can show or remove it. Only the API Gateway client: status loads nothing it does not need.
 */
import type { DomainName } from '@aws-sdk/client-apigatewayv2';
import type { Aws } from '../aws/clients.js';
import { isOurs } from './names.js';

export async function findProxyDomain(aws: Aws, proxy: string): Promise<DomainName | undefined> {
  const { GetDomainNamesCommand } = await import('@aws-sdk/client-apigatewayv2');
  const apigw = await aws.apigw();
  let NextToken: string | undefined;
  do {
    const page = await apigw.send(new GetDomainNamesCommand({ NextToken }));
    const hit = page.Items?.find((d) => isOurs(d.Tags, proxy));
    if (hit) return hit;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}
