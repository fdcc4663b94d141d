/**
 * Custom domain and access logs (issue 8), against moto: the domain name, API mapping, alias record
 * and stage log settings as the SDK describes them; a second create changes nothing; destroy leaves
 * the hosted zone exactly as it was before create (other records untouched); bad input is refused
 * before anything is created.
 */
import {
  GetApiMappingsCommand,
  GetApisCommand,
  GetDomainNameCommand,
  GetStageCommand,
} from '@aws-sdk/client-apigatewayv2';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { ACCESS_LOG_FORMAT } from '../../src/proxy/provision/stage.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { issuedCertificate } from '../helpers/certificates.js';
import { runCli } from '../helpers/proxy-fixture.js';

const endpoint = useMoto();
const route53 = new Route53Client({});

/**
 * moto difference: on AWS, CreateDomainName/GetDomainName(s) answer with the regional target
 * (ApiGatewayDomainName d-….execute-api.REGION.amazonaws.com and its HostedZoneId); moto echoes only
 * what was sent. This middleware on the CLI's own cached API Gateway client fills them in as AWS would,
 * so the alias-record code runs as it does against AWS.
 */
beforeAll(async () => {
  const apigw = await createAws({ region: TEST_REGION, profile: undefined, endpoint }).apigw();
  apigw.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const out = result.output as {
        DomainName?: string;
        DomainNameConfigurations?: Record<string, string>[];
        Items?: { DomainName?: string; DomainNameConfigurations?: Record<string, string>[] }[];
      };
      for (const d of [out, ...(out.Items ?? [])]) {
        for (const c of d.DomainNameConfigurations ?? []) {
          c.ApiGatewayDomainName ??= `d-${Buffer.from(d.DomainName ?? '')
            .toString('hex')
            .slice(0, 10)}.execute-api.${TEST_REGION}.amazonaws.com`;
          c.HostedZoneId ??= 'Z1UJRXOUMOOFQ8';
        }
      }
      return result;
    },
    { step: 'initialize', name: 'motoDomainTarget' },
  );
});

async function zoneWithRecords(zoneName: string) {
  const zone = await route53.send(
    new CreateHostedZoneCommand({ Name: zoneName, CallerReference: uniqueName('ref') }),
  );
  const id = zone.HostedZone!.Id!.replace('/hostedzone/', '');
  // Someone else's records in the same zone: destroy must leave them alone.
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: id,
      ChangeBatch: {
        Changes: [
          {
            Action: 'CREATE',
            ResourceRecordSet: {
              Name: `www.${zoneName}`,
              Type: 'A',
              TTL: 300,
              ResourceRecords: [{ Value: '192.0.2.10' }],
            },
          },
          {
            Action: 'CREATE',
            ResourceRecordSet: {
              Name: `mail.${zoneName}`,
              Type: 'MX',
              TTL: 300,
              ResourceRecords: [{ Value: '10 mx.example.net' }],
            },
          },
        ],
      },
    }),
  );
  return id;
}

const records = async (zoneId: string) =>
  (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];

/** An ISSUED certificate: create refuses any other status before making anything. */
const certificate = issuedCertificate;

