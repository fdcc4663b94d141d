/**
 * A named AWS profile must exist before anything runs. The SDK alone would fail late and vaguely:
 * the region lookup finds nothing ("No AWS region given"), then the credential chain ends in "Could
 * not load credentials from any providers", or worse, falls through to the instance's own role.
 * The files are read with the SDK's own loader, so the answer is the SDK's: AWS_CONFIG_FILE (default
 * ~/.aws/config, sections `[profile NAME]` and `[default]`) and AWS_SHARED_CREDENTIALS_FILE (default
 * ~/.aws/credentials, sections `[NAME]`). AWS: "Configuration and credential file settings in the
 * AWS CLI" (the two files, their locations and section names).
 */
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export async function checkProfileExists(
  profile: string,
  source: '--profile' | 'AWS_PROFILE',
): Promise<void> {
  const { loadSharedConfigFiles, getHomeDir } = await import('@smithy/core/config');
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
  if (profile in configFile || profile in credentialsFile) return;
  const configPath = process.env.AWS_CONFIG_FILE || join(getHomeDir(), '.aws', 'config');
  const credentialsPath =
    process.env.AWS_SHARED_CREDENTIALS_FILE || join(getHomeDir(), '.aws', 'credentials');
  // Section names with a dot are sso-session.X / services.X, not profiles.
  const known = [...new Set([...Object.keys(configFile), ...Object.keys(credentialsFile)])]
    .filter((p) => !p.includes('.'))
    .sort();
  throw new UsageError(
    `The AWS profile "${profile}" (from ${source}) does not exist: it is in neither ${configPath} (AWS_CONFIG_FILE) nor ${credentialsPath} (AWS_SHARED_CREDENTIALS_FILE).`,
    known.length
      ? `Profiles there: ${known.join(', ')}. Check the name, or create it with "aws configure --profile ${profile}".`
      : `No profiles are configured there: create one with "aws configure --profile ${profile}" (or "aws configure sso"), or point AWS_CONFIG_FILE at your config file.`,
  );
}
