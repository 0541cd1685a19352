"""One member of a consumer group (python3-confluent-kafka, librdkafka's classic protocol),
driven by the group tests.

usage: group_member.py BOOTSTRAP GROUP TOPIC CLIENT_ID SESSION_TIMEOUT_MS MAX_LIFETIME_S [ASSIGNMENT_STRATEGY]

Subscribes, processes each record by printing it, then commits its offset synchronously
(enable.auto.commit=false: commit after processing). Prints one JSON object per line on stdout:
  {"e": "assigned", "partitions": [...]}      what the member owns after each on_assign / on_revoke
  {"e": "record", "p": P, "o": O, "v": "..."}  a record processed (before its commit)
  {"e": "committed", "p": P, "o": NEXT}        the commit of that record succeeded
  {"e": "commit_error", "error": "..."}        it failed (the record may be delivered again)
SIGTERM closes the consumer (LeaveGroup); SIGKILL is what the tests use to simulate a crash.
Exits by itself after MAX_LIFETIME_S.
"""
import json
import os
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def main():
    bootstrap, group, topic, client_id = sys.argv[1:5]
    session_timeout_ms = int(sys.argv[5])
    lifetime_s = float(sys.argv[6])
    extra = {'partition.assignment.strategy': sys.argv[7]} if len(sys.argv) > 7 else {}
    if os.environ.get('GROUP_MEMBER_DEBUG'):
        extra['debug'] = os.environ['GROUP_MEMBER_DEBUG']  # librdkafka's debug contexts, on stderr
    consumer = Consumer(dict({
        'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': client_id,
        'session.timeout.ms': session_timeout_ms, 'heartbeat.interval.ms': 300,
        'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
        'fetch.wait.max.ms': 100, 'topic.metadata.refresh.interval.ms': 1000,
    }, **extra))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    # Eager protocols hand over the whole assignment, cooperative ones only the changes: either
    # way, report what the member owns now.
    owned = set()

    def cooperative():
        # (Consumer.rebalance_protocol() is not in confluent-kafka 1.7.)
        return extra.get('partition.assignment.strategy') == 'cooperative-sticky'

    def on_assign(_c, parts):
        if not cooperative():
            owned.clear()
        owned.update(p.partition for p in parts)
        emit({'e': 'assigned', 'partitions': sorted(owned)})

    def on_revoke(_c, parts):
        if cooperative():
            owned.difference_update(p.partition for p in parts)
        else:
            owned.clear()
        emit({'e': 'assigned', 'partitions': sorted(owned)})

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    deadline = time.time() + lifetime_s
    while not stopping and time.time() < deadline:
        m = consumer.poll(0.1)
        if m is None:
            continue
        if m.error():
            sys.stderr.write('consumer error: %s\n' % m.error())
            continue
        emit({'e': 'record', 'p': m.partition(), 'o': m.offset(), 'v': m.value().decode()})
        try:
            consumer.commit(message=m, asynchronous=False)
            emit({'e': 'committed', 'p': m.partition(), 'o': m.offset() + 1})
        except KafkaException as e:
            emit({'e': 'commit_error', 'error': str(e)})
    consumer.close()


if __name__ == '__main__':
    main()
