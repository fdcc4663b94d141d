/**
 * `--vpc-subnets`: create checks that deliver can reach SQS from the subnets (issue 12 item 4) before it
 * makes anything: an SQS interface endpoint with private DNS in their VPC, or a 0.0.0.0/0 route to a NAT
 * in each subnet's route table (the VPC's main table for a subnet without one of its own). Otherwise exit
 * 1 with the `aws ec2 create-vpc-endpoint` command, and nothing created; `--skip-vpc-check` opts out.
 * The VPCs, subnets, route tables, NAT gateways and endpoints are moto's own (moto implements EC2).
 *
 * moto differences: moto lets a Lambda function into any subnet and never runs it, so whether SQS is
 * really reached is not observable here; the check reads only what AWS documents as the ways out
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html). moto's NAT gateway is
 * "available" at once (AWS: pending for a minute or two).
 */
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateVpcEndpointCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { anythingNamed, describeProxy } from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';
import { privateVpc } from '../helpers/vpc.js';

useMoto();
const UPSTREAM = 'https://internal.example.com/hooks';
const ec2 = new EC2Client({});

async function natGateway(subnetId: string) {
  const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  return (await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId })))
    .NatGateway!.NatGatewayId!;
}

const vpcFlags = (v: { subnets: string[]; sg: string }) => [
  '--vpc-subnets',
  v.subnets.join(','),
  '--vpc-security-groups',
  v.sg,
];

describe('--vpc-subnets: deliver must be able to reach SQS', () => {
  it('no endpoint and no NAT: exit 1 with the create-vpc-endpoint command, nothing created; --skip-vpc-check creates it', async () => {
    const v = await privateVpc();
    // An internet gateway route is not a way out for a function (no public IP): still refused.
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: v.vpcId }));
    await ec2.send(
      new CreateRouteCommand({
        RouteTableId: v.mainTable,
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: igw,
      }),
    );
    const name = uniqueName('vpcno');
    const res = await runCli('create', name, '--upstream', UPSTREAM, ...vpcFlags(v));
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain(`could not reach SQS from ${v.subnets.join(', ')} (VPC ${v.vpcId})`);
    expect(res.stderr).toContain(
      `aws ec2 create-vpc-endpoint --region ${TEST_REGION} --vpc-id ${v.vpcId} --vpc-endpoint-type Interface ` +
        `--service-name com.amazonaws.${TEST_REGION}.sqs --private-dns-enabled ` +
        `--subnet-ids ${v.subnets.join(' ')} --security-group-ids ${v.sg}`,
    );
    expect(res.stderr).toContain('--skip-vpc-check');
    expect(await anythingNamed(name)).toEqual([]);

    const skipped = await runCli('create', name, '--upstream', UPSTREAM, ...vpcFlags(v), '--skip-vpc-check');
    expect(skipped.code, skipped.stderr).toBe(0);
    expect((await describeProxy(name)).functions.deliver.config.VpcConfig?.SubnetIds?.sort()).toEqual(
      [...v.subnets].sort(),
    );
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('an SQS interface endpoint with private DNS in the VPC: create goes ahead', async () => {
    const v = await privateVpc();
    const name = uniqueName('vpcep');
    // Without private DNS the SDK's default SQS host would not resolve to it: not enough.
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: v.vpcId,
        ServiceName: `com.amazonaws.${TEST_REGION}.sqs`,
        VpcEndpointType: 'Interface',
        SubnetIds: v.subnets,
        SecurityGroupIds: [v.sg],
        PrivateDnsEnabled: false,
      }),
    );
    const refused = await runCli('create', name, '--upstream', UPSTREAM, ...vpcFlags(v));
    expect(refused.code, refused.stderr).toBe(1);
    expect(await anythingNamed(name)).toEqual([]);

    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: v.vpcId,
        ServiceName: `com.amazonaws.${TEST_REGION}.sqs`,
        VpcEndpointType: 'Interface',
        SubnetIds: v.subnets,
        SecurityGroupIds: [v.sg],
        PrivateDnsEnabled: true,
      }),
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM, ...vpcFlags(v));
    expect(res.code, res.stderr).toBe(0);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it("a NAT route in each subnet's table (the main one when not associated): refused naming the subnet without, then accepted", async () => {
    const v = await privateVpc();
    const name = uniqueName('vpcnat');
    const nat = await natGateway(v.subnets[0]!);
    // subnets[0] gets a table of its own with a NAT route; subnets[1] uses the main table, which has none.
    const own = (await ec2.send(new CreateRouteTableCommand({ VpcId: v.vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: own, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }),
    );
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: own, SubnetId: v.subnets[0] }));

    const refused = await runCli('create', name, '--upstream', UPSTREAM, ...vpcFlags(v));
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`could not reach SQS from ${v.subnets[1]} (VPC ${v.vpcId})`);
    expect(await anythingNamed(name)).toEqual([]);

    await ec2.send(
      new CreateRouteCommand({
        RouteTableId: v.mainTable,
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: nat,
      }),
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM, ...vpcFlags(v), '--json');
    expect(res.code, res.stderr).toBe(0);
    // A re-run that leaves --vpc-subnets out keeps the VPC and does not check it again.
    const again = await runCli('create', name, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('a subnet that does not exist is a usage error (exit 2) before anything is created', async () => {
    const name = uniqueName('vpcbad');
    const res = await runCli(
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--vpc-subnets',
      'subnet-0deadbeef0000',
      '--vpc-security-groups',
      'sg-0abc',
    );
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/--vpc-subnets/);
    expect(await anythingNamed(name)).toEqual([]);
  });
});