describe('custom domain and access logs', () => {
  it('creates the domain, mapping, alias record and access logs; converges; destroy restores the zone', async () => {
    const name = uniqueName('dom');
    const zoneName = `${name}.example`;
    const domain = `hooks.${zoneName}`;
    const zoneId = await zoneWithRecords(zoneName);
    const before = await records(zoneId);
    const cert = await certificate(`*.${zoneName}`);

    const args = [
      'create',
      name,
      '--upstream',
      'https://app.example.com/hooks',
      '--domain',
      domain,
      '--certificate-arn',
      cert,
    ];
    const first = await runCli(...args, '--json');
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result.customUrl).toBe(`https://${domain}`);
    expect(result.hostedZone).toMatchObject({ id: zoneId, found: 'matched' });

    const apigw = await createAws({ region: TEST_REGION, profile: undefined, endpoint }).apigw();
    const dn = await apigw.send(new GetDomainNameCommand({ DomainName: domain }));
    expect(dn.DomainNameConfigurations?.[0]).toMatchObject({
      CertificateArn: cert,
      EndpointType: 'REGIONAL',
      SecurityPolicy: 'TLS_1_2',
    });
    const api = (await apigw.send(new GetApisCommand({}))).Items!.find(
      (a) => a.Name === `webhook-proxy-${name}`,
    )!;
    const mappings = (await apigw.send(new GetApiMappingsCommand({ DomainName: domain }))).Items!;
    expect(mappings).toEqual([expect.objectContaining({ ApiId: api.ApiId, Stage: '$default' })]);
    const alias = (await records(zoneId)).find((r) => r.Name === `${domain}.` && r.Type === 'A');
    expect(alias?.AliasTarget?.DNSName).toMatch(/^d-.*\.execute-api\.us-east-1\.amazonaws\.com\.?$/);

    // Access logs: the stage writes the original design's JSON format to a log group with a retention.
    const stage = await apigw.send(new GetStageCommand({ ApiId: api.ApiId!, StageName: '$default' }));
    expect(stage.AccessLogSettings?.DestinationArn).toMatch(
      new RegExp(`log-group:/aws/vendedlogs/apigateway/webhook-proxy-${name}$`),
    );
    expect(JSON.parse(stage.AccessLogSettings!.Format!)).toMatchObject({
      requestId: '$context.requestId',
      sourceIp: '$context.identity.sourceIp',
      status: '$context.status',
      integrationErrorMessage: '$context.integrationErrorMessage',
    });
    expect(stage.AccessLogSettings?.Format).toBe(ACCESS_LOG_FORMAT);
    const logGroups = await (
      await createAws({ region: TEST_REGION, profile: undefined, endpoint }).logs()
    ).send(
      new DescribeLogGroupsCommand({
        logGroupNamePrefix: `/aws/vendedlogs/apigateway/webhook-proxy-${name}`,
      }),
    );
    expect(logGroups.logGroups?.[0]?.retentionInDays).toBe(14);

    // A second create with the same flags changes nothing.
    const second = await runCli(...args, '--json');
    expect(second.code, second.stderr).toBe(0);
    const actions = JSON.parse(second.stdout).changes.map((c: { action: string }) => c.action);
    expect(new Set(actions)).toEqual(new Set(['unchanged']));

    // status and list show the custom URL beside the default endpoint.
    const status = await runCli('status', name, '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      endpoint: result.endpoint,
      customUrl: `https://${domain}`,
    });
    const plainStatus = await runCli('status', name);
    expect(plainStatus.stdout).toContain(`domain     https://${domain}`);
    const list = await runCli('list', '--json');
    expect(JSON.parse(list.stdout)).toContainEqual(
      expect.objectContaining({ name, endpoint: result.endpoint, customUrl: `https://${domain}` }),
    );

    // destroy: the zone is exactly as it was before create.
    const gone = await runCli('destroy', name, '--yes', '--json');
    expect(gone.code, gone.stderr).toBe(0);
    expect(await records(zoneId)).toEqual(before);
    await expect(apigw.send(new GetDomainNameCommand({ DomainName: domain }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });

  it('with nested zones, creates the record in the most specific one and destroy deletes it there', async () => {
    const name = uniqueName('domn');
    const parent = `${name}.example`;
    const child = `sub.${parent}`;
    const domain = `hooks.${child}`;
    const parentId = await zoneWithRecords(parent); // listed first: the one a careless lookup would pick
    const childId = await zoneWithRecords(child);
    const [parentBefore, childBefore] = [await records(parentId), await records(childId)];
    const cert = await certificate(`*.${child}`);
    const res = await runCli(
      'create',
      name,
      '--upstream',
      'https://app.example.com/hooks',
      '--domain',
      domain,
      '--certificate-arn',
      cert,
      '--json',
    );
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).hostedZone).toMatchObject({ id: childId, found: 'matched' });
    expect((await records(childId)).some((r) => r.Name === `${domain}.` && r.Type === 'A')).toBe(true);

    const gone = await runCli('destroy', name, '--yes', '--json');
    expect(gone.code, gone.stderr).toBe(0);
    const deleted: string[] = JSON.parse(gone.stdout).deleted;
    expect(deleted.filter((d) => d === `DNS record ${domain}`)).toHaveLength(1);
    expect(new Set(deleted).size).toBe(deleted.length);
    expect(deleted).not.toContain('custom domain'); // its parts are listed, not the step too
    expect(await records(childId)).toEqual(childBefore);
    expect(await records(parentId)).toEqual(parentBefore);
  });

  it('without a hosted zone for the domain, says where to point a CNAME', async () => {
    const name = uniqueName('cname');
    const domain = `hooks.${name}.nozone.example`;
    const cert = await certificate(domain);
    const res = await runCli(
      'create',
      name,
      '--upstream',
      'https://app.example.com/',
      '--domain',
      domain,
      '--certificate-arn',
      cert,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Point a CNAME at d-.*\.execute-api\.us-east-1\.amazonaws\.com/);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('--no-access-logs creates no access log group and no stage log settings', async () => {
    const name = uniqueName('nolog');
    const res = await runCli(
      'create',
      name,
      '--upstream',
      'https://app.example.com/',
      '--no-access-logs',
      '--json',
    );
    expect(res.code, res.stderr).toBe(0);
    const aws = createAws({ region: TEST_REGION, profile: undefined, endpoint });
    const groups = await (
      await aws.logs()
    ).send(
      new DescribeLogGroupsCommand({
        logGroupNamePrefix: `/aws/vendedlogs/apigateway/webhook-proxy-${name}`,
      }),
    );
    expect(groups.logGroups).toEqual([]);
    const apigw = await aws.apigw();
    const api = (await apigw.send(new GetApisCommand({}))).Items!.find(
      (a) => a.Name === `webhook-proxy-${name}`,
    )!;
    const stage = await apigw.send(new GetStageCommand({ ApiId: api.ApiId!, StageName: '$default' }));
    expect(stage.AccessLogSettings?.DestinationArn).toBeUndefined();
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it.each([
    [
      'a certificate in another region',
      (cert: string) => [
        '--domain',
        'hooks.x.example',
        '--certificate-arn',
        cert.replace(':us-east-1:', ':eu-west-1:'),
      ],
      /certificate is in eu-west-1/,
    ],
    [
      'a certificate that does not cover the domain',
      (cert: string) => ['--domain', 'hooks.other.example', '--certificate-arn', cert],
      /does not cover hooks\.other\.example/,
    ],
    [
      'a zone that does not exist',
      (cert: string) => [
        '--domain',
        'hooks.x.example',
        '--certificate-arn',
        cert,
        '--hosted-zone-id',
        'ZNOSUCHZONE1',
      ],
      /no hosted zone ZNOSUCHZONE1/,
    ],
    [
      'a domain outside the given zone',
      (cert: string, zone: string) => [
        '--domain',
        'hooks.x.example',
        '--certificate-arn',
        cert,
        '--hosted-zone-id',
        zone,
      ],
      /not inside hosted zone/,
    ],
    ['no certificate', () => ['--domain', 'hooks.x.example'], /needs --certificate-arn/],
    [
      'a bad host name',
      () => [
        '--domain',
        'not a host',
        '--certificate-arn',
        'arn:aws:acm:us-east-1:123456789012:certificate/abc',
      ],
      /not a host name/,
    ],
  ])('refuses %s with exit 2, before anything is created', async (_label, extra, message) => {
    const name = uniqueName('baddom');
    const cert = await certificate('hooks.x.example');
    const otherZone = await zoneWithRecords(`${name}.elsewhere.example`);
    const res = await runCli(
      'create',
      name,
      '--upstream',
      'https://app.example.com/',
      ...extra(cert, otherZone),
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    const queues = await new SQSClient({}).send(
      new ListQueuesCommand({ QueueNamePrefix: `webhook-proxy-${name}` }),
    );
    expect(queues.QueueUrls ?? []).toEqual([]);
  });
});
