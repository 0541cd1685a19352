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
elif mode == 'group-fence':
    # KIP-447 with librdkafka: offsets sent with the group metadata of a consumer the group has
    # moved on from (a static member replaced by a newer instance; a dynamic member of an older
    # generation) are refused, the transaction must abort; with the current member's metadata
    # the same producer commits them. `topic` is the input (2 partitions), argv[4] the output.
    out_topic = sys.argv[4]

    def member(group, instance=None):
        conf = {'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
                'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed',
                'session.timeout.ms': 6000, 'heartbeat.interval.ms': 200}
        if instance is not None:
            conf['group.instance.id'] = instance
        c = Consumer(conf)
        c.subscribe([topic])
        return c

    def until_assigned(*consumers):
        while time.time() < DEADLINE and any(len(c.assignment()) == 0 for c in consumers):
            for c in consumers:
                c.poll(0.1)
        assert all(len(c.assignment()) > 0 for c in consumers), 'never assigned'

    p = producer('ck-group-fence')

    def send_offsets(consumer_metadata, group, value):
        p.begin_transaction()
        p.produce(out_topic, value=value, partition=0)
        try:
            p.send_offsets_to_transaction([TopicPartition(topic, 0, 1)], consumer_metadata, 10)
            p.commit_transaction(20)
            return None
        except KafkaException as e:
            err = e.args[0]
            p.abort_transaction(20)
            return {'name': err.name(), 'txn_requires_abort': err.txn_requires_abort(), 'fatal': err.fatal()}

    def committed(group):
        c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group})
        offset = c.committed([TopicPartition(topic, 0)], 10)[0].offset
        c.close()
        return offset

    result = {}
    # a static member replaced by a newer instance with its group.instance.id
    old = member('ck-static-group', 'instance-1')
    until_assigned(old)
    zombie_md = old.consumer_group_metadata()
    newer = member('ck-static-group', 'instance-1')
    until_assigned(newer)
    result['static'] = send_offsets(zombie_md, 'ck-static-group', 'zombie-static')
    result['static_committed'] = committed('ck-static-group')
    result['static_current'] = send_offsets(newer.consumer_group_metadata(), 'ck-static-group', 'current-static')
    result['static_after'] = committed('ck-static-group')
    # a dynamic member whose generation the group has left (another member joined)
    first = member('ck-dynamic-group')
    until_assigned(first)
    stale_md = first.consumer_group_metadata()
    second = member('ck-dynamic-group')
    until_assigned(first, second)
    result['dynamic'] = send_offsets(stale_md, 'ck-dynamic-group', 'zombie-dynamic')
    result['dynamic_committed'] = committed('ck-dynamic-group')
    for c in (old, newer, first, second):
        c.close()
    print(json.dumps(result))
elif mode == 'read':
    print(json.dumps({'committed': consume('read_committed', int(sys.argv[4]), int(sys.argv[5]))}))
