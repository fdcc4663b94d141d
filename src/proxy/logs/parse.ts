/**
 * The handlers' log lines, read back. Each handler writes one JSON object per line with console.log
 * (ingest: `{msg:"ingest", id, status, ms, bytes, sourceIp, verifiedBy, …}`, deliver:
 * `{msg:"deliver", event, id, attempt, status, ms, error, final, retryInSeconds}`). What reaches
 * CloudWatch Logs depends on the function's log format:
 * - text (Lambda's default): the Node.js runtime prefixes each console line with
 *   `<ISO time>\t<request id>\tINFO\t` (AWS: "Log and monitor Node.js Lambda functions",
 *   https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html);
 * - JSON: `{"timestamp","level","requestId","message"}`, the message being the line (parsed or not).
 * Both are read; anything else (START/END/REPORT lines, stack traces) is skipped.
 */

export type LogKind =
  'received' | 'rejected' | 'delivered' | 'failed' | 'dead-lettered' | 'undecodable' | 'skipped';

export interface LogEntry {
  /** Milliseconds since the epoch (the log event's timestamp). */
  time: number;
  source: 'ingest' | 'deliver';
  kind: LogKind;
  id?: string;
  attempt?: number;
  status?: number;
  ms?: number;
  error?: string;
  /** A failed attempt: seconds until SQS hands it out again. */
  retryInSeconds?: number;
  bytes?: number;
  sourceIp?: string;
  verifiedBy?: string;
  method?: string;
  path?: string;
  /** The line as the handler wrote it. */
  line: Record<string, unknown>;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The handler's own line out of a log event's message, in either of Lambda's log formats. */
export function handlerLine(message: string): Record<string, unknown> | undefined {
  const text = message.trim();
  let obj = text.startsWith('{') ? jsonObject(text) : undefined;
  if (!obj) {
    // Text format: time, request id, level, then the line.
    const parts = text.split('\t');
    if (parts.length >= 4) obj = jsonObject(parts.slice(3).join('\t'));
  }
  if (obj && !('msg' in obj) && 'message' in obj) {
    // JSON format: the line is the message (an object when it was JSON, else the string).
    const m = obj.message;
    obj =
      typeof m === 'string'
        ? jsonObject(m)
        : m && typeof m === 'object'
          ? (m as Record<string, unknown>)
          : undefined;
  }
  return obj && (obj.msg === 'ingest' || obj.msg === 'deliver') ? obj : undefined;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One log event as an entry, or undefined when it is not one of the handlers' lines. */
export function parseLogEvent(ev: { timestamp?: number; message?: string }): LogEntry | undefined {
  const line = ev.message === undefined ? undefined : handlerLine(ev.message);
  if (!line) return undefined;
  const status = num(line.status);
  const base = {
    time: ev.timestamp ?? Date.now(),
    line,
    ...(str(line.id) ? { id: str(line.id) } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(num(line.ms) !== undefined ? { ms: num(line.ms) } : {}),
    ...(str(line.error) ? { error: str(line.error) } : {}),
  };
  if (line.msg === 'ingest') {
    const ok = status !== undefined && status >= 200 && status < 300;
    return {
      ...base,
      source: 'ingest',
      kind: ok ? 'received' : 'rejected',
      ...(num(line.bytes) !== undefined ? { bytes: num(line.bytes) } : {}),
      ...(str(line.sourceIp) ? { sourceIp: str(line.sourceIp) } : {}),
      ...(str(line.verifiedBy) ? { verifiedBy: str(line.verifiedBy) } : {}),
      ...(str(line.method) ? { method: str(line.method) } : {}),
      ...(str(line.path) ? { path: str(line.path) } : {}),
      ...(!ok && !base.error && str(line.reason) ? { error: str(line.reason) } : {}),
    };
  }
  const event = str(line.event);
  const kind: LogKind =
    event === 'delivered'
      ? 'delivered'
      : event === 'failed'
        ? line.final === true
          ? 'dead-lettered'
          : 'failed'
        : event === 'undecodable'
          ? 'undecodable'
          : 'skipped';
  return {
    ...base,
    source: 'deliver',
    kind,
    ...(str(line.messageId) && !base.id ? { id: str(line.messageId) } : {}),
    ...(num(line.attempt) !== undefined ? { attempt: num(line.attempt) } : {}),
    ...(num(line.retryInSeconds) !== undefined ? { retryInSeconds: num(line.retryInSeconds) } : {}),
    ...(kind === 'skipped' && str(line.reason) ? { error: str(line.reason) } : {}),
  };
}

/** `--failed`: failed attempts, dead letters, undeliverable messages, and webhooks ingest could not store. */
export function isFailure(e: LogEntry): boolean {
  if (e.kind === 'failed' || e.kind === 'dead-lettered' || e.kind === 'undecodable') return true;
  return e.kind === 'rejected' && (e.status ?? 0) >= 500;
}
