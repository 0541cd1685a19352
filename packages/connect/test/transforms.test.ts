// Single message transformations and predicates, configured with Kafka's class names and keys
// (as a connector config would), checked against the behaviour Kafka documents for each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTransformationChain, type ConnectRecord, formatJavaDate, LogicalType, Plugins, Schemas, type SinkRecord, type SourceRecord, Struct, structSchema } from '../src/index.js';

const plugins = new Plugins();
const chain = (props: Record<string, string>) => buildTransformationChain(plugins, props);
const T = 'org.apache.kafka.connect.transforms.';

function sinkRecord(over: Partial<SinkRecord> = {}): SinkRecord {
  return { topic: 'test', kafkaPartition: 0, kafkaOffset: 42, keySchema: null, key: null, valueSchema: null, value: null, timestamp: 1483425001864, timestampType: 'CreateTime', headers: [], ...over };
}

function sourceRecord(over: Partial<SourceRecord> = {}): SourceRecord {
  return { topic: 'test', kafkaPartition: null, keySchema: null, key: null, valueSchema: null, value: null, timestamp: 1483425001864, headers: [], sourcePartition: {}, sourceOffset: {}, ...over };
}

test('InsertField$Value schemaless: topic, partition, offset, timestamp and a static field are added to the map', () => {
  const c = chain({
    transforms: 'insert',
    'transforms.insert.type': `${T}InsertField$Value`,
    'transforms.insert.topic.field': 'topic_field!',
    'transforms.insert.partition.field': 'partition_field',
    'transforms.insert.offset.field': 'offset_field',
    'transforms.insert.timestamp.field': 'timestamp_field?',
    'transforms.insert.static.field': 'instance_id',
    'transforms.insert.static.value': 'my-instance-id',
  });
  const out = c.apply(sinkRecord({ value: { magic: 42 } }))!;
  assert.deepEqual(out.value, { magic: 42, topic_field: 'test', partition_field: 0, offset_field: 42, timestamp_field: 1483425001864, instance_id: 'my-instance-id' });
  // a tombstone passes through untouched
  const tomb = sinkRecord({ value: null });
  assert.equal(c.apply(tomb), tomb);
  // offset.field is for sink records only
  assert.throws(() => c.apply(sourceRecord({ value: { magic: 1 } })), /Only SinkRecord supported/);
});

test('InsertField$Value with a schema: new optional/required fields on a copy of the struct schema', () => {
  const c = chain({ transforms: 'i', 'transforms.i.type': 'InsertField$Value', 'transforms.i.topic.field': 'topic_field!', 'transforms.i.timestamp.field': 'ts', 'transforms.i.static.field': 'instance_id', 'transforms.i.static.value': 'my-instance-id' });
  const schema = structSchema([['magic', Schemas.INT64]], { name: 'name', version: 1, doc: 'doc' });
  const out = c.apply(sinkRecord({ valueSchema: schema, value: new Struct(schema).put('magic', 42) }))!;
  const s = out.valueSchema!;
  assert.equal(s.name, 'name');
  assert.equal(s.version, 1);
  assert.deepEqual(s.fields!.map((f) => [f.name, f.schema.type, f.schema.optional, f.schema.name]), [
    ['magic', 'int64', false, undefined],
    ['topic_field', 'string', false, undefined],
    ['ts', 'int64', true, LogicalType.TIMESTAMP],
    ['instance_id', 'string', true, undefined],
  ]);
  const v = out.value as Struct;
  assert.equal(v.get('magic'), 42);
  assert.equal(v.get('topic_field'), 'test');
  assert.deepEqual(v.get('ts'), new Date(1483425001864));
  assert.equal(v.get('instance_id'), 'my-instance-id');
});

test('InsertField$Key works on the key; a non-map value without schema is a DataException', () => {
  const c = chain({ transforms: 'k', 'transforms.k.type': `${T}InsertField$Key`, 'transforms.k.topic.field': 't' });
  assert.deepEqual(c.apply(sinkRecord({ key: { id: 1 }, value: 'v' }))!.key, { id: 1, t: 'test' });
  assert.throws(() => c.apply(sinkRecord({ key: 'text' })), /Only Map objects supported in absence of schema for \[field insertion\], found: java.lang.String/);
});

test('ReplaceField$Value: exclude wins over include, renames old:new; struct schema follows', () => {
  const c = chain({ transforms: 'r', 'transforms.r.type': `${T}ReplaceField$Value`, 'transforms.r.exclude': 'dont', 'transforms.r.renames': 'abc:xyz,foo:bar' });
  assert.deepEqual(c.apply(sinkRecord({ value: { dont: 'whatever', abc: 42, foo: true, etc: 'etc' } }))!.value, { xyz: 42, bar: true, etc: 'etc' });
  const inc = chain({ transforms: 'r', 'transforms.r.type': `${T}ReplaceField$Value`, 'transforms.r.include': 'abc,foo', 'transforms.r.renames': 'abc:xyz' });
  const schema = structSchema([['dont', Schemas.STRING], ['abc', Schemas.INT32], ['foo', Schemas.BOOLEAN]]);
  const out = inc.apply(sinkRecord({ valueSchema: schema, value: new Struct(schema).put('dont', 'x').put('abc', 42).put('foo', true) }))!;
  assert.deepEqual(out.valueSchema!.fields!.map((f) => f.name), ['xyz', 'foo']);
  assert.equal((out.value as Struct).get('xyz'), 42);
  assert.throws(() => chain({ transforms: 'r', 'transforms.r.type': `${T}ReplaceField$Value`, 'transforms.r.renames': 'nocolon' }), /Invalid rename mapping/);
});

