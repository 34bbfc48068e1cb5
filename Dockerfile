# Build: the release binary. Runtime: a slim Debian with CA certificates and nothing else.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# The DISARM framework and the Rome Statute are compiled into the binary.
COPY frameworks ./frameworks
COPY benches ./benches
COPY tests ./tests
COPY demo ./demo
COPY queries ./queries
RUN cargo build --release --locked --bin vigil

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /srv/vigil --shell /usr/sbin/nologin vigil \
    && mkdir -p /srv/vigil/index && chown vigil /srv/vigil/index
COPY --from=build /src/target/release/vigil /usr/local/bin/vigil
USER vigil
WORKDIR /srv/vigil
ENTRYPOINT ["vigil", "--config", "/srv/vigil/vigil.toml"]
CMD ["run"]
