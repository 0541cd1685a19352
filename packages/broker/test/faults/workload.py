"""Fault-suite client side (confluent-kafka): every line printed is one JSON event of the history.

Modes:
  create  BOOTSTRAP TOPIC PARTITIONS RF                  create the topic (RF replicas)
  produce BOOTSTRAP TOPIC WRITER KEYS SECONDS            idempotent acks=all producer, unique values
  consume BOOTSTRAP TOPIC GROUP SECONDS                  group consumer committing synchronously
  read    BOOTSTRAP TOPIC GROUPS [ISOLATION]             every partition read back (read_uncommitted unless
                                                         ISOLATION), and each group's (comma-separated) commits
  fill    BOOTSTRAP TOPIC WRITER KEYS COUNT              COUNT records, idempotent acks=all, then flush
  txn-process BOOTSTRAP IN OUT GROUP TXNID SECONDS       exactly-once consume-transform-produce: read_committed
                                                         consumer, transactional producer, offsets in the
                                                         transaction; until every input is processed
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def now_ms():
    return int(time.time() * 1000)


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def create(bootstrap, topic, partitions, rf):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.time() + 60
    while True:
        fut = admin.create_topics([NewTopic(topic, int(partitions), int(rf))], operation_timeout=20)[topic]
        try:
            fut.result()
            break
        except KafkaException as e:
            if time.time() > deadline:
                raise
            emit(t="create-retry", error=str(e))
            time.sleep(0.5)
    emit(t="created", topic=topic)


def produce(bootstrap, topic, writer, keys, seconds):
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 45000,
        "socket.timeout.ms": 5000,
        "metadata.max.age.ms": 2000,
        "retry.backoff.ms": 100,
    })
    sent_at = {}

    def on_delivery(err, msg):
        value = msg.value().decode()
        if err is not None:
            emit(t="err", k=msg.key().decode(), v=value, error=str(err), sent=sent_at.pop(value, None), ts=now_ms())
        else:
            emit(t="ack", k=msg.key().decode(), v=value, p=msg.partition(), o=msg.offset(), sent=sent_at.pop(value, None), ts=now_ms())

    end = time.time() + float(seconds)
    seq = 0
    nkeys = int(keys)
    while time.time() < end:
        # Values are unique across writers; the sequence orders them within a key.
        key = "k%d" % (seq % nkeys)
        value = "%s-%d" % (writer, seq)
        sent_at[value] = now_ms()
        try:
            producer.produce(topic, key=key.encode(), value=value.encode(), on_delivery=on_delivery)
            seq += 1
        except BufferError:
            sent_at.pop(value, None)
        producer.poll(0.02)
    left = producer.flush(60)
    emit(t="done", sent=seq, unflushed=left)


def consume(bootstrap, topic, group, seconds):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "socket.timeout.ms": 5000,
    })
    consumer.subscribe([topic])
    end = time.time() + float(seconds)
    since_commit = 0
    while time.time() < end:
        msg = consumer.poll(0.2)
        if msg is None or msg.error() is not None:
            continue
        since_commit += 1
        if since_commit >= 20:
            since_commit = 0
            try:
                done = consumer.commit(asynchronous=False)
                for tp in done or []:
                    if tp.error is None and tp.offset >= 0:
                        emit(t="commit", p=tp.partition, o=tp.offset, ts=now_ms())
            except KafkaException as e:
                emit(t="commit-err", error=str(e), ts=now_ms())
    consumer.close()
    emit(t="done")


def read(bootstrap, topic, groups, isolation="read_uncommitted"):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": groups.split(",")[0],
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "isolation.level": isolation,
    })
    meta = consumer.list_topics(topic, timeout=30)
    partitions = sorted(meta.topics[topic].partitions.keys())
    for p in partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
        emit(t="partition", p=p, low=low, high=high)
        if high <= low:
            continue
        consumer.assign([TopicPartition(topic, p, low)])
        position = low
        deadline = time.time() + 60
        while position < high and time.time() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error() is not None:
                if msg.error().code() == -191:  # _PARTITION_EOF
                    break
                continue
            emit(t="rec", p=p, o=msg.offset(), k=msg.key().decode(), v=msg.value().decode())
            position = msg.offset() + 1
        consumer.unassign()
    consumer.close()
    for group in groups.split(","):
        reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        try:
            for tp in reader.committed([TopicPartition(topic, p) for p in partitions], timeout=30):
                emit(t="committed", g=group, p=tp.partition, o=tp.offset)
        except KafkaException as e:
            # The checker then counts this group's commits as lost: say why in the history.
            emit(t="committed-error", g=group, error=str(e))
        reader.close()
    emit(t="done")


def fill(bootstrap, topic, writer, keys, count):
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5})
    acked = []

    def on_delivery(err, msg):
        if err is None:
            acked.append(1)

    nkeys = int(keys)
    for seq in range(int(count)):
        while True:
            try:
                producer.produce(topic, key=("k%d" % (seq % nkeys)).encode(), value=("%s-%d" % (writer, seq)).encode(), on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
    left = producer.flush(60)
    emit(t="filled", sent=int(count), acked=len(acked), unflushed=left)


def txn_process(bootstrap, in_topic, out_topic, group, txn_id, seconds):
    """Copies every input record to the output exactly once: one transaction per batch of up to
    10 records holds the outputs and the input offsets; a failed transaction is aborted and the
    consumer goes back to the group's committed offsets. Ends when the group's committed offsets
    reach the input's end (all processed) or after SECONDS + 90 s."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "socket.timeout.ms": 5000,
    })

    def new_producer():
        producer = Producer({
            "bootstrap.servers": bootstrap,
            "transactional.id": txn_id,
            "transaction.timeout.ms": 20000,
            "message.timeout.ms": 20000,
            "socket.timeout.ms": 5000,
            "linger.ms": 5,
            "retry.backoff.ms": 100,
        })
        while True:
            try:
                producer.init_transactions(30)
                return producer
            except KafkaException as e:
                emit(t="txn-init-retry", error=str(e), ts=now_ms())
                if time.time() > hard_end:
                    raise
                time.sleep(0.5)

    meta = consumer.list_topics(in_topic, timeout=30)
    partitions = sorted(meta.topics[in_topic].partitions.keys())
    ends = {p: consumer.get_watermark_offsets(TopicPartition(in_topic, p), timeout=30)[1] for p in partitions}
    emit(t="input-end", ends=ends)
    hard_end = time.time() + float(seconds) + 90
    consumer.subscribe([in_topic])
    producer = new_producer()
    committed_txns = aborted = 0
    done = {p: False for p in partitions}

    def retrying(call):
        # librdkafka: a retriable error leaves the transaction as it was; the same call may be repeated.
        while True:
            try:
                return call()
            except KafkaException as e:
                if not e.args[0].retriable() or time.time() > hard_end:
                    raise
                emit(t="txn-retry", error=str(e), ts=now_ms())

    def rewind():
        # Back to what the last committed transaction recorded: its outputs are in, the rest is not.
        for tp in consumer.committed(consumer.assignment(), timeout=30):
            consumer.seek(TopicPartition(in_topic, tp.partition, tp.offset if tp.offset >= 0 else -2))

    while time.time() < hard_end and not all(done.values()):
        batch = consumer.consume(10, 0.2)
        batch = [m for m in batch if m.error() is None]
        if not batch:
            # Caught up? The group's committed offsets (not our position) say what is processed.
            try:
                for tp in consumer.committed([TopicPartition(in_topic, p) for p in partitions], timeout=10):
                    done[tp.partition] = tp.offset >= ends[tp.partition]
            except KafkaException:
                pass
            continue
        try:
            producer.begin_transaction()
            for m in batch:
                producer.produce(out_topic, key=m.key(), value=m.value())
            # Mid-transaction for a while, so that faults land inside transactions.
            producer.poll(0.05)
            positions = consumer.position(consumer.assignment())
            retrying(lambda: producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30))
            retrying(lambda: producer.commit_transaction(30))
            committed_txns += 1
            emit(t="txn-commit", n=len(batch), first=batch[0].value().decode(), ts=now_ms())
        except KafkaException as e:
            err = e.args[0]
            emit(t="txn-error", error=str(e), abortable=err.txn_requires_abort(), fatal=err.fatal(), retriable=err.retriable(), ts=now_ms())
            if err.fatal():
                producer = new_producer()  # fenced or fatal: a new epoch aborts what was open
            else:
                try:
                    producer.abort_transaction(30)
                except KafkaException as e2:
                    emit(t="txn-abort-error", error=str(e2), ts=now_ms())
                    producer = new_producer()
            aborted += 1
            try:
                rewind()
            except KafkaException as e3:
                emit(t="rewind-error", error=str(e3), ts=now_ms())
    consumer.close()
    emit(t="done", committed=committed_txns, aborted=aborted, finished=all(done.values()))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"create": create, "produce": produce, "consume": consume, "read": read, "fill": fill, "txn-process": txn_process}[mode](*args)
