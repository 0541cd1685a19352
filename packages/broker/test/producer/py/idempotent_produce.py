"""Idempotent confluent-kafka producer for the proxy test: sends `count` numbered records
(value = str(i), key = None) to one partition, acks=all, enable.idempotence=true, then flushes.
Prints one JSON line: delivered / failed counts and the first errors.
Usage: idempotent_produce.py BOOTSTRAP TOPIC COUNT TIMEOUT_S"""
import json
import sys
import time

from confluent_kafka import KafkaException, Producer

bootstrap, topic, count, timeout_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
producer = Producer({
    'bootstrap.servers': bootstrap,
    'enable.idempotence': True,
    'acks': 'all',
    'linger.ms': 2,
    'batch.num.messages': 100,
    'retry.backoff.ms': 50,
    'reconnect.backoff.ms': 20,
    'reconnect.backoff.max.ms': 200,
    'message.timeout.ms': int(timeout_s * 1000),
    'socket.timeout.ms': 5000,
    'topic.metadata.refresh.interval.ms': 1000,
})
delivered = 0
failed = 0
errors = []


def on_delivery(err, msg):
    global delivered, failed
    if err is None:
        delivered += 1
        return
    failed += 1
    if len(errors) < 5:
        errors.append(str(err))


deadline = time.time() + timeout_s
for i in range(count):
    while True:
        try:
            producer.produce(topic, value=str(i).encode(), partition=0, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.01)
    # pace the stream a little so the proxy's cuts land mid-stream
    if i % 100 == 0:
        producer.poll(0.005)
remaining = producer.flush(max(1.0, deadline - time.time()))
fatal = None
try:
    producer.poll(0)
except KafkaException as e:
    fatal = str(e)
print(json.dumps({'delivered': delivered, 'failed': failed, 'errors': errors, 'unflushed': remaining, 'fatal': fatal}))
