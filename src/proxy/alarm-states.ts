/**
 * The alarms' names (create makes them, src/proxy/provision/alarms.ts) and their states for `status`:
 * one DescribeAlarms by exact names, so status loads nothing but the CloudWatch client for them.
 */
import type { Aws } from '../aws/clients.js';
import { PREFIX } from './names.js';

/** `--alarm-age`: its default and range (SQS reports the age once a minute; a queue keeps 14 days at most). */
export const DEFAULT_ALARM_AGE_SECONDS = 15 * 60;
export const MIN_ALARM_AGE_SECONDS = 60;
export const MAX_ALARM_AGE_SECONDS = 14 * 86_400;

export function formatAge(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export type AlarmKind = 'dlq' | 'age' | 'errors' | 'throttles';
export const ALARM_KINDS: AlarmKind[] = ['dlq', 'age', 'errors', 'throttles'];

export function alarmNames(proxy: string): Record<AlarmKind, string> {
  const base = `${PREFIX}${proxy}-alarm`;
  return { dlq: `${base}-dlq`, age: `${base}-age`, errors: `${base}-errors`, throttles: `${base}-throttles` };
}

/** What each alarm watches, in the words status uses. */
export const ALARM_WHAT: Record<AlarmKind, string> = {
  dlq: 'dead-letter queue not empty',
  age: 'oldest webhook waiting too long',
  errors: 'deliver function errors',
  throttles: 'deliver function throttled',
};

export interface AlarmState {
  kind: AlarmKind;
  name: string;
  /** OK | ALARM | INSUFFICIENT_DATA */
  state: string;
  reason: string | null;
  since: string | null;
}

/**
 * This proxy's alarms and their states (a prefix search would also match proxy "a-b" for "a", so
 * the names are exact). Empty when it has none; null when they could not be read: status must not
 * fail for want of them.
 */
export async function alarmStates(aws: Aws, proxy: string): Promise<AlarmState[] | null> {
  try {
    const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
    const names = alarmNames(proxy);
    const out = await (
      await aws.cloudwatch()
    ).send(new DescribeAlarmsCommand({ AlarmNames: Object.values(names) }));
    return ALARM_KINDS.flatMap((kind) => {
      const a = (out.MetricAlarms ?? []).find((m) => m.AlarmName === names[kind]);
      if (!a) return [];
      return [
        {
          kind,
          name: a.AlarmName!,
          state: a.StateValue ?? 'INSUFFICIENT_DATA',
          reason: a.StateReason ?? null,
          since: a.StateUpdatedTimestamp?.toISOString() ?? null,
        },
      ];
    });
  } catch {
    return null;
  }
}

/** One line for status: "OK (4)" or "ALARM: dead-letter queue not empty; 3 OK". */
export function alarmsLine(states: AlarmState[] | null): string {
  if (states === null) return 'unknown (could not be read)';
  if (!states.length) return 'none (create --alarm-email ADDR or --alarm-topic-arn ARN adds them)';
  const firing = states.filter((s) => s.state === 'ALARM');
  const ok = states.filter((s) => s.state === 'OK').length;
  const unknown = states.length - firing.length - ok;
  const rest = [ok ? `${ok} OK` : '', unknown ? `${unknown} without data yet` : '']
    .filter(Boolean)
    .join(', ');
  if (!firing.length) return rest;
  return `ALARM: ${firing.map((s) => ALARM_WHAT[s.kind]).join(', ')}${rest ? `; ${rest}` : ''}`;
}
