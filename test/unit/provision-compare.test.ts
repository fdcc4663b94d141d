/**
 * The describe → compare half of every ensure step (src/proxy/provision/compare.ts): what counts as
 * "the same" decides between `unchanged` and an update call, so a false difference would make every
 * re-run of create mutate something, and a false sameness would leave a resource unconverged.
 */
import { NoSuchEntityException } from '@aws-sdk/client-iam';
import { ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { NotFoundException } from '@aws-sdk/client-apigatewayv2';
import { ResourceNotFoundException as LogsNotFound } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { includesAll, isNotFound, parsePolicyDocument, sameJson } from '../../src/proxy/provision/compare.js';

const $metadata = {};

describe('sameJson', () => {
  it('ignores key order at every depth and keys whose value is undefined', () => {
    expect(sameJson({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 })).toBe(
      true,
    );
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });

  it('sees a changed value, an extra key, and a different array order (statement order matters)', () => {
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson({ Action: ['sqs:A', 'sqs:B'] }, { Action: ['sqs:B', 'sqs:A'] })).toBe(false);
    expect(sameJson({ WP_RATE: '2' }, { WP_RATE: 2 })).toBe(false);
  });
});

describe('parsePolicyDocument', () => {
  const doc = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:x' }],
  };

  it('reads IAM documents URL-encoded (as GetRole/GetRolePolicy return them) or plain', () => {
    expect(parsePolicyDocument(encodeURIComponent(JSON.stringify(doc)))).toEqual(doc);
    expect(parsePolicyDocument(JSON.stringify(doc))).toEqual(doc);
    expect(parsePolicyDocument(undefined)).toBeUndefined();
  });

  it('keeps a literal % in a plain document (not valid URL encoding)', () => {
    const odd = { Statement: [{ Sid: '100%' }] };
    expect(parsePolicyDocument(JSON.stringify(odd))).toEqual(odd);
  });
});

describe('includesAll', () => {
  it('is true when every wanted tag is there with its value, whatever else is', () => {
    expect(includesAll({ a: '1', b: '2', theirs: 'x' }, { a: '1', b: '2' })).toBe(true);
    expect(includesAll({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(includesAll({ a: '1', b: '3' }, { a: '1', b: '2' })).toBe(false);
    expect(includesAll(undefined, { a: '1' })).toBe(false);
    expect(includesAll(undefined, {})).toBe(true);
  });
});

describe('isNotFound', () => {
  it("recognises each service's not-found error, as the SDK names it", () => {
    for (const err of [
      new NoSuchEntityException({ message: 'role', $metadata }),
      new ResourceNotFoundException({ message: 'function', $metadata }),
      new QueueDoesNotExist({ message: 'queue', $metadata }),
      new NotFoundException({ message: 'api', $metadata }),
      new LogsNotFound({ message: 'log group', $metadata }),
      Object.assign(new Error('old SQS query protocol'), { name: 'AWS.SimpleQueueService.NonExistentQueue' }),
    ]) {
      expect(isNotFound(err), err.name).toBe(true);
    }
  });

  it('is false for every other failure, so a real error is never taken for "absent"', () => {
    for (const name of ['AccessDeniedException', 'ThrottlingException', 'ServiceException', 'TypeError']) {
      expect(isNotFound(Object.assign(new Error(name), { name })), name).toBe(false);
    }
    expect(isNotFound(undefined)).toBe(false);
  });
});
