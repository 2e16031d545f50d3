"""Where the CPU of a `perf record -g` of smsgw-bench went, by component.

Reads `perf script -F comm,tid,ip,sym --no-inline` on stdin. Each sample is
charged to the component of the frame nearest its leaf that names one (a
memcpy inside the Kafka client counts as the Kafka client's, an allocation
of the sender's as the sender's); samples with no such frame are the
runtime's (tokio's scheduler and I/O), or the Kafka client's when the
thread is one of librdkafka's. Prints each component's share of the
samples and, given the process's CPU per request (argument 1, in µs), its
µs per request.
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
KAFKA_THREAD = re.compile(r"^(rdk:|producer pollin)")


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


def main():
    per_request = float(sys.argv[1]) if len(sys.argv) > 1 else None
    patterns = [(name, re.compile(rx)) for name, rx in COMPONENTS]
    counts = collections.Counter(owner(comm, frames, patterns) for comm, frames in samples(sys.stdin))
    total = sum(counts.values())
    if not total:
        sys.exit("no samples")
    print(f"{total} samples of the bench process")
    for name, n in counts.most_common():
        share = n / total
        cost = f"{share * per_request:6.1f} µs/request" if per_request else ""
        print(f"{100 * share:6.1f} %  {cost}  {name}")


if __name__ == "__main__":
    main()
