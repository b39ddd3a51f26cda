# syntax=docker/dockerfile:1
#
# A small static image of kbz-check: one musl binary, the shipped suites, CA
# certificates, no shell, running as a non-root user.
#
#   docker build -t kbz-check .
#   docker run --rm -v /opt/keybuzz/keybuzz-backend/.env:/run/app.env:ro kbz-check --env-file /run/app.env all
#   (kbz-check reads the file itself: `docker run --env-file` keeps quotes and rejects `export`)
#   docker run --rm -e KBZ_OAUTH_START_URL=... kbz-check --config /etc/kbz-check/checks/amazon-oauth-start.toml all
#
# Every dependency is pure Rust or builds its C parts (ring) with musl-gcc:
# no OpenSSL, no glibc, so the binary runs on distroless/static.

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# x86_64 or aarch64, whichever platform this stage builds on.
RUN rustup target add "$(uname -m)-unknown-linux-musl"
COPY Cargo.toml Cargo.lock build.rs ./
# build.rs declares the finding codes from docs/output.md's table.
COPY docs/output.md ./docs/output.md
# src/app.rs includes checks/starter.toml; Cargo.toml declares examples/test_cluster.rs.
COPY src ./src
COPY checks ./checks
COPY examples ./examples
RUN target="$(uname -m)-unknown-linux-musl" \
 && cargo build --release --locked --target "$target" --bin kbz-check \
 && cp "target/$target/release/kbz-check" /kbz-check

# distroless/static: CA certificates (rustls-native-certs reads
# /etc/ssl/certs), /etc/passwd with `nonroot` (uid 65532), tzdata; nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /kbz-check /usr/local/bin/kbz-check
COPY --from=build /src/checks /etc/kbz-check/checks
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/kbz-check"]
CMD ["all"]
