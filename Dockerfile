# Two stages: build with the full toolchain, run on a slim image with only what the binary needs.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, so that editing the code does not rebuild them.
COPY Cargo.toml Cargo.lock ./
# jemalloc's built-in settings (the binary's allocator).
COPY .cargo ./.cargo
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && mkdir tests && echo '' > tests/tests.rs \
    && cargo build --release --locked || true
COPY src ./src
COPY config ./config
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin costwatch

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/costwatch /usr/local/bin/costwatch
# Mount the configuration at /config/costwatch.toml and a writable /data for the store and
# outputs (set run.store and run.output under /data in that file, and [schedule] cron).
# `costwatch schedule` runs at the cron times until the container is stopped (SIGTERM).
ENV TZ=America/Panama
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["costwatch"]
CMD ["schedule", "--config", "/config/costwatch.toml", "--log-format", "json"]
