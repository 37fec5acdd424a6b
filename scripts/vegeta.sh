#!/usr/bin/env bash
# Build the vegeta HTTP load generator (once) and print the path of its binary on stdout.
# Used by bench/api_load.py. Idempotent: a binary already built at the pinned version is reused.
# Everything Go writes (GOPATH, module and build caches, the binary) lives under
# ~/.cache/learnsmart/go; the modules come from the Go module proxy.
set -euo pipefail

VEGETA_VERSION=${VEGETA_VERSION:-v12.12.0}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
GO_HOME=${LEARNSMART_GO_HOME:-$HOME/.cache/learnsmart/go}
BIN_DIR=$GO_HOME/bin
VEGETA=$BIN_DIR/vegeta
STAMP=$BIN_DIR/.vegeta-version

if [ -x "$VEGETA" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VEGETA_VERSION" ]; then
  echo "$VEGETA"
  exit 0
fi

[ -x "$GO" ] || { echo "vegeta.sh: no Go toolchain (set GO=/path/to/go)" >&2; exit 1; }
mkdir -p "$BIN_DIR"
# Build output goes to stderr so that stdout carries only the binary's path.
GOPATH=$GO_HOME \
  GOMODCACHE=$GO_HOME/pkg/mod \
  GOCACHE=$GO_HOME/build-cache \
  GOBIN=$BIN_DIR \
  GOFLAGS=-modcacherw \
  GOTOOLCHAIN=local \
  "$GO" install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >&2
echo "$VEGETA_VERSION" > "$STAMP"
echo "$VEGETA"