test('MaskField$Value: type-appropriate empty values, or a replacement for numbers and strings', () => {
  const c = chain({ transforms: 'm', 'transforms.m.type': `${T}MaskField$Value`, 'transforms.m.fields': 'int,str,bool,list,map,absent' });
  assert.deepEqual(c.apply(sinkRecord({ value: { int: 42, str: 'secret', bool: true, list: [1], map: { a: 1 }, other: 'x' } }))!.value, { int: 0, str: '', bool: false, list: [], map: {}, other: 'x', absent: null });
  const rep = chain({ transforms: 'm', 'transforms.m.type': `${T}MaskField$Value`, 'transforms.m.fields': 'ssn,age', 'transforms.m.replacement': '123' });
  const schema = structSchema([['ssn', Schemas.STRING], ['age', Schemas.INT32], ['name', Schemas.STRING]]);
  const out = rep.apply(sinkRecord({ valueSchema: schema, value: new Struct(schema).put('ssn', '000-00-0000').put('age', 40).put('name', 'n') }))!.value as Struct;
  assert.equal(out.get('ssn'), '123');
  assert.equal(out.get('age'), 123);
  assert.equal(out.get('name'), 'n');
  const bad = chain({ transforms: 'm', 'transforms.m.type': `${T}MaskField$Value`, 'transforms.m.fields': 'b', 'transforms.m.replacement': 'x' });
  assert.throws(() => bad.apply(sinkRecord({ value: { b: true } })), /Cannot mask value of type/);
});

test('ValueToKey copies value fields into a new key (a struct with a schema, a map without)', () => {
  const c = chain({ transforms: 'v', 'transforms.v.type': `${T}ValueToKey`, 'transforms.v.fields': 'a,b' });
  assert.deepEqual(c.apply(sinkRecord({ value: { a: 1, b: 2, c: 3 } }))!.key, { a: 1, b: 2 });
  const schema = structSchema([['a', Schemas.INT32], ['b', Schemas.INT32], ['c', Schemas.INT32]]);
  const out = c.apply(sinkRecord({ valueSchema: schema, value: new Struct(schema).put('a', 1).put('b', 2).put('c', 3) }))!;
  assert.deepEqual(out.keySchema!.fields!.map((f) => f.name), ['a', 'b']);
  assert.equal((out.key as Struct).get('b'), 2);
  const missing = chain({ transforms: 'v', 'transforms.v.type': `${T}ValueToKey`, 'transforms.v.fields': 'zz' });
  assert.throws(() => missing.apply(sinkRecord({ valueSchema: schema, value: new Struct(schema).put('a', 1).put('b', 2).put('c', 3) })), /Field does not exist: zz/);
});

test('ExtractField$Key/$Value replace the key/value with one field (and its schema)', () => {
  const k = chain({ transforms: 'e', 'transforms.e.type': `${T}ExtractField$Key`, 'transforms.e.field': 'id' });
  assert.equal(k.apply(sinkRecord({ key: { id: 'abc', x: 1 } }))!.key, 'abc');
  assert.equal(k.apply(sinkRecord({ key: null }))!.key, null);
  const v = chain({ transforms: 'e', 'transforms.e.type': `${T}ExtractField$Value`, 'transforms.e.field': 'magic' });
  const schema = structSchema([['magic', Schemas.INT32]]);
  const out = v.apply(sinkRecord({ valueSchema: schema, value: new Struct(schema).put('magic', 42) }))!;
  assert.equal(out.value, 42);
  assert.deepEqual(out.valueSchema, Schemas.INT32);
  assert.throws(() => chain({ transforms: 'e', 'transforms.e.type': `${T}ExtractField$Value`, 'transforms.e.field': 'nope' }).apply(sinkRecord({ valueSchema: schema, value: new Struct(schema).put('magic', 1) })), /Unknown field: nope/);
});

test('TimestampRouter: ${topic}-${timestamp} with a SimpleDateFormat pattern in UTC', () => {
  const c = chain({ transforms: 'r', 'transforms.r.type': `${T}TimestampRouter` });
  assert.equal(c.apply(sinkRecord())!.topic, 'test-20170103');
  const custom = chain({ transforms: 'r', 'transforms.r.type': 'TimestampRouter', 'transforms.r.topic.format': 'log_${timestamp}_${topic}', 'transforms.r.timestamp.format': "yyyy-MM-dd'T'HH" });
  assert.equal(custom.apply(sinkRecord())!.topic, 'log_2017-01-03T06_test');
  assert.throws(() => c.apply(sinkRecord({ timestamp: null })), /Timestamp missing on record/);
  assert.equal(formatJavaDate('yyMMddHHmmssSSS', new Date(Date.UTC(2024, 1, 9, 3, 4, 5, 6))), '240209030405006');
});

