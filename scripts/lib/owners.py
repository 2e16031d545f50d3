"""Where the CPU of a `perf record -g` of smsgw-bench went, by component.

Reads `perf script -F comm,tid,ip,sym --no-inline` on stdin. Each sample is
charged to the component of the frame nearest its leaf that names one (a
memcpy inside the Kafka client counts as the Kafka client's, an allocation
of the sender's as the sender's); samples with no such frame are the
runtime's (tokio's scheduler and I/O), or the Kafka client's when the
thread is one of librdkafka's. Prints each component's share of the
samples and, given the process's CPU per request (argument 1, in µs), its
µs per request; then the Kafka client's samples by the threads they ran
on.
"""

import collections
import re
import sys

COMPONENTS = [
    ("Kafka client (librdkafka, rdkafka, kafka crate)", r"^<?(rd_kafka|rd_|rdkafka::|kafka::)"),
    ("events (Avro, JSON requests)", r"^<?(events::|apache_avro|serde_json)"),
    ("records (between the roles)", r"^<?records::"),
    ("text (segmenting)", r"^<?text::"),
    ("simulator (SMSC)", r"^<?simulator::"),
    ("bench (load, status watcher)", r"^<?bench::"),
    ("sender (smpp codec included)", r"^<?(sender::|smpp::|outstanding::)"),
    ("tracker", r"^<?tracker::"),
    ("router", r"^<?router::"),
    ("telemetry (tracing, counters)", r"^<?(tracing(?!::instrument::Instrumented)|counters::|opentelemetry)"),
]
RUNTIME = "runtime (tokio scheduler, I/O; no frame of ours)"
# librdkafka's threads, and the delivery-report threads of our producers
# (`kafka::delivery`, "kafka-reports"; rust-rdkafka's FutureProducer, which
# they replaced, named its "producer polling thread").
KAFKA_THREAD = re.compile(r"^(rdk:|kafka-reports|producer pollin)")


def samples(lines):
    comm, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif line[0] not in " \t":
            comm, frames = line.rsplit(" ", 1)[0].strip(), []
        else:
            parts = line.strip().split(" ", 1)
            frames.append(parts[1] if len(parts) > 1 else "?")
    if comm is not None:
        yield comm, frames


def owner(comm, frames, patterns):
    for frame in frames:
        for name, pattern in patterns:
            if pattern.match(frame):
                return name
    return COMPONENTS[0][0] if KAFKA_THREAD.match(comm) else RUNTIME


# Where the Kafka client's samples ran: librdkafka's own threads, the
# threads of rust-rdkafka's producers that serve delivery reports, or the
# tasks of the gateway (producing, receiving, acknowledging).
KAFKA_THREADS = [
    ("librdkafka's broker and main threads (I/O, batching, fetch parsing)", re.compile(r"^rdk:")),
    ("delivery-report threads (one per producer)", re.compile(r"^(kafka-reports|producer pollin)")),
]
IN_TASKS = "in the gateway's tasks (produce calls, receiving, acknowledging)"


def print_shares(counts, total, per_request, indent=""):
    for name, n in counts.most_common():
        share = n / total
        cost = f"{share * per_request:6.1f} µs/request" if per_request else ""
        print(f"{indent}{100 * share:6.1f} %  {cost}  {name}")


def main():
    per_request = float(sys.argv[1]) if len(sys.argv) > 1 else None
    patterns = [(name, re.compile(rx)) for name, rx in COMPONENTS]
    counts = collections.Counter()
    kafka = collections.Counter()
    for comm, frames in samples(sys.stdin):
        name = owner(comm, frames, patterns)
        counts[name] += 1
        if name == COMPONENTS[0][0]:
            kafka[next((n for n, rx in KAFKA_THREADS if rx.match(comm)), IN_TASKS)] += 1
    total = sum(counts.values())
    if not total:
        sys.exit("no samples")
    print(f"{total} samples of the bench process")
    print_shares(counts, total, per_request)
    print("of the Kafka client:")
    print_shares(kafka, total, per_request, indent="  ")


if __name__ == "__main__":
    main()
