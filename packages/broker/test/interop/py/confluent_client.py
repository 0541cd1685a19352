"""confluent-kafka (python3-confluent-kafka, librdkafka) against a Samsa broker, driven by the
interop tests.

usage: confluent_client.py BOOTSTRAP produce-consume   (job JSON on stdin)
       confluent_client.py BOOTSTRAP admin TOPIC
       confluent_client.py BOOTSTRAP edge
Prints one JSON document on stdout; diagnostics go to stderr. Every wait is bounded.
"""
import json
import os
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


def consume_from(bootstrap, topic, start, count, conf=None):
    consumer = Consumer(dict({
        'bootstrap.servers': bootstrap, 'client.id': 'interop-confluent-edge', 'group.id': 'interop-unused',
        'enable.auto.commit': False, 'fetch.wait.max.ms': 50,
    }, **(conf or {})))
    consumer.assign([TopicPartition(topic, 0, start)])
    seen = []
    deadline = time.time() + TIMEOUT_S
    while len(seen) < count and time.time() < deadline:
        m = consumer.poll(0.2)
        if m is None:
            continue
        if m.error():
            raise KafkaException(m.error())
        seen.append([m.offset(), None if m.key() is None else m.key().decode(), None if m.value() is None else len(m.value()), m.timestamp()[0], m.timestamp()[1]])
    consumer.close()
    return seen


def edge(bootstrap):
    """Fetch and produce edge cases a consumer meets in practice."""
    a = AdminClient({'bootstrap.servers': bootstrap, 'client.id': 'interop-confluent-edge'})
    topics = [
        NewTopic('edge', 1, 1),
        NewTopic('edge-lat', 1, 1, config={'message.timestamp.type': 'LogAppendTime'}),
        NewTopic('edge-small', 1, 1, config={'max.message.bytes': '2000'}),
    ]
    for _, f in a.create_topics(topics, operation_timeout=10).items():
        f.result(timeout=TIMEOUT_S)
    errors = []
    p = Producer({'bootstrap.servers': bootstrap, 'compression.type': 'gzip', 'linger.ms': 50, 'enable.idempotence': False})
    for i in range(20):
        p.produce('edge', key=b'k%d' % i, value=(b'v%d-' % i) + b'x' * 500, timestamp=1700000000000 + i * 10)
    p.produce('edge', key=b'tombstone', value=None, timestamp=1700000001000)
    for i in range(3):
        p.produce('edge-lat', value=b'lat%d' % i, timestamp=1000)
    if p.flush(TIMEOUT_S) != 0:
        raise SystemExit('flush failed')
    # A batch over the topic's max.message.bytes (incompressible) is refused as a whole.
    p.produce('edge-small', value=os.urandom(5000), on_delivery=lambda e, m: errors.append(None if e is None else e.name()))
    p.flush(TIMEOUT_S)
    p.produce('edge-small', value=b'fits', on_delivery=lambda e, m: errors.append(None if e is None else e.name()))
    p.flush(TIMEOUT_S)
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'interop-unused'})
    by_time = c.offsets_for_times([TopicPartition('edge', 0, 1700000000055)], timeout=TIMEOUT_S)[0]
    after_all = c.offsets_for_times([TopicPartition('edge', 0, 1800000000000)], timeout=TIMEOUT_S)[0]
    watermarks = c.get_watermark_offsets(TopicPartition('edge', 0), timeout=TIMEOUT_S)
    c.close()
    return {
        'produce_errors': errors,
        # Starting inside a compressed batch: the broker sends the whole batch, the client skips.
        'from_middle': consume_from(bootstrap, 'edge', 7, 14),
        # Past the end: OFFSET_OUT_OF_RANGE, then auto.offset.reset=earliest starts over.
        'out_of_range': consume_from(bootstrap, 'edge', 1000, 21, {'auto.offset.reset': 'earliest'}),
        # Partition and fetch limits below one batch: KIP-74 still returns a batch each time.
        'tiny_fetches': consume_from(bootstrap, 'edge', 0, 21, {'fetch.max.bytes': 1000, 'max.partition.fetch.bytes': 600, 'message.max.bytes': 1000}),
        'log_append_time': consume_from(bootstrap, 'edge-lat', 0, 3),
        'by_time': [by_time.offset, None if by_time.error is None else by_time.error.name()],
        'after_all': [after_all.offset, None if after_all.error is None else after_all.error.name()],
        'watermarks': list(watermarks),
        'small_topic': consume_from(bootstrap, 'edge-small', 0, 1),
    }


def main():
    bootstrap, cmd = sys.argv[1], sys.argv[2]
    if cmd == 'produce-consume':
        result = produce_consume(bootstrap)
    elif cmd == 'admin':
        result = admin(bootstrap, sys.argv[3])
    elif cmd == 'edge':
        result = edge(bootstrap)
    else:
        raise SystemExit('unknown command ' + cmd)
    json.dump(result, sys.stdout, default=str)


if __name__ == '__main__':
    main()
