// The control plane's baseline: a fresh Node process that loads one SDK client and makes one AWS call
// (STS GetCallerIdentity) to the endpoint in AWS_ENDPOINT_URL.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const sts = new STSClient({ endpoint: process.env.AWS_ENDPOINT_URL, region: process.env.AWS_REGION });
await sts.send(new GetCallerIdentityCommand({}));
sts.destroy();
