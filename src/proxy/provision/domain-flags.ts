/**
 * Flag-level checks of --domain, --certificate-arn and --hosted-zone-id, made before any AWS call
 * (kept apart from domain.ts so that parsing flags loads no SDK client).
 */
import { UsageError } from '../../errors.js';

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERT_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]+$/;

export function validateDomainFlags(o: { domain?: string; certificateArn?: string; hostedZoneId?: string }) {
  if (!o.domain && !o.certificateArn && !o.hostedZoneId) return undefined;
  if (!o.domain) throw new UsageError('--certificate-arn and --hosted-zone-id go with --domain.');
  const domain = o.domain.toLowerCase().replace(/\.$/, '');
  if (!HOSTNAME.test(domain)) {
    throw new UsageError(
      `--domain "${o.domain}" is not a host name.`,
      'For example: --domain hooks.example.com',
    );
  }
  if (!o.certificateArn) {
    throw new UsageError(
      '--domain needs --certificate-arn: an ACM certificate for that name, in the proxy’s region.',
      'Request one with "aws acm request-certificate --domain-name ' + domain + ' --validation-method DNS".',
    );
  }
  if (!CERT_ARN.test(o.certificateArn)) {
    throw new UsageError(`--certificate-arn "${o.certificateArn}" is not an ACM certificate ARN.`);
  }
  const zone = o.hostedZoneId?.replace(/^\/hostedzone\//, '');
  // AWS zone ids are upper-case letters and digits (Z1D633PJN98FT9); we do not insist on the leading Z
  // (moto's ids lack it, and nothing in the API promises it).
  if (zone !== undefined && !/^[A-Z0-9]{1,32}$/.test(zone)) {
    throw new UsageError(
      `--hosted-zone-id "${o.hostedZoneId}" is not a Route 53 hosted zone id (like Z1D633PJN98FT9).`,
    );
  }
  return { domain, certificateArn: o.certificateArn, ...(zone ? { hostedZoneId: zone } : {}) };
}
