/**
 * Realistic Lambda events, shaped as AWS sends them (API Gateway HTTP API payload 2.0, SQS batches).
 */
import type { APIGatewayProxyEventV2, SQSEvent, SQSRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript)|[^;]*\+(json|xml))/i;

export function httpApiEvent(opts: {
  method?: string;
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: Buffer | string;
  sourceIp?: string;
  domainName?: string;
}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {
    host: opts.domainName ?? 'abc123.execute-api.us-east-1.amazonaws.com',
    'x-forwarded-for': opts.sourceIp ?? '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678',
    ...opts.headers,
  };
  const bytes = opts.body === undefined ? undefined : Buffer.from(opts.body);
  // API Gateway base64-encodes every body that is not text (including a missing content type).
  const text = TEXT_TYPES.test(headers['content-type'] ?? '');
  const rawPath = opts.rawPath ?? '/';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: opts.rawQueryString ?? '',
    cookies: opts.cookies,
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: headers.host!,
      domainPrefix: headers.host!.split('.')[0]!,
      http: {
        method: opts.method ?? 'POST',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: opts.sourceIp ?? '203.0.113.7',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:09:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: bytes === undefined ? undefined : text ? bytes.toString('utf8') : bytes.toString('base64'),
    isBase64Encoded: bytes !== undefined && !text,
  } as APIGatewayProxyEventV2;
}

export function sqsRecord(
  body: string,
  opts: { attempt?: number; messageId?: string; groupId?: string } = {},
) {
  const messageId = opts.messageId ?? randomUUID();
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(opts.attempt ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: 'AROAEXAMPLE:webhook-proxy-default-ingest',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(opts.groupId ? { MessageGroupId: opts.groupId } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:webhook-proxy-default',
    awsRegion: 'us-east-1',
  } as SQSRecord;
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
