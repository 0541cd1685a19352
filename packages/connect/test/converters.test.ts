// Converters against the byte formats Kafka's JsonConverter/StringConverter/ByteArrayConverter
// document and produce (the envelope, schema JSON field order, base64 bytes, map encodings).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteArrayConverter, DataException, JsonConverter, LogicalType, Schemas, StringConverter, Struct, structSchema, type Schema } from '../src/index.js';

const json = (c: JsonConverter, schema: Schema | null, value: unknown): string => c.fromConnectData('t', schema, value)!.toString('utf8');

function jsonConverter(props: Record<string, string> = {}): JsonConverter {
  const c = new JsonConverter();
  c.configure(props, false);
  return c;
}

test('JsonConverter with schemas (the default) writes the {"schema","payload"} envelope, schema fields in Kafka\'s order', () => {
  const c = jsonConverter();
  assert.equal(json(c, Schemas.STRING, 'foo'), '{"schema":{"type":"string","optional":false},"payload":"foo"}');
  assert.equal(json(c, Schemas.BOOLEAN, true), '{"schema":{"type":"boolean","optional":false},"payload":true}');
  assert.equal(json(c, Schemas.OPTIONAL_INT64, 4398046511104), '{"schema":{"type":"int64","optional":true},"payload":4398046511104}');
  assert.equal(json(c, Schemas.BYTES, Buffer.from('test-string')), '{"schema":{"type":"bytes","optional":false},"payload":"dGVzdC1zdHJpbmc="}');
  const s = structSchema([['field1', Schemas.BOOLEAN], ['field2', Schemas.STRING]], { name: 'com.example.Rec', version: 2 });
  assert.equal(
    json(c, s, new Struct(s).put('field1', true).put('field2', 'string2')),
    '{"schema":{"type":"struct","fields":[{"type":"boolean","optional":false,"field":"field1"},{"type":"string","optional":false,"field":"field2"}],"optional":false,"name":"com.example.Rec","version":2},"payload":{"field1":true,"field2":"string2"}}',
  );
});

test('JsonConverter maps: string keys as an object, other keys as [key, value] pairs; arrays as "items"', () => {
  const c = jsonConverter();
  const strMap: Schema = { type: 'map', optional: false, keySchema: Schemas.STRING, valueSchema: Schemas.INT32 };
  assert.equal(json(c, strMap, new Map([['key1', 12], ['key2', 15]])), '{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":{"key1":12,"key2":15}}');
  const intMap: Schema = { type: 'map', optional: false, keySchema: Schemas.INT32, valueSchema: Schemas.INT32 };
  assert.deepEqual(JSON.parse(json(c, intMap, new Map([[1, 12], [2, 15]]))).payload, [[1, 12], [2, 15]]);
  const arr: Schema = { type: 'array', optional: false, valueSchema: Schemas.INT32 };
  assert.equal(json(c, arr, [1, 2, 3]), '{"schema":{"type":"array","items":{"type":"int32","optional":false},"optional":false},"payload":[1,2,3]}');
});

test('JsonConverter logical Timestamp/Date and defaults', () => {
  const c = jsonConverter();
  const ts: Schema = { type: 'int64', optional: false, name: LogicalType.TIMESTAMP, version: 1 };
  assert.equal(json(c, ts, new Date(4000000000)), '{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}');
  const date: Schema = { type: 'int32', optional: false, name: LogicalType.DATE, version: 1 };
  assert.equal(JSON.parse(json(c, date, new Date(Date.UTC(1970, 0, 3)))).payload, 2);
  const withDefault: Schema = { type: 'int32', optional: false, defaultValue: 42 };
  assert.equal(json(c, withDefault, null), '{"schema":{"type":"int32","optional":false,"default":42},"payload":42}');
  assert.throws(() => json(c, Schemas.INT32, null), DataException);
});

