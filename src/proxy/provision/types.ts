/**
 * The shapes shared by the provisioning steps: what a proxy should look like (ProvisionSpec), what a
 * step reports, and the context every `ensureX()` gets.
 */
import type { Aws } from '../../aws/clients.js';
import type { ResourceNames } from '../names.js';
import type { AlarmPlan } from './alarms.js';
import type { DomainSpec } from './domain.js';

export type ChangeAction = 'created' | 'updated' | 'unchanged';
/** What --dry-run reports: the action that would be taken; `kept`: destroy left alone what is not ours. */
export type StepAction = ChangeAction | 'deleted' | 'absent' | 'kept';

export interface ProvisionSpec {
  name: string;
  upstream: string;
  concurrency: number;
  rate?: number;
  batchSize: number;
  timeout: number;
  maxAttempts: number;
  backoffBase: number;
  backoffMax: number;
  retentionDays: number;
  responseStatus: number;
  preservePath: boolean;
  /** `--adaptive` (WP_ADAPTIVE); absent: off. */
  adaptive?: boolean;
  /** `--retry-window`, seconds (WP_RETRY_WINDOW); absent: the default, 24 h. */
  retryWindow?: number;
  ordered: boolean;
  ingressRate?: number;
  ingressBurst?: number;
  vpcSubnets: string[];
  vpcSecurityGroups: string[];
  memory: number;
  tags: Record<string, string>;
  /** API Gateway access logs to CloudWatch (on unless --no-access-logs). */
  accessLogs: boolean;
  /** A custom domain to converge (--domain, --certificate-arn, --hosted-zone-id). */
  domain?: DomainSpec;
  /** `--domain none`: the proxy's current custom domain, to remove. */
  removeDomain?: string;
  /** Extra environment for the ingest function (handshake and signature settings). */
  ingestEnv: Record<string, string>;
  /** The alarms and their topic to converge (--alarm-email, --alarm-topic-arn, --alarm-age). */
  alarms?: AlarmPlan;
}

export interface StepEvents {
  start(id: string, label: string): void;
  /** `failed` when the step threw (the error itself is reported once, by the command). */
  done(id: string, action: StepAction | 'failed', detail?: string): void;
}

export interface StepContext {
  aws: Aws;
  spec: ProvisionSpec;
  names: ResourceNames;
  dryRun: boolean;
}

export interface Change {
  resource: string;
  action: StepAction;
}
