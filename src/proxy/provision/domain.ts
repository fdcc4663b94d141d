/**
 * A stable hostname for the proxy (the original design's custom domain): an API Gateway regional
 * domain name with TLS 1.2, an API mapping to the `$default` stage, and an alias A record in the
 * team's hosted zone. Senders are configured once; the hostname survives destroy/create.
 *
 * Everything is checked before the first resource is made (`checkDomain`): the certificate must be in
 * the proxy's region and cover the domain, and the zone must exist and contain the domain.
 */
import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  CreateApiMappingCommand,
  CreateDomainNameCommand,
  DeleteApiMappingCommand,
  DeleteDomainNameCommand,
  GetApiMappingsCommand,
  GetDomainNameCommand,
  type DomainName,
} from '@aws-sdk/client-apigatewayv2';
import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  paginateListHostedZones,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { Aws } from '../../aws/clients.js';
import { CliError, UsageError } from '../../errors.js';
import { isOurs, proxyTags } from '../names.js';
import { isNotFound } from './compare.js';
import { findProxyDomain } from '../domain-lookup.js';
import { STAGE } from './stage.js';
import type { ChangeAction, StepAction, StepContext } from './types.js';

export interface DomainSpec {
  domain: string;
  certificateArn: string;
  hostedZoneId?: string;
}

export interface DomainPlan extends DomainSpec {
  /** The zone the alias record goes in; undefined when none matches (the user points a CNAME instead). */
  zone?: { id: string; name: string; found: 'given' | 'matched' };
}

const withinZone = (domain: string, zoneName: string) => {
  const zone = zoneName.replace(/\.$/, '').toLowerCase();
  return domain === zone || domain.endsWith(`.${zone}`);
};

function certCovers(names: string[], domain: string): boolean {
  return names.some((n) => {
    const name = n.toLowerCase();
    if (name === domain) return true;
    // A wildcard covers exactly one label.
    return name.startsWith('*.') && domain.split('.').slice(1).join('.') === name.slice(2);
  });
}

/**
 * API Gateway takes only an ISSUED certificate for a domain name (CreateDomainName fails otherwise),
 * and a certificate requested minutes ago is PENDING_VALIDATION until its DNS record is in place
 * (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html). Checked before anything is
 * made, so create does not stop at the domain with the rest of the proxy half-done.
 */
function certificateNotIssued(arn: string, status: string | undefined): CliError {
  const what: Record<string, string> = {
    PENDING_VALIDATION:
      'ACM is waiting for its validation: add the CNAME record it asks for ("aws acm describe-certificate ' +
      `--certificate-arn ${arn} --query Certificate.DomainValidationOptions"), wait until the status is ` +
      'ISSUED (usually minutes once the record resolves), then run create again.',
    EXPIRED: 'Renew it, or request or import a new certificate, and pass that one.',
    REVOKED: 'Request or import a new certificate and pass that one.',
    VALIDATION_TIMED_OUT: 'ACM gave up waiting for its validation (72 hours): request a new certificate.',
    FAILED: 'ACM could not issue it: see its FailureReason, then request a new certificate.',
    INACTIVE: 'Request or import a new certificate and pass that one.',
  };
  return new CliError(
    `The certificate ${arn} is ${status ?? 'of unknown status'}, not ISSUED: API Gateway cannot serve a ` +
      'domain with it. Nothing was created.',
    what[status ?? ''] ?? 'Wait until ACM shows it as ISSUED, or pass an issued certificate.',
  );
}

