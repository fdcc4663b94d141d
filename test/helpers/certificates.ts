/**
 * ACM certificates in moto, in the two states that matter to `create --domain`:
 * - issued: a self-signed certificate imported with ImportCertificate (ACM gives an imported one
 *   Status ISSUED at once, as AWS does), made with the openssl command line;
 * - pending: RequestCertificate, which moto keeps PENDING_VALIDATION for 60 s (its
 *   ACM_VALIDATION_WAIT), as AWS keeps one until its DNS validation record resolves.
 */
import { ACMClient, ImportCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An ISSUED certificate for `domain` (a wildcard like `*.example.test` works too). */
export async function issuedCertificate(domain: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-cert-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    const made = spawnSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
        '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain}`,
      ],
      { encoding: 'utf8' },
    ); // prettier-ignore
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    const res = await new ACMClient({}).send(
      new ImportCertificateCommand({ Certificate: readFileSync(cert), PrivateKey: readFileSync(key) }),
    );
    return res.CertificateArn!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A certificate still waiting for its DNS validation. */
export async function pendingCertificate(domain: string): Promise<string> {
  const res = await new ACMClient({}).send(
    new RequestCertificateCommand({ DomainName: domain, ValidationMethod: 'DNS' }),
  );
  return res.CertificateArn!;
}
