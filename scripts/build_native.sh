#!/usr/bin/env bash
# Builds lake/native (the xAPI statement scanner, Rust) into lake/_native<ext suffix> with cargo;
# `build_native.sh test` runs the crate's own tests instead.
# Without cargo the xAPI loader runs its DuckDB path alone: the same results, slower. A build that
# fails where cargo is present is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null 2>&1; then
    echo "build_native: cargo not found; the xAPI loader runs without its native fast path" >&2
    exit 0
fi
PY="$PWD/.venv/bin/python"
suffix=$("$PY" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
export CARGO_TARGET_DIR="${LEARNSMART_CACHE:-$HOME/.cache/learnsmart}/cargo-target"
if [ "${1:-}" = test ]; then
    PYO3_PYTHON="$PY" cargo test --quiet --release --locked --manifest-path lake/native/Cargo.toml
    exit 0
fi
PYO3_PYTHON="$PY" cargo build --quiet --release --locked --manifest-path lake/native/Cargo.toml
cp "$CARGO_TARGET_DIR/release/lib_native.so" "lake/_native$suffix.tmp"
mv "lake/_native$suffix.tmp" "lake/_native$suffix"
echo "build_native: lake/_native$suffix"
