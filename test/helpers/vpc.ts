/**
 * VPCs in moto for the tests of `--vpc-subnets` (moto implements EC2): a private VPC with two subnets
 * and a security group, and an SQS interface endpoint with private DNS (one of the ways out that create's
 * VPC check accepts, https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html).
 */
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeRouteTablesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { TEST_REGION, uniqueName } from './moto.js';

const ec2 = () => new EC2Client({});

let cidr = Math.floor(Math.random() * 200);
/** A fresh VPC with two subnets and a security group; nothing routes out of it yet. */
export async function privateVpc() {
  const n = ++cidr % 250;
  const vpcId = (await ec2().send(new CreateVpcCommand({ CidrBlock: `10.${n}.0.0/16` }))).Vpc!.VpcId!;
  const subnet = async (i: number, az: string) =>
    (
      await ec2().send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${n}.${i}.0/24`, AvailabilityZone: az }),
      )
    ).Subnet!.SubnetId!;
  const subnets = [await subnet(1, `${TEST_REGION}a`), await subnet(2, `${TEST_REGION}b`)];
  const sg = (
    await ec2().send(
      new CreateSecurityGroupCommand({ GroupName: uniqueName('sg'), Description: 'deliver', VpcId: vpcId }),
    )
  ).GroupId!;
  const mainTable = (
    await ec2().send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    )
  ).RouteTables![0]!.RouteTableId!;
  return { vpcId, subnets, sg, mainTable };
}

/** A private VPC whose subnets reach SQS through an interface endpoint with private DNS. */
export async function vpcWithSqsEndpoint() {
  const v = await privateVpc();
  await ec2().send(
    new CreateVpcEndpointCommand({
      VpcId: v.vpcId,
      ServiceName: `com.amazonaws.${TEST_REGION}.sqs`,
      VpcEndpointType: 'Interface',
      SubnetIds: v.subnets,
      SecurityGroupIds: [v.sg],
      PrivateDnsEnabled: true,
    }),
  );
  return v;
}

/** A private VPC whose main route table sends 0.0.0.0/0 to a NAT gateway (the other way out). */
export async function vpcWithNat() {
  const v = await privateVpc();
  const { AllocateAddressCommand, CreateNatGatewayCommand, CreateRouteCommand } =
    await import('@aws-sdk/client-ec2');
  const eip = await ec2().send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const nat = (
    await ec2().send(new CreateNatGatewayCommand({ SubnetId: v.subnets[0]!, AllocationId: eip.AllocationId }))
  ).NatGateway!.NatGatewayId!;
  await ec2().send(
    new CreateRouteCommand({
      RouteTableId: v.mainTable,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: nat,
    }),
  );
  return v;
}
