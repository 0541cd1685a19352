"""confluent-kafka (librdkafka) transactional producer and isolation-level consumers, driven by
transactions/confluent-transactions.test.ts. Prints one JSON object on stdout."""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

mode, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
DEADLINE = time.time() + 45


def producer(txn_id, **extra):
    conf = {'bootstrap.servers': bootstrap, 'transactional.id': txn_id, 'linger.ms': 5}
    conf.update(extra)
    p = Producer(conf)
    p.init_transactions(20)
    return p


def consume(isolation, partitions, expected):
    """Reads each partition from the start to its end (EOF); returns {partition: [values]}."""
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'txn-reader-' + isolation, 'isolation.level': isolation,
                  'enable.partition.eof': True, 'enable.auto.commit': False, 'auto.offset.reset': 'earliest'})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    seen = {str(p): [] for p in range(partitions)}
    eof = set()
    while time.time() < DEADLINE and (len(eof) < partitions or sum(len(v) for v in seen.values()) < expected):
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
                continue
            raise KafkaException(m.error())
        seen[str(m.partition())].append(m.value().decode())
    c.close()
    return seen


if mode == 'commit-abort':
    p = producer('ck-basic')
    for rnd in range(4):
        p.begin_transaction()
        for part in range(3):
            p.produce(topic, value='r%d-p%d' % (rnd, part), partition=part)
        p.flush(10)  # abort_transaction purges what was not sent yet: get the records to the broker
        if rnd % 2 == 0:
            p.commit_transaction(20)
        else:
            p.abort_transaction(20)
    print(json.dumps({'committed': consume('read_committed', 3, 6), 'uncommitted': consume('read_uncommitted', 3, 12)}))
elif mode == 'fence':
    zombie = producer('ck-zombie')
    zombie.begin_transaction()
    zombie.produce(topic, value='zombie', partition=0)
    zombie.flush(10)
    successor = producer('ck-zombie')  # fences the zombie and aborts its open transaction
    error = None
    try:
        zombie.produce(topic, value='zombie-2', partition=0)
        zombie.commit_transaction(10)
    except KafkaException as e:
        err = e.args[0]
        error = {'name': err.name(), 'fatal': err.fatal()}
    successor.begin_transaction()
    successor.produce(topic, value='successor', partition=0)
    successor.commit_transaction(20)
    print(json.dumps({'error': error, 'committed': consume('read_committed', 1, 1)}))
elif mode == 'abandon':
    p = producer('ck-abandoned', **{'transaction.timeout.ms': 5000})
    p.begin_transaction()
    p.produce(topic, value='abandoned', partition=0)
    p.flush(10)
    print(json.dumps({'produced': True}))
    sys.stdout.flush()
    os._exit(0)  # no commit, no abort: the coordinator must abort it after the timeout
elif mode == 'read':
    print(json.dumps({'committed': consume('read_committed', int(sys.argv[4]), int(sys.argv[5]))}))
