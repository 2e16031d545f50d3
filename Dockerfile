# One image for every smsgw role (`run --role ...`) and for the simulators
# (`sim smpp ...`). Building, running, testing: docs/image.md.
#
#   docker build -t smsgw .                   # release build (the default target)
#   docker build --target prebuilt --build-arg BINARY=target/debug/smsgw -t smsgw .
#                                             # around a binary built on the host
#
# The base images are build arguments, so the image can be built from local
# bases where no registry is reachable (scripts/check-image does). Builder and
# runtime are one Debian release (bookworm): the binary needs the glibc it was
# linked against, or a newer one.
# The runtime stages come first so that even a builder that runs every stage
# before its target (Docker's legacy one) builds `prebuilt` without Rust.
ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

# ---- runtime: Debian slim, ca-certificates, a numeric non-root user ----
FROM ${RUNTIME_IMAGE} AS runtime
ARG RUNTIME_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE_URL=""
# The binary needs libc, libm and libgcc_s, which every Debian base has, and
# Debian's OpenSSL (libssl3), which librdkafka uses for TLS and SASL to the
# brokers (crates/kafka/src/lib.rs says why the system's and not a vendored
# one: Debian's security updates reach it with the next image build, without
# rebuilding smsgw). librdkafka and mimalloc are linked in statically; HTTP
# TLS is rustls. The trust store is for the brokers, https HTTP SMS APIs and
# schema registries. ca-certificates depends on openssl, which depends on
# libssl3, so one package brings both; a base that carries them already
# (scripts/check-image's) skips apt: its build needs no network.
# hadolint ignore=DL3008
RUN set -- /usr/lib/*/libssl.so.3; \
    if [ ! -s /etc/ssl/certs/ca-certificates.crt ] || [ ! -e "$1" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends ca-certificates libssl3 \
      && apt-get clean \
      && rm -rf /var/lib/apt/lists/*; \
    fi
LABEL org.opencontainers.image.title="smsgw" \
      org.opencontainers.image.description="Kafka-native SMS gateway (SMPP, UCP/EMI, CIMD2, HTTP APIs, GSM modems): every role and the SMSC simulators" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"
# smsgw writes nothing to its file system, not even /tmp: it runs with a
# read-only root (Kubernetes readOnlyRootFilesystem) unless the configuration
# sets telemetry.log_file (then mount a volume there). A numeric user needs no
# /etc/passwd entry and satisfies runAsNonRoot.
USER 10001:10001
# Prometheus metrics (/metrics) and the probes (/healthz, /readyz), when the
# configuration sets [telemetry] metrics_listen = "0.0.0.0:9464".
EXPOSE 9464
ENTRYPOINT ["smsgw"]
CMD ["run", "--config", "/etc/smsgw/smsgw.toml"]

# ---- prebuilt: the runtime around a binary built on the host ----
# The binary must be linked against this base's glibc or an older one (a
# bookworm host for a bookworm base). .dockerignore lets target/debug/smsgw
# and target/release/smsgw into the build context, nothing else of target/.
FROM runtime AS prebuilt
ARG BINARY=target/release/smsgw
COPY ${BINARY} /usr/local/bin/smsgw

# ---- builder: the dependencies cached apart from our own code (cargo-chef) ----
FROM ${RUST_IMAGE} AS chef
# rdkafka-sys builds librdkafka from source (its mklove ./configure, then
# `make libs`, which builds the C++ wrapper too) and links it statically,
# against Debian's OpenSSL (rdkafka's `ssl` feature: libssl-dev, found by
# pkg-config), which also gives it SASL SCRAM, PLAIN and OAUTHBEARER; no
# Cyrus SASL (GSSAPI), zlib or zstd. aws-lc-sys (rustls) builds with the C
# compiler alone on x86_64 and aarch64.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-chef --version 0.1.78 --locked
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Rebuilt only when the manifests or Cargo.lock change, not with our code.
RUN cargo chef cook --release --locked --recipe-path recipe.json -p smsgw
COPY . .
RUN cargo build --release --locked -p smsgw --bin smsgw \
 && cp target/release/smsgw /usr/local/bin/smsgw

# ---- release (the default target): the runtime around the builder's binary ----
FROM runtime AS release
COPY --from=builder /usr/local/bin/smsgw /usr/local/bin/smsgw
