"""kafka-python (python3-kafka) against a Samsa broker, driven by the interop tests.

usage: kafka_python_client.py BOOTSTRAP produce-consume   (job JSON on stdin)
       kafka_python_client.py BOOTSTRAP admin TOPIC
       kafka_python_client.py BOOTSTRAP codecs
Prints one JSON document on stdout; diagnostics go to stderr. Every wait is bounded.
"""
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewPartitions, NewTopic

TIMEOUT_S = 20


def codecs():
    """The codecs this kafka-python can write here (snappy/lz4/zstd need optional modules)."""
    from kafka import codec
    return {
        'none': True,
        'gzip': codec.has_gzip(),
        'snappy': codec.has_snappy(),
        'lz4': codec.has_lz4(),
        'zstd': codec.has_zstd(),
    }


def produce(bootstrap, topic, codec, records):
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, client_id='interop-kafka-python',
        compression_type=None if codec == 'none' else codec, acks='all', linger_ms=20,
        request_timeout_ms=10000, max_block_ms=10000, retries=3,
    )
    futures = []
    for r in records:
        futures.append(producer.send(
            topic, partition=r['partition'],
            key=None if r['key'] is None else r['key'].encode(), value=r['value'].encode(),
            headers=[(k, v.encode()) for k, v in r['headers']], timestamp_ms=r['timestamp'],
        ))
    producer.flush(TIMEOUT_S)
    metas = [f.get(timeout=TIMEOUT_S) for f in futures]
    producer.close(TIMEOUT_S)
    return [[m.partition, m.offset] for m in metas]


def consume(bootstrap, topic, partitions, count):
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, client_id='interop-kafka-python', group_id=None,
        enable_auto_commit=False, request_timeout_ms=11000, fetch_max_wait_ms=50,
    )
    tps = [TopicPartition(topic, p) for p in partitions]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen = []
    deadline = time.time() + TIMEOUT_S
    while len(seen) < count and time.time() < deadline:
        for tp, msgs in consumer.poll(timeout_ms=200).items():
            for m in msgs:
                seen.append({
                    'partition': m.partition, 'offset': m.offset,
                    'key': None if m.key is None else m.key.decode(),
                    'value': None if m.value is None else m.value.decode(),
                    'headers': [[k, None if v is None else v.decode()] for k, v in m.headers],
                    'timestamp': m.timestamp,
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
    a = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='interop-kafka-python-admin', request_timeout_ms=10000)
    res = {}
    r = a.create_topics([NewTopic(topic, 3, 1)], timeout_ms=10000)
    res['create'] = [[t, e] for t, e, *_ in r.topic_errors]
    res['listed_after_create'] = topic in a.list_topics()
    d = a.describe_topics([topic])
    res['describe'] = [{'topic': t['topic'], 'error': t['error_code'], 'partitions': sorted([p['partition'], p['leader'], p['replicas'], p['isr']] for p in t['partitions'])} for t in d]
    r = a.create_partitions({topic: NewPartitions(5)}, timeout_ms=10000)
    res['create_partitions'] = [[t, e] for t, e, *_ in r.topic_errors]
    d = a.describe_topics([topic])
    res['partitions_after_grow'] = len(d[0]['partitions'])
    try:
        dup = a.create_topics([NewTopic(topic, 1, 1)], timeout_ms=10000)
        res['create_again'] = [[t, e] for t, e, *_ in dup.topic_errors]
    except Exception as e:  # kafka-python raises TopicAlreadyExistsError
        res['create_again'] = type(e).__name__
    r = a.delete_topics([topic], timeout_ms=10000)
    res['delete'] = [[t, e] for t, e in r.topic_error_codes]
    res['listed_after_delete'] = topic in a.list_topics()
    res['cluster'] = a.describe_cluster()
    a.close()
    return res


def main():
    bootstrap, cmd = sys.argv[1], sys.argv[2]
    if cmd == 'codecs':
        result = codecs()
    elif cmd == 'produce-consume':
        result = produce_consume(bootstrap)
    elif cmd == 'admin':
        result = admin(bootstrap, sys.argv[3])
    else:
        raise SystemExit('unknown command ' + cmd)
    json.dump(result, sys.stdout, default=str)


if __name__ == '__main__':
    main()