/** AWS-level checks, still before anything is created. */
export async function checkDomain(aws: Aws, spec: DomainSpec): Promise<DomainPlan> {
  const certRegion = spec.certificateArn.split(':')[3];
  if (certRegion !== aws.settings.region) {
    throw new UsageError(
      `The certificate is in ${certRegion}, but the proxy is in ${aws.settings.region}.`,
      `A regional API Gateway domain needs an ACM certificate in its own region: request or import one in ${aws.settings.region}.`,
    );
  }
  const [acm, route53] = await Promise.all([aws.acm(), aws.route53()]);
  try {
    const cert = await acm.send(new DescribeCertificateCommand({ CertificateArn: spec.certificateArn }));
    const names = [cert.Certificate?.DomainName ?? '', ...(cert.Certificate?.SubjectAlternativeNames ?? [])];
    const status = cert.Certificate?.Status;
    if (status !== 'ISSUED') throw certificateNotIssued(spec.certificateArn, status);
    if (!certCovers(names, spec.domain)) {
      throw new UsageError(
        `The certificate does not cover ${spec.domain} (it is for ${[...new Set(names)].filter(Boolean).join(', ')}).`,
      );
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof CliError) throw err;
    if (isNotFound(err)) throw new UsageError(`There is no certificate ${spec.certificateArn}.`);
    throw err;
  }

  if (spec.hostedZoneId) {
    let zoneName: string;
    try {
      const out = await route53.send(new GetHostedZoneCommand({ Id: spec.hostedZoneId }));
      zoneName = out.HostedZone!.Name!;
    } catch (err) {
      if (isNotFound(err)) {
        throw new UsageError(`There is no hosted zone ${spec.hostedZoneId} in this account.`);
      }
      throw err;
    }
    if (!withinZone(spec.domain, zoneName)) {
      throw new UsageError(
        `${spec.domain} is not inside hosted zone ${spec.hostedZoneId} (${zoneName.replace(/\.$/, '')}).`,
        'Pass the id of the zone that holds the domain, or leave --hosted-zone-id out to find it by name.',
      );
    }
    return { ...spec, zone: { id: spec.hostedZoneId, name: zoneName, found: 'given' } };
  }
  // The most specific zone, as DNS resolves it (hooks.example.com before example.com).
  const best = (await publicZonesHolding(route53, spec.domain)).sort(
    (a, b) => b.name.length - a.name.length,
  )[0];
  return { ...spec, ...(best ? { zone: { ...best, found: 'matched' as const } } : {}) };
}

/** Every public hosted zone the domain falls within. */
async function publicZonesHolding(
  route53: Route53Client,
  domain: string,
): Promise<{ id: string; name: string }[]> {
  const zones: { id: string; name: string }[] = [];
  for await (const page of paginateListHostedZones({ client: route53 }, {})) {
    for (const z of page.HostedZones ?? []) {
      if (!z.Config?.PrivateZone && withinZone(domain, z.Name!)) {
        zones.push({ id: z.Id!.replace('/hostedzone/', ''), name: z.Name! });
      }
    }
  }
  return zones;
}

/** Our domain name: made by this tool for this proxy (tags), so a user's own domain is never touched. */
function ours(d: DomainName | undefined, proxy: string): boolean {
  return isOurs(d?.Tags, proxy);
}

export async function ensureDomainName(ctx: StepContext, plan: DomainPlan) {
  const apigw = await ctx.aws.apigw();
  let current: DomainName | undefined;
  try {
    current = (await apigw.send(new GetDomainNameCommand({ DomainName: plan.domain }))) as DomainName;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (current && !ours(current, ctx.spec.name)) {
    throw new CliError(
      `The API Gateway domain name ${plan.domain} already exists and does not belong to proxy "${ctx.spec.name}".`,
      'Use another --domain, or delete that domain name first if it is no longer used.',
    );
  }
  if (current) {
    const config = current.DomainNameConfigurations?.[0];
    if (config?.CertificateArn === plan.certificateArn && config?.SecurityPolicy === 'TLS_1_2') {
      return { action: 'unchanged' as ChangeAction, domain: current };
    }
    throw new CliError(
      `The domain name ${plan.domain} uses another certificate or TLS policy than asked.`,
      'Changing the certificate of a live domain is not automated: destroy and re-create the proxy, or change it in the API Gateway console.',
    );
  }
  if (ctx.dryRun) return { action: 'created' as ChangeAction, domain: undefined };
  const created = await apigw.send(
    new CreateDomainNameCommand({
      DomainName: plan.domain,
      DomainNameConfigurations: [
        { CertificateArn: plan.certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' },
      ],
      Tags: proxyTags(ctx.spec.name, ctx.spec.tags),
    }),
  );
  return { action: 'created' as ChangeAction, domain: created as DomainName };
}

export async function ensureApiMapping(ctx: StepContext, plan: DomainPlan, apiId: string | undefined) {
  if (!apiId) return { action: 'created' as ChangeAction };
  const apigw = await ctx.aws.apigw();
  let items: { ApiId?: string; Stage?: string; ApiMappingKey?: string }[] = [];
  try {
    items = (await apigw.send(new GetApiMappingsCommand({ DomainName: plan.domain }))).Items ?? [];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (items.some((m) => m.ApiId === apiId && m.Stage === STAGE && !m.ApiMappingKey)) {
    return { action: 'unchanged' as ChangeAction };
  }
  if (!ctx.dryRun) {
    await apigw.send(
      new CreateApiMappingCommand({ DomainName: plan.domain, ApiId: apiId, Stage: STAGE, ApiMappingKey: '' }),
    );
  }
  return { action: 'created' as ChangeAction };
}

/** The alias target API Gateway gives a regional domain name. */
function aliasTarget(domain: DomainName | undefined) {
  const c = domain?.DomainNameConfigurations?.[0];
  return c?.ApiGatewayDomainName && c.HostedZoneId
    ? { DNSName: c.ApiGatewayDomainName, HostedZoneId: c.HostedZoneId }
    : undefined;
}

async function findRecord(aws: Aws, zoneId: string, domain: string): Promise<ResourceRecordSet | undefined> {
  const route53 = await aws.route53();
  const out = await route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      StartRecordName: domain,
      StartRecordType: 'A',
      MaxItems: 1,
    }),
  );
  const r = out.ResourceRecordSets?.[0];
  return r && r.Name?.replace(/\.$/, '').toLowerCase() === domain && r.Type === 'A' ? r : undefined;
}

