/**
 * The security side of the tools against a SASL broker with an ACL authorizer, each tool
 * authenticating through --command-config (security.protocol, sasl.mechanism,
 * sasl.jaas.config): kafka-acls --add/--list/--remove with Kafka's output and the
 * --producer/--consumer role sets; kafka-configs creating SCRAM credentials that then
 * authenticate a SCRAM client, and user/client quotas; a wrong password in --command-config
 * is reported, not hidden.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Producer } from '@samsa/client';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { run } from './support.js';

let broker: TestBroker;
let dir: string;
let bs: string;
let adminProps: string;

const jaas = (module: string, user: string, password: string): string => `${module} required username="${user}" password="${password}";`;
const PLAIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';

function props(name: string, mechanism: string, module: string, user: string, password: string): string {
  const path = join(dir, name);
  writeFileSync(path, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=${mechanism}\nsasl.jaas.config=${jaas(module, user, password)}\n`);
  return path;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-sec-tools-'));
  broker = await startBroker({
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'advertised.listeners': 'SASL_PLAINTEXT://localhost:0',
      'security.inter.broker.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': `${PLAIN_MODULE} required username="admin" password="admin-secret" user_admin="admin-secret";`,
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'super.users': 'User:admin',
    },
  });
  bs = `localhost:${broker.port}`;
  adminProps = props('admin.properties', 'PLAIN', PLAIN_MODULE, 'admin', 'admin-secret');
});
after(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tool = (name: string, args: string[], config = adminProps) => run(name, ['--bootstrap-server', bs, '--command-config', config, ...args]);

test('kafka-acls: add, list, remove with Kafka\'s output', async () => {
  const add = await tool('kafka-acls', ['--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Write', '--topic', 'orders']);
  assert.equal(add.code, 0, add.stderr);
  const pattern = '`ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`';
  const read = '(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)';
  const write = '(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)';
  assert.equal(add.stdout, `Adding ACLs for resource ${pattern}: \n \t${read}\n\t${write} \n\nCurrent ACLs for resource ${pattern}: \n \t${read}\n\t${write} \n\n`);

  const consumer = await tool('kafka-acls', ['--add', '--allow-principal', 'User:bob', '--consumer', '--topic', 'pay', '--group', 'billing', '--resource-pattern-type', 'prefixed']);
  assert.equal(consumer.code, 0, consumer.stderr);
  assert.match(consumer.stdout, /name=pay, patternType=PREFIXED\)`: \n \t\(principal=User:bob, host=\*, operation=READ, permissionType=ALLOW\)\n\t\(principal=User:bob, host=\*, operation=DESCRIBE/);
  assert.match(consumer.stdout, /resourceType=GROUP, name=billing, patternType=PREFIXED/);

  const byPrincipal = await tool('kafka-acls', ['--list', '--principal', 'User:bob']);
  assert.match(byPrincipal.stdout, /^ACLs for principal `User:bob`\n/);
  assert.doesNotMatch(byPrincipal.stdout, /alice/);

  const remove = await tool('kafka-acls', ['--remove', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'orders', '--force']);
  assert.equal(remove.code, 0, remove.stderr);
  assert.equal(remove.stdout, `Current ACLs for resource ${pattern}: \n \t${write} \n\n`);

  // Without --force it asks; "n" keeps the ACLs.
  const kept = await run('kafka-acls', ['--bootstrap-server', bs, '--command-config', adminProps, '--remove', '--topic', 'orders'], { input: 'n\n' });
  assert.match(kept.stdout, /Are you sure you want to delete all ACLs for resource filter `ResourcePatternFilter\(resourceType=TOPIC, name=orders, patternType=LITERAL\)`\? \(y\/n\)/);
  assert.match((await tool('kafka-acls', ['--list', '--topic', 'orders'])).stdout, /operation=WRITE/);

  const bad = await tool('kafka-acls', ['--add', '--allow-principal', 'alice', '--topic', 'orders']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Could not parse principal from `alice`/);
});

test('kafka-configs: SCRAM credentials for a user, then that user authenticates with SCRAM', async () => {
  const add = await tool('kafka-configs', ['--alter', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=carol-secret],SCRAM-SHA-512=[password=carol-secret]', '--entity-type', 'users', '--entity-name', 'carol']);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout, 'Completed updating config for user carol.\n');
  const described = await tool('kafka-configs', ['--describe', '--entity-type', 'users', '--entity-name', 'carol']);
  assert.equal(described.stdout, "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\n");
  // carol may now authenticate (and, as a super user's grant shows, write with an ACL).
  assert.equal((await tool('kafka-acls', ['--add', '--allow-principal', 'User:carol', '--producer', '--topic', 'scram-topic'])).code, 0);
  await broker.broker.topics.createTopic({ name: 'scram-topic' });
  const producer = new Producer({ bootstrapServers: bs, sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret' } });
  const [md] = await producer.send({ topic: 'scram-topic', messages: [{ value: 'hello' }] });
  await producer.close();
  assert.equal(md!.offset, 0n);
  // A tool authenticating as carol with SCRAM through --command-config.
  const carolProps = props('carol.properties', 'SCRAM-SHA-256', 'org.apache.kafka.common.security.scram.ScramLoginModule', 'carol', 'carol-secret');
  const offsets = await tool('kafka-get-offsets', ['--topic', 'scram-topic'], carolProps);
  assert.equal(offsets.code, 0, offsets.stderr);
  assert.equal(offsets.stdout, 'scram-topic:0:1\n');
  // Deleting one mechanism leaves the other.
  assert.equal((await tool('kafka-configs', ['--alter', '--delete-config', 'SCRAM-SHA-512', '--entity-type', 'users', '--entity-name', 'carol'])).code, 0);
  assert.equal((await tool('kafka-configs', ['--describe', '--entity-type', 'users', '--entity-name', 'carol'])).stdout, "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192\n");
  // A wrong password in --command-config is the broker's authentication error.
  const wrong = await tool('kafka-get-offsets', ['--topic', 'scram-topic'], props('wrong.properties', 'SCRAM-SHA-256', 'org.apache.kafka.common.security.scram.ScramLoginModule', 'carol', 'nope'));
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stdout + wrong.stderr, /SASL_AUTHENTICATION_FAILED|[Aa]uthentication failed/);
});

test('kafka-configs: user and client quotas, defaults included', async () => {
  const user = await tool('kafka-configs', ['--alter', '--add-config', 'producer_byte_rate=1024,consumer_byte_rate=2048', '--entity-type', 'users', '--entity-name', 'dave']);
  assert.equal(user.stdout, 'Completed updating config for user dave.\n');
  const def = await tool('kafka-configs', ['--alter', '--add-config', 'producer_byte_rate=4096', '--entity-type', 'clients', '--entity-default']);
  assert.equal(def.stdout, 'Completed updating default config for clients in the cluster.\n');
  assert.equal((await tool('kafka-configs', ['--describe', '--entity-type', 'users', '--entity-name', 'dave'])).stdout, "Quota configs for user-principal 'dave' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0\n");
  assert.equal((await tool('kafka-configs', ['--describe', '--entity-type', 'clients', '--entity-default'])).stdout, 'Quota configs for the default client-id are producer_byte_rate=4096.0\n');
  const removed = await tool('kafka-configs', ['--alter', '--delete-config', 'consumer_byte_rate', '--entity-type', 'users', '--entity-name', 'dave']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal((await tool('kafka-configs', ['--describe', '--entity-type', 'users', '--entity-name', 'dave'])).stdout, "Quota configs for user-principal 'dave' are producer_byte_rate=1024.0\n");
  const invalid = await tool('kafka-configs', ['--alter', '--add-config', 'producer_bytes=1', '--entity-type', 'users', '--entity-name', 'dave']);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr + invalid.stdout, /Invalid config\(s\): producer_bytes/);
});
