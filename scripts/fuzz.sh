#!/usr/bin/env bash
# Fuzzes reddish's request parser with cargo-fuzz (libFuzzer).
#
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#
# SECONDS defaults to 600. The corpus lives in tests/fuzz/corpus/parser
# (seeded with a few real requests on first use), crashes land in
# tests/fuzz/artifacts/parser. Reproduce one with
#   scripts/fuzz.sh run tests/fuzz/artifacts/parser/crash-...
#
# cargo-fuzz needs a nightly compiler for -Zsanitizer; when no nightly
# toolchain is installed, RUSTC_BOOTSTRAP=1 lets the stable one accept the
# flags. FUZZ_STABLE=1 forces that path even where a nightly exists.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_dir=tests/fuzz

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz
fi

toolchain=()
if [ -z "${FUZZ_STABLE:-}" ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

corpus=$fuzz_dir/corpus/parser
if [ ! -d "$corpus" ]; then
    mkdir -p "$corpus"
    printf '*1\r\n$4\r\nPING\r\n' > "$corpus/ping"
    printf '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n' > "$corpus/set"
    printf 'SET a "b\\x41\\n" '"'"'c\\'"'"'d'"'"'\r\nPING\r\n\r\n' > "$corpus/inline"
    printf '*2\r\n$4\r\nECHO\r\n$40000\r\n' > "$corpus/bigbulk"
    printf '*0\r\n*-1\r\n*1\r\n$-1\r\n' > "$corpus/empty"
fi

if [ "${1:-}" = run ]; then
    shift
    exec cargo "${toolchain[@]}" fuzz run --fuzz-dir "$fuzz_dir" parser "$@"
fi

secs="${1:-600}"
shift || true
# -rss_limit_mb keeps a runaway allocation a finding, not a dead machine;
# -max_len 4096 lets multibulk headers plus a few arguments fit.
exec cargo "${toolchain[@]}" fuzz run --fuzz-dir "$fuzz_dir" parser "$corpus" -- \
    -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