test('RegexRouter replaces the topic when the regex matches the whole name ($1 references)', () => {
  const c = chain({ transforms: 'r', 'transforms.r.type': `${T}RegexRouter`, 'transforms.r.regex': '(.*)-(\\d\\d)', 'transforms.r.replacement': '$1' });
  assert.equal(c.apply(sinkRecord({ topic: 'foo-10' }))!.topic, 'foo');
  assert.equal(c.apply(sinkRecord({ topic: 'foo-100' }))!.topic, 'foo-100');
  const prefix = chain({ transforms: 'r', 'transforms.r.type': 'RegexRouter', 'transforms.r.regex': '(.*)customers_(.*)', 'transforms.r.replacement': '$1customers_prefix_$2' });
  assert.equal(prefix.apply(sinkRecord({ topic: 'db.customers_east' }))!.topic, 'db.customers_prefix_east');
});

test('Filter with predicates TopicNameMatches, HasHeaderKey, RecordIsTombstone, and negate', () => {
  const P = `${T}predicates.`;
  const byTopic = chain({ transforms: 'f', 'transforms.f.type': `${T}Filter`, 'transforms.f.predicate': 'isFoo', predicates: 'isFoo', 'predicates.isFoo.type': `${P}TopicNameMatches`, 'predicates.isFoo.pattern': 'foo.*' });
  assert.equal(byTopic.apply(sinkRecord({ topic: 'foobar' })), null);
  assert.notEqual(byTopic.apply(sinkRecord({ topic: 'barfoo' })), null);
  const keepOnlyFoo = chain({ transforms: 'f', 'transforms.f.type': 'Filter', 'transforms.f.predicate': 'isFoo', 'transforms.f.negate': 'true', predicates: 'isFoo', 'predicates.isFoo.type': 'TopicNameMatches', 'predicates.isFoo.pattern': 'foo.*' });
  assert.notEqual(keepOnlyFoo.apply(sinkRecord({ topic: 'foobar' })), null);
  assert.equal(keepOnlyFoo.apply(sinkRecord({ topic: 'barfoo' })), null);
  const header = chain({ transforms: 'f', 'transforms.f.type': 'Filter', 'transforms.f.predicate': 'h', predicates: 'h', 'predicates.h.type': `${P}HasHeaderKey`, 'predicates.h.name': 'skip-me' });
  assert.equal(header.apply(sinkRecord({ headers: [{ key: 'skip-me', schema: null, value: 'x' }] })), null);
  assert.notEqual(header.apply(sinkRecord({ headers: [{ key: 'other', schema: null, value: 'x' }] })), null);
  const tomb = chain({ transforms: 'f', 'transforms.f.type': 'Filter', 'transforms.f.predicate': 't', predicates: 't', 'predicates.t.type': `${P}RecordIsTombstone` });
  assert.equal(tomb.apply(sinkRecord({ value: null })), null);
  assert.notEqual(tomb.apply(sinkRecord({ value: 'x' })), null);
  // a predicate gates any transformation, not only Filter
  const gated = chain({ transforms: 'i', 'transforms.i.type': 'InsertField$Value', 'transforms.i.static.field': 's', 'transforms.i.static.value': 'v', 'transforms.i.predicate': 'isFoo', predicates: 'isFoo', 'predicates.isFoo.type': 'TopicNameMatches', 'predicates.isFoo.pattern': 'foo' });
  assert.deepEqual(gated.apply(sinkRecord({ topic: 'foo', value: {} }))!.value, { s: 'v' });
  assert.deepEqual(gated.apply(sinkRecord({ topic: 'bar', value: {} }))!.value, {});
});

test('transformations run in the configured order; bad configs fail with Kafka\'s messages', () => {
  const c = chain({ transforms: 'a,b', 'transforms.a.type': 'ExtractField$Value', 'transforms.a.field': 'inner', 'transforms.b.type': 'InsertField$Value', 'transforms.b.topic.field': 't' });
  const r: ConnectRecord = sinkRecord({ value: { inner: { x: 1 } } });
  assert.deepEqual(c.apply(r)!.value, { x: 1, t: 'test' });
  assert.throws(() => chain({ transforms: 'a' }), /Missing required configuration "transforms.a.type"/);
  assert.throws(() => chain({ transforms: 'a', 'transforms.a.type': 'NoSuchTransform' }), /Class NoSuchTransform could not be found/);
  assert.throws(() => chain({ transforms: 'a', 'transforms.a.type': 'MaskField$Value' }), /Missing required configuration "fields"/);
  assert.throws(() => chain({ transforms: 'a', 'transforms.a.type': 'Filter', 'transforms.a.predicate': 'nope' }), /Predicate not defined/);
});