test('JsonConverter round trips typed data through the envelope', () => {
  const c = jsonConverter();
  const inner = structSchema([['n', Schemas.OPTIONAL_INT32]], { optional: true });
  const s = structSchema([['id', Schemas.INT64], ['name', Schemas.OPTIONAL_STRING], ['blob', Schemas.BYTES], ['tags', { type: 'array', optional: false, valueSchema: Schemas.STRING }], ['inner', inner]]);
  const v = new Struct(s).put('id', 7).put('name', null).put('blob', Buffer.from([1, 2, 3])).put('tags', ['a', 'b']).put('inner', new Struct(inner).put('n', 5));
  const back = c.toConnectData('t', c.fromConnectData('t', s, v));
  assert.deepEqual(back.schema, s);
  const out = back.value as Struct;
  assert.equal(out.get('id'), 7);
  assert.equal(out.get('name'), null);
  assert.deepEqual(out.get('blob'), Buffer.from([1, 2, 3]));
  assert.deepEqual(out.get('tags'), ['a', 'b']);
  assert.equal((out.get('inner') as Struct).get('n'), 5);
});

test('JsonConverter with schemas.enable=true rejects plain JSON with Kafka\'s message; schemas.enable=false reads and writes plain JSON', () => {
  const withSchemas = jsonConverter();
  assert.throws(() => withSchemas.toConnectData('t', Buffer.from('{"a":1}')), /JsonConverter with schemas.enable requires "schema" and "payload" fields/);
  assert.throws(() => withSchemas.toConnectData('t', Buffer.from('not json')), /Converting byte\[\] to Kafka Connect data failed due to serialization error/);
  assert.deepEqual(withSchemas.toConnectData('t', Buffer.from('{"schema":null,"payload":{"a":1}}')), { schema: null, value: { a: 1 } });
  assert.deepEqual(withSchemas.toConnectData('t', null), { schema: null, value: null });
  const plain = jsonConverter({ 'schemas.enable': 'false' });
  assert.deepEqual(plain.toConnectData('t', Buffer.from('{"a":[1,2],"b":"x"}')), { schema: null, value: { a: [1, 2], b: 'x' } });
  assert.equal(json(plain, null, { a: 1, b: Buffer.from('hi') }), '{"a":1,"b":"aGk="}');
  assert.equal(json(plain, Schemas.STRING, 'foo'), '"foo"');
  assert.equal(plain.fromConnectData('t', null, null), null);
});

test('StringConverter: values as UTF-8 text (any value via its string form), read back with an optional string schema', () => {
  const c = new StringConverter();
  c.configure({}, false);
  assert.deepEqual(c.fromConnectData('t', Schemas.STRING, 'héllo'), Buffer.from('héllo', 'utf8'));
  assert.deepEqual(c.fromConnectData('t', Schemas.INT32, 12), Buffer.from('12'));
  assert.equal(c.fromConnectData('t', null, null), null);
  assert.deepEqual(c.toConnectData('t', Buffer.from('abc')), { schema: Schemas.OPTIONAL_STRING, value: 'abc' });
  assert.deepEqual(c.toConnectData('t', null), { schema: Schemas.OPTIONAL_STRING, value: null });
  const latin = new StringConverter();
  latin.configure({ 'converter.encoding': 'ISO-8859-1' }, false);
  assert.deepEqual(latin.fromConnectData('t', null, 'é'), Buffer.from([0xe9]));
});

test('ByteArrayConverter passes bytes through and refuses non-bytes schemas', () => {
  const c = new ByteArrayConverter();
  const b = Buffer.from([0, 1, 2]);
  assert.equal(c.fromConnectData('t', Schemas.BYTES, b), b);
  assert.equal(c.fromConnectData('t', null, null), null);
  assert.throws(() => c.fromConnectData('t', Schemas.STRING, 'x'), /Invalid schema type for ByteArrayConverter: STRING/);
  assert.deepEqual(c.toConnectData('t', b), { schema: Schemas.OPTIONAL_BYTES, value: b });
});
