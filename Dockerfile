# syntax=docker/dockerfile:1
#
# A small image of kbz-check: the binary, the shipped suites, CA
# certificates, no shell, running as a non-root user (docs/install.md).
#
#   docker build -t kbz-check .
#   docker run --rm -v /opt/keybuzz/keybuzz-backend/.env:/run/app.env:ro kbz-check --env-file /run/app.env all
#   (kbz-check reads the file itself: `docker run --env-file` keeps quotes and rejects `export`)
#   docker run --rm -e KBZ_OAUTH_START_URL=... kbz-check --config /usr/share/kbz-check/amazon-oauth-start.toml all
#
# The binary is the ordinary glibc build of the Debian 12 Rust image, run on
# distroless/cc-debian12 (the same Debian 12 glibc and libgcc). A static musl
# build would need `rustup target add`, a download from the Rust toolchain
# servers, which the build machines do not reach; this build needs only the
# images, crates.io and nothing else (every dependency is pure Rust or
# builds its C parts, ring's, with the image's gcc: no OpenSSL, no libpq).

FROM rust:1-bookworm AS build
WORKDIR /src

# The dependencies, in a layer of their own that depends on Cargo.toml and
# Cargo.lock only: rebuilt when they change, not on every source edit.
# Stand-ins for the targets Cargo.toml declares (the library, the binary,
# the two examples); build.rs comes later, it reads docs/output.md.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src examples \
 && echo 'fn main() {}' >src/main.rs \
 && touch src/lib.rs \
 && echo 'fn main() {}' >examples/test_cluster.rs \
 && echo 'fn main() {}' >examples/test_servers.rs \
 && cargo build --release --locked --bin kbz-check \
 && rm -rf src examples

# The sources. build.rs declares the finding codes from docs/output.md's
# table; src/app.rs includes checks/starter.toml; Cargo.toml declares the
# examples. The new build script already makes Cargo rebuild kbz-check; the
# touch makes sure of it whatever the dates COPY keeps (older than the
# stand-ins' build, Cargo could take the stand-ins for up to date).
COPY build.rs ./
COPY docs/output.md ./docs/output.md
COPY src ./src
COPY checks ./checks
COPY examples ./examples
RUN touch build.rs src/main.rs src/lib.rs \
 && cargo build --release --locked --bin kbz-check \
 && cp target/release/kbz-check /kbz-check \
 && /kbz-check --version

# distroless/cc: glibc, libgcc, CA certificates (rustls-native-certs reads
# /etc/ssl/certs), /etc/passwd with `nonroot` (uid 65532), tzdata; no shell.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /kbz-check /usr/local/bin/kbz-check
# The same place as the Debian package's.
COPY checks/*.toml /usr/share/kbz-check/
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/kbz-check"]
CMD ["all"]
