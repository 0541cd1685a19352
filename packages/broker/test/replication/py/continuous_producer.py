"""Continuous idempotent confluent-kafka producer for the failover tests: sends numbered records
(value = PREFIX + str(i)) to partition 0 with acks=all and enable.idempotence=true, paced, until
stdin closes (or MAX records), then flushes. Prints one JSON line per acknowledged record batch
({"acked": [...]}) as delivery reports come in, and at the end {"done": true, "failed": n,
"errors": [...]}: the test reads which records were acknowledged, and when.
Usage: continuous_producer.py BOOTSTRAP TOPIC PREFIX MAX"""
import json
import select
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, prefix, max_records = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
producer = Producer({
    'bootstrap.servers': bootstrap,
    'enable.idempotence': True,
    'acks': 'all',
    'linger.ms': 5,
    'retry.backoff.ms': 50,
    'reconnect.backoff.ms': 20,
    'reconnect.backoff.max.ms': 200,
    'message.timeout.ms': 60000,
    'socket.timeout.ms': 5000,
    'topic.metadata.refresh.interval.ms': 1000,
})
failed = 0
errors = []
pending_acks = []


def on_delivery(err, msg):
    global failed
    if err is None:
        pending_acks.append(msg.value().decode())
        return
    failed += 1
    if len(errors) < 5:
        errors.append(str(err))


def emit_acks():
    if pending_acks:
        print(json.dumps({'acked': pending_acks[:]}), flush=True)
        pending_acks.clear()


i = 0
stdin_open = True
while stdin_open and i < max_records:
    try:
        producer.produce(topic, value=(prefix + str(i)).encode(), partition=0, on_delivery=on_delivery)
        i += 1
    except BufferError:
        pass
    producer.poll(0.004)
    emit_acks()
    ready, _, _ = select.select([sys.stdin], [], [], 0)
    if ready and sys.stdin.read(1) == '':
        stdin_open = False
remaining = producer.flush(60)
emit_acks()
print(json.dumps({'done': True, 'sent': i, 'failed': failed + remaining, 'errors': errors}), flush=True)
