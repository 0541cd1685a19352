// The error inventory: one table, unique names and codes, Kafka's codes and retriable flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_ERRORS, ErrorCode, KafkaError, errorByCode, errorByName } from '../src/errors.js';

test('codes and names are unique, and the table is in code order', () => {
  const codes = ALL_ERRORS.map((e) => e.code);
  const names = ALL_ERRORS.map((e) => e.name);
  assert.equal(new Set(codes).size, codes.length);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(codes, [...codes].sort((a, b) => a - b));
  for (const e of ALL_ERRORS) {
    assert.match(e.name, /^[A-Z][A-Z0-9_]*$/);
    assert.ok(Number.isInteger(e.code) && e.code >= -1 && e.code <= 32767);
  }
  // Contiguous from -1: Kafka never skipped a code.
  assert.deepEqual(codes, Array.from({ length: codes.length }, (_, i) => i - 1));
  assert.ok(ALL_ERRORS.length >= 130, `${ALL_ERRORS.length} errors`);
});

test('ErrorCode maps every name to its code', () => {
  assert.equal(Object.keys(ErrorCode).length, ALL_ERRORS.length);
  for (const e of ALL_ERRORS) assert.equal((ErrorCode as Record<string, number>)[e.name], e.code);
  assert.ok(Object.isFrozen(ErrorCode));
});

test("well-known codes carry Kafka's names and retriable flags", () => {
  const expect: [string, number, boolean][] = [
    ['NONE', 0, false],
    ['UNKNOWN_SERVER_ERROR', -1, false],
    ['OFFSET_OUT_OF_RANGE', 1, false],
    ['CORRUPT_MESSAGE', 2, true],
    ['UNKNOWN_TOPIC_OR_PARTITION', 3, true],
    ['LEADER_NOT_AVAILABLE', 5, true],
    ['NOT_LEADER_OR_FOLLOWER', 6, true],
    ['REQUEST_TIMED_OUT', 7, true],
    ['COORDINATOR_LOAD_IN_PROGRESS', 14, true],
    ['COORDINATOR_NOT_AVAILABLE', 15, true],
    ['NOT_COORDINATOR', 16, true],
    ['NOT_ENOUGH_REPLICAS', 19, true],
    ['ILLEGAL_GENERATION', 22, false],
    ['UNKNOWN_MEMBER_ID', 25, false],
    ['REBALANCE_IN_PROGRESS', 27, false],
    ['TOPIC_AUTHORIZATION_FAILED', 29, false],
    ['UNSUPPORTED_SASL_MECHANISM', 33, false],
    ['UNSUPPORTED_VERSION', 35, false],
    ['TOPIC_ALREADY_EXISTS', 36, false],
    ['NOT_CONTROLLER', 41, true],
    ['INVALID_REQUEST', 42, false],
    ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false],
    ['INVALID_PRODUCER_EPOCH', 47, false],
    ['KAFKA_STORAGE_ERROR', 56, true],
    ['SASL_AUTHENTICATION_FAILED', 58, false],
    ['UNKNOWN_PRODUCER_ID', 59, false],
    ['GROUP_ID_NOT_FOUND', 69, false],
    ['FETCH_SESSION_ID_NOT_FOUND', 70, true],
    ['FENCED_LEADER_EPOCH', 74, true],
    ['MEMBER_ID_REQUIRED', 79, false],
    ['FENCED_INSTANCE_ID', 82, false],
    ['UNSTABLE_OFFSET_COMMIT', 88, true],
    ['THROTTLING_QUOTA_EXCEEDED', 89, true],
    ['PRODUCER_FENCED', 90, false],
    ['UNKNOWN_TOPIC_ID', 100, true],
    ['FENCED_MEMBER_EPOCH', 110, false],
    ['STALE_MEMBER_EPOCH', 113, false],
    ['TRANSACTION_ABORTABLE', 120, false],
  ];
  for (const [name, code, retriable] of expect) {
    assert.deepEqual(errorByCode(code), { name, code, retriable }, name);
    assert.equal(errorByName(name)?.code, code);
  }
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
  assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35);
});

test('KafkaError carries code, name and retriable; unknown codes read as UNKNOWN_SERVER_ERROR', () => {
  const e = KafkaError.from(ErrorCode.NOT_COORDINATOR, 'coordinator moved');
  assert.ok(e instanceof Error);
  assert.equal(e.code, 16);
  assert.equal(e.errorName, 'NOT_COORDINATOR');
  assert.equal(e.retriable, true);
  assert.match(e.message, /NOT_COORDINATOR \(16\): coordinator moved/);
  assert.equal(KafkaError.from(35, null).message, 'UNSUPPORTED_VERSION (35)');
  const unknown = KafkaError.from(9999);
  assert.equal(unknown.code, 9999);
  assert.equal(unknown.errorName, 'UNKNOWN_SERVER_ERROR');
  assert.equal(unknown.retriable, false);
  assert.equal(errorByCode(9999), undefined);
});
