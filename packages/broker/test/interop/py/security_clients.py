"""confluent-kafka (librdkafka) and kafka-python over SSL / SASL listeners, driven by
test/security/client-matrix.test.ts.

usage: security_clients.py confluent|kafka-python   (cases JSON on stdin)
Each case: {name, bootstrap, protocol, mechanism?, username?, password?, token?, ca?, cert?, key?,
topic, expectFailure}. Produces two records and reads them back (assign, from the beginning).
Prints [{name, ok, values, error}] on stdout. Every wait is bounded.
"""
import json
import sys
import time

TIMEOUT_S = 15


def confluent_case(c):
    from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
    errors = []
    conf = {
        'bootstrap.servers': c['bootstrap'], 'security.protocol': c['protocol'], 'client.id': 'sec-confluent',
        'error_cb': lambda e: errors.append(str(e)), 'socket.timeout.ms': 5000,
    }
    if 'SSL' in c['protocol']:
        conf['ssl.ca.location'] = c['ca']
        if c.get('cert'):
            conf['ssl.certificate.location'] = c['cert']
            conf['ssl.key.location'] = c['key']
    if c['protocol'].startswith('SASL'):
        conf['sasl.mechanisms'] = c['mechanism']
        if c['mechanism'] == 'OAUTHBEARER':
            conf['sasl.oauthbearer.config'] = 'principal=%s lifeSeconds=%d' % (c['username'], c.get('lifeSeconds', 3600))
            conf['enable.sasl.oauthbearer.unsecure.jwt'] = True
        else:
            conf['sasl.username'] = c['username']
            conf['sasl.password'] = c['password']
    delivered = []
    producer = Producer(dict(conf, **{'message.timeout.ms': (4 if c['expectFailure'] else TIMEOUT_S) * 1000, 'enable.idempotence': False}))
    for i in range(2):
        producer.produce(c['topic'], value=('%s-%d' % (c['name'], i)).encode(), partition=0,
                         on_delivery=lambda err, msg: delivered.append(err is None))
    deadline = time.time() + TIMEOUT_S
    while len(delivered) < 2 and time.time() < deadline:
        producer.poll(0.1)
        # A refused client reports it through error_cb long before the message times out.
        if c['expectFailure'] and errors:
            break
    if not (len(delivered) == 2 and all(delivered)):
        return {'ok': False, 'error': '; '.join(errors[:3]) or 'not delivered'}
    consumer = Consumer(dict(conf, **{'group.id': 'sec-unused', 'enable.auto.commit': False, 'fetch.wait.max.ms': 50}))
    consumer.assign([TopicPartition(c['topic'], 0, OFFSET_BEGINNING)])
    values = []
    deadline = time.time() + TIMEOUT_S
    while len(values) < 2 and time.time() < deadline:
        m = consumer.poll(0.2)
        if m is not None and m.error() is None:
            values.append(m.value().decode())
    consumer.close()
    return {'ok': len(values) == 2, 'values': values, 'error': '; '.join(errors[:3]) or None}


class Token:
    def __init__(self, token):
        self._token = token

    def token(self):
        return self._token


def kafka_python_case(c):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    conf = {'bootstrap_servers': c['bootstrap'], 'security_protocol': c['protocol'], 'client_id': 'sec-kafka-python',
            'request_timeout_ms': 10000, 'api_version_auto_timeout_ms': 5000}
    if 'SSL' in c['protocol']:
        conf['ssl_cafile'] = c['ca']
        if c.get('cert'):
            conf['ssl_certfile'] = c['cert']
            conf['ssl_keyfile'] = c['key']
    if c['protocol'].startswith('SASL'):
        conf['sasl_mechanism'] = c['mechanism']
        if c['mechanism'] == 'OAUTHBEARER':
            conf['sasl_oauth_token_provider'] = Token(c['token'])
        else:
            conf['sasl_plain_username'] = c['username']
            conf['sasl_plain_password'] = c['password']
    try:
        producer = KafkaProducer(max_block_ms=5000 if c['expectFailure'] else 15000, **conf)
        for i in range(2):
            producer.send(c['topic'], value=('%s-%d' % (c['name'], i)).encode(), partition=0).get(timeout=TIMEOUT_S)
        producer.close(timeout=5)
        consumer = KafkaConsumer(consumer_timeout_ms=TIMEOUT_S * 1000, fetch_max_wait_ms=50, enable_auto_commit=False, **conf)
        tp = TopicPartition(c['topic'], 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        values = []
        deadline = time.time() + TIMEOUT_S
        while len(values) < 2 and time.time() < deadline:
            for recs in consumer.poll(timeout_ms=200).values():
                values.extend(r.value.decode() for r in recs)
        consumer.close()
        return {'ok': len(values) == 2, 'values': values, 'error': None}
    except Exception as e:  # the failure cases land here
        return {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}


def main():
    client = sys.argv[1]
    cases = json.load(sys.stdin)
    run = confluent_case if client == 'confluent' else kafka_python_case
    out = []
    for c in cases:
        started = time.time()
        r = run(c)
        r['name'] = c['name']
        r['seconds'] = round(time.time() - started, 2)
        out.append(r)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
