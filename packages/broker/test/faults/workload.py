"""Fault-suite client side (confluent-kafka): every line printed is one JSON event of the history.

Modes:
  create  BOOTSTRAP TOPIC PARTITIONS RF                  create the topic (RF replicas)
  produce BOOTSTRAP TOPIC WRITER KEYS SECONDS            idempotent acks=all producer, unique values
  consume BOOTSTRAP TOPIC GROUP SECONDS                  group consumer committing synchronously
  read    BOOTSTRAP TOPIC GROUP                          every partition read back, and the group's commits
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


def read(bootstrap, topic, group):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "enable.partition.eof": True,
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
    for tp in consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=30):
        emit(t="committed", p=tp.partition, o=tp.offset)
    consumer.close()
    emit(t="done")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"create": create, "produce": produce, "consume": consume, "read": read}[mode](*args)
