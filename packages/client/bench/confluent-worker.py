"""librdkafka (confluent-kafka) side of bench/compare.ts: one phase, prints one JSON line.

  /usr/bin/python3 confluent-worker.py produce|consume BOOTSTRAP TOPIC RECORDS RECORD_SIZE
The timed section starts before the first produce() / subscribe() and ends when every record
is acknowledged / consumed; CPU seconds are this process's (all threads: librdkafka's too).
"""
import json
import resource
import sys
import time

from confluent_kafka import Consumer, Producer


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def produce(bootstrap, topic, records, size):
    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 5, 'enable.idempotence': True,
                  'queue.buffering.max.messages': 1000000, 'queue.buffering.max.kbytes': 1048576})
    value = b'x' * size
    c0, t0 = cpu_seconds(), time.perf_counter()
    for i in range(records):
        while True:
            try:
                p.produce(topic, value, b'k%d' % i)
                break
            except BufferError:
                p.poll(0.01)
        if i % 1000 == 0:
            p.poll(0)
    p.flush(120)
    return time.perf_counter() - t0, cpu_seconds() - c0, records


def consume(bootstrap, topic, records, size):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'bench-confluent', 'auto.offset.reset': 'earliest',
                  'enable.auto.commit': True})
    n = 0
    nbytes = 0
    c0, t0 = cpu_seconds(), time.perf_counter()
    first = None
    c.subscribe([topic])
    deadline = time.time() + 120
    while n < records and time.time() < deadline:
        for m in c.consume(num_messages=10000, timeout=0.5):
            if m.error():
                continue
            if first is None:
                first = time.perf_counter() - t0
            nbytes += len(m.value())
            n += 1
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    c.close()
    return elapsed, cpu, n, first


def main():
    phase, bootstrap, topic, records, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    if phase == 'produce':
        secs, cpu, n = produce(bootstrap, topic, records, size)
        out = {'seconds': secs, 'cpuSeconds': cpu, 'records': n}
    else:
        secs, cpu, n, first = consume(bootstrap, topic, records, size)
        out = {'seconds': secs, 'cpuSeconds': cpu, 'records': n, 'firstRecordSeconds': first}
    print(json.dumps(out))


main()