export async function ensureAliasRecord(
  ctx: StepContext,
  plan: DomainPlan,
  domain: DomainName | undefined,
): Promise<{ action: ChangeAction | 'absent'; target?: string }> {
  const target = aliasTarget(domain);
  if (!plan.zone) return { action: 'absent', ...(target ? { target: target.DNSName } : {}) };
  if (!target) {
    if (ctx.dryRun) return { action: 'created' };
    throw new CliError(`API Gateway gave no target name for ${plan.domain}; cannot point DNS at it yet.`);
  }
  const current = await findRecord(ctx.aws, plan.zone.id, plan.domain);
  const same =
    current?.AliasTarget?.DNSName?.replace(/\.$/, '').toLowerCase() === target.DNSName.toLowerCase() &&
    current?.AliasTarget?.HostedZoneId === target.HostedZoneId;
  if (same) return { action: 'unchanged', target: target.DNSName };
  if (!ctx.dryRun) {
    const route53 = await ctx.aws.route53();
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: plan.zone.id,
        ChangeBatch: {
          Comment: `webhook-proxy ${ctx.spec.name}`,
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: plan.domain,
                Type: 'A',
                AliasTarget: { ...target, EvaluateTargetHealth: false },
              },
            },
          ],
        },
      }),
    );
  }
  return { action: current ? 'updated' : 'created', target: target.DNSName };
}

/**
 * Remove what `create --domain` made: the alias record (only if it still points at our domain name,
 * found in the zone that holds the domain), the API mappings, the domain name. Nothing else in the zone.
 */
export async function destroyDomain(
  aws: Aws,
  proxy: string,
): Promise<{ label: string; action: StepAction }[]> {
  const domain = await findProxyDomain(aws, proxy);
  if (!domain?.DomainName) return [];
  const name = domain.DomainName;
  const results: { label: string; action: StepAction }[] = [];
  const target = aliasTarget(domain);
  const route53 = await aws.route53();
  // Our alias record, in whichever zone holds it: create used the most specific zone, or the one
  // --hosted-zone-id named, so look in every zone the name falls within (nested zones exist).
  for (const zone of target ? await publicZonesHolding(route53, name) : []) {
    const record = await findRecord(aws, zone.id, name);
    if (record?.AliasTarget?.DNSName?.replace(/\.$/, '').toLowerCase() !== target!.DNSName.toLowerCase())
      continue;
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: record! }] },
      }),
    );
    results.push({ label: `DNS record ${name}`, action: 'deleted' });
  }
  const apigw = await aws.apigw();
  const mappings = (await apigw.send(new GetApiMappingsCommand({ DomainName: name }))).Items ?? [];
  for (const m of mappings) {
    await apigw.send(new DeleteApiMappingCommand({ DomainName: name, ApiMappingId: m.ApiMappingId! }));
  }
  if (mappings.length) results.push({ label: `API mapping ${name}`, action: 'deleted' });
  await apigw.send(new DeleteDomainNameCommand({ DomainName: name }));
  results.push({ label: `domain name ${name}`, action: 'deleted' });
  return results;
}
