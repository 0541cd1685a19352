"""confluent-kafka (python3-confluent-kafka, librdkafka) against a Samsa broker, driven by the
interop tests.

usage: confluent_client.py BOOTSTRAP produce-consume   (job JSON on stdin)
       confluent_client.py BOOTSTRAP admin TOPIC
Prints one JSON document on stdout; diagnostics go to stderr. Every wait is bounded.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

TIMEOUT_S = 20


def produce(bootstrap, topic, codec, records):
    errors = []
    delivered = []
    producer = Producer({
        'bootstrap.servers': bootstrap, 'client.id': 'interop-confluent',
        'compression.type': codec, 'enable.idempotence': False, 'acks': 'all', 'linger.ms': 20,
        'message.timeout.ms': TIMEOUT_S * 1000,
    })

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append([msg.partition(), msg.offset()])

    for r in records:
        producer.produce(
            topic, partition=r['partition'],
            key=None if r['key'] is None else r['key'].encode(), value=r['value'].encode(),
            headers=[(k, v.encode()) for k, v in r['headers']], timestamp=r['timestamp'],
            on_delivery=on_delivery,
        )
    left = producer.flush(TIMEOUT_S)
    if left != 0 or errors:
        raise SystemExit('produce failed: %d undelivered, errors %r' % (left, errors[:5]))
    return delivered


def consume(bootstrap, topic, partitions, count):
    # assign() needs no group coordinator; librdkafka still wants a group.id in the config.
    consumer = Consumer({
        'bootstrap.servers': bootstrap, 'client.id': 'interop-confluent', 'group.id': 'interop-unused',
        'enable.auto.commit': False, 'enable.auto.offset.store': False, 'fetch.wait.max.ms': 50,
    })
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    seen = []
    deadline = time.time() + TIMEOUT_S
    while len(seen) < count and time.time() < deadline:
        m = consumer.poll(0.2)
        if m is None:
            continue
        if m.error():
            raise KafkaException(m.error())
        seen.append({
            'partition': m.partition(), 'offset': m.offset(),
            'key': None if m.key() is None else m.key().decode(),
            'value': None if m.value() is None else m.value().decode(),
            'headers': [[k, None if v is None else v.decode()] for k, v in (m.headers() or [])],
            'timestamp': m.timestamp()[1], 'timestamp_type': m.timestamp()[0],
        })
    consumer.close()
    return seen


def produce_consume(bootstrap):
    job = json.load(sys.stdin)
    out = []
    for t in job['topics']:
        offsets = produce(bootstrap, t['topic'], t['codec'], t['records'])
        parts = sorted({r['partition'] for r in t['records']})
        seen = consume(bootstrap, t['topic'], parts, len(t['records']))
        out.append({'topic': t['topic'], 'offsets': offsets, 'seen': seen})
    return out


def admin(bootstrap, topic):
    a = AdminClient({'bootstrap.servers': bootstrap, 'client.id': 'interop-confluent-admin'})
    res = {}
    for t, f in a.create_topics([NewTopic(topic, 3, 1)], operation_timeout=10).items():
        res['create'] = [t, f.result(timeout=TIMEOUT_S)]
    try:
        for t, f in a.create_topics([NewTopic(topic, 1, 1)]).items():
            f.result(timeout=TIMEOUT_S)
        res['create_again'] = 'no error'
    except KafkaException as e:
        res['create_again'] = e.args[0].name()
    md = a.list_topics(timeout=TIMEOUT_S)
    t = md.topics[topic]
    res['describe'] = {
        'error': None if t.error is None else t.error.name(),
        'partitions': sorted([p.id, p.leader, list(p.replicas), list(p.isrs)] for p in t.partitions.values()),
    }
    res['brokers'] = sorted([b.id, b.host, b.port] for b in md.brokers.values())
    res['controller_id'] = md.controller_id
    res['cluster_id'] = md.cluster_id
    for t, f in a.create_partitions([NewPartitions(topic, 5)], operation_timeout=10).items():
        res['create_partitions'] = [t, f.result(timeout=TIMEOUT_S)]
    res['partitions_after_grow'] = len(a.list_topics(topic, timeout=TIMEOUT_S).topics[topic].partitions)
    for t, f in a.delete_topics([topic], operation_timeout=10).items():
        res['delete'] = [t, f.result(timeout=TIMEOUT_S)]
    # Metadata is eventually consistent in librdkafka's cache: ask until it is gone (bounded).
    deadline = time.time() + 5
    while time.time() < deadline and topic in a.list_topics(timeout=TIMEOUT_S).topics:
        time.sleep(0.1)
    res['listed_after_delete'] = topic in a.list_topics(timeout=TIMEOUT_S).topics
    return res


def main():
    bootstrap, cmd = sys.argv[1], sys.argv[2]
    if cmd == 'produce-consume':
        result = produce_consume(bootstrap)
    elif cmd == 'admin':
        result = admin(bootstrap, sys.argv[3])
    else:
        raise SystemExit('unknown command ' + cmd)
    json.dump(result, sys.stdout, default=str)


if __name__ == '__main__':
    main()
