/**
 * `--vpc-subnets`: can deliver reach SQS from there? A function in a VPC has no public IP, so it
 * reaches SQS (ChangeMessageVisibility, and the mapping's own receives happen outside it) only through
 * an SQS interface endpoint in the VPC with private DNS, or a default route to a NAT gateway or NAT
 * instance (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-internetwork-traffic-privacy.html).
 * Without either, every SQS call hangs until its timeout, and a slow batch can run out of time and be
 * delivered twice. Checked before anything is created; `--skip-vpc-check` for setups this check cannot
 * see (a proxy, a Transit Gateway or a firewall appliance as the default route).
 *
 * What is read: DescribeSubnets (their VPC), DescribeVpcEndpoints and DescribeRouteTables of that VPC.
 * An interface endpoint is reached from every subnet of its VPC (the VPC's local route); a subnet with
 * no route table of its own uses the VPC's main one (https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html).
 * Security groups and network ACLs are not judged: the hint says what they must allow.
 */
import {
  DescribeSubnetsCommand,
  paginateDescribeRouteTables,
  paginateDescribeVpcEndpoints,
  type Route,
  type RouteTable,
  type Subnet,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { Aws } from '../../aws/clients.js';
import { CliError, UsageError } from '../../errors.js';

export interface VpcReach {
  vpcId: string;
  /** How SQS is reached: the endpoint's id, or per subnet the NAT its default route goes to. */
  via: { endpoint: string } | { nat: Record<string, string> };
}

const errorName = (err: unknown) => (err as { name?: string; Code?: string })?.name ?? '';

async function subnetsOf(aws: Aws, ids: string[]): Promise<Subnet[]> {
  try {
    return (await (await aws.ec2()).send(new DescribeSubnetsCommand({ SubnetIds: ids }))).Subnets ?? [];
  } catch (err) {
    if (/InvalidSubnetID\.(NotFound|Malformed)/.test(errorName(err))) {
      throw new UsageError(
        `--vpc-subnets: ${(err as Error).message}`,
        `Give subnets of ${aws.settings.region} ("aws ec2 describe-subnets --region ${aws.settings.region}").`,
      );
    }
    throw err;
  }
}

/** An SQS interface endpoint that resolves sqs.REGION.amazonaws.com inside the VPC. */
function sqsEndpoint(endpoints: VpcEndpoint[], region: string): VpcEndpoint | undefined {
  return endpoints.find(
    (e) =>
      e.ServiceName === `com.amazonaws.${region}.sqs` &&
      e.VpcEndpointType === 'Interface' &&
      e.PrivateDnsEnabled === true &&
      /^(available|pending|pendingacceptance)$/i.test(e.State ?? ''),
  );
}

/** The NAT a default route goes to: a NAT gateway, or an instance (or its interface) doing NAT. */
function natOf(routes: Route[] = []): string | undefined {
  const r = routes.find(
    (x) =>
      x.DestinationCidrBlock === '0.0.0.0/0' &&
      x.State !== 'blackhole' &&
      (x.NatGatewayId || x.InstanceId || x.NetworkInterfaceId),
  );
  return r?.NatGatewayId ?? r?.InstanceId ?? r?.NetworkInterfaceId;
}

function tableOf(tables: RouteTable[], subnetId: string): RouteTable | undefined {
  return (
    tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId)) ??
    tables.find((t) => t.Associations?.some((a) => a.Main))
  );
}

export async function checkVpcReachesSqs(
  aws: Aws,
  subnetIds: string[],
  securityGroups: string[],
): Promise<VpcReach> {
  const region = aws.settings.region;
  const subnets = await subnetsOf(aws, subnetIds);
  const vpcs = [...new Set(subnets.map((s) => s.VpcId!))];
  if (vpcs.length !== 1) {
    throw new UsageError(
      `--vpc-subnets: the subnets are in ${vpcs.length} VPCs (${vpcs.join(', ')}); a function's subnets must all be in one.`,
    );
  }
  const vpcId = vpcs[0]!;
  const ec2 = await aws.ec2();
  const filters = [{ Name: 'vpc-id', Values: [vpcId] }];
  const endpoints: VpcEndpoint[] = [];
  for await (const page of paginateDescribeVpcEndpoints({ client: ec2 }, { Filters: filters })) {
    endpoints.push(...(page.VpcEndpoints ?? []));
  }
  const endpoint = sqsEndpoint(endpoints, region);
  if (endpoint) return { vpcId, via: { endpoint: endpoint.VpcEndpointId! } };

  const tables: RouteTable[] = [];
  for await (const page of paginateDescribeRouteTables({ client: ec2 }, { Filters: filters })) {
    tables.push(...(page.RouteTables ?? []));
  }
  const nat: Record<string, string> = {};
  const without: string[] = [];
  for (const id of subnetIds) {
    const via = natOf(tableOf(tables, id)?.Routes);
    if (via) nat[id] = via;
    else without.push(id);
  }
  if (!without.length) return { vpcId, via: { nat } };

  const createEndpoint =
    `aws ec2 create-vpc-endpoint --region ${region} --vpc-id ${vpcId} --vpc-endpoint-type Interface ` +
    `--service-name com.amazonaws.${region}.sqs --private-dns-enabled --subnet-ids ${subnetIds.join(' ')} ` +
    `--security-group-ids ${securityGroups.join(' ')}`;
  throw new CliError(
    `deliver could not reach SQS from ${without.join(', ')} (VPC ${vpcId}): the VPC has no SQS interface ` +
      `endpoint with private DNS, and ${without.length === 1 ? "that subnet's" : "those subnets'"} route ` +
      'table has no 0.0.0.0/0 route to a NAT gateway or NAT instance (a route to an internet gateway is ' +
      'not enough: a function has no public IP). Its SQS calls would hang, and webhooks could be ' +
      'delivered twice. Nothing was created.',
    `Add an SQS interface endpoint:\n  ${createEndpoint}\n` +
      `(its security groups must allow HTTPS, port 443, in from deliver's: with the same groups, a rule ` +
      `that allows the group itself), or a 0.0.0.0/0 route to a NAT gateway in each subnet's route table. ` +
      'Then run create again. If SQS is reachable another way this check cannot see (a proxy, a Transit ' +
      'Gateway), pass --skip-vpc-check.',
  );
}
